/**
 * Escape and privilege tests (SECURITY.md): what a sandboxed program run by an ordinary user
 * (nsboxtest) must never be able to do, through every entry point (`nsbox unshare`, `nsbox run
 * NAME`, `nsbox run --rootfs`, `nsbox nsenter`, the library's spawn()/enter()).
 *
 * A static probe (src/test/escape/probe.c, compiled here) tries one thing per argument and
 * prints `what=OK` or `what=<errno name>`; the tests also look from the host (file contents,
 * mounts, the hostname, /proc/PID/status of every sandbox process). Real kernel, no mocks.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  REPO_ROOT,
  type RunResult,
  type TestUser,
  IS_ROOT,
  describeResult,
  mountinfo,
  processesWithToken,
  requireCapability,
  requireTestUser,
  runCommand,
  tmpdir,
  userCli,
  waitFor,
  withScope,
  startNsboxCommand,
} from './harness.js';

const PROBE_SRC = join(REPO_ROOT, 'src', 'test', 'escape', 'probe.c');
const BUSYBOX = '/bin/busybox';
const PYTHON = '/usr/bin/python3';

/** Everything the tests share, made once as root (files the test user must not touch, ...). */
interface Fixture {
  dir: string;
  /** A directory the test user may write to (sticky, 1777). */
  work: string;
  probe: string;
  /** root:root 0600 file and 0700 directory (with a file inside). */
  secretFile: string;
  secretDir: string;
  /** A busybox rootfs with the probe as /bin/probe. */
  rootfs: string;
  /** A profile directory readable by the test user. */
  profiles: string;
  /** A root-owned process, and one of the test user, both outside any sandbox. */
  rootPid: number;
  userPid: number;
  ptyRunner: string;
}

let fx: Fixture | undefined;
const children: ChildProcess[] = [];

