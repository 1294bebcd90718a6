/**
 * Faults (the hardening issue): the parent (a Node program using the library, or the `nsbox`
 * CLI) SIGKILLed at random points of setup and run; profile writers SIGKILLed at random points;
 * the helper killed at each system call of its setup (`strace --inject=SYSCALL:signal=KILL:when=N`
 * through a wrapper set as NSBOX_HELPER, no test hook in the product) and from outside at random
 * points; a full disk and a read-only profile directory for every profile verb. As root and as
 * the unprivileged nsboxtest where it means something. Real kernel, no mocks.
 *
 * Randomness is seeded: every failure message names the seed (`NSBOX_FAULTS_SEED=<n>` replays
 * it); `NSBOX_FAULTS_SCALE=<k>` multiplies the iteration counts (`npm run test:faults` uses 5).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { HelperExitError, NamespaceError, enter, run, spawn, spawnContainer, type SandboxedChildProcess } from '../index.js';
import { prng } from '../stress.js';
import {
  type LeakScope,
  type ProcInfo,
  type Running,
  type RunResult,
  type SkipContext,
  type TestUser,
  BUSYBOX,
  HERE,
  NSBOX_HELPER,
  allPids,
  buildBusyboxRootfs,
  delay,
  describeResult,
  mountinfo,
  processesWithToken,
  readProc,
  requireBusybox,
  requireCapability,
  requireRoot,
  requireTestUser,
  runCommand,
  runNsboxCommand,
  startCommand,
  startNsboxCommand,
  tmpdir,
  treeHash,
  useFileLeakCheck,
  userCli,
  waitFor,
  withScope,
} from './harness.js';

useFileLeakCheck();

// ---------------------------------------------------------------------------------------------
// Seed, scale, random numbers
// ---------------------------------------------------------------------------------------------

const SEED = process.env.NSBOX_FAULTS_SEED ? Number(process.env.NSBOX_FAULTS_SEED) >>> 0 : (Date.now() ^ (process.pid << 10)) >>> 0;
const SCALE = Math.max(1, Number(process.env.NSBOX_FAULTS_SCALE ?? '1') || 1);
/** Iterations at scale 1, multiplied by the scale. */
const n = (base: number): number => Math.round(base * SCALE);
/** Appended to every assertion message: how to replay. */
const SEEDNOTE = `[seed ${SEED}: replay with NSBOX_FAULTS_SEED=${SEED}]`;

/** A seeded generator per test (the stress run's mulberry32, on the seed mixed with the test's name). */
function rng(name: string): () => number {
  return prng((SEED ^ createHash('sha256').update(name).digest().readUInt32LE(0)) >>> 0);
}

type As = 'root' | 'user';

/** Skip (fail in CI) unless the scenario can run as `as`. */
function canRun(t: SkipContext, as: As): TestUser | boolean {
  if (!requireRoot(t)) return false;
  if (as === 'root') return true;
  return requireTestUser(t) ?? false;
}

const STRACE = '/usr/bin/strace';



/** Mounts of the host (this process's mount namespace) on or under `dir`. */
function mountsUnder(dir: string): string[] {
  return mountinfo()
    .filter((m) => m.mountpoint === dir || m.mountpoint.startsWith(`${dir}/`))
    .map((m) => `${m.mountpoint} (${m.fstype})`);
}

// ---------------------------------------------------------------------------------------------
// The helper wrapper: NSBOX_HELPER for this whole file
// ---------------------------------------------------------------------------------------------

/**
 * A wrapper to set as NSBOX_HELPER: with NSBOX_FAULT_INJECT=SYSCALL:N in its environment it runs
 * the real helper under `strace -f --inject=SYSCALL:signal=KILL:when=N` (every process of the
 * helper is SIGKILLed at its Nth call of SYSCALL); with NSBOX_FAULT_TRACE=FILE it writes the
 * trace of a clean run there; otherwise it is the helper. `-D`: strace runs as a detached
 * grandchild, so the helper keeps its pid and its parent (the parent-death checks need it).
 */
function writeWrapper(dir: string, realHelper: string): string {
  const path = join(dir, 'helper-wrapper.sh');
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(
    path,
    `#!/bin/sh
if [ -n "$NSBOX_FAULT_INJECT" ]; then
  sc=\${NSBOX_FAULT_INJECT%%:*}
  exec ${STRACE} -D -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=\${NSBOX_FAULT_INJECT#*:}" ${q(realHelper)} "$@"
fi
if [ -n "$NSBOX_FAULT_TRACE" ]; then
  exec ${STRACE} -D -f -qq -o "$NSBOX_FAULT_TRACE" ${q(realHelper)} "$@"
fi
exec ${q(realHelper)} "$@"
`,
    { mode: 0o755 },
  );
  fs.chmodSync(path, 0o755);
  return path;
}

// The library in this process runs the helper through the wrapper (helperPath() reads
// NSBOX_HELPER once): without the fault variables it is the plain helper.
const WRAPPER_DIR = tmpdir();
const ROOT_WRAPPER = writeWrapper(WRAPPER_DIR, NSBOX_HELPER);
process.env.NSBOX_HELPER = ROOT_WRAPPER;

// ---------------------------------------------------------------------------------------------
// 1. The parent SIGKILLed at random points
// ---------------------------------------------------------------------------------------------

/** The fixture program (src/test/fixtures/fault-parent.ts) the test user can read too. */
function fixturePath(as: As, user: TestUser | boolean): string {
  if (as === 'root' || typeof user === 'boolean') return join(HERE, 'fixtures', 'fault-parent.js');
  return join(dirname(userCli(user).cli), 'test', 'fixtures', 'fault-parent.js');
}

/** Lines the process has written to stdout so far. */
function stdoutOf(r: Running): () => string {
  let text = '';
  r.child.stdout?.on('data', (b: Buffer) => {
    text += b.toString('utf8');
  });
  return () => text;
}

interface KillPlan {
  /** Start the parent (fixture or CLI) in the scope. */
  start(): Running;
  /** Set up by the parent and running: READY seen, or the sandbox's sleep is there. */
  isUp(out: string): boolean;
  /** After each iteration (the parent dead, its sandbox gone): scenario-specific checks. */
  after?(i: number): void;
}

/**
 * Iteration 0 kills the parent once the sandbox is up (and measures how long that takes); the
 * others after a random delay in [0, 1.2 x that], i.e. anywhere in setup. Then: the parent gone,
 * nothing of the scope left (no process, no zombie, no mount under its directories).
 */
