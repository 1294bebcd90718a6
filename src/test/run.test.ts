/**
 * `nsbox run NAME`: real runs of profiles, as root and as the unprivileged nsboxtest. Profiles
 * are written as the store's JSON files (`<dir>/<name>.json`), so these tests only depend on
 * the file format and the CLI.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  type LeakScope,
  type RunOptions,
  type RunResult,
  type SkipContext,
  READLINK_NS,
  NSBOX_CLI,
  alive,
  describeResult,
  nsExpect,
  nsSameOrNew,
  processesWithToken,
  requireRoot,
  requireTestUser,
  runCommand,
  runNsboxCommand,
  shellStatus,
  startNsboxCommand,
  useFileLeakCheck,
  waitFor,
  withScope,
} from './harness.js';

useFileLeakCheck();

interface ProfileJson {
  unshare?: string[];
  env?: Record<string, string>;
  binds?: { mode: 'ro' | 'rw' | 'dev'; src: string; dst: string }[];
  hostname?: string;
  cwd?: string;
  command?: string[];
  time?: { monotonic?: number; boottime?: number };
}

/** Write profile `name` into a fresh profile directory of the scope; returns the directory. */
function writeProfile(scope: LeakScope, name: string, p: ProfileJson, dir = scope.tmpdir()): string {
  const profile = { version: 1, unshare: [...(p.unshare ?? [])].sort(), env: p.env ?? {}, binds: p.binds ?? [], ...rest(p) };
  fs.writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o644 });
  return dir;
}

function rest(p: ProfileJson): Omit<ProfileJson, 'unshare' | 'env' | 'binds'> {
  const { unshare: _u, env: _e, binds: _b, ...others } = p;
  return others;
}

type As = 'root' | 'user';
const AS: As[] = ['root', 'user'];

function ready(t: SkipContext, as: As): boolean {
  if (!requireRoot(t)) return false;
  return as === 'root' || requireTestUser(t) !== undefined;
}

function runProfile(scope: LeakScope, as: As, dir: string, name: string, program: string[], o: RunOptions = {}): Promise<RunResult> {
  return runNsboxCommand('run', ['--profile-dir', dir, name, ...program], { scope, asUser: as === 'user', ...o });
}

function ok(r: RunResult): void {
  assert.equal(r.code, 0, describeResult(r));
}

// The /proc/self/ns entries each profile option makes new (as root; `user` added otherwise).
const NEW_ENTRIES: Record<string, string[]> = {
  user: ['user'],
  ipc: ['ipc'],
  pid: ['pid', 'pid_for_children', 'mnt'], // a fresh /proc needs a mount namespace
  net: ['net'],
  uts: ['uts'],
  cgroup: ['cgroup'],
  mount: ['mnt'],
  time: ['time', 'time_for_children'],
};

describe('nsbox run: each namespace option is unshared, and not after del', () => {
  for (const as of AS) {
    for (const opt of Object.keys(NEW_ENTRIES)) {
      it(`[${as}] ${opt}`, async (t) => {
        if (!ready(t, as)) return;
        await withScope(async (scope) => {
          const dir = writeProfile(scope, 'p', { unshare: [opt] });
          const r = await runProfile(scope, as, dir, 'p', READLINK_NS);
          ok(r);
          const expected = [...NEW_ENTRIES[opt]!, ...(as === 'user' ? ['user'] : [])];
          assert.equal(nsSameOrNew(r.stdout), nsExpect(...expected), describeResult(r));
          // `nsbox profile p unshare del OPT`: the profile is left with nothing to unshare.
          writeProfile(scope, 'p', { unshare: [] }, dir);
          const r2 = await runProfile(scope, as, dir, 'p', READLINK_NS);
          ok(r2);
          assert.equal(nsSameOrNew(r2.stdout), nsExpect(), describeResult(r2));
        });
      });
    }
    it(`[${as}] all eight at once`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = writeProfile(scope, 'p', { unshare: Object.keys(NEW_ENTRIES) });
        const r = await runProfile(scope, as, dir, 'p', READLINK_NS);
        ok(r);
        assert.equal(nsSameOrNew(r.stdout), nsExpect('cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts'));
        assert.equal(r.stderr, '');
      });
    });
  }
});

