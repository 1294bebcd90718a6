/**
 * Differential tests of `nsbox nsenter` against util-linux `/usr/bin/nsenter` (2.38.1 as
 * installed): the same command line through both, exit status and normalised stdout/stderr
 * compared, and compared with the expected result too (two identical failures must not pass).
 *
 * Target behaviour is util-linux HEAD. Where 2.38.1 differs, the scenario is marked `head` and
 * runs through nsbox alone, asserted against HEAD (the comment says what 2.38.1 does). nsbox
 * always names the namespace a join failed for (HEAD's pidfd path prints the nameless
 * `reassociate to namespaces failed`), as 2.38.1 does.
 *
 * The targets are long-running processes made by util-linux unshare (root) in before(), one
 * with every namespace kind, one owned by nsboxtest in its own user namespace.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  type LeakScope,
  type RunOptions,
  type RunResult,
  type Running,
  type SkipContext,
  describeResult,
  requireRoot,
  requireTestUser,
  runCommand,
  runNsboxCommand,
  shellStatus,
  startCommand,
  startNsboxCommand,
  tmpdir,
  useFileLeakCheck,
  waitFor,
  waitForFile,
  withScope,
} from './harness.js';

const UTIL_NSENTER = '/usr/bin/nsenter';
const UTIL_UNSHARE = '/usr/bin/unshare';

/** `nsbox nsenter: ` / `/usr/bin/nsenter: ` → `nsenter: `, pids and inodes out. */
function norm(text: string): string {
  return text
    .replace(/^(?:nsbox nsenter|\/usr\/bin\/nsenter|nsenter): /gm, 'nsenter: ')
    .replace(/^Try '(?:nsbox nsenter|\/usr\/bin\/nsenter|nsenter) --help' for more information\.$/gm, "Try 'nsenter --help' for more information.")
    .replace(/\/proc\/\d+\//g, '/proc/PID/')
    .replace(/\[\d{6,}\]/g, '[INODE]');
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

interface Target {
  pid: number;
  /** A directory: empty outside, a tmpfs holding `f` (marker) inside the target's mount ns. */
  dir: string;
  proc: Running;
}

let rootTarget: Target | undefined;
let userTarget: Target | undefined;
/** A host directory with a file of its own (the `--wd`/`--root` tunnels lead here). */
let hostDir = '';

function childOf(pid: number): number | undefined {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids[0];
  } catch {
    return undefined;
  }
}

/** Wait until the forked target has exec'd `sleep` (its set-up is done then). */
async function sleeper(proc: Running, forked: boolean): Promise<number> {
  return waitFor(() => {
    const pid = forked ? childOf(proc.pid) : proc.pid;
    if (pid === undefined) return undefined;
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep' ? pid : undefined;
    } catch {
      return undefined;
    }
  }, 10_000, 'the target');
}

before(async () => {
  if (process.geteuid?.() !== 0 || !fs.existsSync(UTIL_NSENTER)) return;
  hostDir = tmpdir();
  fs.writeFileSync(join(hostDir, 'hostfile'), 'host\n');
  const dir = tmpdir();
  // Every kind; inside: hostname, a tmpfs with a marker on `dir`, cwd there, FOO=bar, uid 1001.
  const script =
    `hostname inner && mount -t tmpfs none ${dir} && echo marker > ${dir}/f && cd ${dir} && ` +
    'exec setpriv --reuid=1001 --regid=1001 --clear-groups env FOO=bar sleep 1000';
  const proc = startCommand([UTIL_UNSHARE, '-muinpCT', '--fork', '--mount-proc', 'sh', '-c', script], { timeout: 600_000 });
  rootTarget = { pid: await sleeper(proc, true), dir, proc };
  const user = requireTestUser({ skip: () => undefined }, { runAs: true });
  if (user) {
    const up = startCommand([UTIL_UNSHARE, '-r', '-u', 'sh', '-c', 'hostname inner && exec sleep 1000'], { asUser: true, timeout: 600_000 });
    userTarget = { pid: await sleeper(up, false), dir: '', proc: up };
  }
});