async function killParentLoop(scope: LeakScope, plan: KillPlan, iterations: number, random: () => number, label: string, keep: ReadonlySet<number> = new Set()): Promise<string> {
  // The scope's processes but `keep` (a target to enter, which must stay).
  const ours = (): ProcInfo[] => processesWithToken(scope.token).filter((p) => !keep.has(p.pid));
  let upMs = 150;
  const delays: string[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = Date.now();
    const r = plan.start();
    const out = stdoutOf(r);
    if (i === 0) {
      await waitFor(() => plan.isUp(out()) || r.child.exitCode !== null, 15_000, `${label}: the sandbox to be up ${SEEDNOTE}`);
      assert.ok(plan.isUp(out()), `${label}: the parent ended before its sandbox was up: ${out()} ${SEEDNOTE}`);
      upMs = Math.max(20, Date.now() - t0);
      // The leak check sees the sandbox (so it would see one left behind).
      assert.ok(ours().some((p) => p.comm === 'sleep'), `${label}: the sandbox's sleep is not visible ${SEEDNOTE}`);
      delays.push('up');
    } else {
      const ms = Math.floor(random() * upMs * 1.2);
      delays.push(String(ms));
      await delay(ms);
    }
    r.kill('SIGKILL');
    const res = await r.result;
    assert.ok(!res.timedOut, `${label}: the parent did not die ${SEEDNOTE}`);
    // Whatever it started dies with it: the scope's processes are gone within a moment.
    await waitFor(() => ours().length === 0, 5_000, `${label} iteration ${i} (delay ${delays[i]} ms): the sandbox to die with its parent ${SEEDNOTE}`).catch((e: Error) => {
      const left = ours().map((p) => `${p.pid} ${p.comm} ${p.cmdline}`);
      throw new Error(`${e.message}\nleft: ${left.join('; ')}`);
    });
    plan.after?.(i);
  }
  return `${label}: ${iterations} kills (up after ${upMs} ms; delays ${delays.join(',')})`;
}

type LibKind = 'user' | 'pid' | 'net' | 'mount' | 'persist' | 'persist-userns' | 'container' | 'enter' | 'usernet';
const LIB_KINDS: Record<As, LibKind[]> = {
  root: ['user', 'pid', 'net', 'mount', 'persist', 'persist-userns', 'container', 'enter', 'usernet'],
  user: ['user', 'pid', 'net', 'mount', 'container', 'enter', 'usernet'],
};

/** A sandbox (sleep 1000 in new user, pid, mount, uts namespaces) to enter, owned by `as`. */
async function startTarget(scope: LeakScope, as: As): Promise<{ pid: number; pids: Set<number>; stop(): Promise<void> }> {
  const r = startCommand(['unshare', '--user', '--map-root-user', '--pid', '--fork', '--mount-proc', '--uts', 'sleep', '1000'], { scope, asUser: as === 'user', timeout: 120_000 });
  const p = await waitFor(() => processesWithToken(scope.token).find((x) => x.comm === 'sleep'), 10_000, 'the target sleep');
  return {
    pid: p.pid,
    pids: new Set(processesWithToken(scope.token).map((x) => x.pid)),
    async stop() {
      r.kill('SIGKILL');
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone with it */
      }
      await r.result;
      await waitFor(() => processesWithToken(scope.token).length === 0, 5_000, 'the target to end');
    },
  };
}

describe('the parent SIGKILLed at random points: a Node program using spawn() with default options', { concurrency: 2 }, () => {
  for (const as of ['root', 'user'] as const) {
    it(`[${as}] user, pid+mountProc, net, mount, persistence, container, enter, --net=user: nothing left, whenever it dies`, { timeout: 120_000 * SCALE }, async (t) => {
      const user = canRun(t, as);
      if (!user || !requireBusybox(t)) return;
      const random = rng(`lib-${as}`);
      const fixture = fixturePath(as, user);
      const summary: string[] = [];
      for (const kind of LIB_KINDS[as]) {
        await withScope(async (scope) => {
          const dir = scope.tmpdir({ writableByUser: true });
          let config: Record<string, unknown> = { argv: ['sleep', '1000'] };
          let fixtureKind = 'spawn';
          let target: { pid: number; pids: Set<number>; stop(): Promise<void> } | undefined;
          let rootfsHash: string | undefined;
          const rootfs = join(dir, 'box');
          const persistFiles = [join(dir, 'uts'), join(dir, 'net')];
          const persisted: string[] = [];
          const userns = as === 'user' || kind !== 'pid';
          const base = userns ? { user: true, mapRootUser: true } : {};
          switch (kind) {
            case 'user':
              config.options = { user: true, mapRootUser: true };
              break;
            case 'pid':
              config.options = { ...base, pid: true, mountProc: true };
              break;
            case 'net':
              config.options = { ...base, net: true, loopback: true };
              break;
            case 'mount':
              config.options = { ...base, mount: true, binds: [{ mode: 'ro', src: '/etc', dst: join(dir, 'm') }] };
              break;
            case 'persist':
              // Root: the bind is made by the helper itself, right after unshare(2).
              for (const f of persistFiles) fs.writeFileSync(f, '');
              config.options = { uts: true, net: true, persist: { uts: persistFiles[0], net: persistFiles[1] } };
              break;
            case 'persist-userns':
              // With a user namespace the bind child makes the binds in the host's mount namespace.
              for (const f of persistFiles) fs.writeFileSync(f, '');
              config.options = { user: true, mapRootUser: true, mount: true, uts: true, net: true, pid: true, persist: { uts: persistFiles[0], net: persistFiles[1] } };
              break;
            case 'container':
              buildBusyboxRootfs(rootfs, { owner: as === 'user' && typeof user !== 'boolean' ? user : undefined });
              rootfsHash = treeHash(rootfs);
              fixtureKind = 'container';
              config = { argv: ['/bin/sleep', '1000'], rootfs };
              break;
            case 'enter':
              target = await startTarget(scope, as);
              fixtureKind = 'enter';
              // As root every namespace of the target (--all); unprivileged, --all would also try
              // the host's cgroup namespace (EPERM, as util-linux): the target's own ones.
              config =
                as === 'root'
                  ? { argv: ['sleep', '1000'], target: target.pid }
                  : { argv: ['sleep', '1000'], target: { target: target.pid, user: true, pid: true, mount: true, uts: true }, preserveCredentials: true };
              break;
            case 'usernet':
              fixtureKind = 'usernet';
              config.options = { user: true, mapRootUser: true };
              break;
          }
          let pastaBefore = new Set<number>();
          const pastaChecks: Set<number>[] = [];
          const plan: KillPlan = {
            start: () => {
              if (kind === 'usernet') pastaBefore = new Set(pastaPids());
              return startCommand([process.execPath, fixture, fixtureKind, JSON.stringify(config)], { scope, asUser: as === 'user', timeout: 30_000 });
            },
            isUp: (out) => (kind === 'usernet' ? /^NET /m.test(out) : /^READY /m.test(out)),
            after: () => {
              if (kind === 'persist' || kind === 'persist-userns') {
                // Defined outcome: each file is untouched, or an nsfs bind of a complete
                // namespace (a persisted namespace outlives its process by definition); never
                // any other mount. The test releases them, as `nsbox unshare` users would.
                for (const f of persistFiles) {
                  const ms = mountinfo().filter((m) => m.mountpoint === f);
                  assert.ok(ms.every((m) => m.fstype === 'nsfs'), `${kind}: ${f} holds ${JSON.stringify(ms)} ${SEEDNOTE}`);
                  for (const _m of ms) {
                    persisted.push(f);
                    assert.equal(cp.spawnSync('umount', [f]).status, 0);
                  }
                }
                assert.deepEqual(mountsUnder(dir), [], `${kind}: stray mounts ${SEEDNOTE}`);
              }
              // pasta (user-mode networking) dies with the Node program too.
              if (kind === 'usernet') pastaChecks.push(pastaBefore);
            },
          };
          if (kind === 'usernet' && !requireCapability(t, fs.existsSync('/usr/bin/pasta'), 'pasta (Debian package passt) is not installed')) return;
          try {
            summary.push(await killParentLoop(scope, plan, n(kind === 'usernet' ? 3 : 4), random, `[${as}] ${kind}`, target?.pids));
          } finally {
            await target?.stop();
          }
          // Started during an iteration, and orphaned: a pasta that outlived its Node program.
          for (const before of pastaChecks) {
            await waitFor(() => orphanedPastas(before).length === 0, 3_000, `usernet: pasta to die ${SEEDNOTE}`).catch(() => {
              assert.deepEqual(orphanedPastas(before), [], `usernet: pasta left behind ${SEEDNOTE}`);
            });
          }
          if (kind === 'persist' || kind === 'persist-userns') summary.push(`  ${kind}: ${persisted.length} binds found made and released`);
          if (rootfsHash !== undefined) assert.equal(treeHash(rootfs), rootfsHash, `container: the rootfs changed ${SEEDNOTE}`);
          assert.deepEqual(fs.readdirSync(dir).filter((e) => !['box', 'uts', 'net', 'm'].includes(e)), [], `${kind}: files left in the scope directory ${SEEDNOTE}`);
        });
      }
      t.diagnostic(summary.join('\n'));
    });
  }
});

