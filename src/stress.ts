/**
 * The stress engine behind `npm run stress` (bench/stress.mjs) and src/test/stress.test.ts:
 * thousands of sandboxes through `spawn()`, many at a time, mixing namespace kinds, id maps,
 * persistence and deliberate failures; every outcome is checked against its expectation, and
 * during and after the run nothing may be left behind: processes, zombies, mounts, nsfs binds,
 * namespaces, fds of this process, memory.
 *
 * Every sandbox gets `NSBOX_STRESS=<run token>.<index>` in its environment, so any process of
 * the run found in /proc names its sandbox (helpers, forked programs, inits, map children).
 */
import * as cp from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { enter, unpersist } from './enter.js';
import { NamespaceError } from './errors.js';
import { allPids, readStat, type ProcStat } from './proc.js';
import type { NamespaceSet } from './namespaces.js';
import { spawn, type SandboxInfo, type SpawnOptions } from './spawn.js';
import type { Step } from './steps.js';
import { signalNumber } from './signals.js';

/** A `setup-died` error naming `signal`: the sandbox was killed before its exec, as asked. */
function diedOf(err: NamespaceError, signal: NodeJS.Signals): boolean {
  return err.step === 'setup-died' && err.args.includes(String(signalNumber(signal)));
}

export interface StressOptions {
  /** Sandboxes to start (default 10000). */
  count?: number;
  /** At most this many at a time (default 64). */
  concurrency?: number;
  /** Stop starting new sandboxes after this many seconds (default 600); the report says so. */
  maxSeconds?: number;
  /** Seed of the mix (default 1). */
  seed?: number;
  /** The first sandboxes (of `count`) are a warm-up: the fd and memory baselines are taken after them (default min(200, count/10)). */
  warmup?: number;
  /** A sandbox still running after this many ms is killed and counted as unexpected (default 30000). */
  sandboxTimeoutMs?: number;
  /** Sampling period of the during-run checks (default 250 ms). */
  sampleMs?: number;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
  /**
   * Self-test of the checks: the first sandbox after the warm-up leaves a process behind (a
   * background sleep), this process keeps an fd on its network namespace and, as root, its
   * persisted namespace is not released. The report must then show those leaks.
   */
  injectLeaks?: boolean;
  /** The run's token in NSBOX_STRESS (default: random; main() takes $NSBOX_STRESS_RUN). */
  token?: string;
  /** Allowed growth of heapUsed after the run over the post-warm-up level (default 4 MiB). */
  heapToleranceBytes?: number;
  /** Allowed growth of RSS (less V8's young generation) after the run over the post-warm-up level (default 16 MiB). */
  rssToleranceBytes?: number;
}

export type Outcome = 'ok' | 'expected-failure' | 'unexpected';

export interface ScenarioCounts {
  ok: number;
  expectedFailure: number;
  unexpected: number;
}

export interface LeakCounts {
  processes: number;
  zombies: number;
  mounts: number;
  nsfs: number;
  namespaces: number;
  fds: number;
}

export interface StressReport {
  root: boolean;
  uid: number;
  seed: number;
  requested: number;
  concurrency: number;
  /** Sandboxes run (the warm-up included). */
  total: number;
  warmup: number;
  ok: number;
  expectedFailures: number;
  unexpected: number;
  /** The first unexpected outcomes, one line each. */
  unexpectedDetails: string[];
  byScenario: Record<string, ScenarioCounts>;
  /** Expected failures by what happened (`missing-program`, `bad-map`, `killed`, ...). */
  byOutcome: Record<string, number>;
  stoppedByTime: boolean;
  seconds: number;
  perSecond: number;
  peakConcurrency: number;
  /** spawn() → 'exit' in ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** What was left once everything had exited. */
  leaks: LeakCounts;
  leakDetails: string[];
  /** Seen during the run: processes of finished sandboxes and zombies still there one sample later. */
  during: { samples: number; lingeringProcesses: number; zombies: number; peakProcesses: number; peakFds: number; peakMountLines: number; details: string[] };
  /** Different namespaces the run created (inodes as reported; the kernel reuses them). */
  namespacesCreated: number;
  /** New mounts outside the run's directory (other users of the machine), not counted as leaks. */
  foreignMounts: number;
  /** Namespace inodes of the run now in use by processes not of the run (reused numbers), not leaks. */
  reusedNamespaces: number;
  baseline: { fds: number; mountLines: number };
  /** After warm-up and after the run, both after full GCs; `young`: V8's new space, left out of the RSS comparison. */
  memory: { heapStart: number; heapEnd: number; rssStart: number; rssEnd: number; youngStart: number; youngEnd: number; heapTolerance: number; rssTolerance: number; ok: boolean };
  /** No leak, no unexpected outcome, memory back within tolerance. */
  clean: boolean;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

type Check = (stdout: string) => string | undefined;

type Expect =
  | { type: 'ok'; code: number; signal: NodeJS.Signals | null; stdout?: Check; newNs: string[]; label?: string }
  | { type: 'setup-error'; steps: readonly Step[]; code?: string; label: string }
  | { type: 'killed'; signal: NodeJS.Signals };

interface PersistPlan {
  kind: keyof NamespaceSet;
  nsName: string;
  path: string;
  viaEnter: boolean;
}

interface Plan {
  scenario: string;
  file: string;
  args: string[];
  options: SpawnOptions;
  expect: Expect;
  /** `abort`: through the `signal` option (an AbortController), which kills with SIGTERM. */
  kill?: { when: 'sync' | 'delay' | 'report' | 'abort'; delayMs: number; signal: NodeJS.Signals };
  persist?: PersistPlan;
  /** injectLeaks: keep an fd on the net namespace, and do not release the persisted one. */
  leak?: boolean;
}

interface Ctx {
  root: boolean;
  uid: number;
  gid: number;
  subuid: { start: number; count: number } | undefined;
  subgid: { start: number; count: number } | undefined;
  dir: string;
  token: string;
  own: Record<string, number>;
}

/** Option name → /proc/PID/ns entry. */
const NS_NAME: Record<keyof NamespaceSet, string> = { user: 'user', mount: 'mnt', uts: 'uts', ipc: 'ipc', net: 'net', pid: 'pid', cgroup: 'cgroup', time: 'time' };
const EXTRA_KINDS: readonly (keyof NamespaceSet)[] = ['mount', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'time'];

const squeezeLines = (s: string): string[] =>
  s
    .trim()
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '');