function setUp(user: TestUser): Fixture {
  if (fx) return fx;
  const dir = tmpdir();
  const probe = join(dir, 'probe');
  const work = join(dir, 'work');
  fs.mkdirSync(work);
  fs.chmodSync(work, 0o1777);
  const cc = spawnSync(process.env.CC ?? 'cc', ['-static', '-O1', '-D_GNU_SOURCE', '-o', probe, PROBE_SRC], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cannot build the probe: ${cc.stderr}`);
  fs.chmodSync(probe, 0o755);

  const secretFile = join(dir, 'secret');
  fs.writeFileSync(secretFile, 'TOPSECRET\n', { mode: 0o600 });
  fs.chmodSync(secretFile, 0o600);
  const secretDir = join(dir, 'secretdir');
  fs.mkdirSync(secretDir, { mode: 0o700 });
  fs.chmodSync(secretDir, 0o700);
  fs.writeFileSync(join(secretDir, 'inside'), 'TOPSECRET\n', { mode: 0o644 });

  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'rw', 'ro', 'w']) fs.mkdirSync(join(rootfs, d), { recursive: true, mode: 0o755 });
  fs.copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'ls', 'cat', 'true', 'sleep']) fs.symlinkSync('busybox', join(rootfs, 'bin', a));
  fs.copyFileSync(probe, join(rootfs, 'bin', 'probe'));
  fs.writeFileSync(join(rootfs, 'secret'), ''); // bind mount points: the user cannot create them here
  fs.chmodSync(join(rootfs, 'bin', 'probe'), 0o755);

  const profiles = join(dir, 'profiles');
  fs.mkdirSync(profiles, { mode: 0o755 });
  // Every namespace, as `nsbox run` users would configure an untrusted application.
  fs.writeFileSync(join(profiles, 'all.json'), JSON.stringify({ version: 1, unshare: ['ipc', 'net', 'pid', 'user', 'uts', 'cgroup', 'mount'] }));
  fs.writeFileSync(join(profiles, 'useronly.json'), JSON.stringify({ version: 1, unshare: ['user'] }));
  for (const f of fs.readdirSync(profiles)) fs.chmodSync(join(profiles, f), 0o644);

  // Victims: a root process and one of the test user, in the host's namespaces.
  const rootSleep = cpSpawn('sleep', ['600'], { stdio: 'ignore' });
  const userSleep = cpSpawn('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'sleep', '600'], { stdio: 'ignore' });
  children.push(rootSleep, userSleep);

  // Runs argv under a new pseudo-terminal (its controlling terminal), prints what it wrote.
  const ptyRunner = join(dir, 'ptyrun.py');
  fs.writeFileSync(
    ptyRunner,
    [
      'import os, pty, sys, select',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      '    os.execvp(sys.argv[1], sys.argv[1:])',
      'out = b""',
      'while True:',
      '    r, _, _ = select.select([fd], [], [], 30)',
      '    if not r: break',
      '    try: d = os.read(fd, 4096)',
      '    except OSError: break',
      '    if not d: break',
      '    out += d',
      '_, st = os.waitpid(pid, 0)',
      'sys.stdout.write(out.decode("utf-8", "replace"))',
      'sys.exit(os.waitstatus_to_exitcode(st) & 255)',
      '',
    ].join('\n'),
  );
  fs.chmodSync(ptyRunner, 0o644);
  fx = { dir, work, probe, secretFile, secretDir, rootfs, profiles, rootPid: rootSleep.pid!, userPid: userSleep.pid!, ptyRunner };
  return fx;
}

after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** The probe's answers, by command (a command asked twice has its answers in order). */
function answers(stdout: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of stdout.split(/\r?\n/)) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    m.set(k, [...(m.get(k) ?? []), line.slice(i + 1)]);
  }
  return m;
}

function answer(stdout: string, key: string): string {
  const v = answers(stdout).get(key);
  assert.ok(v && v.length === 1, `no single answer for ${key} in:\n${stdout}`);
  return v[0]!;
}

/** `what` was refused (any errno), and with `errno` when given. */
function refused(r: RunResult, key: string, errno?: string | readonly string[]): void {
  const v = answer(r.stdout, key);
  assert.notEqual(v, 'OK', `${key} succeeded:\n${describeResult(r)}`);
  if (errno !== undefined) {
    const ok = typeof errno === 'string' ? [errno] : errno;
    assert.ok(ok.includes(v), `${key}=${v}, expected ${ok.join(' or ')}:\n${describeResult(r)}`);
  }
}

/** The probe's parent (a helper process) is out of reach: exe, mem, fds and ptrace refused. */
function parentUnreachable(r: RunResult, o: { fds?: boolean } = { fds: true }): void {
  refused(r, 'parentexe', 'EACCES');
  refused(r, 'parentmem', 'EACCES');
  if (o.fds) refused(r, 'parentfds', 'EACCES');
  refused(r, 'parentptrace', 'EPERM');
}

interface Ctx {
  user: TestUser;
  fx: Fixture;
  cli: string;
  helper: string;
}

function ctx(t: Parameters<typeof requireTestUser>[0]): Ctx | undefined {
  const user = requireTestUser(t);
  if (!user) return undefined;
  if (!requireCapability(t, fs.existsSync(BUSYBOX), `needs ${BUSYBOX} (Debian package busybox-static)`)) return undefined;
  const f = setUp(user);
  const { cli, helper } = userCli(user);
  return { user, fx: f, cli, helper };
}

/** `nsbox <args>` as the test user. */
function nsbox(c: Ctx, args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runCommand([process.execPath, c.cli, ...args], { asUser: true, env: { NSBOX_HELPER: c.helper, ...env }, timeout: 30_000 });
}

/** A shell script as the test user; `$NSBOX` runs the CLI, `$PROBE` is the probe. */
function userSh(c: Ctx, script: string, env: Record<string, string> = {}): Promise<RunResult> {
  return runCommand(['/bin/sh', '-c', script], {
    asUser: true,
    timeout: 40_000,
    env: { NSBOX_HELPER: c.helper, NSBOX: `${process.execPath} ${c.cli}`, PROBE: c.fx.probe, D: c.fx.work, NSBOX_PROFILE_DIR: c.fx.profiles, ...env },
  });
}

/** A library script (an async function body using `lib`) as the test user; its stdout. */
function userLib(c: Ctx, name: string, body: string, runner: (script: string) => Promise<RunResult>): Promise<RunResult> {
  const index = join(c.cli, '..', 'index.js');
  const script = join(c.fx.dir, `${name}.mjs`);
  fs.writeFileSync(
    script,
    `const lib = await import(${JSON.stringify(pathToFileURL(index).href)});\n` +
      `const PROBE = ${JSON.stringify(c.fx.probe)};\n` +
      `const waitExit = (ch) => new Promise((res) => ch.on('close', (code) => res(code)));\n` +
      `await (async () => {\n${body}\n})();\n`,
  );
  fs.chmodSync(script, 0o644);
  return runner(script);
}

function libAsUser(c: Ctx, name: string, body: string, helper = c.helper): Promise<RunResult> {
  return userLib(c, name, body, (script) => runCommand([process.execPath, script], { asUser: true, timeout: 30_000, env: { NSBOX_HELPER: helper } }));
}

/** What must fail for want of a host capability, whatever the sandbox creates for itself. */
function hostProbes(f: Fixture): string[] {
  return [
    'status:CapEff',
    // The test user's own host process: its namespaces are the host's.
    ...['net', 'uts', 'ipc', 'mnt', 'cgroup', 'user', 'pid', 'time'].map((k) => `setns:/proc/${f.userPid}/ns/${k}`),
    `kill:${f.rootPid}`,
    `ptrace:${f.rootPid}`,
    'openw:/etc/hostname',
    'creat:/etc/nsbox-escape-probe',
    'settime',
    'mknod:/tmp/nsbox-escape-null',
    'delmod',
  ];
}

function assertNoHostCapability(r: RunResult, o: { fullCapsInside: boolean }): void {
  assert.equal(r.code, 0, describeResult(r));
  const all = answers(r.stdout);
  // The refusals below are the namespace boundary, not a lack of capabilities inside.
  if (o.fullCapsInside) assert.match(answer(r.stdout, 'CapEff'), /^0*1ff+$/, describeResult(r));
  for (const v of all.get('setns') ?? []) assert.notEqual(v, 'OK', `setns into a host namespace worked:\n${describeResult(r)}`);
  assert.equal(all.get('setns')?.length, 8, describeResult(r));
  refused(r, 'kill', ['EPERM', 'ESRCH']);
  refused(r, 'ptrace', ['EPERM', 'ESRCH']);
  refused(r, 'openw');
  refused(r, 'creat');
  refused(r, 'settime', 'EPERM');
  refused(r, 'mknod', 'EPERM');
  refused(r, 'delmod');
  assert.ok(!fs.existsSync('/etc/nsbox-escape-probe'));
}

describe('escape: no capability in the host user namespace is ever gained', { concurrency: true }, () => {
  const entries: [string, (c: Ctx) => Promise<RunResult>, boolean][] = [
    ['nsbox unshare -r', (c) => nsbox(c, ['unshare', '-r', c.fx.probe, ...hostProbes(c.fx), 'hostname:evil', `mount:${c.fx.dir}`]), true],
    ['nsbox unshare -r -muinpf --mount-proc', (c) => nsbox(c, ['unshare', '-r', '-muinpf', '--mount-proc', c.fx.probe, ...hostProbes(c.fx), 'hostname:inside']), true],
    ['nsbox unshare --map-auto -r (subordinate ids)', (c) => nsbox(c, ['unshare', '--map-auto', '-r', c.fx.probe, ...hostProbes(c.fx)]), true],
    ['nsbox run NAME (every namespace)', (c) => nsbox(c, ['run', '--profile-dir', c.fx.profiles, 'all', c.fx.probe, ...hostProbes(c.fx), 'hostname:inside']), false],
    ['nsbox run --rootfs', (c) => nsbox(c, ['run', '--rootfs', c.fx.rootfs, '--', '/bin/probe', ...hostProbes(c.fx), 'hostname:inside']), true],
    [
      'library spawn()',
      (c) =>
        libAsUser(c, 'caps', `
          const ch = lib.spawn(PROBE, ${JSON.stringify(hostProbes(c.fx))}, { user: true, mapRootUser: true, mount: true, pid: true, mountProc: true, stdio: 'inherit' });
          await waitExit(ch);`),
      true,
    ],
  ];
  for (const [name, run, fullCaps] of entries) {
    it(`${name}: setns, kill, ptrace, root files, time, devices, modules all refused`, async (t) => {
      const c = ctx(t);
      if (!c) return;
      const before = fs.readFileSync('/etc/hostname', 'utf8');
      const host = hostHostname();
      const r = await run(c);
      assertNoHostCapability(r, { fullCapsInside: fullCaps });
      // Without a UTS namespace the hostname is the host's, and may not be changed.
      if (name === 'nsbox unshare -r') {
        refused(r, 'hostname', 'EPERM');
        refused(r, 'mount', 'EPERM');
      }
      assert.equal(hostHostname(), host);
      assert.equal(fs.readFileSync('/etc/hostname', 'utf8'), before);
    });
  }

  it('nsbox nsenter into a running sandbox gains nothing either', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await userSh(c, `
      $NSBOX unshare -r -muinpf --mount-proc $PROBE wait:$D/nsenter-go-$$ &
      for i in $(seq 100); do T=$(pgrep -u $(id -u) -f "^$PROBE wait:$D/nsenter-go-$$") && break; sleep 0.1; done
      $NSBOX nsenter -t $T -U -m -u -i -n -p --preserve-credentials $PROBE ${hostProbes(c.fx).join(' ')}
      touch $D/nsenter-go-$$; wait`);
    assertNoHostCapability(r, { fullCapsInside: true });
  });

  it('from the host: every sandbox process (helper, init, program) has the caller\'s ids, and capabilities only in its own user namespace', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const hostUserNs = fs.readlinkSync('/proc/self/ns/user');
    await withScope(async (scope) => {
      const go = join(c.fx.work, `host-view-${scope.token}`);
      const runs = [
        startNsboxCommand('unshare', ['-r', '--fork', c.fx.probe, `wait:${go}`], { asUser: true, scope }),
        startNsboxCommand('run', ['--rootfs', c.fx.rootfs, '--ro-bind', c.fx.work, '/w', '--', '/bin/probe', `wait:/w/host-view-${scope.token}`], { asUser: true, scope }),
        startNsboxCommand('run', ['--profile-dir', c.fx.profiles, 'all', c.fx.probe, `wait:${go}`], { asUser: true, scope }),
      ];
      // The CLI (node), the helper (and its init) and the probe of each run.
      const procs = await waitFor(() => {
        const ps = processesWithToken(scope.token);
        return ps.filter((p) => p.comm === 'probe').length === 3 ? ps : undefined;
      }, 15_000, 'three sandboxed probes');
      try {
        for (const p of procs) {
          let status: string;
          try {
            status = fs.readFileSync(`/proc/${p.pid}/status`, 'utf8');
          } catch {
            continue; // gone meanwhile
          }
          const field = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
          const ids = (k: string): string[] => field(k).split(/\s+/);
          assert.deepEqual(ids('Uid'), Array(4).fill(String(c.user.uid)), `${p.pid} ${p.cmdline}`);
          assert.deepEqual(ids('Gid'), Array(4).fill(String(c.user.gid)), `${p.pid} ${p.cmdline}`);
          const capEff = BigInt(`0x${field('CapEff')}`);
          const userNs = fs.readlinkSync(`/proc/${p.pid}/ns/user`);
          if (capEff !== 0n) assert.notEqual(userNs, hostUserNs, `${p.pid} ${p.cmdline} holds capabilities in the host user namespace`);
          if (p.comm === 'probe') assert.notEqual(userNs, hostUserNs);
        }
      } finally {
        fs.writeFileSync(go, '');
      }
      for (const r of runs) {
        const res = await r.result;
        assert.equal(res.code, 0, describeResult(res));
      }
      fs.rmSync(go, { force: true });
    });
  });
});

describe('escape: files the user cannot touch outside stay untouchable inside', { concurrency: true }, () => {
  const probes = (f: Fixture, inside = { file: f.secretFile, dir: f.secretDir }): string[] => [
    `openr:${inside.file}`,
    `openw:${inside.file}`,
    `opendir:${inside.dir}`,
    `openr:${inside.dir}/inside`,
    `creat:${inside.dir}/new`,
    'openr:/proc/1/root/etc/shadow',
    'openr:/etc/shadow',
    'openw:/etc/passwd',
  ];
  const check = (r: RunResult, o: { proc1?: boolean } = {}): void => {
    assert.equal(r.code, 0, describeResult(r));
    for (const [k, vs] of answers(r.stdout)) {
      // /proc/1 inside a pid namespace is the sandbox's own init: nothing of the host.
      if (k === 'openr' && o.proc1 === false) continue;
      for (const v of vs) assert.notEqual(v, 'OK', `${k} succeeded:\n${describeResult(r)}`);
    }
  };
  it('through mapped root (nsbox unshare -r), and its /proc/1/root', async (t) => {
    const c = ctx(t);
    if (!c) return;
    check(await nsbox(c, ['unshare', '-r', c.fx.probe, ...probes(c.fx)]));
  });
  it('through subordinate ids (--map-auto, as uid 0 and as uid 1 = the first subuid)', async (t) => {
    const c = ctx(t);
    if (!c) return;
    check(await nsbox(c, ['unshare', '--map-auto', '-r', c.fx.probe, ...probes(c.fx)]));
    check(await nsbox(c, ['unshare', '--map-auto', '-r', '-S', '1', '-G', '1', c.fx.probe, ...probes(c.fx)]));
  });
  it('through --bind and --ro-bind into a rootfs', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await nsbox(c, [
      'run', '--rootfs', c.fx.rootfs,
      '--bind', c.fx.secretDir, '/rw', '--ro-bind', c.fx.secretDir, '/ro', '--bind', c.fx.secretFile, '/secret',
      '--', '/bin/probe', 'openr:/secret', 'openw:/secret', 'opendir:/rw', 'openr:/rw/inside', 'creat:/rw/new', 'opendir:/ro', 'openr:/ro/inside',
    ]);
    assert.equal(r.code, 0, describeResult(r));
    for (const [k, vs] of answers(r.stdout)) for (const v of vs) assert.notEqual(v, 'OK', `${k} succeeded:\n${describeResult(r)}`);
    assert.ok(!fs.existsSync(join(c.fx.secretDir, 'new')));
  });
  it('through a profile bind (nsbox run NAME) and the library', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await libAsUser(c, 'files', `
      const ch = lib.spawn(PROBE, ${JSON.stringify(probes(c.fx))}, { user: true, mapRootUser: true, mount: true, stdio: 'inherit',
        binds: [{ mode: 'rw', src: ${JSON.stringify(c.fx.secretDir)}, dst: ${JSON.stringify(c.fx.secretDir)} }] });
      await waitExit(ch);`);
    check(r);
  });
  it('through /proc/<pid>/root of a root process', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await nsbox(c, ['unshare', '-r', c.fx.probe, `openr:/proc/${c.fx.rootPid}/root/etc/shadow`, `opendir:/proc/${c.fx.rootPid}/root/`, `openr:/proc/${c.fx.rootPid}/environ`]);
    check(r);
  });
});

describe('escape: no file descriptor beyond 0-2 (and those passed on purpose) reaches the program', { concurrency: true }, () => {
  // The caller holds fds 7 and 9 open without close-on-exec, as a shell's redirections do.
  const wrap = (cmd: string): string => `exec 7</etc/hostname 9>/dev/null; ${cmd}`;
  const cases: [string, (c: Ctx) => string][] = [
    ['nsbox unshare -r', () => '$NSBOX unshare -r $PROBE fds'],
    ['nsbox unshare -r --fork --pid', () => '$NSBOX unshare -r --fork --pid $PROBE fds'],
    ['nsbox run NAME', () => '$NSBOX run all $PROBE fds'],
    ['nsbox run --rootfs', (c) => `$NSBOX run --rootfs ${c.fx.rootfs} -- /bin/probe fds`],
    [
      'nsbox nsenter',
      () => `$NSBOX unshare -r -m $PROBE wait:$D/fd-go-$$ &
        for i in $(seq 100); do T=$(pgrep -u $(id -u) -f "^$PROBE wait:$D/fd-go-$$") && break; sleep 0.1; done
        $NSBOX nsenter -t $T -U -m --preserve-credentials $PROBE fds; touch $D/fd-go-$$; wait`,
    ],
    // The helper itself, started directly: fd 3 is its report fd, 7 and 9 the caller's.
    ['the helper (unshare mode)', (c) => `exec 3>/dev/null; ${c.helper} NSBOX1 report=3 keepfds=4 propagation=private ns=user -- $PROBE probe fds`],
  ];
  for (const [name, script] of cases) {
    it(name, async (t) => {
      const c = ctx(t);
      if (!c) return;
      const r = await userSh(c, wrap(script(c)));
      assert.equal(r.code, 0, describeResult(r));
      assert.equal(answer(r.stdout, 'fds'), '0,1,2', describeResult(r));
    });
  }
  it('library: spawn() passes stdio[3] (asked for) and nothing else', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r2 = await userLib(c, 'fds-lib', `
      const fs = await import('node:fs');
      const extra = fs.openSync('/etc/hostname', 'r');
      let ch = lib.spawn(PROBE, ['fds'], { user: true, mapRootUser: true, stdio: ['ignore', 'inherit', 'inherit', extra] });
      await waitExit(ch);
      ch = lib.spawn(PROBE, ['fds'], { user: true, mapRootUser: true, pid: true, stdio: 'inherit' });
      await waitExit(ch);`, (script) => userSh(c, wrap(`${process.execPath} ${script}`)));
    assert.equal(r2.code, 0, describeResult(r2));
    assert.deepEqual(answers(r2.stdout).get('fds'), ['0,1,2,3', '0,1,2'], describeResult(r2));
  });
});

describe('escape: TIOCSTI into the caller\'s terminal (CVE-2017-5226)', { concurrency: true }, () => {
  /**
   * Under a new pty (the caller's terminal): the sandboxed probe tries to push "INJECTED\n"
   * into it, then, outside, the probe reads what the terminal holds.
   */
  const underPty = (c: Ctx, cmd: string): Promise<RunResult> =>
    runCommand([PYTHON, c.fx.ptyRunner, '/bin/sh', '-c', `${cmd}; $PROBE ttyread`], {
      asUser: true,
      timeout: 40_000,
      env: { NSBOX_HELPER: c.helper, NSBOX: `${process.execPath} ${c.cli}`, PROBE: c.fx.probe, D: c.fx.work, NSBOX_PROFILE_DIR: c.fx.profiles },
    });
  const inject = 'tiocsti:0:INJECTED~ tiocsctty:0 openr:/dev/tty';
  const injected = (r: RunResult): void => {
    assert.equal(answer(r.stdout, 'tiocsti'), 'OK', describeResult(r));
    assert.equal(answer(r.stdout, 'ttyread'), '[INJECTED]', describeResult(r));
  };
  const blocked = (r: RunResult): void => {
    assert.equal(answer(r.stdout, 'tiocsti'), 'EPERM', describeResult(r));
    // Nor can it make the terminal its controlling one again, or reach it as /dev/tty.
    assert.equal(answer(r.stdout, 'tiocsctty'), 'EPERM', describeResult(r));
    assert.equal(answer(r.stdout, 'openr'), 'ENXIO', describeResult(r));
    assert.equal(answer(r.stdout, 'ttyread'), '[]', describeResult(r));
  };
  const pythonOk = (t: Parameters<typeof requireTestUser>[0]): boolean => requireCapability(t, fs.existsSync(PYTHON), `needs ${PYTHON}`);

  it('the check works: nsbox unshare keeps util-linux behaviour, and the injection succeeds', async (t) => {
    const c = ctx(t);
    if (!c || !pythonOk(t)) return;
    injected(await underPty(c, `$NSBOX unshare -r $PROBE ${inject}`));
  });
  it('nsbox run --rootfs (new session by default): refused; --no-new-session: possible', async (t) => {
    const c = ctx(t);
    if (!c || !pythonOk(t)) return;
    blocked(await underPty(c, `$NSBOX run --rootfs ${c.fx.rootfs} -- /bin/probe ${inject}`));
    injected(await underPty(c, `$NSBOX run --no-new-session --rootfs ${c.fx.rootfs} -- /bin/probe ${inject}`));
  });
  it('nsbox run NAME (with and without an init): refused', async (t) => {
    const c = ctx(t);
    if (!c || !pythonOk(t)) return;
    blocked(await underPty(c, `$NSBOX run all $PROBE ${inject}`));
    blocked(await underPty(c, `$NSBOX run useronly $PROBE ${inject}`));
    injected(await underPty(c, `$NSBOX run --no-new-session useronly $PROBE ${inject}`));
  });
  it('library spawn() and enter() (newSession by default): refused; newSession: false: possible', async (t) => {
    const c = ctx(t);
    if (!c || !pythonOk(t)) return;
    const lib = (name: string, body: string): Promise<RunResult> =>
      userLib(c, name, body, (script) => underPty(c, `${process.execPath} ${script}`));
    const args = JSON.stringify(inject.split(' '));
    blocked(await lib('tty-spawn', `await waitExit(lib.spawn(PROBE, ${args}, { user: true, mapRootUser: true, stdio: 'inherit' }));`));
    blocked(await lib('tty-spawn-fork', `await waitExit(lib.spawn(PROBE, ${args}, { user: true, mapRootUser: true, fork: true, stdio: 'inherit' }));`));
    injected(await lib('tty-spawn-off', `await waitExit(lib.spawn(PROBE, ${args}, { user: true, mapRootUser: true, newSession: false, stdio: 'inherit' }));`));
    blocked(
      await lib('tty-enter', `
        const box = lib.spawn('sleep', ['30'], { user: true, mapRootUser: true, mount: true, stdio: 'ignore' });
        const { pid } = await box.ready;
        await waitExit(lib.enter({ target: pid, user: true, mount: true }, PROBE, ${args}, { stdio: 'inherit', preserveCredentials: true }));
        box.kill('SIGKILL');`),
    );
  });
});

describe('escape: the helper refuses to run setuid or with file capabilities', { concurrency: false }, () => {
  const variants: [string, (copy: string) => void][] = [
    ['setuid root', (p) => {
      fs.chownSync(p, 0, 0);
      fs.chmodSync(p, 0o4755);
    }],
    ['setgid root', (p) => {
      fs.chownSync(p, 0, 0);
      fs.chmodSync(p, 0o2755);
    }],
    ['cap_sys_admin+ep', (p) => {
      const r = spawnSync('setcap', ['cap_sys_admin+ep', p], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`setcap: ${r.stderr || r.error?.message} (Debian package libcap2-bin)`);
    }],
  ];
  for (const [name, elevate] of variants) {
    it(name, async (t) => {
      const c = ctx(t);
      if (!c) return;
      if (!requireCapability(t, IS_ROOT, 'needs root to make a setuid or setcap copy')) return;
      const copy = join(c.fx.dir, `helper-${name.replace(/\W+/g, '-')}`);
      fs.copyFileSync(c.helper, copy);
      fs.chmodSync(copy, 0o755);
      elevate(copy);
      // Through the CLI: one message, exit 1, nothing run.
      const r = await nsbox(c, ['unshare', '-r', c.fx.probe, 'creat:/tmp/nsbox-escape-elevated'], { NSBOX_HELPER: copy });
      assert.equal(r.code, 1, describeResult(r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^nsbox unshare: the helper is setuid, setgid or has file capabilities: refusing to run/, describeResult(r));
      assert.equal(r.stderr.trim().split('\n').length, 1, describeResult(r));
      // Started by hand (no report fd): one line on stderr.
      const direct = await runCommand([copy, 'NSBOX1', 'ns=user', '--', 'true', 'true'], { asUser: true });
      assert.equal(direct.code, 1);
      assert.match(direct.stderr, /^nsbox-helper: refusing to run setuid, setgid or with file capabilities/);
      // The library: a NamespaceError naming the cause.
      const lib = await libAsUser(c, `elevated-${name.replace(/\W+/g, '-')}`, `
        try { await lib.run('true', [], { user: true }); console.log('ran'); }
        catch (e) { console.log(JSON.stringify({ name: e.name, step: e.step })); }`, copy);
      assert.match(lib.stdout, /"name":"NamespaceError","step":"privileged"/, describeResult(lib));
      // Root runs it as itself (no AT_SECURE): the copy still works for root.
      const asRoot = await runCommand([process.execPath, join(REPO_ROOT, 'dist', 'nsbox.cjs'), 'unshare', '-u', 'true'], { env: { NSBOX_HELPER: copy } });
      assert.equal(asRoot.code, 0, describeResult(asRoot));
      fs.rmSync(copy);
    });
  }
  after(() => fs.rmSync('/tmp/nsbox-escape-elevated', { force: true }));
});

describe('escape: the helper\'s /proc/<pid>/exe, fds and memory are out of reach from inside', { concurrency: true }, () => {
  it('the forking helper of nsbox unshare --fork (no pid namespace: the program sees it)', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await nsbox(c, ['unshare', '-r', '--fork', c.fx.probe, 'parentexe', 'parentmem', 'parentfds', 'parentptrace', 'openr:/proc/self/mem']);
    assert.equal(r.code, 0, describeResult(r));
    parentUnreachable(r);
    // The control: the probe can open a dumpable process's memory in its own namespace.
    assert.equal(answer(r.stdout, 'openr'), 'OK', describeResult(r));
  });
  it('the init (pid 1) of nsbox run --rootfs and nsbox run NAME, seen from the program (pid 2)', async (t) => {
    const c = ctx(t);
    if (!c) return;
    for (const r of [
      await nsbox(c, ['run', '--rootfs', c.fx.rootfs, '--', '/bin/probe', 'ppid', 'parentexe', 'parentmem', 'parentfds', 'parentptrace', 'openr:/proc/self/mem']),
      await nsbox(c, ['run', '--profile-dir', c.fx.profiles, 'all', c.fx.probe, 'ppid', 'parentexe', 'parentmem', 'parentfds', 'parentptrace', 'openr:/proc/self/mem']),
    ]) {
      assert.equal(r.code, 0, describeResult(r));
      assert.equal(answer(r.stdout, 'ppid'), '1', describeResult(r));
      parentUnreachable(r);
      assert.equal(answer(r.stdout, 'openr'), 'OK', describeResult(r));
    }
  });
  it('the library\'s forking helper (spawn({ fork: true }))', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await libAsUser(c, 'exe-fork', `
      await waitExit(lib.spawn(PROBE, ['parentexe', 'parentmem', 'parentptrace'], { user: true, mapRootUser: true, fork: true, stdio: 'inherit' }));`);
    parentUnreachable(r, { fds: false });
  });
  it('nsbox nsenter\'s helper (the parent that stays for a pid namespace), seen from a process in the joined user namespace', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await userSh(c, `
      $NSBOX unshare -r -m -p --fork --mount-proc $PROBE wait:$D/exe-go-$$ &
      for i in $(seq 100); do T=$(pgrep -u $(id -u) -f "^$PROBE wait:$D/exe-go-$$") && break; sleep 0.1; done
      # A second program joined into the sandbox's pid namespace: its helper stays outside as the parent.
      $NSBOX nsenter -t $T -U -m -p --preserve-credentials $PROBE wait:$D/exe-go2-$$ &
      for i in $(seq 100); do P=$(pgrep -o -u $(id -u) -f "NSBOX1-ENTER .*wait:$D/exe-go2-$$") && break; sleep 0.1; done
      echo "helper=$P"
      # A third process in the same user namespace (and the host's pid namespace, so it can name P).
      $NSBOX nsenter -t $T -U --preserve-credentials $PROBE openw:/proc/$P/exe openr:/proc/$P/mem opendir:/proc/$P/fd ptrace:$P status:CapEff
      touch $D/exe-go-$$ $D/exe-go2-$$; wait`);
    assert.equal(r.code, 0, describeResult(r));
    assert.match(answer(r.stdout, 'helper'), /^\d+$/, describeResult(r));
    refused(r, 'openw', 'EACCES');
    refused(r, 'openr', 'EACCES');
    refused(r, 'opendir', 'EACCES');
    refused(r, 'ptrace', 'EPERM');
  });
});

describe('escape: symbolic links on persistence and bind targets', { concurrency: true }, () => {
  it('a rootfs with tmp -> /etc is refused; mnt -> ../../../../etc and opt -> /etc resolve inside the rootfs', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const base = join(c.fx.dir, `links-${process.pid}`);
    fs.mkdirSync(base, { mode: 0o755 });
    const rootfs = join(base, 'rootfs');
    fs.cpSync(c.fx.rootfs, rootfs, { recursive: true, verbatimSymlinks: true });
    fs.symlinkSync('../../../../../../etc', join(rootfs, 'mnt'));
    fs.symlinkSync('/etc', join(rootfs, 'opt'));
    fs.symlinkSync('/nonexistent/dir', join(rootfs, 'dangling'));
    spawnSync('chown', ['-R', `${c.user.uid}:${c.user.gid}`, base]);
    const src = join(base, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(join(src, 'f'), 'bound\n');
    fs.chmodSync(src, 0o755);
    const hostEtc = fs.readdirSync('/etc').sort();
    const mountsBefore = mountinfo().filter((m) => m.mountpoint.startsWith('/etc')).length;

    const r = await nsbox(c, [
      'run', '--rootfs', rootfs,
      '--bind', src, '/mnt/nsbox-escape-bind', '--ro-bind', join(src, 'f'), '/opt/nsbox-escape-file', '--tmpfs', '/opt/nsbox-escape-tmpfs',
      '--', '/bin/sh', '-c', 'cat /etc/nsbox-escape-bind/f /etc/nsbox-escape-file; ls -d /etc/nsbox-escape-tmpfs',
    ]);
    assert.equal(r.code, 0, describeResult(r));
    assert.equal(r.stdout, 'bound\nbound\n/etc/nsbox-escape-tmpfs\n');
    // The mount points were made in the rootfs's /etc; the host's is as it was.
    assert.ok(fs.existsSync(join(rootfs, 'etc', 'nsbox-escape-bind')));
    assert.deepEqual(fs.readdirSync('/etc').sort(), hostEtc);
    assert.equal(mountinfo().filter((m) => m.mountpoint.startsWith('/etc')).length, mountsBefore);

    const dangling = await nsbox(c, ['run', '--rootfs', rootfs, '--bind', src, '/dangling/x', '--', '/bin/true']);
    assert.equal(dangling.code, 1, describeResult(dangling));
    assert.match(dangling.stderr, /cannot create \/dangling\/x in the new root: a symbolic link on its path leads to a missing file/);
    assert.ok(!fs.existsSync('/nonexistent'));

    fs.rmSync(join(rootfs, 'tmp'), { recursive: true });
    fs.symlinkSync('/etc', join(rootfs, 'tmp'));
    const tmp = await nsbox(c, ['run', '--rootfs', rootfs, '--', '/bin/true']);
    assert.equal(tmp.code, 1, describeResult(tmp));
    assert.equal(tmp.stderr, 'nsbox run: /tmp in the new root is a symbolic link: refusing to mount on it\n');
    assert.deepEqual(fs.readdirSync('/etc').sort(), hostEtc);
  });

  it('a bind destination created on the real file system never goes through a link to where the caller cannot write', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const base = join(c.fx.dir, `bindlinks-${process.pid}`);
    fs.mkdirSync(base, { mode: 0o755 });
    const rootOnly = join(base, 'root-only');
    fs.mkdirSync(rootOnly, { mode: 0o755 });
    const mine = join(base, 'mine');
    fs.mkdirSync(mine, { mode: 0o755 });
    fs.symlinkSync(rootOnly, join(mine, 'link'));
    spawnSync('chown', ['-h', '-R', `${c.user.uid}:${c.user.gid}`, mine]);
    const r = await libAsUser(c, 'bindlink', `
      try { await lib.run('true', [], { user: true, mapRootUser: true, mount: true, binds: [{ mode: 'ro', src: '/etc', dst: ${JSON.stringify(join(mine, 'link', 'x', 'y'))} }] }); console.log('ran'); }
      catch (e) { console.log(JSON.stringify({ step: e.step, code: e.code })); }`);
    assert.match(r.stdout, /"step":"bind-dest","code":"EACCES"/, describeResult(r));
    assert.deepEqual(fs.readdirSync(rootOnly), []);
  });

  it('as root: a link another user planted in a sticky world-writable directory is not followed (bind destination, persistence target)', async (t) => {
    const c = ctx(t);
    if (!c) return;
    if (!requireCapability(t, IS_ROOT, 'needs root')) return;
    const base = join(c.fx.dir, `planted-${process.pid}`);
    fs.mkdirSync(base, { mode: 0o755 });
    const shared = join(base, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const victim = join(base, 'victim');
    fs.mkdirSync(victim, { mode: 0o700 });
    fs.writeFileSync(join(victim, 'file'), 'x');
    fs.symlinkSync(victim, join(shared, 'dir'));
    fs.symlinkSync(join(victim, 'file'), join(shared, 'file'));
    spawnSync('chown', ['-h', `${c.user.uid}:${c.user.gid}`, join(shared, 'dir'), join(shared, 'file')]);
    const { run } = (await import(pathToFileURL(join(REPO_ROOT, 'dist', 'index.js')).href)) as typeof import('../index.js');
    await assert.rejects(run('true', [], { mount: true, binds: [{ mode: 'ro', src: '/etc', dst: join(shared, 'dir', 'new', 'x') }] }), (e: Error & { step?: string; code?: string }) => {
      assert.equal(e.step, 'bind-dest');
      assert.equal(e.code, 'EACCES');
      return true;
    });
    assert.deepEqual(fs.readdirSync(victim), ['file']);
    // Persistence: util-linux would mount the namespace over the link's target.
    const p = await runCommand([process.execPath, join(REPO_ROOT, 'dist', 'nsbox.cjs'), 'unshare', `--uts=${join(shared, 'file')}`, 'true']);
    assert.equal(p.code, 1, describeResult(p));
    assert.match(p.stderr, /mount .* failed: Permission denied/);
    assert.ok(!mountinfo().some((m) => m.mountpoint.startsWith(victim)));
  });

  it('an ordinary user\'s persistence target through a link to a root file: refused, nothing mounted', async (t) => {
    const c = ctx(t);
    if (!c) return;
    const r = await userSh(c, `ln -s /etc/hostname $D/uts-link-$$ 2>/dev/null || true; $NSBOX unshare -r --uts=$D/uts-link-$$ true; echo status=$?; rm -f $D/uts-link-$$`);
    assert.equal(answer(r.stdout, 'status'), '1', describeResult(r));
    assert.ok(!mountinfo().some((m) => m.mountpoint === '/etc/hostname' && m.fstype === 'nsfs'));
  });
});