/** pasta processes (its comm is passt or passt.avx2). */
function pastaPids(): number[] {
  return allPids().filter((pid) => readProc(pid)?.comm.startsWith('passt'));
}

/** pasta processes not in `before` whose parent is gone (reparented to init or a subreaper). */
function orphanedPastas(before: Set<number>): string[] {
  const out: string[] = [];
  for (const pid of pastaPids()) {
    if (before.has(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const parent = ppid > 1 ? fs.readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() : 'init';
      if (parent !== 'node' && parent !== 'nsbox-helper') out.push(`${pid} (parent ${ppid} ${parent}) ${fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('the parent SIGKILLed at random points: the nsbox CLI', { concurrency: 2 }, () => {
  for (const as of ['root', 'user'] as const) {
    it(`[${as}] unshare --kill-child --fork --pid, run --rootfs, run PROFILE, nsenter (forked child): nothing left`, { timeout: 120_000 * SCALE }, async (t) => {
      const user = canRun(t, as);
      if (!user || !requireBusybox(t)) return;
      const random = rng(`cli-${as}`);
      const summary: string[] = [];
      const u = as === 'user';
      const scenarios: { name: string; setup(scope: LeakScope, dir: string): Promise<{ args: [string, string[]]; done?(): Promise<void>; keep?: Set<number>; pasta?: boolean }> }[] = [
        {
          name: 'unshare --kill-child',
          setup: async () => ({ args: ['unshare', ['--user', '--map-root-user', '--kill-child', '--fork', '--pid', '--mount-proc', 'sleep', '1000']] }),
        },
        {
          name: 'run --rootfs',
          setup: async (_scope, dir) => {
            const rootfs = join(dir, 'box');
            buildBusyboxRootfs(rootfs, { owner: u && typeof user !== 'boolean' ? user : undefined });
            return { args: ['run', ['--rootfs', rootfs, '--', '/bin/sleep', '1000']] };
          },
        },
        {
          name: 'run --rootfs --net=user (pasta)',
          setup: async (_scope, dir) => {
            const rootfs = join(dir, 'box');
            buildBusyboxRootfs(rootfs, { owner: u && typeof user !== 'boolean' ? user : undefined });
            return { args: ['run', ['--rootfs', rootfs, '--net=user', '--', '/bin/sleep', '1000']], pasta: true };
          },
        },
        {
          name: 'run PROFILE',
          setup: async (scope, dir) => {
            const store = join(dir, 'profiles');
            for (const edit of [
              ['app', 'unshare', 'add', u ? 'user,pid,ipc,uts,mount' : 'pid,ipc,uts,mount'],
              ['app', 'hostname', 'set', 'faults'],
            ]) {
              const r = await runNsboxCommand('profile', ['--profile-dir', store, ...edit], { scope, asUser: u });
              assert.equal(r.code, 0, describeResult(r));
            }
            return { args: ['run', ['--profile-dir', store, 'app', 'sleep', '1000']] };
          },
        },
        {
          name: 'nsenter -p -m (forked child)',
          setup: async (scope) => {
            const target = await startTarget(scope, as);
            return {
              args: ['nsenter', ['-t', String(target.pid), '-U', '-p', '-m', '-u', '--preserve-credentials', 'sleep', '1000']],
              // The target is the scope's too: it stays, and is stopped before the leak check.
              done: () => target.stop(),
              keep: target.pids,
            };
          },
        },
      ];
      for (const sc of scenarios) {
        await withScope(async (scope) => {
          const dir = scope.tmpdir({ writableByUser: true });
          const { args, done, keep, pasta } = await sc.setup(scope, dir);
          if (pasta && !requireCapability(t, fs.existsSync('/usr/bin/pasta'), 'pasta (Debian package passt) is not installed')) return;
          const kept = keep ?? new Set<number>();
          const leftovers: Set<number>[] = [];
          let pastaBefore = new Set<number>();
          const plan: KillPlan = {
            start: () => {
              if (pasta) pastaBefore = new Set(pastaPids());
              return startNsboxCommand(args[0], args[1], { scope, asUser: u, timeout: 30_000 });
            },
            isUp: () => processesWithToken(scope.token).some((p) => p.comm === 'sleep' && !kept.has(p.pid)) && (!pasta || pastaPids().some((x) => !pastaBefore.has(x))),
            after: () => undefined,
          };
          if (pasta) {
            plan.after = () => {
              const before = pastaBefore;
              // Checked at the next iteration's start at the latest: a pasta that outlived nsbox.
              leftovers.push(before);
            };
          }

          summary.push(await killParentLoop(scope, plan, n(4), random, `[${as}] ${sc.name}`, kept));
          for (const before of leftovers) {
            await waitFor(() => orphanedPastas(before).length === 0, 3_000, 'pasta to die').catch(() => {
              assert.deepEqual(orphanedPastas(before), [], `${sc.name}: pasta left behind ${SEEDNOTE}`);
            });
          }
          await done?.();
        });
      }
      t.diagnostic(summary.join('\n'));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 2. Profile writers SIGKILLed at random points
// ---------------------------------------------------------------------------------------------

/** Every file of a store directory with its bytes. */
function storeFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir).sort()) out[e] = fs.readFileSync(join(dir, e), 'latin1');
  return out;
}

describe('profile writes SIGKILLed at random points', () => {
  it('the profile is always the old or the new valid version; the lock is recovered; no temporary file stays', { timeout: 120_000 * SCALE }, async (t) => {
    const random = rng('profile-kill');
    const store = join(tmpdir(), 'profiles');
    const prof = (args: string[], o: { timeout?: number } = {}): Promise<RunResult> =>
      runNsboxCommand('profile', ['--profile-dir', store, ...args], { env: { NSBOX_PROFILE_LOCK_TIMEOUT_MS: '30000' }, timeout: o.timeout ?? 40_000 });
    const r0 = await prof(['app', 'unshare', 'add', 'ipc']);
    assert.equal(r0.code, 0, describeResult(r0));
    // Measure a whole edit, then kill writers anywhere in it.
    const t0 = Date.now();
    const r1 = await prof(['app', 'env', 'add', 'WARM=1']);
    assert.equal(r1.code, 0, describeResult(r1));
    const editMs = Date.now() - t0;
    const options = ['user', 'pid', 'net', 'uts', 'cgroup', 'mount', 'time'];
    const outcomes = { old: 0, new: 0 };
    const iterations = n(16);
    for (let i = 0; i < iterations; i++) {
      const before = fs.readFileSync(join(store, 'app.json'), 'utf8');
      const opt = options[i % options.length]!;
      const verb = ((JSON.parse(before) as { unshare: string[] }).unshare ?? []).includes(opt) ? 'del' : 'add';
      // Most of an edit is Node starting up: aim at its second half, where the file is written.
      const ms = Math.floor(editMs * (0.4 + random() * 0.9));
      const w = startNsboxCommand('profile', ['--profile-dir', store, 'app', 'unshare', verb, opt], {});
      await delay(ms);
      w.kill('SIGKILL');
      await w.result;
      const now = fs.readFileSync(join(store, 'app.json'), 'utf8');
      const parsed = JSON.parse(now) as { unshare?: unknown };
      assert.ok(parsed.unshare !== undefined, `iteration ${i}: not a profile: ${now} ${SEEDNOTE}`);
      if (now === before) outcomes.old++;
      else {
        outcomes.new++;
        // The new version is exactly the edit: compare with what a clean edit makes.
        const list = await prof(['app', 'unshare', 'list']);
        assert.equal(list.code, 0, describeResult(list));
        assert.equal(list.stdout.split('\n').includes(opt), verb === 'add', `iteration ${i}: ${verb} ${opt} half applied ${SEEDNOTE}`);
      }
      // The next edit recovers the lock (its owner is dead) and removes a temporary file.
      if (i % 4 === 3 || i === iterations - 1) {
        const r = await prof(['app', 'env', 'add', `K${i}=${ms}`]);
        assert.equal(r.code, 0, `iteration ${i} (killed after ${ms} ms): the next edit failed ${SEEDNOTE}\n${describeResult(r)}`);
        assert.deepEqual(fs.readdirSync(store), ['app.json'], `iteration ${i}: files left ${SEEDNOTE}`);
      }
    }
    // Concurrent writers, some killed: every survivor's edit is there, the file is valid.
    const writers: { env: string; r: Running; killed: boolean }[] = [];
    for (let w = 0; w < 8; w++) {
      const env = `C${w}=1`;
      writers.push({ env, r: startNsboxCommand('profile', ['--profile-dir', store, 'app', 'env', 'add', env], { env: { NSBOX_PROFILE_LOCK_TIMEOUT_MS: '30000' }, timeout: 40_000 }), killed: false });
    }
    for (const w of writers) {
      if (random() < 0.4) {
        await delay(Math.floor(random() * editMs));
        w.r.kill('SIGKILL');
        w.killed = true;
      }
    }
    const results = await Promise.all(writers.map((w) => w.r.result));
    const env = await prof(['app', 'env', 'list']);
    assert.equal(env.code, 0, describeResult(env));
    writers.forEach((w, k) => {
      const res = results[k]!;
      if (res.code === 0) assert.ok(env.stdout.split('\n').includes(w.env), `writer ${w.env} succeeded but its edit is lost ${SEEDNOTE}`);
      else assert.ok(w.killed && res.signal === 'SIGKILL', `writer ${w.env} failed without being killed: ${describeResult(res)} ${SEEDNOTE}`);
    });
    const last = await prof(['app', 'env', 'add', 'LAST=1']);
    assert.equal(last.code, 0, describeResult(last));
    assert.deepEqual(fs.readdirSync(store), ['app.json'], `files left after the concurrent writers ${SEEDNOTE}`);
    assert.ok(outcomes.old + outcomes.new === iterations);
    t.diagnostic(`${iterations} writers killed ${Math.round(editMs * 0.4)}-${Math.round(editMs * 1.3)} ms after their start: ${outcomes.old} left the old version, ${outcomes.new} the new one; 8 concurrent writers, ${writers.filter((w) => w.killed).length} killed, ${results.filter((r) => r.code === 0).length} succeeded`);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. The helper killed at each step of its setup, and from outside at random points
// ---------------------------------------------------------------------------------------------

/** One (syscall, N) kill point: strace kills each process of the helper at its Nth SYSCALL. */
interface KillPoint {
  syscall: string;
  nth: number;
}

/** The system calls of a traced run, per process, up to the exec of the program (or a tool). */
function parseTrace(text: string): Map<number, string[]> {
  const byPid = new Map<number, string[]>();
  let first = true;
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+([a-z0-9_]+)\(/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const calls = byPid.get(pid) ?? [];
    byPid.set(pid, calls);
    if (calls.includes('|exec')) continue;
    if (m[2] === 'execve' && !first) {
      calls.push('execve', '|exec');
      continue;
    }
    first = false;
    calls.push(m[2]!);
  }
  for (const calls of byPid.values()) if (calls[calls.length - 1] === '|exec') calls.pop();
  return byPid;
}

/** Steps worth killing at every occurrence; the rest is sampled. */
const KEY_SYSCALLS = new Set(['unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'sethostname', 'execve', 'clone', 'clone3', 'fork', 'socketpair', 'pidfd_open', 'prctl', 'ioctl', 'mount_setattr', 'mkdir', 'mkdirat', 'write', 'sendto', 'sendmsg', 'openat', 'wait4']);

function killPoints(trace: Map<number, string[]>, budget: number, random: () => number): KillPoint[] {
  const seen = new Set<string>();
  const key: KillPoint[] = [];
  const rest: KillPoint[] = [];
  for (const calls of trace.values()) {
    const count = new Map<string, number>();
    for (const c of calls) {
      const k = (count.get(c) ?? 0) + 1;
      count.set(c, k);
      const id = `${c}:${k}`;
      if (seen.has(id)) continue;
      seen.add(id);
      (KEY_SYSCALLS.has(c) ? key : rest).push({ syscall: c, nth: k });
    }
  }
  // Every key point while the budget allows (shuffled beyond it), then random others.
  const shuffle = <T>(a: T[]): T[] => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  // The steps only setup makes (unshare, mount, setns, pivot_root, ...) always, at every occurrence.
  const must = key.filter((p) => SETUP_ONLY.has(p.syscall));
  const others = key.filter((p) => !SETUP_ONLY.has(p.syscall));
  const keys = others.length <= budget - must.length ? others : shuffle(others).slice(0, Math.max(0, budget - must.length));
  return [...must, ...keys, ...shuffle(rest).slice(0, Math.max(0, Math.floor(budget / 3)))];
}

/** Syscalls that only the helper's setup makes: a kill there must never look like success. */
const SETUP_ONLY = new Set(['unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'sethostname']);

interface LibOutcome {
  kind: 'rejected' | 'resolved' | 'hang';
  message: string;
  exit: string;
}

/** Start a sandbox through the library and wait (bounded) for `ready` and the exit. */
async function libOutcome(start: () => SandboxedChildProcess<unknown>, timeoutMs = 10_000): Promise<LibOutcome> {
  const child = start();
  child.on('error', () => undefined);
  const exit = new Promise<string>((resolve) => child.once('exit', (c, s) => resolve(s ?? `code ${c}`)));
  const ready = child.ready.then(
    (): [LibOutcome['kind'], string] => ['resolved', ''],
    (e: unknown): [LibOutcome['kind'], string] => {
      if (e instanceof NamespaceError) return ['rejected', `NamespaceError(${e.step}): ${e.message}`];
      if (e instanceof HelperExitError) return ['rejected', `HelperExitError: ${e.message}`];
      return ['rejected', `unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`];
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), timeoutMs);
  });
  const r = await Promise.race([Promise.all([ready, exit]), hang]);
  clearTimeout(timer);
  if (r === 'hang') {
    child.kill('SIGKILL');
    return { kind: 'hang', message: '', exit: '' };
  }
  return { kind: r[0][0], message: r[0][1], exit: r[1] };
}

/** A failure message a user can act on: a NamespaceError with a message, or the helper's death. */
function clearError(o: LibOutcome): boolean {
  return o.kind === 'rejected' && !o.message.startsWith('unexpected') && /\S/.test(o.message.replace(/^[^:]*: /, ''));
}

interface LibSpec {
  name: string;
  start(env: NodeJS.ProcessEnv): SandboxedChildProcess<unknown>;
}

async function traceOf(spec: LibSpec, scope: LeakScope, dir: string): Promise<Map<number, string[]>> {
  const file = join(dir, `trace-${spec.name.replace(/\W+/g, '-')}`);
  const o = await libOutcome(() => spec.start({ ...process.env, ...scope.env, NSBOX_FAULT_TRACE: file }));
  assert.equal(o.kind, 'resolved', `${spec.name}: the clean traced run failed: ${o.message}`);
  const trace = parseTrace(fs.readFileSync(file, 'utf8'));
  fs.rmSync(file);
  return trace;
}

describe('the helper killed at each step of its setup (strace --inject=SYSCALL:signal=KILL:when=N)', () => {
  it('[root] library: spawn() unshare mode (fork+pid+uts+net+mount, no fork, persistence), a container, enter(): a clear error, never a hang, nothing left', { timeout: 120_000 * SCALE }, async (t) => {
    if (!requireRoot(t) || !requireBusybox(t) || !requireCapability(t, fs.existsSync(STRACE), `needs ${STRACE}`)) return;
    const random = rng('inject-lib');
    const summary: string[] = [];
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      const rootfs = join(dir, 'box');
      buildBusyboxRootfs(rootfs);
      const rootfsHash = treeHash(rootfs);
      const persistFile = join(dir, 'uts');
      fs.writeFileSync(persistFile, '');
      const target = await startTarget(scope, 'root');
      const quiet = { stdio: 'ignore' as const };
      const specs: LibSpec[] = [
        {
          name: 'spawn fork+pid+mountProc+uts+net+binds',
          start: (env) =>
            spawn(BUSYBOX, ['true'], { ...quiet, env, user: true, mapRootUser: true, pid: true, mountProc: true, uts: true, hostname: 'f', net: true, loopback: true, binds: [{ mode: 'ro', src: '/etc', dst: join(dir, 'b') }] }),
        },
        { name: 'run() no fork', start: (env) => spawn(BUSYBOX, ['true'], { ...quiet, env, user: true, mapRootUser: true, mount: true, ipc: true, cgroup: true }) },
        { name: 'spawn persist uts', start: (env) => spawn(BUSYBOX, ['true'], { ...quiet, env, uts: true, persist: { uts: persistFile } }) },
        {
          name: 'spawn id ranges written by the map child',
          start: (env) => spawn(BUSYBOX, ['true'], { ...quiet, env, user: true, mapUsers: [{ inner: 0, outer: 200000, count: 65536 }], mapGroups: [{ inner: 0, outer: 200000, count: 65536 }] }),
        },
        {
          name: 'spawn persist uts through the bind child (user+mount)',
          start: (env) => spawn(BUSYBOX, ['true'], { ...quiet, env, user: true, mapRootUser: true, mount: true, uts: true, persist: { uts: persistFile } }),
        },
        { name: 'spawnContainer', start: (env) => spawnContainer(rootfs, '/bin/true', [], { ...quiet, env }) },
        { name: 'enter --all', start: (env) => enter(target.pid, BUSYBOX, ['true'], { ...quiet, env }) },
      ];
      let total = 0;
      for (const spec of specs) {
        const trace = await traceOf(spec, scope, dir);
        const points = killPoints(trace, n(22), random);
        const tally = { rejected: 0, resolved: 0, notReached: 0 };
        const messages = new Set<string>();
        for (const p of points) {
          const o = await libOutcome(() => spec.start({ ...process.env, ...scope.env, NSBOX_FAULT_INJECT: `${p.syscall}:${p.nth}` }));
          const where = `${spec.name}, killed at ${p.syscall} #${p.nth}`;
          assert.notEqual(o.kind, 'hang', `${where}: hangs ${SEEDNOTE}`);
          if (o.kind === 'rejected') {
            assert.ok(clearError(o), `${where}: unclear error ${JSON.stringify(o)} ${SEEDNOTE}`);
            // A kill is reported as one: the helper's death, or a helper process's (setup-died).
            assert.match(o.message, /^(HelperExitError: .*killed by SIGKILL|NamespaceError\(setup-died\): .*\(signal 9\))/, `${where} ${SEEDNOTE}`);
            assert.notEqual(o.exit, 'code 0', `${where}: rejected but exit 0 ${SEEDNOTE}`);
            tally.rejected++;
            messages.add(o.message.replace(/\d+/g, 'N'));
          } else if (o.exit === 'code 0') {
            tally.notReached++;
          } else {
            // Killed after the setup (the program, or the forking parent after the exec marker).
            assert.equal(o.exit, 'SIGKILL', `${where}: resolved, then ${o.exit} ${SEEDNOTE}`);
            assert.ok(!SETUP_ONLY.has(p.syscall), `${where}: a setup step was killed but ready resolved ${SEEDNOTE}`);
            tally.resolved++;
          }
          // A persistence bind a killed helper made stays (a persisted namespace); release it.
          while (mountinfo().some((m) => m.mountpoint === persistFile)) {
            assert.ok(mountinfo().filter((m) => m.mountpoint === persistFile).every((m) => m.fstype === 'nsfs'));
            cp.spawnSync('umount', [persistFile]);
          }
          assert.deepEqual(mountsUnder(dir).filter((m) => !m.startsWith(`${persistFile} `)), [], `${where}: stray mounts ${SEEDNOTE}`);
          total++;
        }
        summary.push(`${spec.name}: ${points.length} kill points (${[...new Set(points.map((p) => p.syscall))].join(' ')}): ${tally.rejected} rejected, ${tally.resolved} killed after exec, ${tally.notReached} not reached; errors: ${[...messages].join(' | ')}`);
      }
      await target.stop();
      assert.equal(treeHash(rootfs), rootfsHash, `the rootfs changed ${SEEDNOTE}`);
      summary.unshift(`${total} kill points`);
    });
    t.diagnostic(summary.join('\n'));
  });

  for (const as of ['root', 'user'] as const) {
    it(`[${as}] CLI: nsbox unshare, nsbox run --rootfs, nsbox nsenter: one line on stderr, non-zero exit, never a hang, nothing left`, { timeout: 120_000 * SCALE }, async (t) => {
      const user = canRun(t, as);
      if (!user || !requireBusybox(t) || !requireCapability(t, fs.existsSync(STRACE), `needs ${STRACE}`)) return;
      const random = rng(`inject-cli-${as}`);
      const summary: string[] = [];
      const u = as === 'user';
      await withScope(async (scope) => {
        const dir = scope.tmpdir({ writableByUser: true });
        const wrapper = u && typeof user !== 'boolean' ? writeWrapper(dir, userCli(user).helper) : ROOT_WRAPPER;
        const rootfs = join(dir, 'box');
        buildBusyboxRootfs(rootfs, { owner: u && typeof user !== 'boolean' ? user : undefined });
        const target = await startTarget(scope, as);
        const specs: { name: string; args: [string, string[]] }[] = [
          { name: 'unshare', args: ['unshare', u ? ['--map-root-user', '--fork', '--pid', '--mount-proc', '--kill-child', '--uts', BUSYBOX, 'true'] : ['--user', '--map-root-user', '--fork', '--pid', '--mount-proc', '--kill-child', '--uts', '--net', BUSYBOX, 'true']] },
          { name: 'run --rootfs', args: ['run', ['--rootfs', rootfs, '--', '/bin/true']] },
          { name: 'nsenter', args: ['nsenter', ['-t', String(target.pid), '-U', '-p', '-m', '-u', '--preserve-credentials', BUSYBOX, 'true']] },
        ];
        for (const spec of specs) {
          const prog = `nsbox ${spec.args[0]}`;
          const file = join(dir, 'trace');
          const clean = await runNsboxCommand(spec.args[0], spec.args[1], { scope, asUser: u, env: { NSBOX_HELPER: wrapper, NSBOX_FAULT_TRACE: file } });
          assert.equal(clean.code, 0, describeResult(clean));
          const points = killPoints(parseTrace(fs.readFileSync(file, 'utf8')), n(10), random);
          fs.rmSync(file);
          const tally = { failed: 0, killedAfterExec: 0, notReached: 0 };
          const messages = new Set<string>();
          for (const p of points) {
            const r = await runNsboxCommand(spec.args[0], spec.args[1], { scope, asUser: u, timeout: 15_000, env: { NSBOX_HELPER: wrapper, NSBOX_FAULT_INJECT: `${p.syscall}:${p.nth}` } });
            const where = `[${as}] ${prog}, killed at ${p.syscall} #${p.nth}`;
            assert.ok(!r.timedOut && !r.pipesHeldOpen, `${where}: hangs ${SEEDNOTE}\n${describeResult(r)}`);
            const lines = r.stderr.split('\n').filter((l) => l !== '');
            if (r.code === 0) {
              tally.notReached++;
              continue;
            }
            assert.ok(lines.length <= 1, `${where}: more than one line on stderr ${SEEDNOTE}\n${describeResult(r)}`);
            if (lines.length === 1) {
              assert.match(lines[0]!, new RegExp(`^${prog}: (the helper was killed by SIGKILL during setup|the sandbox process died during setup, .*\\(signal 9\\))`), `${where} ${SEEDNOTE}`);
              tally.failed++;
              messages.add(lines[0]!.replace(/\d+/g, 'N'));
            } else {
              // Silent only when the program itself (after exec) was killed: nsbox dies the same way.
              assert.equal(r.signal, 'SIGKILL', `${where}: no message ${SEEDNOTE}\n${describeResult(r)}`);
              assert.ok(!SETUP_ONLY.has(p.syscall), `${where}: a setup step was killed without a message ${SEEDNOTE}`);
              tally.killedAfterExec++;
            }
          }
          summary.push(`${prog}: ${points.length} kill points (${[...new Set(points.map((p) => p.syscall))].join(' ')}): ${tally.failed} one-line failures, ${tally.killedAfterExec} killed after exec, ${tally.notReached} not reached; ${[...messages].join(' | ')}`);
        }
        await target.stop();
      });
      t.diagnostic(summary.join('\n'));
    });
  }

  it('[root] from outside: a random helper process SIGKILLed at a random time: settles, clear error or SIGKILL, nothing left', { timeout: 60_000 * SCALE }, async (t) => {
    if (!requireRoot(t) || !requireBusybox(t)) return;
    const random = rng('outside-kill');
    const summary: string[] = [];
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      const rootfs = join(dir, 'box');
      buildBusyboxRootfs(rootfs);
      const target = await startTarget(scope, 'root');
      const env = { ...process.env, ...scope.env };
      const starts: [string, () => SandboxedChildProcess<unknown>][] = [
        ['spawn', () => spawn(BUSYBOX, ['sleep', '0.05'], { stdio: 'ignore', env, user: true, mapRootUser: true, pid: true, mountProc: true, uts: true })],
        ['container', () => spawnContainer(rootfs, '/bin/sleep', ['0.05'], { stdio: 'ignore', env })],
        ['enter', () => enter(target.pid, BUSYBOX, ['sleep', '0.05'], { stdio: 'ignore', env })],
      ];
      for (const [name, start] of starts) {
        const tally = { rejected: 0, killed: 0, finished: 0 };
        const messages = new Set<string>();
        for (let i = 0; i < n(10); i++) {
          // Setup takes a few ms: count event-loop turns (tens of µs each), not timer ms.
          const turns = Math.floor(random() * 120);
          const pick = random();
          let victimDesc = 'none';
          const o = libOutcome(() => {
            const child = start();
            let left = turns;
            const tick = (): void => {
              if (left-- > 0) {
                setImmediate(tick);
                return;
              }
              // The helper, or one of its processes (forked child, bind/map child, init).
              const pid = child.pid;
              if (!pid) return;
              let kids: number[] = [];
              try {
                kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
              } catch {
                /* gone */
              }
              const all = [pid, ...kids];
              const victim = all[Math.floor(pick * all.length)]!;
              victimDesc = victim === pid ? 'the helper' : 'a child of the helper';
              try {
                process.kill(victim, 'SIGKILL');
              } catch {
                /* already gone */
              }
            };
            setImmediate(tick);
            return child;
          });
          const r = await o;
          const where = `${name}: ${victimDesc} killed after ${turns} turns`;
          assert.notEqual(r.kind, 'hang', `${where}: hangs ${SEEDNOTE}`);
          if (r.kind === 'rejected') {
            assert.ok(clearError(r), `${where}: ${JSON.stringify(r)} ${SEEDNOTE}`);
            assert.match(r.message, /^(HelperExitError: .*killed by SIGKILL|NamespaceError\(setup-died\): .*\(signal 9\))/, `${where} ${SEEDNOTE}`);
            tally.rejected++;
            messages.add(r.message.replace(/\d+/g, 'N'));
          } else if (r.exit === 'code 0') tally.finished++;
          else tally.killed++;
        }
        summary.push(`${name}: ${tally.rejected} rejected, ${tally.killed} killed while running, ${tally.finished} finished first; errors: ${[...messages].join(' | ')}`);
      }
      await target.stop();
    });
    t.diagnostic(summary.join('\n'));
  });

  it('[root] run() and ready reject with the helper killed during setup; the CLI says so in one line', { timeout: 20_000 }, async (t) => {
    if (!requireRoot(t) || !requireBusybox(t) || !requireCapability(t, fs.existsSync(STRACE), `needs ${STRACE}`)) return;
    // The helper itself (no fork) killed at unshare(2): HelperExitError naming SIGKILL.
    process.env.NSBOX_FAULT_INJECT = 'unshare:1';
    try {
      await assert.rejects(run('true', [], { user: true, net: true }), (e: unknown) => e instanceof HelperExitError && e.signal === 'SIGKILL' && /killed by SIGKILL during setup/.test(e.message));
      // The forked child killed at mount(2) (mountProc): the forking parent says so.
      process.env.NSBOX_FAULT_INJECT = 'mount:1';
      await assert.rejects(run('true', [], { user: true, mapRootUser: true, pid: true, mountProc: true }), (e: unknown) => e instanceof NamespaceError && e.step === 'setup-died' && /died during setup.*\(signal 9\)/.test(e.message));
      // The forking parent killed after it reported the pid (its first read(2) waits for the
      // child's exec): the exec was never confirmed (no `X` line), so `ready` rejects.
      process.env.NSBOX_FAULT_INJECT = 'read:1';
      const child = spawn(BUSYBOX, ['true'], { stdio: 'ignore', user: true, mapRootUser: true, pid: true, mountProc: true });
      child.on('error', () => undefined);
      await assert.rejects(child.ready, (e: unknown) => e instanceof HelperExitError && e.signal === 'SIGKILL');
      assert.ok(child.sandboxPid !== undefined, 'the pid was reported before the kill');
    } finally {
      delete process.env.NSBOX_FAULT_INJECT;
    }
    const r = await runCommand([process.execPath, join(HERE, '..', 'nsbox.cjs'), 'unshare', '--user', '--net', 'true'], { env: { NSBOX_HELPER: ROOT_WRAPPER, NSBOX_FAULT_INJECT: 'unshare:1' } });
    assert.equal(r.signal, 'SIGKILL', describeResult(r));
    assert.equal(r.stderr, 'nsbox unshare: the helper was killed by SIGKILL during setup, before the program started\n');
  });
});