function expectLines(want: string[], sorted = false): Check {
  return (out) => {
    const got = squeezeLines(out);
    const a = sorted ? [...got].sort() : got;
    const b = sorted ? [...want].sort() : want;
    return JSON.stringify(a) === JSON.stringify(b) ? undefined : `stdout ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  };
}

/** The user namespace part: always (mapped to root) when not root; half of the time as root. */
function userPart(ctx: Ctx, r: Rng): SpawnOptions {
  return !ctx.root || r.chance(0.5) ? { user: true, mapRootUser: true } : {};
}

/** A random subset of the other kinds (pid only with an init when `noBarePid`). */
function randomKinds(r: Rng, p: number, noBarePid = false): { options: SpawnOptions; newNs: string[] } {
  const options: SpawnOptions = {};
  const newNs: string[] = [];
  for (const k of EXTRA_KINDS) {
    if (!r.chance(p)) continue;
    options[k] = true;
    newNs.push(NS_NAME[k]);
  }
  // pid 1 ignores signals it has no handler for: an init (pid 1) forwards them to the program.
  if (options.pid && noBarePid) options.init = true;
  return { options, newNs };
}

interface Scenario {
  name: string;
  weight: number;
  make(ctx: Ctx, i: number, r: Rng): Plan;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'user-root-map',
    weight: 8,
    make: (ctx) => ({
      scenario: 'user-root-map',
      file: 'cat',
      args: ['/proc/self/uid_map', '/proc/self/gid_map'],
      options: { user: true, mapRootUser: true },
      expect: { type: 'ok', code: 0, signal: null, newNs: ['user'], stdout: expectLines([`0 ${ctx.uid} 1`, `0 ${ctx.gid} 1`]) },
    }),
  },
  {
    name: 'user-current-map',
    weight: 6,
    make: (ctx) => ({
      scenario: 'user-current-map',
      file: 'cat',
      args: ['/proc/self/uid_map', '/proc/self/gid_map'],
      options: { user: true, mapCurrentUser: true },
      expect: { type: 'ok', code: 0, signal: null, newNs: ['user'], stdout: expectLines([`${ctx.uid} ${ctx.uid} 1`, `${ctx.gid} ${ctx.gid} 1`]) },
    }),
  },
  {
    name: 'subordinate-maps',
    weight: 8,
    make: (ctx, _i, r) => {
      if (ctx.root) {
        // Explicit multi-range maps, written directly.
        const base = 100000 + r.int(0, 99) * 1000;
        const ranges = [
          { inner: 0, outer: base, count: 1000 },
          { inner: 1000, outer: base + 50000, count: 500 },
        ];
        const want = ranges.map((x) => `${x.inner} ${x.outer} ${x.count}`);
        return {
          scenario: 'subordinate-maps',
          file: 'cat',
          args: ['/proc/self/uid_map', '/proc/self/gid_map'],
          options: { mapUsers: ranges, mapGroups: ranges },
          expect: { type: 'ok', code: 0, signal: null, newNs: ['user'], stdout: expectLines([...want, ...want], true) },
        };
      }
      // Rootless: the /etc/subuid block through newuidmap/newgidmap.
      const su = ctx.subuid!;
      const sg = ctx.subgid!;
      return {
        scenario: 'subordinate-maps',
        file: 'cat',
        args: ['/proc/self/uid_map', '/proc/self/gid_map'],
        options: { mapAuto: true, mapRootUser: true },
        expect: {
          type: 'ok',
          code: 0,
          signal: null,
          newNs: ['user'],
          stdout: expectLines([`0 ${ctx.uid} 1`, `1 ${su.start} ${su.count}`, `0 ${ctx.gid} 1`, `1 ${sg.start} ${sg.count}`]),
        },
      };
    },
  },
  {
    name: 'pid-mount-proc',
    weight: 10,
    make: (ctx, _i, r) => {
      const init = r.chance(0.3);
      const me = init ? '2' : '1';
      return {
        scenario: 'pid-mount-proc',
        file: 'sh',
        args: ['-c', 'read a b < /proc/self/stat; echo $$ $a'],
        options: { ...userPart(ctx, r), pid: true, mountProc: true, ...(init ? { init: true } : {}) },
        expect: { type: 'ok', code: 0, signal: null, newNs: ['pid', 'mnt'], stdout: expectLines([`${me} ${me}`]) },
      };
    },
  },
  {
    name: 'net-loopback',
    weight: 8,
    make: (ctx, _i, r) => ({
      scenario: 'net-loopback',
      file: 'cat',
      args: ['/proc/net/dev'],
      options: { ...userPart(ctx, r), net: true, loopback: r.chance(0.7) },
      expect: {
        type: 'ok',
        code: 0,
        signal: null,
        newNs: ['net'],
        stdout: (out) => {
          const ifaces = squeezeLines(out)
            .slice(2)
            .map((l) => l.split(':')[0]);
          return JSON.stringify(ifaces) === '["lo"]' ? undefined : `interfaces ${JSON.stringify(ifaces)}, expected only lo`;
        },
      },
    }),
  },
  {
    name: 'uts-hostname',
    weight: 8,
    make: (ctx, i, r) => ({
      scenario: 'uts-hostname',
      file: 'cat',
      args: ['/proc/sys/kernel/hostname'],
      options: { ...userPart(ctx, r), uts: true, hostname: `stress-${i}` },
      expect: { type: 'ok', code: 0, signal: null, newNs: ['uts'], stdout: expectLines([`stress-${i}`]) },
    }),
  },
  {
    name: 'ipc',
    weight: 5,
    make: (ctx, _i, r) => ({
      scenario: 'ipc',
      file: 'cat',
      args: ['/proc/sysvipc/shm'],
      options: { ...userPart(ctx, r), ipc: true },
      expect: { type: 'ok', code: 0, signal: null, newNs: ['ipc'], stdout: (out) => (squeezeLines(out).length === 1 ? undefined : `a new ipc namespace has shm segments: ${out}`) },
    }),
  },
  {
    name: 'cgroup',
    weight: 5,
    make: (ctx, _i, r) => ({
      scenario: 'cgroup',
      file: 'cat',
      args: ['/proc/self/cgroup'],
      options: { ...userPart(ctx, r), cgroup: true },
      // Every hierarchy (v2, and v1 ones on a hybrid set-up) is rooted at the program's cgroup.
      expect: {
        type: 'ok',
        code: 0,
        signal: null,
        newNs: ['cgroup'],
        stdout: (out) => {
          const lines = squeezeLines(out);
          return lines.includes('0::/') && lines.every((l) => l.endsWith(':/')) ? undefined : `cgroups not rooted: ${JSON.stringify(lines)}`;
        },
      },
    }),
  },
  {
    name: 'time-offsets',
    weight: 6,
    make: (ctx, _i, r) => {
      const monotonic = r.int(0, 1_000_000);
      const boottime = r.int(0, 1_000_000);
      return {
        scenario: 'time-offsets',
        file: 'cat',
        args: ['/proc/self/timens_offsets'],
        options: { ...userPart(ctx, r), time: true, timeOffsets: { monotonic, boottime } },
        expect: { type: 'ok', code: 0, signal: null, newNs: ['time'], stdout: expectLines([`monotonic ${monotonic} 0`, `boottime ${boottime} 0`]) },
      };
    },
  },
  {
    name: 'persist',
    weight: 8,
    make: (ctx, i, r) => {
      const kind = r.pick(['uts', 'ipc', 'net', 'cgroup'] as const);
      const path = join(ctx.dir, `ns-${i}`);
      const options: SpawnOptions = { ...userPart(ctx, r), persist: { [kind]: path } };
      if (kind === 'uts') options.hostname = `persisted-${i}`;
      const plan: Plan = {
        scenario: 'persist',
        file: 'true',
        args: [],
        options,
        // Binding needs CAP_SYS_ADMIN over the caller's mount namespace: refused when not root.
        expect: ctx.root ? { type: 'ok', code: 0, signal: null, newNs: [NS_NAME[kind]] } : { type: 'setup-error', steps: ['persist'], code: 'EPERM', label: 'persist-refused' },
        persist: { kind, nsName: NS_NAME[kind], path, viaEnter: r.chance(0.5) },
      };
      return plan;
    },
  },
  {
    name: 'mixed',
    weight: 10,
    make: (ctx, _i, r) => {
      const { options, newNs } = randomKinds(r, 0.5);
      const user = userPart(ctx, r);
      if (r.chance(0.3)) options.fork = true;
      return { scenario: 'mixed', file: 'true', args: [], options: { ...user, ...options }, expect: { type: 'ok', code: 0, signal: null, newNs: user.user ? [...newNs, 'user'] : newNs } };
    },
  },
  {
    name: 'missing-program',
    weight: 5,
    make: (ctx, i, r) => {
      const { options } = randomKinds(r, 0.3);
      return {
        scenario: 'missing-program',
        file: r.chance(0.5) ? `/nonexistent/nsbox-stress-${i}` : `nsbox-stress-missing-${i}`,
        args: [],
        options: { ...userPart(ctx, r), ...options },
        expect: { type: 'setup-error', steps: ['exec'], code: 'ENOENT', label: 'missing-program' },
      };
    },
  },
  {
    name: 'bad-map',
    weight: 4,
    make: (ctx, _i, r) => {
      if (ctx.root) {
        // Overlapping ranges (inside or outside): the kernel refuses the write with EINVAL.
        const inner = r.chance(0.5);
        const ranges = inner
          ? [
              { inner: 0, outer: 100000, count: 10 },
              { inner: 5, outer: 200000, count: 10 },
            ]
          : [
              { inner: 0, outer: 100000, count: 10 },
              { inner: 100, outer: 100005, count: 10 },
            ];
        return {
          scenario: 'bad-map',
          file: 'true',
          args: [],
          options: r.chance(0.5) ? { mapUsers: ranges } : { mapGroups: ranges },
          expect: { type: 'setup-error', steps: ['idmap-write'], code: 'EINVAL', label: 'bad-map' },
        };
      }
      // Rootless: ids outside the caller's /etc/subuid block; newuidmap/newgidmap refuse.
      const ranges = [{ inner: 0, outer: 4000000 + r.int(0, 1000), count: 10 }];
      return {
        scenario: 'bad-map',
        file: 'true',
        args: [],
        options: r.chance(0.5) ? { mapUsers: ranges } : { mapGroups: ranges },
        expect: { type: 'setup-error', steps: ['idmap-status'], label: 'bad-map' },
      };
    },
  },
  {
    name: 'killed-mid-setup',
    weight: 6,
    make: (ctx, _i, r) => {
      const when = r.pick(['sync', 'delay', 'delay', 'report', 'abort'] as const);
      const signal: NodeJS.Signals = when === 'abort' ? 'SIGTERM' : r.pick(['SIGKILL', 'SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const);
      const { options } = randomKinds(r, 0.4, true);
      return {
        scenario: 'killed-mid-setup',
        file: 'sleep',
        args: ['30'],
        options: { ...userPart(ctx, r), ...options, ...(r.chance(0.3) ? { fork: true } : {}) },
        expect: { type: 'killed', signal },
        // Mostly within the helper's own set-up (well under a millisecond to a few), sometimes later.
        kill: { when, delayMs: r.chance(0.7) ? r.int(0, 3) : r.int(0, 30), signal },
      };
    },
  },
  {
    name: 'exit-nonzero',
    weight: 4,
    make: (ctx, _i, r) => {
      const code = r.int(1, 125);
      const { options, newNs } = randomKinds(r, 0.3);
      return {
        scenario: 'exit-nonzero',
        file: 'sh',
        args: ['-c', `exit ${code}`],
        options: { ...userPart(ctx, r), ...options },
        expect: { type: 'ok', code, signal: null, newNs, label: 'exit-nonzero' },
      };
    },
  },
  {
    name: 'killed-by-signal',
    weight: 4,
    make: (ctx, _i, r) => {
      const signal = r.pick(['SIGTERM', 'SIGKILL', 'SIGUSR1', 'SIGHUP'] as const);
      const { options, newNs } = randomKinds(r, 0.3, true);
      return {
        scenario: 'killed-by-signal',
        file: 'sh',
        args: ['-c', `kill -${signal.slice(3)} $$`],
        options: { ...userPart(ctx, r), ...options, ...(r.chance(0.3) ? { fork: true } : {}) },
        expect: { type: 'ok', code: -1, signal, newNs, label: 'killed-by-signal' },
      };
    },
  },
];

/** injectLeaks: a sandbox that leaves things behind on purpose (see StressOptions). */
function leakyPlan(ctx: Ctx, i: number): Plan {
  const path = join(ctx.dir, `ns-${i}`);
  return {
    scenario: 'mixed',
    file: 'sh',
    args: ['-c', 'sleep 30 </dev/null >/dev/null 2>&1 &'],
    options: { user: true, mapRootUser: true, net: true, ...(ctx.root ? { persist: { uts: path } } : {}) },
    expect: { type: 'ok', code: 0, signal: null, newNs: ['net'] },
    ...(ctx.root ? { persist: { kind: 'uts' as const, nsName: 'uts', path, viaEnter: false } } : {}),
    leak: true,
  };
}

function pickScenario(r: Rng): Scenario {
  const total = SCENARIOS.reduce((a, s) => a + s.weight, 0);
  let x = r.next() * total;
  for (const s of SCENARIOS) {
    x -= s.weight;
    if (x < 0) return s;
  }
  return SCENARIOS[SCENARIOS.length - 1]!;
}

// ---------------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------------

interface Proc extends ProcStat {
  /** The sandbox index from NSBOX_STRESS, when the process carries this run's token. */
  sandbox: number | undefined;
}

/** One pass over /proc: every process, with the sandbox index of those carrying `token`. */
function scanProcs(token: string): Proc[] {
  const needle = Buffer.from(`NSBOX_STRESS=${token}.`, 'latin1');
  const out: Proc[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const st = readStat(pid);
    if (!st) continue;
    let sandbox: number | undefined;
    if (st.state !== 'Z') {
      try {
        const env = fs.readFileSync(`/proc/${pid}/environ`);
        const at = env.indexOf(needle);
        if (at >= 0) {
          const end = env.indexOf(0, at);
          sandbox = Number(env.subarray(at + needle.length, end < 0 ? undefined : end).toString('latin1'));
        }
      } catch {
        /* gone, or not ours to read */
      }
    }
    out.push({ ...st, sandbox });
  }
  return out;
}

/** Live (not zombie) processes of the run with this token: pid and sandbox index. */
export function stressProcesses(token: string): { pid: number; comm: string; sandbox: number }[] {
  return scanProcs(token)
    .filter((p) => p.sandbox !== undefined && p.state !== 'Z')
    .map((p) => ({ pid: p.pid, comm: p.comm, sandbox: p.sandbox! }));
}

const describeProc = (p: Proc): string => `pid ${p.pid} ppid ${p.ppid} state ${p.state} comm ${p.comm} sandbox ${p.sandbox ?? '?'}`;

interface Mount {
  id: string;
  mountpoint: string;
  fstype: string;
  root: string;
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-');
    out.push({
      id: f[0] ?? '',
      root: f[3] ?? '',
      mountpoint: (f[4] ?? '').replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))),
      fstype: sep > 0 ? (f[sep + 1] ?? '') : '',
    });
  }
  return out;
}

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length - 1; // minus the readdir's own

function ownNamespaces(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of fs.readdirSync('/proc/self/ns')) out[e] = nsInode(fs.readlinkSync(`/proc/self/ns/${e}`)) ?? -1;
  return out;
}

function nsInode(link: string): number | undefined {
  const m = /^\w+:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

/** `global.gc`, also when node was started without --expose-gc (the test runner). */
function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * heapUsed and RSS after full collections, and V8's young generation: it grows (up to 32 MB on
 * Node 20) under the allocation rate of many children at once and is kept, not given back, so
 * RSS is compared without it.
 */
async function settledMemory(gc: () => void): Promise<{ heap: number; rss: number; young: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_size ?? 0;
  return { heap: m.heapUsed, rss: m.rss, young };
}

function readSubid(file: string, name: string, id: number): { start: number; count: number } | undefined {
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const [who, start, count] = line.split(':');
      if (who === name || who === String(id)) return { start: Number(start), count: Number(count) };
    }
  } catch {
    /* none */
  }
  return undefined;
}

function userName(uid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (Number(f[2]) === uid) return f[0] ?? '';
    }
  } catch {
    /* none */
  }
  return '';
}

/** `p`, or `fallback` if it has not settled within `ms` (so that no sandbox can stall the run). */
function within<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() => clearTimeout(timer));
}

const percentile = (sorted: Float64Array, p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!);

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

export async function runStress(o: StressOptions = {}): Promise<StressReport> {
  const count = o.count ?? 10000;
  const concurrency = Math.max(1, o.concurrency ?? 64);
  const maxSeconds = o.maxSeconds ?? 600;
  const seed = o.seed ?? 1;
  const warmup = Math.min(o.warmup ?? Math.min(200, Math.floor(count / 10)), count);
  const sandboxTimeoutMs = o.sandboxTimeoutMs ?? 30000;
  const sampleMs = o.sampleMs ?? 250;
  const heapTolerance = o.heapToleranceBytes ?? 4 * 1024 * 1024;
  const rssTolerance = o.rssToleranceBytes ?? 16 * 1024 * 1024;
  const progress = o.progress;
  const gc = gcFunction();

  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  const name = userName(uid);
  const dir = fs.mkdtempSync(join(tmpdir(), `nsbox-stress-${process.pid}-`));
  const ctx: Ctx = {
    root: uid === 0,
    uid,
    gid,
    subuid: readSubid('/etc/subuid', name, uid),
    subgid: readSubid('/etc/subgid', name, uid),
    dir,
    token: o.token ?? randomBytes(6).toString('hex'),
    own: ownNamespaces(),
  };
  if (!/^[A-Za-z0-9_-]+$/.test(ctx.token)) throw new Error(`stress: invalid token '${ctx.token}'`);
  if (!ctx.root && (!ctx.subuid || !ctx.subgid)) throw new Error(`stress: no /etc/subuid and /etc/subgid block for ${name || uid} (needed for the rootless subordinate maps)`);
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };

  const rng = new Rng(prng(seed));
  const baseMounts = new Set(mounts().map((m) => `${m.id} ${m.mountpoint}`));
  const baseMountLines = baseMounts.size;

  // State of every sandbox: 0 not started, 1 running, 2 finished (its processes must be gone).
  const state = new Uint8Array(count);
  const latencies = new Float64Array(count);
  let latencyN = 0;
  const byScenario: Record<string, ScenarioCounts> = {};
  for (const s of SCENARIOS) byScenario[s.name] = { ok: 0, expectedFailure: 0, unexpected: 0 };
  const byOutcome: Record<string, number> = {};
  const unexpectedDetails: string[] = [];
  let unexpectedTotal = 0;
  const created = new Set<number>();
  const leakedFds: number[] = [];
  let inflight = 0;
  let peak = 0;

  const record = (i: number, plan: Plan, outcome: Outcome, label: string, detail?: string): void => {
    const s = byScenario[plan.scenario]!;
    if (outcome === 'ok') s.ok++;
    else if (outcome === 'expected-failure') {
      s.expectedFailure++;
      byOutcome[label] = (byOutcome[label] ?? 0) + 1;
    } else {
      s.unexpected++;
      unexpectedTotal++;
      const k = plan.kill;
      const when = k?.when === 'delay' || k?.when === 'abort' ? `${k.when === 'abort' ? 'abort ' : ''}after ${k.delayMs} ms` : k?.when === 'sync' ? 'at once' : 'at the first status line';
      const kill = k ? ` (${k.signal} ${when})` : '';
      if (unexpectedDetails.length < 50) unexpectedDetails.push(`#${i} ${plan.scenario}${kill} ${plan.file} ${JSON.stringify(plan.args)} ${JSON.stringify(plan.options)}: ${detail ?? label}`);
    }
  };

  async function runOne(i: number, plan: Plan): Promise<void> {
    if (plan.persist) fs.writeFileSync(plan.persist.path, '');
    const t0 = performance.now();
    let child: ReturnType<typeof spawn>;
    const abort = plan.kill?.when === 'abort' ? new AbortController() : undefined;
    try {
      child = spawn(plan.file, plan.args, {
        ...plan.options,
        env: { ...env, NSBOX_STRESS: `${ctx.token}.${i}` },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(abort ? { signal: abort.signal } : {}),
      });
    } catch (e) {
      state[i] = 2;
      record(i, plan, 'unexpected', 'spawn-threw', `spawn() threw: ${(e as Error).message}`);
      return;
    }
    state[i] = 1;
    inflight++;
    if (inflight > peak) peak = inflight;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => {
      if (err.length < 16) err.push(b);
    });
    let errorEvent: Error | undefined;
    child.on('error', (e) => {
      errorEvent ??= e;
    });
    const ready = child.ready.then(
      (info): { info: SandboxInfo; error?: undefined } => ({ info }),
      (error: unknown): { info?: undefined; error: unknown } => ({ error }),
    );
    let exitMs = 0;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        exitMs = performance.now() - t0;
        resolve({ code, signal });
      });
    });
    let hung = false;
    const closed = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      // A sandbox that does not end (or whose pipes stay open) is killed, then given up on.
      const t1 = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          resolve();
        }, 5000).unref();
      }, sandboxTimeoutMs);
      child.once('close', () => clearTimeout(t1));
    });
    if (plan.kill) {
      const k = plan.kill;
      if (k.when === 'sync') child.kill(k.signal);
      else if (k.when === 'delay') setTimeout(() => child.kill(k.signal), k.delayMs);
      else if (k.when === 'abort') setTimeout(() => abort!.abort(), k.delayMs);
      else {
        const report = child.stdio[3] as NodeJS.ReadableStream | null;
        let done = false;
        const kill = (): void => {
          if (!done) child.kill(k.signal);
          done = true;
        };
        // The first status line (the pid) comes mid-setup, before the namespaces are reported.
        report?.once('data', kill);
        child.once('exit', () => (done = true));
      }
    }
    await closed;
    // Both settle before 'close' (the report pipe is one of the child's stdio): bounded anyway.
    const st = await within(exited, 5000, { code: null, signal: null, never: true as const });
    const r = await within(ready, 5000, { error: new Error('child.ready never settled'), info: undefined });
    inflight--;
    if (exitMs > 0 && latencyN < latencies.length) latencies[latencyN++] = exitMs;
    const stdout = Buffer.concat(out).toString('utf8');
    const stderr = Buffer.concat(err).toString('utf8').slice(0, 300);
    const status = `exit ${st.code ?? st.signal}${stderr ? `, stderr ${JSON.stringify(stderr)}` : ''}`;
    try {
      if (hung || 'never' in st) {
        record(i, plan, 'unexpected', 'hang', hung ? `did not end within ${sandboxTimeoutMs} ms (${status})` : "'close' without 'exit'");
        return;
      }
      const e = plan.expect;
      if (e.type === 'ok') {
        if (r.error !== undefined || errorEvent) {
          record(i, plan, 'unexpected', 'setup-failed', `setup failed: ${String((r.error as Error | undefined)?.message ?? errorEvent?.message)} (${status})`);
          return;
        }
        const info = r.info!;
        if (e.signal !== null ? st.signal !== e.signal : st.code !== e.code || st.signal !== null) {
          record(i, plan, 'unexpected', 'status', `expected ${e.signal ?? `exit ${e.code}`}, got ${status}`);
          return;
        }
        const bad = e.stdout?.(stdout);
        if (bad !== undefined) {
          record(i, plan, 'unexpected', 'stdout', `${bad} (${status})`);
          return;
        }
        for (const n of e.newNs) {
          const ino = info.namespaces[n];
          if (ino === undefined || ino === ctx.own[n]) {
            record(i, plan, 'unexpected', 'namespace', `namespace ${n} is not new (${ino})`);
            return;
          }
        }
        for (const [n, ino] of Object.entries(info.namespaces)) if (ino !== ctx.own[n]) created.add(ino);
        if (plan.leak) {
          // The background child (sh's fork, perhaps not yet sleep) outlived the sandbox's sh.
          const left = scanProcs(ctx.token).find((p) => p.sandbox === i);
          if (left) leakedFds.push(fs.openSync(`/proc/${left.pid}/ns/net`, 'r'));
        } else if (plan.persist) {
          const bad2 = await checkPersisted(i, plan.persist, info);
          if (bad2 !== undefined) {
            record(i, plan, 'unexpected', 'persist', bad2);
            return;
          }
        }
        record(i, plan, e.label ? 'expected-failure' : 'ok', e.label ?? 'ok');
      } else if (e.type === 'setup-error') {
        const err2 = r.error;
        if (!(err2 instanceof NamespaceError)) {
          record(i, plan, 'unexpected', 'no-error', `expected a NamespaceError (${e.steps.join('/')}), got ${err2 === undefined ? 'success' : String(err2)} (${status})`);
          return;
        }
        if (!e.steps.includes(err2.step) || (e.code !== undefined && err2.code !== e.code)) {
          record(i, plan, 'unexpected', 'wrong-error', `expected step ${e.steps.join('/')} ${e.code ?? ''}, got ${err2.step} ${err2.code ?? ''}: ${err2.message}`);
          return;
        }
        if (errorEvent !== err2) {
          record(i, plan, 'unexpected', 'error-event', `'error' was not emitted with the NamespaceError (${String(errorEvent)})`);
          return;
        }
        if (st.code !== err2.exitStatus) {
          record(i, plan, 'unexpected', 'status', `expected exit ${err2.exitStatus} after ${err2.step}, got ${status}`);
          return;
        }
        if (plan.persist && fs.statSync(plan.persist.path).ino !== fs.statSync(ctx.dir).ino && isNsfs(plan.persist.path)) {
          record(i, plan, 'unexpected', 'persist', 'a refused persistence left a bind');
          return;
        }
        record(i, plan, 'expected-failure', e.label);
      } else {
        if (st.signal !== e.signal) {
          record(i, plan, 'unexpected', 'status', `killed with ${e.signal}: expected to die of it, got ${status}; ready ${r.error ? `rejected: ${String(r.error)}` : 'resolved'}`);
          return;
        }
        // A kill that reaches the sandbox before its exec is reported as exactly that: the
        // setup process died of that signal (`setup-died`); any other setup error is a bug.
        if (r.error !== undefined && r.error instanceof NamespaceError && !diedOf(r.error, e.signal)) {
          record(i, plan, 'unexpected', 'killed-error', `killed mid-setup reported a setup error: ${r.error.message}`);
          return;
        }
        if (r.info) for (const [n, ino] of Object.entries(r.info.namespaces)) if (ino !== ctx.own[n]) created.add(ino);
        record(i, plan, 'expected-failure', r.error ? 'killed-before-ready' : 'killed-after-ready');
      }
    } finally {
      if (plan.persist && !plan.leak) {
        try {
          if (isNsfs(plan.persist.path)) await unpersist(plan.persist.path);
        } catch {
          /* reported as a leak below */
        }
        try {
          fs.rmSync(plan.persist.path, { force: true });
        } catch {
          /* still mounted: the mount check reports it */
        }
      }
      state[i] = 2;
    }
  }

  /** The namespace is alive through the file, enterable, and gone from it after unpersist(). */
  async function checkPersisted(i: number, p: PersistPlan, info: SandboxInfo): Promise<string | undefined> {
    const ino = info.namespaces[p.nsName];
    const st = fs.statSync(p.path);
    if (st.ino !== ino) return `${p.path} has inode ${st.ino}, expected the ${p.nsName} namespace ${ino}`;
    if (p.viaEnter) {
      const c = enter({ [p.kind]: p.path }, 'readlink', [`/proc/self/ns/${p.nsName}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NSBOX_STRESS: `${ctx.token}.${i}` } });
      let text = '';
      c.stdout!.on('data', (b: Buffer) => (text += b.toString()));
      c.on('error', () => undefined);
      const [code] = await new Promise<[number | null]>((resolve) => c.once('close', (x: number | null) => resolve([x])));
      const settled = await c.ready.then(
        () => undefined,
        (e: unknown) => e,
      );
      if (settled !== undefined) return `enter() through ${p.path} failed: ${String(settled)}`;
      if (code !== 0 || text.trim() !== `${p.nsName}:[${ino}]`) return `enter() through ${p.path}: exit ${code}, saw ${JSON.stringify(text)}, expected ${p.nsName}:[${ino}]`;
    }
    await unpersist(p.path);
    if (isNsfs(p.path)) return `${p.path} is still an nsfs bind after unpersist()`;
    if (fs.statSync(p.path).ino === ino) return `${p.path} still has the namespace inode after unpersist()`;
    return undefined;
  }

  function isNsfs(path: string): boolean {
    return mounts().some((m) => m.mountpoint === path && m.fstype === 'nsfs');
  }

  // During the run: processes of finished sandboxes and zombies, if still there one sample later.
  const during = { samples: 0, lingeringProcesses: 0, zombies: 0, peakProcesses: 0, peakFds: 0, peakMountLines: 0, details: [] as string[] };
  let suspects = new Set<string>();
  const flagged = new Set<string>();
  const sample = (): void => {
    during.samples++;
    const procs = scanProcs(ctx.token);
    const ours = new Set(procs.filter((p) => p.sandbox !== undefined).map((p) => p.pid));
    const next = new Set<string>();
    let live = 0;
    for (const p of procs) {
      if (p.sandbox !== undefined) live++;
      let why: string | undefined;
      if (p.sandbox !== undefined && state[p.sandbox] === 2) why = 'process of a finished sandbox';
      else if (p.state === 'Z' && (p.ppid === process.pid || ours.has(p.ppid))) why = 'zombie';
      if (!why) continue;
      const key = `${why}:${p.pid}/${p.starttime}`;
      next.add(key);
      if (suspects.has(key) && !flagged.has(key)) {
        flagged.add(key);
        if (why === 'zombie') during.zombies++;
        else during.lingeringProcesses++;
        if (during.details.length < 20) during.details.push(`${why}: ${describeProc(p)}`);
      }
    }
    suspects = next;
    during.peakProcesses = Math.max(during.peakProcesses, live);
    during.peakFds = Math.max(during.peakFds, fdCount());
    during.peakMountLines = Math.max(during.peakMountLines, mounts().length);
  };

  let next = 0;
  let stoppedByTime = false;
  let deadline = Infinity;
  const worker = async (limit: number): Promise<void> => {
    for (;;) {
      if (next >= limit) return;
      if (performance.now() > deadline) {
        stoppedByTime = true;
        return;
      }
      const i = next++;
      const plan = o.injectLeaks && i === warmup ? leakyPlan(ctx, i) : pickScenario(rng).make(ctx, i, rng);
      try {
        await runOne(i, plan);
      } catch (e) {
        // A check that threw (an fs error, say) is an unexpected outcome, not the end of the run.
        record(i, plan, 'unexpected', 'exception', `check failed: ${(e as Error).stack ?? String(e)}`);
        state[i] = 2;
      }
    }
  };
  const pool = async (limit: number): Promise<void> => {
    // Every worker ends before anything is cleaned up, even if one of them failed.
    const results = await Promise.allSettled(Array.from({ length: concurrency }, () => worker(limit)));
    for (const x of results) if (x.status === 'rejected') throw x.reason;
  };

  const timer = setInterval(sample, sampleMs);
  const t0 = performance.now();
  deadline = t0 + maxSeconds * 1000;
  let report: StressReport;
  try {
    // Warm-up: Node opens some fds lazily and V8 grows its heap to a working size.
    await pool(warmup);
    const mem0 = await settledMemory(gc);
    const fds0 = fdCount();
    const tRun = t0;
    const progressTimer = progress
      ? setInterval(() => {
          const now = performance.now();
          const done = next - inflight;
          progress(
            `stress: ${done}/${count} in ${((now - tRun) / 1000).toFixed(0)} s, ${inflight} running, ${unexpectedTotal} unexpected, ` +
              `${during.lingeringProcesses + during.zombies} lingering, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
          );
        }, 5000)
      : undefined;
    await pool(count);
    const seconds = (performance.now() - tRun) / 1000;
    if (progressTimer) clearInterval(progressTimer);
    sample();
    clearInterval(timer);

    // After: poll until nothing is left, up to 5 s (things still exiting are not leaks).
    let leaks: LeakCounts = { processes: 0, zombies: 0, mounts: 0, nsfs: 0, namespaces: 0, fds: 0 };
    let leakDetails: string[] = [];
    let foreignMounts = 0;
    let reusedNamespaces = 0;
    const settleEnd = performance.now() + 5000;
    for (;;) {
      ({ leaks, leakDetails, foreignMounts, reusedNamespaces } = afterCheck(ctx, baseMounts, created, fds0));
      const any = Object.values(leaks).some((n) => n > 0);
      if (!any || performance.now() > settleEnd) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const mem1 = await settledMemory(gc);
    const memOk = mem1.heap <= mem0.heap + heapTolerance && mem1.rss - mem1.young <= mem0.rss - mem0.young + rssTolerance;
    const total = next;
    const sorted = latencies.slice(0, latencyN).sort();
    const okN = Object.values(byScenario).reduce((a, s) => a + s.ok, 0);
    const expN = Object.values(byScenario).reduce((a, s) => a + s.expectedFailure, 0);
    report = {
      root: ctx.root,
      uid,
      seed,
      requested: count,
      concurrency,
      total,
      warmup,
      ok: okN,
      expectedFailures: expN,
      unexpected: unexpectedTotal,
      unexpectedDetails,
      byScenario,
      byOutcome,
      stoppedByTime,
      seconds,
      perSecond: total / seconds,
      peakConcurrency: peak,
      latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1]! : 0 },
      leaks,
      leakDetails,
      during,
      namespacesCreated: created.size,
      foreignMounts,
      reusedNamespaces,
      baseline: { fds: fds0, mountLines: baseMountLines },
      memory: { heapStart: mem0.heap, heapEnd: mem1.heap, rssStart: mem0.rss, rssEnd: mem1.rss, youngStart: mem0.young, youngEnd: mem1.young, heapTolerance, rssTolerance, ok: memOk },
      clean: false,
    };
    report.clean = unexpectedTotal === 0 && Object.values(leaks).every((n) => n === 0) && during.lingeringProcesses === 0 && during.zombies === 0 && memOk;
  } finally {
    clearInterval(timer);
    for (const fd of leakedFds) fs.closeSync(fd);
    // Whatever happened: nothing of this run stays behind.
    for (const p of scanProcs(ctx.token)) {
      if (p.sandbox === undefined || p.state === 'Z') continue;
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const m of mounts().filter((x) => x.mountpoint.startsWith(`${dir}/`))) {
      try {
        await unpersist(m.mountpoint);
      } catch {
        /* reported */
      }
    }
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      // Something is still mounted there: the report says so (or an error is on its way).
      process.emitWarning(`stress: cannot remove ${dir}: ${(e as Error).message}`);
    }
  }
  return report;
}