describe('nsbox run: pid namespace with a minimal init', () => {
  for (const as of AS) {
    it(`[${as}] the program is pid 2 under init, with a fresh /proc`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = writeProfile(scope, 'p', { unshare: ['pid'] });
        const r = await runProfile(scope, as, dir, 'p', ['sh', '-c', 'echo $$; cat /proc/1/comm; ls /proc | grep -c "^[0-9]"']);
        ok(r);
        // sh (2), its ls (3 or 4) and grep, plus init: a fresh /proc shows only these.
        const [pid, comm, count] = r.stdout.trim().split('\n');
        assert.equal(pid, '2');
        assert.equal(comm, 'nsbox-helper');
        assert.ok(Number(count) <= 4, describeResult(r));
      });
    });

    it(`[${as}] orphans are reaped (no zombie)`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = writeProfile(scope, 'p', { unshare: ['pid'] });
        // The subshell exits at once: its sleep is reparented to pid 1, which must reap it.
        const script = '(sleep 0.1 &); sleep 0.8; for f in /proc/[0-9]*/stat; do read -r l < $f && case "$l" in *") Z "*) echo "zombie: $l";; esac; done; echo checked';
        const r = await runProfile(scope, as, dir, 'p', ['sh', '-c', script]);
        ok(r);
        assert.equal(r.stdout, 'checked\n');
      });
    });

    it(`[${as}] SIGTERM to nsbox reaches the program (init is pid 1)`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = writeProfile(scope, 'p', { unshare: ['pid'] });
        const running = startNsboxCommand('run', ['--profile-dir', dir, 'p', 'sh', '-c', 'trap "echo got-TERM; exit 5" TERM; echo ready; while :; do sleep 0.05; done'], { scope, asUser: as === 'user' });
        let out = '';
        running.child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
        await waitFor(() => out.includes('ready'), 10_000, 'the program to start');
        running.kill('SIGTERM');
        const r = await running.result;
        assert.equal(r.code, 5, describeResult(r));
        assert.match(r.stdout, /got-TERM/);
      });
    });
  }
});

describe('nsbox run: exit status as bubblewrap', () => {
  for (const as of AS) {
    for (const unshare of [['pid'], ['ipc']]) {
      it(`[${as}] ${unshare.join(',')}: exit code, and 128+n for a signal`, async (t) => {
        if (!ready(t, as)) return;
        await withScope(async (scope) => {
          const dir = writeProfile(scope, 'p', { unshare });
          const r = await runProfile(scope, as, dir, 'p', ['sh', '-c', 'exit 7']);
          assert.equal(r.code, 7, describeResult(r));
          const k = await runProfile(scope, as, dir, 'p', ['sh', '-c', 'kill -USR1 $$']);
          assert.equal(k.signal, 'SIGUSR1', describeResult(k));
          assert.equal(shellStatus(k), 138);
          const missing = await runProfile(scope, as, dir, 'p', ['/nonexistent/prog']);
          assert.equal(missing.code, 127, describeResult(missing));
          assert.match(missing.stderr, /^nsbox run: failed to execute \/nonexistent\/prog: No such file or directory\n$/);
        });
      });
    }
  }
});

describe('nsbox run: net, uts, time', () => {
  for (const as of AS) {
    it(`[${as}] net: lo is up and a TCP connection to 127.0.0.1 works inside`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = writeProfile(scope, 'p', { unshare: ['net'] });
        const js =
          "const net=require('net');const s=net.createServer(c=>{c.end('pong')});" +
          "s.listen(0,'127.0.0.1',()=>{net.connect(s.address().port,'127.0.0.1').on('data',d=>{console.log(String(d));s.close();process.exit(0)})})";
        // /proc/net follows the reader's network namespace (/sys would need a remount).
        const script = `tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ip -o link show lo | grep -o '<[^>]*>'; "${process.execPath}" -e "${js}"`;
        const r = await runProfile(scope, as, dir, 'p', ['sh', '-c', script]);
        ok(r);
        const [ifaces, flags, pong] = r.stdout.trim().split('\n');
        assert.equal(ifaces, 'lo', describeResult(r));
        assert.match(flags!, /[<,]UP[,>]/);
        assert.equal(pong, 'pong');
      });
    });

    it(`[${as}] uts: the profile's hostname, the host's untouched`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const host = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8');
        const dir = writeProfile(scope, 'p', { unshare: ['uts'], hostname: 'nsbox-box' });
        const r = await runProfile(scope, as, dir, 'p', ['cat', '/proc/sys/kernel/hostname']);
        ok(r);
        assert.equal(r.stdout, 'nsbox-box\n');
        assert.equal(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8'), host);
        // Without uts the hostname is not applied (and the run does not fail).
        writeProfile(scope, 'p', { unshare: [], hostname: 'nsbox-box' }, dir);
        const r2 = await runProfile(scope, as, dir, 'p', ['cat', '/proc/sys/kernel/hostname']);
        ok(r2);
        assert.equal(r2.stdout, host);
      });
    });

    it(`[${as}] time: boottime and monotonic offsets`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = writeProfile(scope, 'p', { unshare: ['time'], time: { boottime: 86400 * 3 } });
        const r = await runProfile(scope, as, dir, 'p', ['cat', '/proc/uptime']);
        ok(r);
        const inside = Number(r.stdout.split(' ')[0]);
        const outside = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
        assert.ok(inside - outside > 86400 * 3 - 60 && inside - outside < 86400 * 3 + 60, `${inside} vs ${outside}`);
      });
    });
  }
});