// ---------------------------------------------------------------------------------------------
// 4. A full disk and a read-only profile directory: every verb
// ---------------------------------------------------------------------------------------------

/** Every writing verb, on a store holding `app` (and `other`). */
const WRITE_VERBS: string[][] = [
  ['app', 'unshare', 'add', 'net'],
  ['app', 'unshare', 'del', 'ipc'],
  ['app', 'unshare', 'set', 'pid,uts'],
  ['app', 'unshare', 'clear'],
  ['app', 'env', 'add', 'B=2'],
  ['app', 'env', 'set', 'A=3'],
  ['app', 'env', 'del', 'A'],
  ['app', 'env', 'clear'],
  ['app', 'bind', 'add', 'ro', '/etc', '/mnt/etc'],
  ['app', 'bind', 'del', '0'],
  ['app', 'bind', 'clear'],
  ['app', 'hostname', 'set', 'h2'],
  ['app', 'hostname', 'clear'],
  ['app', 'cwd', 'set', '/tmp'],
  ['app', 'command', 'set', 'sh', '-c', 'true'],
  ['app', 'command', 'clear'],
  ['app', 'time', 'set', 'monotonic=5'],
  ['app', 'rootfs', 'set', '/'],
  ['app', 'copy', 'app2'],
  ['app', 'delete'],
  ['new', 'env', 'add', 'X=1'],
];