/** What is left after the run: processes, zombies, mounts, nsfs binds, namespaces, fds. */
function afterCheck(
  ctx: Ctx,
  baseMounts: Set<string>,
  created: Set<number>,
  fds0: number,
): { leaks: LeakCounts; leakDetails: string[]; foreignMounts: number; reusedNamespaces: number } {
  const details: string[] = [];
  const procs = scanProcs(ctx.token);
  const ours = procs.filter((p) => p.sandbox !== undefined);
  const oursPids = new Set(ours.map((p) => p.pid));
  const zombies = procs.filter((p) => p.state === 'Z' && (p.ppid === process.pid || oursPids.has(p.ppid)));
  for (const p of ours) details.push(`process left: ${describeProc(p)}`);
  for (const p of zombies) details.push(`zombie left: ${describeProc(p)}`);

  let mountsLeft = 0;
  let nsfsLeft = 0;
  let foreign = 0;
  const held = new Set<number>();
  for (const m of mounts()) {
    if (baseMounts.has(`${m.id} ${m.mountpoint}`)) continue;
    if (m.mountpoint === ctx.dir || m.mountpoint.startsWith(`${ctx.dir}/`)) {
      mountsLeft++;
      if (m.fstype === 'nsfs') {
        nsfsLeft++;
        const ino = nsInode(m.root);
        if (ino !== undefined && created.has(ino)) held.add(ino);
      }
      details.push(`mount left: ${m.mountpoint} (${m.fstype} ${m.root})`);
    } else foreign++;
  }
  // Namespaces of the run still alive: /proc/*/ns of every process (that we may read), our fds,
  // the nsfs binds above. The kernel reuses inode numbers at once, so a process of someone else
  // in a namespace with one of the run's numbers is counted apart, not as a leak.
  const reused = new Set<number>();
  for (const p of procs) {
    if (p.state === 'Z') continue;
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(`/proc/${p.pid}/ns`);
    } catch {
      continue;
    }
    for (const e of entries) {
      try {
        const ino = nsInode(fs.readlinkSync(`/proc/${p.pid}/ns/${e}`));
        if (ino === undefined || ino === ctx.own[e] || !created.has(ino)) continue;
        if (p.sandbox !== undefined) held.add(ino);
        else reused.add(ino);
      } catch {
        /* gone, or not ours to read */
      }
    }
  }
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const ino = nsInode(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (ino !== undefined && created.has(ino)) {
        held.add(ino);
        details.push(`namespace fd left open: ${fd}`);
      }
    } catch {
      /* the readdir's own fd */
    }
  }
  for (const ino of held) details.push(`namespace still alive: ${ino}`);
  const fds = fdCount();
  if (fds > fds0) {
    const list: string[] = [];
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      try {
        list.push(`${fd}->${fs.readlinkSync(`/proc/self/fd/${fd}`)}`);
      } catch {
        /* own */
      }
    }
    details.push(`fds: ${fds} open, ${fds0} at the start: ${list.join(' ')}`);
  }
  try {
    const files = fs.readdirSync(ctx.dir);
    if (files.length) details.push(`files left in ${ctx.dir}: ${files.slice(0, 10).join(' ')}`);
  } catch {
    /* removed */
  }
  return {
    leaks: { processes: ours.length, zombies: zombies.length, mounts: mountsLeft, nsfs: nsfsLeft, namespaces: held.size, fds: Math.max(0, fds - fds0) },
    leakDetails: details,
    foreignMounts: foreign,
    reusedNamespaces: [...reused].filter((ino) => !held.has(ino)).length,
  };
}

