/** PATH lookup, as execvp(3) does it, for the tools nsbox has run (newuidmap, newgidmap). */
import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where execvp(3) would find `name` with this PATH (glibc's default `/bin:/usr/bin` when unset),
 * made absolute; else the bare name, so that running it fails with execvp's own error.
 */
export function findInPath(name: string, pathVar: string | undefined): string {
  if (name.includes('/')) return name;
  for (const dir of (pathVar ?? '/bin:/usr/bin').split(':')) {
    const candidate = join(dir === '' ? '.' : dir, name);
    if (isExecutableFile(candidate)) return resolve(candidate);
  }
  return name;
}