function prepareStore(store: string, prof: (args: string[]) => Promise<RunResult>): Promise<void> {
  return (async () => {
    for (const edit of [
      ['app', 'unshare', 'add', 'ipc,pid'],
      ['app', 'env', 'add', 'A=1'],
      ['app', 'bind', 'add', 'ro', '/usr', '/mnt/usr'],
      ['app', 'hostname', 'set', 'h1'],
      ['app', 'command', 'set', 'true'],
      ['other', 'env', 'add', 'O=1'],
    ]) {
      const r = await prof(edit);
      assert.equal(r.code, 0, describeResult(r));
    }
  })();
}

/** One line on stderr naming the problem and a path in `dir`, exit 1, the store unchanged. */
function assertRefused(r: RunResult, problem: RegExp, dir: string, before: Record<string, string>, after: Record<string, string>, what: string): void {
  assert.equal(r.code, 1, `${what}: ${describeResult(r)}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: ${describeResult(r)}`);
  assert.match(lines[0]!, /^nsbox profile: /, what);
  assert.match(lines[0]!, problem, what);
  assert.ok(lines[0]!.includes(dir), `${what}: the path is not named: ${lines[0]}`);
  assert.deepEqual(after, before, `${what}: the store changed`);
}

describe('a full disk and a read-only profile directory: every verb', () => {
  it('[root] full tmpfs: one clear line, exit 1, old profiles intact byte for byte, no temporary file', { timeout: 60_000 * SCALE }, async (t) => {
    if (!requireRoot(t)) return;
    const mnt = tmpdir();
    const m = cp.spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'nsbox-faults-full', mnt], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      const store = join(mnt, 'profiles');
      const prof = (args: string[]): Promise<RunResult> => runNsboxCommand('profile', ['--profile-dir', store, ...args]);
      await prepareStore(store, prof);
      // Fill it to the last page, then free one: enough for the lock file, not for the
      // temporary file of the new version, so every write fails at its write(2).
      const filler = join(mnt, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        const chunk = Buffer.alloc(4096, 1);
        for (;;) fs.writeSync(fd, chunk);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      }
      fs.ftruncateSync(fd, fs.fstatSync(fd).size - 4096);
      fs.closeSync(fd);
      const before = storeFiles(store);
      const failures = new Set<string>();
      for (const verb of WRITE_VERBS) {
        const r = await prof(verb);
        if (verb.includes('delete')) {
          // Removing a file needs no new page: it works. Put the profile back for the next verbs.
          assert.equal(r.code, 0, describeResult(r));
          fs.writeFileSync(join(store, 'app.json'), before['app.json']!);
          assert.deepEqual(storeFiles(store), before);
          continue;
        }
        assertRefused(r, /cannot write profile.*: no space left on device$/, store, before, storeFiles(store), `full disk: ${verb.join(' ')}`);
        failures.add(r.stderr.trim().replace(store, 'STORE'));
      }
      // No inode left either: refused at the lock, with its path.
      fs.rmSync(filler);
      const remount = cp.spawnSync('mount', ['-o', 'remount,nr_inodes=' + String(fs.readdirSync(store).length + 3), mnt], { encoding: 'utf8' });
      for (let i = 0; remount.status === 0 && i < 64; i++) {
        try {
          fs.writeFileSync(join(mnt, `inode-${i}`), '');
        } catch {
          break;
        }
      }
      if (remount.status === 0) {
        for (const verb of [['app', 'unshare', 'add', 'net'], ['app', 'delete'], ['new', 'env', 'add', 'X=1']]) {
          const r = await prof(verb);
          assertRefused(r, /no space left on device$/, store, before, storeFiles(store), `no inode: ${verb.join(' ')}`);
          failures.add(r.stderr.trim().replace(store, 'STORE'));
        }
      }
      t.diagnostic(`messages: ${[...failures].join(' | ')}`);
    } finally {
      cp.spawnSync('umount', [mnt]);
    }
  });

  it('[root] read-only mount: one clear line, exit 1, old profiles intact, reads work', { timeout: 60_000 * SCALE }, async (t) => {
    if (!requireRoot(t)) return;
    const base = tmpdir();
    const store = join(base, 'profiles');
    const prof = (args: string[]): Promise<RunResult> => runNsboxCommand('profile', ['--profile-dir', store, ...args]);
    await prepareStore(store, prof);
    const bind = cp.spawnSync('mount', ['--bind', '-o', 'ro', store, store], { encoding: 'utf8' });
    assert.equal(bind.status, 0, bind.stderr);
    try {
      const before = storeFiles(store);
      for (const verb of WRITE_VERBS) {
        assertRefused(await prof(verb), /read-only file system/, store, before, storeFiles(store), `read-only: ${verb.join(' ')}`);
      }
      const list = await prof(['app', 'unshare', 'list']);
      assert.equal(list.stdout, 'ipc\npid\n', describeResult(list));
    } finally {
      cp.spawnSync('umount', [store]);
    }
  });

  it('[user] a directory the user may not write: one clear line, exit 1, old profiles intact', { timeout: 60_000 * SCALE }, async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    const base = tmpdir();
    fs.chownSync(base, user.uid, user.gid);
    const store = join(base, 'profiles');
    const prof = (args: string[]): Promise<RunResult> => runNsboxCommand('profile', ['--profile-dir', store, ...args], { asUser: true });
    await prepareStore(store, prof);
    const r = cp.spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'chmod', '0500', store]);
    assert.equal(r.status, 0);
    try {
      const before = storeFiles(store);
      for (const verb of WRITE_VERBS) {
        assertRefused(await prof(verb), /permission denied/, store, before, storeFiles(store), `read-only for the user: ${verb.join(' ')}`);
      }
    } finally {
      fs.chmodSync(store, 0o700);
    }
  });
});