describe('nsbox run: binds, env, cwd, command', () => {
  for (const as of AS) {
    it(`[${as}] ro: readable, writes refused; $VAR expanded in both paths`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const src = scope.tmpdir();
        fs.writeFileSync(join(src, 'f'), 'data\n');
        // Writable by anyone: only the read-only bind may refuse the write.
        fs.chmodSync(join(src, 'f'), 0o666);
        const dst = scope.tmpdir({ writableByUser: true });
        const dir = writeProfile(scope, 'p', { unshare: ['ipc'], binds: [{ mode: 'ro', src: '$SRC', dst: '${DST}/in/ro' }] });
        const r = await runProfile(scope, as, dir, 'p', ['sh', '-c', 'cat "$DST/in/ro/f"; touch "$DST/in/ro/f" 2>&1; echo "status=$?"'], { env: { SRC: src, DST: dst } });
        ok(r);
        assert.match(r.stdout, /^data\n.*Read-only file system\nstatus=1\n$/s, describeResult(r));
        // The bind was in the sandbox's mount namespace only; the created destination is not a mount here.
        assert.deepEqual(fs.readdirSync(join(dst, 'in', 'ro')), []);
      });
    });

    it(`[${as}] rw: writes reach the source; devices refused (nodev); dev: devices usable`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const src = scope.tmpdir({ writableByUser: true });
        const dst = scope.tmpdir({ writableByUser: true });
        const dir = writeProfile(scope, 'p', {
          unshare: ['mount'],
          binds: [
            { mode: 'rw', src, dst: join(dst, 'rw') },
            { mode: 'rw', src: '/dev/null', dst: join(dst, 'null-rw') },
            { mode: 'dev', src: '/dev/null', dst: join(dst, 'null-dev') },
          ],
        });
        const script = `echo hello > ${dst}/rw/new && echo wrote; echo x 2>/dev/null > ${dst}/null-rw || echo nodev-refused; echo x > ${dst}/null-dev && echo dev-ok`;
        const r = await runProfile(scope, as, dir, 'p', ['sh', '-c', script]);
        ok(r);
        assert.equal(r.stdout, 'wrote\nnodev-refused\ndev-ok\n');
        assert.equal(fs.readFileSync(join(src, 'new'), 'utf8'), 'hello\n');
        // Destinations made for file sources are files.
        assert.ok(fs.statSync(join(dst, 'null-dev')).isFile());
      });
    });

    it(`[${as}] env: the caller's plus the profile's, $VAR and \${VAR} expanded`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = writeProfile(scope, 'p', { unshare: ['uts'], env: { GREETING: 'hi-$WHO-${WHO}x', LIT: 'a$ $1', EMPTY: '$UNSET_VAR_XYZ' } });
        const r = await runProfile(scope, as, dir, 'p', ['sh', '-c', 'echo "$GREETING|$LIT|$EMPTY|$WHO"'], { env: { WHO: 'bob' } });
        ok(r);
        assert.equal(r.stdout, 'hi-bob-bobx|a$ $1||bob\n');
      });
    });

    it(`[${as}] cwd (expanded, inside a bind) and the default command`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const src = scope.tmpdir();
        const dst = scope.tmpdir({ writableByUser: true });
        fs.writeFileSync(join(src, 'marker'), '');
        const dir = writeProfile(scope, 'p', {
          unshare: ['ipc'],
          binds: [{ mode: 'ro', src, dst: join(dst, 'b') }],
          cwd: '$D/b',
          command: ['sh', '-c', 'pwd; ls'],
        });
        const r = await runProfile(scope, as, dir, 'p', [], { env: { D: dst } });
        ok(r);
        assert.equal(r.stdout, `${join(dst, 'b')}\nmarker\n`);
        // `--` before the program is accepted.
        const r2 = await runProfile(scope, as, dir, 'p', ['--', 'echo', 'given'], { env: { D: dst } });
        ok(r2);
        assert.equal(r2.stdout, 'given\n');
      });
    });
  }
});

