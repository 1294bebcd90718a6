#!/usr/bin/env node
// Spawn-to-exit latency of `true`: plain child_process.spawn, util-linux unshare spawned from
// Node, and nsbox spawn(), for several namespace combinations; sequential and 8 at a time.
// Plus the CLI: `nsbox unshare -r true` against `node -e 0`. Prints medians and ratios.
// Usage: npm run bench [-- --runs N]   (not a test: numbers depend on the machine)
import { spawn as cpSpawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawn as nsSpawn } from '../dist/index.js';
import { median, once } from './measure.mjs';

const args = process.argv.slice(2);
const runsIdx = args.indexOf('--runs');
const RUNS = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 200;
const PARALLEL = 8;
const CLI = fileURLToPath(new URL('../dist/nsbox.cjs', import.meta.url)); // the installed bin
const UNSHARE = '/usr/bin/unshare';

const combos = [
  { name: '-r', cli: ['-r'], lib: { user: true, mapRootUser: true } },
  { name: '-r --pid --fork --mount-proc', cli: ['-r', '--pid', '--fork', '--mount-proc'], lib: { user: true, mapRootUser: true, pid: true, fork: true, mountProc: true } },
  { name: '-r --net', cli: ['-r', '--net'], lib: { user: true, mapRootUser: true, net: true } },
  { name: '-r -muipC --fork', cli: ['-r', '-muipC', '--fork'], lib: { user: true, mapRootUser: true, mount: true, uts: true, ipc: true, pid: true, cgroup: true, fork: true } },
];

async function measure(start, runs, parallel) {
  const times = [];
  let next = 0;
  async function worker() {
    while (next < runs) {
      next++;
      times.push(await once(start));
    }
  }
  for (let i = 0; i < 5; i++) await once(start); // warm-up
  await Promise.all(Array.from({ length: parallel }, worker));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const ignore = { stdio: 'ignore' };
const fmt = (ms) => ms.toFixed(3).padStart(8);
const rows = [];
let worst = 0;
for (const parallel of [1, PARALLEL]) {
  const plain = await measure(() => cpSpawn('true', [], ignore), RUNS, parallel);
  rows.push([`plain spawn(true)            x${parallel}`, plain, '']);
  for (const c of combos) {
    const ul = await measure(() => cpSpawn(UNSHARE, [...c.cli, 'true'], ignore), RUNS, parallel);
    const ns = await measure(() => nsSpawn('true', [], { ...c.lib, stdio: 'ignore' }), RUNS, parallel);
    worst = Math.max(worst, ns / ul);
    rows.push([`unshare ${c.name}`.padEnd(29) + ` x${parallel}`, ul, `${(ul / plain).toFixed(2)}x plain`]);
    rows.push([`nsbox   ${c.name}`.padEnd(29) + ` x${parallel}`, ns, `${(ns / ul).toFixed(2)}x unshare, ${(ns / plain).toFixed(2)}x plain`]);
  }
}
// Interleaved, so that both see the same machine state (Node start-up varies by a few ms).
const cliRuns = Math.max(30, Math.floor(RUNS / 5));
const nodeTimes = [];
const cliTimes = [];
for (let i = 0; i < cliRuns; i++) {
  nodeTimes.push(await once(() => cpSpawn(process.execPath, ['-e', '0'], ignore)));
  cliTimes.push(await once(() => cpSpawn(process.execPath, [CLI, 'unshare', '-r', 'true'], ignore)));
}
const nodeBase = median(nodeTimes);
const cli = median(cliTimes);
rows.push(['node -e 0                    x1', nodeBase, '']);
rows.push(['nsbox unshare -r true (CLI)  x1', cli, `${(cli / nodeBase).toFixed(2)}x node -e 0`]);

console.log(`median spawn-to-exit in ms (${RUNS} runs per row, CLI rows ${cliRuns}; node ${process.version}, uid ${process.getuid()})`);
for (const [name, ms, note] of rows) console.log(`${name} ${fmt(ms)}  ${note}`);
console.log(`worst nsbox/unshare ratio: ${worst.toFixed(2)} (target <= 0.90); CLI/node ratio: ${(cli / nodeBase).toFixed(2)} (target <= 1.15)`);