after(async () => {
  for (const t of [rootTarget, userTarget]) {
    if (!t) continue;
    // The target program first: with --fork it is not util-linux's process but its child
    // (pid 1 of the new pid namespace), which would otherwise outlive it as an orphan.
    try {
      process.kill(t.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    t.proc.kill('SIGKILL');
    await t.proc.result;
  }
});

// After the targets' hooks: its after() runs once they are gone.
useFileLeakCheck();

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

interface Expect {
  status: number;
  stdout?: string | RegExp;
  stderr?: string | RegExp;
}

interface Scenario {
  name: string;
  /** Run as nsboxtest against the user-owned target. */
  user?: boolean;
  args: (t: Target) => string[];
  stdout?: (s: string) => string;
  expect: Expect;
  /** HEAD-only: nsbox alone. Says what 2.38.1 does instead. */
  head?: string;
  env?: Record<string, string>;
}

/**
 * Line by line: a pid below 300 is one inside a pid namespace (a handful of processes there),
 * the others are host pids: when the kernel's pid counter wraps it starts again at 300
 * (RESERVED_PIDS), and the few lower host pids belong to processes started at boot.
 */
const pidKind = (s: string): string =>
  s
    .split('\n')
    .map((l) => (/^\d+$/.test(l) ? (Number(l) < 300 ? 'nspid' : 'hostpid') : l))
    .join('\n');

const own = (name: string): string => fs.readlinkSync(`/proc/self/ns/${name}`);
/** readlink of our own ns entries vs the target's: which of them were entered. */
const nsOf = (t: Target, name: string): string => fs.readlinkSync(`/proc/${t.pid}/ns/${name}`);

const scenarios: Scenario[] = [
  // ---- each kind by -t: the namespace is the target's ----
  // (The mount namespace is told by the target's tmpfs: its /proc belongs to its pid namespace,
  // where /proc/self does not exist for an entering process.)
  {
    name: "[root] -t PID --mount: the target's mount namespace",
    args: (t) => ['-t', String(t.pid), '--mount', 'cat', `${t.dir}/f`],
    expect: { status: 0, stdout: 'marker\n', stderr: '' },
  },
  ...(['uts', 'ipc', 'net', 'cgroup', 'time', 'pid'] as const).map(
    (kind): Scenario => ({
      name: `[root] -t PID --${kind}: the target's ${kind} namespace`,
      args: (t) => ['-t', String(t.pid), `--${kind}`, 'readlink', `/proc/self/ns/${kind}`],
      stdout: (s) => (rootTarget && s.trim() === nsOf(rootTarget, kind) && s.trim() !== own(kind) ? 'target\n' : s),
      expect: { status: 0, stdout: 'target\n', stderr: '' },
    }),
  ),
  // ---- each kind by file (the target's /proc entry given explicitly) ----
  {
    name: "[root] --mount=FILE: the file's mount namespace",
    args: (t) => [`--mount=/proc/${t.pid}/ns/mnt`, 'cat', `${t.dir}/f`],
    expect: { status: 0, stdout: 'marker\n', stderr: '' },
  },
  ...(['uts', 'ipc', 'net', 'cgroup', 'time'] as const).map(
    (kind): Scenario => ({
      name: `[root] --${kind}=FILE: the file's namespace`,
      args: (t) => [`--${kind}=/proc/${t.pid}/ns/${kind}`, 'readlink', `/proc/self/ns/${kind}`],
      stdout: (s) => (rootTarget && s.trim() === nsOf(rootTarget, kind) ? 'target\n' : s),
      expect: { status: 0, stdout: 'target\n', stderr: '' },
    }),
  ),
  {
    name: '[root] -a: every namespace (hostname, the tmpfs, pid 1 is sleep)',
    args: (t) => ['-t', String(t.pid), '-a', 'sh', '-c', `hostname; cat ${t.dir}/f; cat /proc/1/comm`],
    expect: { status: 0, stdout: 'inner\nmarker\nsleep\n', stderr: '' },
  },
  {
    name: '[root] -p with fork: the program is in the pid namespace',
    args: (t) => ['-t', String(t.pid), '-p', '-m', 'sh', '-c', 'echo $$'],
    stdout: pidKind,
    expect: { status: 0, stdout: 'nspid\n', stderr: '' },
  },
  {
    name: '[root] -p -F: the program keeps its host pid, its children are inside',
    args: (t) => ['-t', String(t.pid), '-p', '-F', 'sh', '-c', 'echo $$; sh -c "echo \\$\\$"'],
    stdout: pidKind,
    expect: { status: 0, stdout: 'hostpid\nnspid\n', stderr: '' },
  },
  {
    name: '[root] -w: the target working directory (in its mount ns)',
    args: (t) => ['-t', String(t.pid), '-m', '-w', 'sh', '-c', 'pwd; cat f'],
    stdout: (s) => (rootTarget ? s.split(rootTarget.dir).join('DIR') : s),
    expect: { status: 0, stdout: 'DIR\nmarker\n', stderr: '' },
  },
  {
    name: '[root] --wd=DIR: a tunnel to a host directory from inside the mount ns',
    args: (t) => ['-t', String(t.pid), '-m', `--wd=${hostDir}`, 'cat', 'hostfile'],
    expect: { status: 0, stdout: 'host\n', stderr: '' },
  },
  {
    name: "[root] -r without -m: the target's root (its tmpfs visible through it)",
    args: (t) => ['-t', String(t.pid), '-u', '-r', 'cat', `${t.dir}/f`],
    expect: { status: 0, stdout: 'marker\n', stderr: '' },
  },
  {
    name: '[root] --root=DIR: chroot into a host directory opened before the joins',
    args: (t) => ['-t', String(t.pid), '-m', `--root=${hostDir}`, '/hostfile'],
    expect: { status: 126, stdout: '', stderr: 'nsenter: failed to execute /hostfile: Permission denied\n' },
  },
  {
    name: '[root] -W DIR: working directory inside the mount namespace',
    args: (t) => ['-t', String(t.pid), '-m', `--wdns=${t.dir}`, 'cat', 'f'],
    expect: { status: 0, stdout: 'marker\n', stderr: '' },
  },
  {
    name: '[root] -S follow -G follow: the target owner (HEAD)',
    head: '2.38.1 has no `follow`: failed to parse uid',
    args: (t) => ['-t', String(t.pid), '-u', '-S', 'follow', '-G', 'follow', 'sh', '-c', 'id -u; id -g'],
    expect: { status: 0, stdout: '1001\n1001\n', stderr: '' },
  },
  {
    name: "[root] -e: the target's environment",
    args: (t) => ['-t', String(t.pid), '-u', '-e', 'sh', '-c', 'echo "FOO=$FOO TOKEN=${NSBOX_TEST_TOKEN:-none}"'],
    expect: { status: 0, stdout: 'FOO=bar TOKEN=none\n', stderr: '' },
    head: '2.38.1 has no --env (new in 2.39)',
  },
  {
    name: '[root] exit status passed through',
    args: (t) => ['-t', String(t.pid), '-u', 'sh', '-c', 'exit 7'],
    expect: { status: 7, stdout: '', stderr: '' },
  },
  {
    name: '[root] -p: a signal death is re-raised (137)',
    args: (t) => ['-t', String(t.pid), '-p', 'sh', '-c', 'kill -KILL $$'],
    expect: { status: 137, stdout: '', stderr: '' },
  },
  // ---- errors (reference §2.3) ----
  {
    name: '[root] -t 999999: cannot open',
    args: () => ['-t', '999999', '-u', 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: cannot open /proc/PID/ns/uts: No such file or directory\n' },
  },
  {
    name: '[root] -u without target (HEAD)',
    head: '2.38.1: neither filename nor target pid supplied for ns/uts',
    args: () => ['-u', 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: no target PID specified\n' },
  },
  {
    name: '[root] -t PID without namespaces (HEAD)',
    head: '2.38.1 runs the program',
    args: (t) => ['-t', String(t.pid), 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: no namespace specified\n' },
  },
  {
    name: '[root] --all without -t',
    args: () => ['--all', 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: no target PID specified for --all\n' },
  },
  {
    name: '[root] -t abc (HEAD)',
    head: "2.38.1: failed to parse pid: 'abc'",
    args: () => ['-t', 'abc', '-u', 'true'],
    expect: { status: 1, stdout: '', stderr: "nsenter: failed to parse PID argument 'abc': Invalid argument\n" },
  },
  {
    name: '[root] -t twice (HEAD)',
    head: '2.38.1 accepts it',
    args: (t) => ['-t', String(t.pid), '-t', String(t.pid), '-u', 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: option --target may be given only once\n' },
  },
  {
    name: '[root] --bogus',
    args: () => ['--bogus'],
    expect: { status: 1, stdout: '', stderr: "nsenter: unrecognized option '--bogus'\nTry 'nsenter --help' for more information.\n" },
  },
  {
    name: '[root] --uts=/nonexistent',
    args: () => ['--uts=/nonexistent', 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: cannot open /nonexistent: No such file or directory\n' },
  },
  {
    name: '[root] program not found: 127',
    args: (t) => ['-t', String(t.pid), '--uts', 'nosuchprog'],
    expect: { status: 127, stdout: '', stderr: 'nsenter: failed to execute nosuchprog: No such file or directory\n' },
  },
  {
    name: '[root] -w with -W',
    args: (t) => ['-t', String(t.pid), '-u', '-w', '-W', '/tmp', 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: mutually exclusive arguments: --wdns --wd\n' },
  },
  {
    name: "[root] -U into our own user namespace: named (HEAD's pidfd message has no name)",
    args: () => ['-t', String(process.pid), '-U', 'true'],
    expect: { status: 1, stdout: '', stderr: "nsenter: reassociate to namespace 'ns/user' failed: Invalid argument\n" },
  },
  {
    name: '[root] -c on cgroup v1/hybrid (HEAD)',
    head: '2.38.1 has no --join-cgroup',
    args: (t) => ['-t', String(t.pid), '-u', '-c', 'true'],
    expect: cgroup2()
      ? { status: 0, stdout: '', stderr: '' }
      : { status: 1, stdout: '', stderr: 'nsenter: --join-cgroup is only supported in cgroup v2\n' },
  },
  {
    name: '[root] --user-parent of a process in the initial user ns (HEAD)',
    head: '2.38.1 has no --user-parent',
    args: (t) => ['-t', String(t.pid), '--user-parent', 'true'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: failed to open parent namespace: Operation not permitted\n' },
  },
  // ---- unprivileged, into a user namespace whose setgroups is deny ----
  {
    name: '[user] -U -u without --preserve-credentials: setgroups failed',
    user: true,
    args: (t) => ['-t', String(t.pid), '-U', '-u', 'hostname'],
    expect: { status: 1, stdout: '', stderr: 'nsenter: setgroups failed: Operation not permitted\n' },
  },
  {
    name: '[user] -U -u --preserve-credentials: root inside, the hostname',
    user: true,
    args: (t) => ['-t', String(t.pid), '-U', '-u', '--preserve-credentials', 'sh', '-c', 'id -u; hostname'],
    expect: { status: 0, stdout: '0\ninner\n', stderr: '' },
  },
  {
    name: '[user] -u alone: not permitted',
    user: true,
    args: (t) => ['-t', String(t.pid), '-u', 'hostname'],
    expect: { status: 1, stdout: '', stderr: "nsenter: reassociate to namespace 'ns/uts' failed: Operation not permitted\n" },
  },
  {
    name: '[user] --all: the cgroup ns belongs to the initial user ns',
    user: true,
    args: (t) => ['-t', String(t.pid), '--all', '--preserve-credentials', 'hostname'],
    expect: { status: 1, stdout: '', stderr: "nsenter: reassociate to namespace 'ns/cgroup' failed: Operation not permitted\n" },
  },
  {
    // The parent is the initial user namespace, the caller's own: setns(2) refuses to re-enter it.
    name: "[user] --user-parent: the parent is the caller's own user namespace (HEAD)",
    head: '2.38.1 has no --user-parent',
    user: true,
    args: (t) => ['-t', String(t.pid), '--user-parent', '--preserve-credentials', 'id', '-u'],
    expect: { status: 1, stdout: '', stderr: "nsenter: reassociate to namespace 'ns/user' failed: Invalid argument\n" },
  },
];

function cgroup2(): boolean {
  try {
    return fs.statfsSync('/sys/fs/cgroup').type === 0x63677270;
  } catch {
    return false;
  }
}

function checkExpect(r: RunResult, e: Expect, transform: (s: string) => string): void {
  const what = describeResult(r);
  assert.equal(shellStatus(r), e.status, what);
  const match = (actual: string, want: string | RegExp | undefined, label: string): void => {
    if (want === undefined) return;
    if (typeof want === 'string') assert.equal(actual, want, `${label}\n${what}`);
    else assert.match(actual, want, `${label}\n${what}`);
  };
  match(norm(transform(r.stdout)), e.stdout, 'stdout');
  match(norm(r.stderr), e.stderr, 'stderr');
}

function ready(t: SkipContext, s: Scenario): Target | undefined {
  if (!requireRoot(t)) return undefined;
  if (s.user && !requireTestUser(t)) return undefined;
  const target = s.user ? userTarget : rootTarget;
  if (!target) assert.fail('the target process could not be set up');
  return target;
}

describe('nsenter: differential against util-linux nsenter', { concurrency: 6 }, () => {
  for (const s of scenarios) {
    it(s.name, async (t) => {
      const target = ready(t, s);
      if (!target) return;
      await withScope(async (scope: LeakScope) => {
        const opts: RunOptions = { asUser: s.user ?? false, scope, env: { PATH: '/usr/bin:/bin', ...s.env } };
        const args = s.args(target);
        const transform = s.stdout ?? ((x: string): string => x);
        const ours = await runNsboxCommand('nsenter', args, opts);
        checkExpect(ours, s.expect, transform);
        if (s.head) return;
        const theirs = await runCommand([UTIL_NSENTER, ...args], opts);
        checkExpect(theirs, s.expect, transform);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Persistent namespaces: the round trip for every kind, both directions with util-linux
// ---------------------------------------------------------------------------------------------

const ROUND_TRIP: readonly { kind: string; option: string; extra: string[] }[] = [
  { kind: 'uts', option: 'uts', extra: [] },
  { kind: 'ipc', option: 'ipc', extra: [] },
  { kind: 'net', option: 'net', extra: [] },
  { kind: 'mnt', option: 'mount', extra: [] },
  { kind: 'pid', option: 'pid', extra: ['--fork'] },
  { kind: 'cgroup', option: 'cgroup', extra: [] },
  { kind: 'time', option: 'time', extra: [] },
  // 2.38.1 can persist a user namespace only together with --mount (fixed in 2.42).
  { kind: 'user', option: 'user', extra: ['--map-root-user', '--mount'] },
];

type Maker = 'nsbox' | 'util';

async function unshareWith(maker: Maker, args: string[], opts: RunOptions): Promise<RunResult> {
  return maker === 'nsbox' ? runNsboxCommand('unshare', args, opts) : runCommand([UTIL_UNSHARE, ...args], opts);
}

async function nsenterWith(maker: Maker, args: string[], opts: RunOptions): Promise<RunResult> {
  return maker === 'nsbox' ? runNsboxCommand('nsenter', args, opts) : runCommand([UTIL_NSENTER, ...args], opts);
}

describe('nsenter: persisted namespaces, round trip per kind', { concurrency: 8 }, () => {
  for (const { kind, option, extra } of ROUND_TRIP) {
    for (const [made, entered] of [
      ['nsbox', 'nsbox'],
      ['util', 'nsbox'],
      ['nsbox', 'util'],
    ] as [Maker, Maker][]) {
      it(`[root] ${kind}: ${made} unshare --${option}=FILE, ${entered} nsenter --${option}=FILE, umount FILE`, async (t) => {
        if (!requireRoot(t)) return;
        await withScope(async (scope) => {
          const dir = scope.tmpdir();
          const file = join(dir, kind);
          fs.writeFileSync(file, '');
          const opts: RunOptions = { scope, env: { PATH: '/usr/bin:/bin' } };
          const made1 = await unshareWith(made, [...extra, `--${option}=${file}`, 'true'], opts);
          assert.equal(shellStatus(made1), 0, describeResult(made1));
          const ino = fs.statSync(file).ino;
          // The pid namespace's init (`true`) is gone: entering it can only fail at the fork.
          const enterArgs = kind === 'pid' ? [`--${option}=${file}`, 'true'] : [`--${option}=${file}`, 'readlink', `/proc/self/ns/${kind}`];
          const r = await nsenterWith(entered, enterArgs, opts);
          if (kind === 'pid') {
            assert.equal(shellStatus(r), 1, describeResult(r));
            assert.equal(norm(r.stderr), 'nsenter: fork failed: Cannot allocate memory\n', describeResult(r));
          } else {
            assert.equal(shellStatus(r), 0, describeResult(r));
            assert.equal(r.stdout, `${kind}:[${ino}]\n`, describeResult(r));
          }
          const um = await runCommand(['umount', file], opts);
          assert.equal(shellStatus(um), 0, describeResult(um));
          const gone = await nsenterWith(entered, [`--${option}=${file}`, 'true'], opts);
          assert.equal(shellStatus(gone), 1, describeResult(gone));
          assert.equal(norm(gone.stderr), `nsenter: reassociate to namespace 'ns/${kind}' failed: Invalid argument\n`, describeResult(gone));
        });
      });
    }
  }

  it('[root] pid: a persisted pid namespace with a live init is entered (nsbox both sides)', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      const file = join(dir, 'pid');
      fs.writeFileSync(file, '');
      // --kill-child: the namespace's init must not outlive the test.
      const init = startNsboxCommand('unshare', [`--pid=${file}`, '--fork', '--kill-child', '--mount-proc', 'sh', '-c', `echo up > ${dir}/up; exec sleep 1000`], {
        scope,
        env: { PATH: '/usr/bin:/bin' },
        timeout: 60_000,
      });
      await waitFor(() => fs.existsSync(join(dir, 'up')), 10_000, 'the pid namespace init');
      const r = await runNsboxCommand('nsenter', [`--pid=${file}`, 'sh', '-c', 'echo $$'], { scope, env: { PATH: '/usr/bin:/bin' } });
      assert.equal(shellStatus(r), 0, describeResult(r));
      assert.match(r.stdout, /^\d$|^\d\d$/m, describeResult(r));
      init.kill('SIGKILL');
      await init.result;
      const um = await runCommand(['umount', file], { scope });
      assert.equal(shellStatus(um), 0, describeResult(um));
    });
  });
});


describe('nsenter: --net-socket', () => {
  // util-linux's tests/ts/nsenter/enter-via-socket, with a socket whose network namespace is not
  // its holder's: a python process creates a socket, then moves itself into a new network
  // namespace. -N must enter the socket's namespace (ours), -n the process's (the new one).
  it('[root] -N enters the network namespace of the target\'s socket', async (t) => {
    if (!requireRoot(t) || !fs.existsSync('/usr/bin/python3')) {
      assert.ok(process.env.CI === undefined || fs.existsSync('/usr/bin/python3'), 'needs /usr/bin/python3');
      return;
    }
    await withScope(async (scope) => {
      const script =
        'import ctypes, socket, sys, time\n' +
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n' +
        "if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) != 0: sys.exit('unshare failed')\n" +
        "open(sys.argv[1], 'w').write(str(s.fileno()) + '\\n')\n" +
        'time.sleep(30)\n';
      const ready = join(scope.tmpdir(), 'fd');
      const holder = startCommand(['/usr/bin/python3', '-c', script, ready], { scope, timeout: 20_000 });
      const fd = (await waitForFile(ready)).trim();
      const own = fs.readlinkSync('/proc/self/ns/net');
      const viaSocket = await runNsboxCommand('nsenter', ['-t', String(holder.pid), '-N', fd, 'readlink', '/proc/self/ns/net'], { scope });
      assert.equal(viaSocket.code, 0, describeResult(viaSocket));
      assert.equal(viaSocket.stdout.trim(), own);
      const viaProcess = await runNsboxCommand('nsenter', ['-t', String(holder.pid), '-n', 'readlink', '/proc/self/ns/net'], { scope });
      assert.equal(viaProcess.stdout.trim(), fs.readlinkSync(`/proc/${holder.pid}/ns/net`));
      assert.notEqual(viaProcess.stdout.trim(), own);
      holder.kill('SIGKILL');
      await holder.result;
    });
  });
});
