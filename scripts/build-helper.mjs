#!/usr/bin/env node
/**
 * Builds the native helper: every native/*.c into build/nsbox-helper.
 *
 * - Compiler: $CC (default `cc`; may carry arguments, e.g. `ccache gcc`).
 * - Flags: -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE, plus stack protector and
 *   _FORTIFY_SOURCE when the compiler accepts them.
 * - Linked statically when the libc allows it (a static binary starts faster: no dynamic
 *   loader, no relocations), dynamically otherwise, with one line saying so.
 * - Nothing is done when the binary is newer than every source (and this script).
 *
 * Run by `npm run build:native` and by `npm install` (through `prepare`).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native');
const outDir = join(root, 'build');
const output = join(outDir, 'nsbox-helper');
const shown = relative(process.cwd(), output) || output;

const BASE_FLAGS = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE'];
/* -U first: some distributions predefine _FORTIFY_SOURCE, and a redefinition fails -Werror. */
const HARDENING = ['-fstack-protector-strong', '-U_FORTIFY_SOURCE', '-D_FORTIFY_SOURCE=2'];

function fail(message, details) {
  process.stderr.write(`nsbox: ${message}\n`);
  if (details) process.stderr.write(details.endsWith('\n') ? details : `${details}\n`);
  process.exit(1);
}

function compilerCommand() {
  const words = (process.env.CC ?? '').trim().split(/\s+/).filter(Boolean);
  return words.length ? words : ['cc'];
}

function run(cmd, args) {
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { encoding: 'utf8' });
  if (r.error) fail(`cannot run the C compiler '${cmd.join(' ')}': ${r.error.message} (set $CC)`);
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function upToDate(inputs) {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((f) => statSync(f).mtimeMs < built);
}

const entries = existsSync(srcDir) ? readdirSync(srcDir) : [];
const sources = entries.filter((f) => f.endsWith('.c')).sort().map((f) => join(srcDir, f));
const headers = entries.filter((f) => f.endsWith('.h')).map((f) => join(srcDir, f));
if (sources.length === 0) fail(`no C sources in ${srcDir}`);

if (upToDate([...sources, ...headers, fileURLToPath(import.meta.url)])) {
  console.log(`nsbox: ${shown} is up to date`);
  process.exit(0);
}

const cc = compilerCommand();
const work = mkdtempSync(join(tmpdir(), 'nsbox-build-'));
// fail() exits directly; the scratch directory goes in every case.
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
{
  // Compile each file to an object, so that compile errors and link errors are told apart.
  const compileAll = (flags) => {
    for (const src of sources) {
      const obj = join(work, src.slice(srcDir.length + 1).replace(/\.c$/, '.o'));
      const r = run(cc, [...flags, '-c', src, '-o', obj]);
      if (!r.ok) return r;
    }
    return { ok: true, output: '' };
  };
  let flags = [...BASE_FLAGS, ...HARDENING];
  let compiled = compileAll(flags);
  if (!compiled.ok) {
    // Maybe only the hardening flags are unsupported; a real error fails this try too.
    flags = BASE_FLAGS;
    const plain = compileAll(flags);
    if (!plain.ok) fail('compiling the native helper failed:', plain.output);
  }

  const objects = sources.map((src) => join(work, src.slice(srcDir.length + 1).replace(/\.c$/, '.o')));
  const tmpOut = join(work, 'nsbox-helper');
  const linkFlags = flags.filter((f) => f.startsWith('-f'));
  let linkage = 'static';
  let linked = run(cc, [...linkFlags, '-static', ...objects, '-o', tmpOut]);
  if (!linked.ok) {
    linkage = 'dynamic';
    linked = run(cc, [...linkFlags, ...objects, '-o', tmpOut]);
    if (!linked.ok) fail('linking the native helper failed:', linked.output);
    console.log('nsbox: static linking is not available here, the helper is linked dynamically');
  }

  mkdirSync(outDir, { recursive: true });
  chmodSync(tmpOut, 0o755);
  // rename(2) within a file system is atomic; across file systems (tmpdir), fall back to copy.
  try {
    renameSync(tmpOut, output);
  } catch {
    copyFileSync(tmpOut, `${output}.tmp`);
    chmodSync(`${output}.tmp`, 0o755);
    renameSync(`${output}.tmp`, output);
  }
  console.log(`nsbox: built ${shown} (${linkage}${flags === BASE_FLAGS ? ', without hardening flags' : ''})`);
}
