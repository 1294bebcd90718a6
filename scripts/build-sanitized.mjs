#!/usr/bin/env node
/**
 * Builds the helper with AddressSanitizer and UndefinedBehaviorSanitizer, for testing only:
 * every native/*.c (the libc build: ASan needs a C library) into build/sanitized/nsbox-helper,
 * with -fsanitize=address,undefined -fno-sanitize-recover=all (any finding aborts the helper).
 * Point $NSBOX_HELPER at it to run sandboxes through it (scripts/test-sanitized.mjs does).
 *
 * $SAN_CC overrides the compiler (default clang-14, else clang: clang links the sanitizer
 * runtimes statically, so the binary runs as any user). Nothing is done when the binary is newer
 * than every source and this script. Prints the path of the binary last.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native');
const out = join(root, 'build', 'sanitized', 'nsbox-helper');
const FLAGS = [
  '-std=gnu11', '-O1', '-g', '-fno-omit-frame-pointer', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE',
  '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
];

function compiler() {
  for (const cc of [process.env.SAN_CC, 'clang-14', 'clang'].filter(Boolean)) {
    if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  console.error('nsbox: no clang found for the sanitized helper (install clang-14 and libclang-rt-14-dev, or set $SAN_CC)');
  process.exit(1);
}

const files = readdirSync(src);
const sources = files.filter((f) => f.endsWith('.c')).sort().map((f) => join(src, f));
const inputs = [...sources, ...files.filter((f) => f.endsWith('.h')).map((f) => join(src, f)), fileURLToPath(import.meta.url)];
const shown = relative(process.cwd(), out) || out;
if (existsSync(out) && inputs.every((f) => statSync(f).mtimeMs < statSync(out).mtimeMs)) {
  console.log(shown);
  process.exit(0);
}
const cc = compiler();
mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(cc, [...FLAGS, ...sources, '-o', `${out}.tmp`], { encoding: 'utf8' });
if (r.status !== 0) {
  console.error(`nsbox: building the sanitized helper failed:\n${r.stdout}${r.stderr}`);
  process.exit(1);
}
// It must start and refuse an empty spec as the real one does.
const smoke = spawnSync(`${out}.tmp`, [], { encoding: 'utf8' });
if (smoke.status !== 1 || !/invalid helper spec/.test(smoke.stderr)) {
  console.error(`nsbox: the sanitized helper does not start: exit ${smoke.status}\n${smoke.stderr}`);
  process.exit(1);
}
renameSync(`${out}.tmp`, out);
console.log(shown);
