/** Locating the native helper executable. */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The helper's path: `$NSBOX_HELPER` if set (distributions, development), else the one built
 * into this package's `build/` by `npm install`.
 */
export function helperPath(): string {
  if (cached) return cached;
  const fromEnv = process.env.NSBOX_HELPER;
  const path = fromEnv && fromEnv !== '' ? fromEnv : fileURLToPath(new URL('../build/nsbox-helper', import.meta.url));
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`nsbox: helper not found or not executable at ${path} (run \`npm run build:native\`)`);
  }
  cached = path;
  return path;
}