const mb = (n: number): string => (n / 2 ** 20).toFixed(1);

/** The one-line summary. */
export function summaryLine(r: StressReport): string {
  const who = r.root ? 'root' : `uid ${r.uid}`;
  const stopped = r.stoppedByTime ? ` (STOPPED at the time limit, ${r.requested} requested)` : '';
  const l = r.leaks;
  return (
    `stress (${who}, seed ${r.seed}): ${r.total} sandboxes${stopped} (${r.ok} ok, ${r.expectedFailures} expected failures, ${r.unexpected} unexpected) ` +
    `in ${r.seconds.toFixed(1)} s, ${r.perSecond.toFixed(0)}/s, peak ${r.peakConcurrency} at once; ` +
    `spawn→exit p50 ${r.latencyMs.p50.toFixed(1)} p99 ${r.latencyMs.p99.toFixed(1)} max ${r.latencyMs.max.toFixed(0)} ms; ` +
    `leaks: ${l.processes} processes, ${l.zombies} zombies, ${l.mounts} mounts, ${l.nsfs} nsfs, ${l.namespaces} namespaces, ${l.fds} fds ` +
    `(during: ${r.during.lingeringProcesses} processes, ${r.during.zombies} zombies in ${r.during.samples} samples); ` +
    `heap ${mb(r.memory.heapStart)}→${mb(r.memory.heapEnd)} MB, rss ${mb(r.memory.rssStart)}→${mb(r.memory.rssEnd)} MB ` +
    `(${mb(r.memory.rssStart - r.memory.youngStart)}→${mb(r.memory.rssEnd - r.memory.youngEnd)} without V8's young generation)` +
    `${r.memory.ok ? '' : ' (MEMORY NOT BACK)'}; ${r.clean ? 'clean' : 'NOT CLEAN'}`
  );
}

