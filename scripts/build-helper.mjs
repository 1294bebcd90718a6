#!/usr/bin/env node
/**
 * Builds the native helper: every native/*.c into build/nsbox-helper.
 *
 * - Compiler: $CC (default `cc`; may carry arguments, e.g. `ccache gcc`).
 * - Flags: -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE, plus the stack protector (and
 *   _FORTIFY_SOURCE against libc) when the compiler accepts them.
 * - Two ways to build (native/rt.h explains why):
 *   1. freestanding (x86_64, aarch64): no libc at all, always static. Fastest start-up. Used
 *      unless it fails to build or to run here, or $NSBOX_HELPER_LIBC=1;
 *   2. against the system libc, linked statically when the libc allows it, dynamically
 *      otherwise (with one line saying so).
 * - Nothing is done when the binary is newer than every source (and this script) and was built
 *   with the same $CC and mode.
 *
 * Run by `npm run build:native` and by `npm install` (through `prepare`).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native');
const outDir = join(root, 'build');
const output = join(outDir, 'nsbox-helper');
const shown = relative(process.cwd(), output) || output;
// What the binary was built with: a different compiler or mode means a rebuild.
const stampFile = join(outDir, '.nsbox-helper.config');
const config = JSON.stringify({ cc: process.env.CC ?? '', libc: process.env.NSBOX_HELPER_LIBC === '1' });

const BASE_FLAGS = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE'];

/**
 * Each way to build: compile flags, optional hardening flags (dropped if the compiler refuses
 * them), and link variants tried in order (the first that links wins).
 */
const FREESTANDING = {
  name: 'freestanding',
  flags: ['-DNSBOX_NOLIBC', '-ffreestanding', '-fno-pie', '-fno-asynchronous-unwind-tables'],
  // No _FORTIFY_SOURCE: it only instruments libc functions, and there is no libc.
  hardening: ['-fstack-protector-strong'],
  links: [{ flags: ['-nostdlib', '-static', '-no-pie'], libs: ['-lgcc'], linkage: 'static, no libc' }],
};
const LIBC = {
  name: 'libc',
  flags: [],
  // -U first: some distributions predefine _FORTIFY_SOURCE, and a redefinition fails -Werror.
  hardening: ['-fstack-protector-strong', '-U_FORTIFY_SOURCE', '-D_FORTIFY_SOURCE=2'],
  links: [
    { flags: ['-static'], libs: [], linkage: 'static' },
    { flags: [], libs: [], linkage: 'dynamic' },
  ],
};

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
  if (!existsSync(output) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== config) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((f) => statSync(f).mtimeMs < built);
}

function firstLine(text) {
  return (text.split('\n').find((l) => /error/i.test(l)) ?? text.split('\n')[0] ?? '').trim();
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

/** Compiles every source (one object each, so compile and link errors are told apart). */
function compileAll(dir, flags) {
  mkdirSync(dir, { recursive: true });
  const objects = [];
  for (const src of sources) {
    const obj = join(dir, basename(src).replace(/\.c$/, '.o'));
    const r = run(cc, [...flags, '-c', src, '-o', obj]);
    if (!r.ok) return { ok: false, output: r.output };
    objects.push(obj);
  }
  return { ok: true, objects };
}

/**
 * The binary must start and refuse an empty spec the documented way (exit 1, message on
 * stderr). This catches a freestanding runtime that links but cannot run on this system.
 * A binary the kernel cannot execute at all is a cross build: nothing to test here.
 */
function smokeTest(binary) {
  if (!sameMachine(binary, process.execPath)) return true;
  const r = spawnSync(binary, [], { encoding: 'utf8' });
  return r.status === 1 && /invalid helper spec/.test(r.stderr ?? '');
}

/** Same ELF class and machine as Node itself? (Otherwise $CC is a cross compiler.) */
function sameMachine(a, b) {
  const head = (file) => {
    const buf = Buffer.alloc(20);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, 20, 0);
    } finally {
      closeSync(fd);
    }
    return `${buf[4]}:${buf.readUInt16LE(18)}`; // EI_CLASS, e_machine (little-endian hosts)
  };
  try {
    return head(a) === head(b);
  } catch {
    return true;
  }
}

/** One way to build; returns the binary and a description, or the reason it failed. */
function build(way) {
  const dir = join(work, way.name);
  let flags = [...BASE_FLAGS, ...way.flags, ...way.hardening];
  let hardened = true;
  let compiled = compileAll(dir, flags);
  if (!compiled.ok) {
    // Maybe only the hardening flags are unsupported; a real error fails this try too.
    flags = [...BASE_FLAGS, ...way.flags];
    hardened = false;
    compiled = compileAll(dir, flags);
    if (!compiled.ok) return { ok: false, stage: 'compiling', output: compiled.output };
  }
  const binary = join(dir, 'nsbox-helper');
  const codeFlags = flags.filter((f) => f.startsWith('-f'));
  let last = { output: '' };
  for (const [i, link] of way.links.entries()) {
    last = run(cc, [...codeFlags, ...link.flags, ...compiled.objects, ...link.libs, '-o', binary]);
    if (!last.ok) continue;
    if (!smokeTest(binary)) return { ok: false, stage: 'running', output: 'the built helper does not start' };
    if (i > 0) console.log(`nsbox: static linking is not available here, the helper is linked ${link.linkage}`);
    return { ok: true, binary, what: `${link.linkage}${hardened ? '' : ', without hardening flags'}` };
  }
  return { ok: false, stage: 'linking', output: last.output };
}

let result;
if (process.env.NSBOX_HELPER_LIBC !== '1') {
  result = build(FREESTANDING);
  if (!result.ok) {
    console.log(`nsbox: no freestanding build here (${result.stage}: ${firstLine(result.output)}), using libc`);
  }
}
if (!result?.ok) {
  result = build(LIBC);
  if (!result.ok) fail(`${result.stage} the native helper failed:`, result.output);
}

mkdirSync(outDir, { recursive: true });
chmodSync(result.binary, 0o755);
// Replace atomically: a rename within one file system; tmpdir may be another one.
copyFileSync(result.binary, `${output}.tmp`);
chmodSync(`${output}.tmp`, 0o755);
renameSync(`${output}.tmp`, output);
writeFileSync(stampFile, config);
console.log(`nsbox: built ${shown} (${result.what})`);
