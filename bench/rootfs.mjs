#!/usr/bin/env node
// Start-to-exit of /bin/true in a busybox rootfs with user, mount, pid, uts, ipc and net
// namespaces, a fresh /proc and a minimal /dev: nsbox's spawnContainer() against bubblewrap and
// util-linux unshare, each spawned from Node, interleaved in the same run. Prints medians and
// ratios (targets: <= 0.5x bwrap, <= 1.0x unshare, which does far less: no /dev, no pivot_root).
// Usage: npm run bench:rootfs [-- --runs N]   (not a test: numbers depend on the machine)
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnContainer } from '../dist/index.js';
import { median, once } from './measure.mjs';

const args = process.argv.slice(2);
const runsIdx = args.indexOf('--runs');
const RUNS = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 200;
const ROUNDS = 4;

/** The README's busybox rootfs: busybox plus one relative link per applet. */
function buildRootfs() {
  const base = mkdtempSync(join(tmpdir(), 'nsbox-bench-'));
  chmodSync(base, 0o755);
  const r = join(base, 'rootfs');
  mkdirSync(join(r, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(r, 'bin', 'busybox'));
  chmodSync(join(r, 'bin', 'busybox'), 0o755);
  const list = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const a of list) symlinkSync('busybox', join(r, 'bin', a));
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(r, d));
  writeFileSync(join(r, 'etc', 'hosts'), '');
  return { base, rootfs: r };
}

const { base, rootfs } = buildRootfs();
const ignore = { stdio: 'ignore' };
// Absolute paths: a PATH search by Node would charge bwrap and unshare for failed execve(2)s
// that nsbox (whose helper path is absolute) does not pay.
const BWRAP = '/usr/bin/bwrap';
const UNSHARE = '/usr/bin/unshare';
const contenders = {
  nsbox: () => spawnContainer(rootfs, '/bin/true', [], { user: true, net: true, stdio: 'ignore' }),
  bwrap: () => cpSpawn(BWRAP, ['--unshare-all', '--bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', '/bin/true'], ignore),
  unshare: () => cpSpawn(UNSHARE, ['-rmpf', '--mount-proc', `--root=${rootfs}`, '/bin/true'], ignore),
  // Not a target: the same namespaces as the others (net, uts, ipc too), still no /dev, no pivot_root.
  'unshare -n -u -i': () => cpSpawn(UNSHARE, ['-rmpfnui', '--mount-proc', `--root=${rootfs}`, '/bin/true'], ignore),
  'spawn(true)': () => cpSpawn('/bin/true', [], ignore),
};
const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
try {
  for (const start of Object.values(contenders)) for (let i = 0; i < 10; i++) await once(start); // warm-up
  // Interleaved rounds, so that a noisy moment hits every contender alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start] of Object.entries(contenders)) {
      for (let i = 0; i < Math.ceil(RUNS / ROUNDS); i++) times[name].push(await once(start));
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const who = process.geteuid() === 0 ? 'root' : `uid ${process.geteuid()}`;
console.log(`/bin/true in a busybox rootfs (user, mount, pid, uts, ipc, net, /proc, /dev), ${RUNS} runs each, as ${who}, median ms`);
for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(17)} ${v.toFixed(3).padStart(8)}`);
console.log(`  nsbox / bwrap   = ${(m.nsbox / m.bwrap).toFixed(2)}x (target <= 0.5)`);
console.log(`  nsbox / unshare = ${(m.nsbox / m.unshare).toFixed(2)}x (target <= 1.0)`);
console.log(`  nsbox / unshare -n -u -i = ${(m.nsbox / m['unshare -n -u -i']).toFixed(2)}x (same namespaces)`);