/** The details behind the summary (per scenario, per outcome, peaks, problems). */
export function detailLines(r: StressReport): string[] {
  const lines: string[] = [];
  lines.push(`scenarios: ${Object.entries(r.byScenario).map(([k, v]) => `${k} ${v.ok + v.expectedFailure + v.unexpected}${v.unexpected ? ` (${v.unexpected} unexpected)` : ''}`).join(', ')}`);
  lines.push(`expected failures: ${Object.entries(r.byOutcome).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(
    `latency spawn→exit ms: p50 ${r.latencyMs.p50.toFixed(1)}, p90 ${r.latencyMs.p90.toFixed(1)}, p99 ${r.latencyMs.p99.toFixed(1)}, max ${r.latencyMs.max.toFixed(1)}; ` +
      `peaks: ${r.during.peakProcesses} sandbox processes, ${r.during.peakFds} fds (${r.baseline.fds} at rest), ${r.during.peakMountLines} mountinfo lines (${r.baseline.mountLines} at the start); ` +
      `${r.namespacesCreated} distinct namespace inodes (${r.reusedNamespaces} of them now reused by other processes); ${r.foreignMounts} new mounts elsewhere (not ours)`,
  );
  for (const d of r.unexpectedDetails) lines.push(`unexpected: ${d}`);
  for (const d of r.leakDetails) lines.push(`leak: ${d}`);
  for (const d of r.during.details) lines.push(`during: ${d}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Command line (bench/stress.mjs)
// ---------------------------------------------------------------------------------------------

const USAGE = `usage: node --expose-gc bench/stress.mjs [--count N] [--concurrency N] [--max-seconds S] [--seed N]
                                          [--warmup N] [--as-user NAME] [--json] [--quiet]`;

/** Parse the command line, run (or re-run as another user), print; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const o: StressOptions = {};
  let asUser: string | undefined;
  let json = false;
  let quiet = false;
  const pass: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const num = (): number => {
      const v = Number(argv[++k]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`stress: ${a} needs a number\n${USAGE}`);
      pass.push(a, String(v));
      return v;
    };
    if (a === '--count') o.count = num();
    else if (a === '--concurrency') o.concurrency = num();
    else if (a === '--max-seconds') o.maxSeconds = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--as-user') asUser = argv[++k];
    else if (a === '--json') {
      json = true;
      pass.push(a);
    } else if (a === '--quiet') {
      quiet = true;
      pass.push(a);
    } else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`stress: unknown option ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (asUser !== undefined) return reexecAs(asUser, pass);
  if (process.env.NSBOX_STRESS_RUN) o.token = process.env.NSBOX_STRESS_RUN;
  if (!quiet && !json) o.progress = (line) => console.error(line);
  const r = await runStress(o);
  if (json) console.log(JSON.stringify(r));
  else {
    if (!quiet) for (const l of detailLines(r)) console.error(l);
    console.log(summaryLine(r));
  }
  return r.clean ? 0 : 1;
}

/**
 * Run the same command as `user` (we are root): setpriv to its ids, on a copy of the package
 * it can read (the test harness's copy: dist/, build/, package.json).
 */
async function reexecAs(user: string, args: string[]): Promise<number> {
  if (process.geteuid?.() !== 0) {
    console.error('stress: --as-user needs root');
    return 2;
  }
  const pw = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === user);
  if (!pw) {
    console.error(`stress: no user ${user}`);
    return 2;
  }
  const harness = (await import('./test/harness.js')) as { copyPackageForUser(): { dir: string } };
  const { dir } = harness.copyPackageForUser();
  const entry = pathToFileURL(join(dir, 'dist', 'stress.js')).href;
  const code = `const m = await import(${JSON.stringify(entry)}); process.exitCode = await m.main(JSON.parse(process.argv[1]));`;
  const r = cp.spawnSync(
    '/usr/bin/setpriv',
    [`--reuid=${pw[2]}`, `--regid=${pw[3]}`, '--init-groups', '--', process.execPath, '--expose-gc', '--input-type=module', '-e', code, JSON.stringify(args)],
    { stdio: 'inherit', cwd: '/', env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: pw[5] ?? '/', USER: user, LOGNAME: user } },
  );
  return r.status ?? 1;
}