describe('nsbox run: errors', () => {
  it('a missing profile is named; no command says how to set one; -h', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = writeProfile(scope, 'p', { unshare: ['ipc'] });
      const missing = await runProfile(scope, 'root', dir, 'nope', ['true']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^nsbox run: profile 'nope' does not exist/);
      const none = await runProfile(scope, 'root', dir, 'p', []);
      assert.equal(none.code, 1);
      assert.equal(none.stderr, "nsbox run: profile 'p' has no command and no program was given (set one with: nsbox profile p command set PROGRAM [ARGS...])\n");
      const noName = await runNsboxCommand('run', [], { scope });
      assert.equal(noName.code, 1);
      assert.match(noName.stderr, /^nsbox run: no profile name given\nTry 'nsbox run --help'/);
      const bad = await runNsboxCommand('run', ['--bogus', 'p'], { scope });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /unrecognized option '--bogus'/);
      const help = await runNsboxCommand('run', ['-h'], { scope });
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage:\n nsbox run \[--profile-dir DIR\] NAME/);
      // NSBOX_PROFILE_DIR is the default directory.
      const env = await runNsboxCommand('run', ['p', 'echo', 'ok'], { scope, env: { NSBOX_PROFILE_DIR: dir } });
      assert.equal(env.stdout, 'ok\n', describeResult(env));
    });
  });
});

describe('nsbox run: try options (user, cgroup)', () => {
  /** Run nsbox inside `unshare -r` with a per-user-namespace limit set to 0 (the kernel then refuses). */
  function underLimit(scope: LeakScope, limit: string, dir: string, program: string): Promise<RunResult> {
    const script = `echo 0 > /proc/sys/user/${limit} && readlink /proc/self/ns/cgroup /proc/self/ns/user && exec "${process.execPath}" "${NSBOX_CLI}" run --profile-dir "${dir}" p ${program}`;
    return runCommand(['/usr/bin/unshare', '-r', 'sh', '-c', script], { scope });
  }

  it('cgroup refused (max_cgroup_namespaces=0): left out, said once, the rest applies', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = writeProfile(scope, 'p', { unshare: ['cgroup', 'ipc'] });
      const r = await underLimit(scope, 'max_cgroup_namespaces', dir, 'sh -c "readlink /proc/self/ns/cgroup; readlink /proc/self/ns/ipc"');
      ok(r);
      assert.equal(r.stderr, 'nsbox run: cgroup namespace refused by the kernel (No space left on device), running without it\n');
      const [cgroupOut, , cgroupIn, ipcIn] = r.stdout.trim().split('\n');
      assert.equal(cgroupIn, cgroupOut);
      assert.notEqual(ipcIn, fs.readlinkSync('/proc/self/ns/ipc'));
    });
  });

  it('user refused (max_user_namespaces=0) as root: left out, said once', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = writeProfile(scope, 'p', { unshare: ['user', 'uts'], hostname: 'tried' });
      const r = await underLimit(scope, 'max_user_namespaces', dir, 'sh -c "readlink /proc/self/ns/user; hostname; id -u"');
      ok(r);
      assert.equal(r.stderr, 'nsbox run: user namespace refused by the kernel (No space left on device), running without it\n');
      const [, userOut, userIn, host, uid] = r.stdout.trim().split('\n');
      assert.equal(userIn, userOut);
      assert.equal(host, 'tried');
      assert.equal(uid, '0');
    });
  });

  it('a refused namespace that is not a try option fails the run before the program starts', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = writeProfile(scope, 'p', { unshare: ['ipc', 'cgroup'] });
      const r = await underLimit(scope, 'max_ipc_namespaces', dir, 'echo started');
      assert.equal(r.code, 1, describeResult(r));
      assert.equal(r.stderr, 'nsbox run: unshare failed: No space left on device\n');
      assert.doesNotMatch(r.stdout, /started/);
    });
  });
});

describe('nsbox run: the sandbox dies with nsbox', () => {
  for (const as of AS) {
    for (const unshare of [['pid'], ['uts']]) {
      it(`[${as}] ${unshare.join(',')}: SIGKILL to the CLI kills the program`, async (t) => {
        if (!ready(t, as)) return;
        await withScope(async (scope) => {
          const dir = writeProfile(scope, 'p', { unshare });
          const running = startNsboxCommand('run', ['--profile-dir', dir, 'p', 'sh', '-c', 'echo ready; exec sleep 30'], { scope, asUser: as === 'user' });
          let out = '';
          running.child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
          await waitFor(() => out.includes('ready'), 10_000, 'the program to start');
          const sleeper = await waitFor(() => processesWithToken(scope.token).find((p) => p.comm === 'sleep'), 10_000, 'sleep');
          running.kill('SIGKILL');
          await running.exited;
          await waitFor(() => !alive(sleeper.pid), 5_000, 'the program to die');
        });
      });
    }
  }
});
