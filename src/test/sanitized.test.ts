/**
 * Real sandboxes through the helper built with AddressSanitizer and UndefinedBehaviorSanitizer
 * (scripts/build-sanitized.mjs → build/sanitized/nsbox-helper, selected with $NSBOX_HELPER):
 * unshare of every kind, id maps (root, and rootless through newuidmap), persistence, errors,
 * nsenter, lsns (nsinfo mode), `nsbox run` with a profile and a rootfs container. Each must
 * succeed (or fail as it should) with no sanitizer report: the sanitizers halt on the first
 * error and log to a directory that must stay empty, and stderr must not mention them.
 *
 * Leak detection is off in the helper: it never frees what it decoded because it execs (or
 * _exits) right after; the decoders' own leaks are the fuzz targets' business (fuzz/).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  REPO_ROOT,
  type LeakScope,
  type RunOptions,
  type RunResult,
  type SkipContext,
  describeResult,
  processesWithToken,
  requireCapability,
  requireRoot,
  requireTestUser,
  runCommand,
  runNsboxCommand,
  startNsboxCommand,
  tmpdir,
  useFileLeakCheck,
  waitFor,
  withScope,
} from './harness.js';

useFileLeakCheck();

const SANITIZED = join(REPO_ROOT, 'build', 'sanitized', 'nsbox-helper');
const BUSYBOX = '/bin/busybox';

let built: string | undefined;
let logDir = '';

before(() => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-sanitized.mjs')], { encoding: 'utf8' });
  built = r.status === 0 ? undefined : `cannot build the sanitized helper (clang-14 and libclang-rt-14-dev): ${r.stderr}`;
  logDir = tmpdir();
  // The helper may write its report as any user (setuid, rootless runs).
  fs.chmodSync(logDir, 0o1777);
});

function ready(t: SkipContext): boolean {
  if (!requireRoot(t)) return false;
  return requireCapability(t, built === undefined, built ?? '');
}

const SYMBOLIZER = '/usr/lib/llvm-14/bin/llvm-symbolizer';

/**
 * Reports go to files in logDir; inside a rootfs container that path does not exist, and the
 * sanitizer then says so on stderr and exits 86/87, which fails the run just as well.
 */
function sanitizerEnv(): Record<string, string> {
  const sym = fs.existsSync(SYMBOLIZER) ? `:external_symbolizer_path=${SYMBOLIZER}` : '';
  return {
    NSBOX_HELPER: SANITIZED,
    ASAN_OPTIONS: `halt_on_error=1:detect_leaks=0:abort_on_error=0:exitcode=86:log_path=${logDir}/asan${sym}`,
    UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=${logDir}/ubsan${sym}`,
  };
}

function sanitizerReports(): string[] {
  return fs.readdirSync(logDir).map((f) => `${f}:\n${fs.readFileSync(join(logDir, f), 'utf8').slice(0, 4000)}`);
}

/** No sanitizer said anything, anywhere. */
function clean(r: RunResult): void {
  assert.doesNotMatch(r.stderr, /Sanitizer|runtime error:/, describeResult(r));
  assert.deepEqual(sanitizerReports(), []);
}

function nsbox(scope: LeakScope, command: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  return runNsboxCommand(command, args, { scope, ...o, env: { ...sanitizerEnv(), ...o.env } });
}

async function ok(scope: LeakScope, command: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  const r = await nsbox(scope, command, args, o);
  assert.equal(r.code, 0, describeResult(r));
  clean(r);
  return r;
}

function buildBusyboxRootfs(dir: string): void {
  fs.mkdirSync(join(dir, 'bin'), { recursive: true });
  fs.copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  fs.chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'hostname', 'ls', 'cat', 'id', 'ps']) fs.symlinkSync('busybox', join(dir, 'bin', applet));
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc', 'root']) fs.mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  fs.writeFileSync(join(dir, 'etc', 'hosts'), '');
  fs.writeFileSync(join(dir, 'etc', 'resolv.conf'), '');
  fs.writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
}

describe('the ASan/UBSan helper runs real sandboxes cleanly', () => {
  it('the sanitized binary is the one used, and refuses a bad spec the documented way', (t) => {
    if (!ready(t)) return;
    const r = spawnSync(SANITIZED, ['NSBOX1', 'bogus=1'], { encoding: 'utf8', env: sanitizerEnv() });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "nsbox-helper: invalid helper spec 'bogus=1'\n");
    const nm = spawnSync('sh', ['-c', `nm ${SANITIZED} | grep -c __asan_init`], { encoding: 'utf8' });
    assert.ok(Number(nm.stdout.trim()) > 0, 'not built with ASan');
    assert.deepEqual(sanitizerReports(), []);
  });

  it('unshare: every namespace kind, one at a time and all together', async (t) => {
    if (!ready(t)) return;
    await withScope(async (scope) => {
      for (const flags of [['-m'], ['-u'], ['-i'], ['-n'], ['-fp'], ['-U'], ['-C'], ['-T'], ['-muinpCTU', '-f', '--mount-proc']]) {
        await ok(scope, 'unshare', [...flags, 'true']);
      }
      const r = await ok(scope, 'unshare', ['-fp', '--mount-proc', '--kill-child', 'sh', '-c', 'echo $$; ls /proc | grep -c "^[0-9]"']);
      assert.match(r.stdout, /^1\n/);
      await ok(scope, 'unshare', ['-T', '--monotonic=100', '--boottime=-5', 'true']);
      await ok(scope, 'unshare', ['-m', '--propagation=slave', '-R', '/', '-w', '/tmp', 'true']);
    });
  });

  it('id maps as root: map-root-user, explicit ranges written by the helper, setuid/setgid, keep-caps', async (t) => {
    if (!ready(t)) return;
    await withScope(async (scope) => {
      assert.equal((await ok(scope, 'unshare', ['-r', 'id', '-u'])).stdout, '0\n');
      const r = await ok(scope, 'unshare', ['-U', '--map-users=0:100000:65536', '--map-groups=0:100000:65536', 'cat', '/proc/self/uid_map']);
      assert.match(r.stdout, /^\s+0\s+100000\s+65536\n$/);
      assert.equal((await ok(scope, 'unshare', ['-r', '-S', '0', '--keep-caps', 'id', '-g'])).stdout, '0\n');
      await ok(scope, 'unshare', ['--owner=0:0', '-r', 'true']);
    });
  });

  it('id maps rootless: newuidmap/newgidmap (--map-auto) as the test user', async (t) => {
    if (!ready(t) || !requireTestUser(t)) return;
    await withScope(async (scope) => {
      const r = await ok(scope, 'unshare', ['-U', '--map-auto', '--map-root-user', 'cat', '/proc/self/uid_map'], { asUser: true });
      assert.ok(r.stdout.trim().split('\n').length >= 2, describeResult(r));
      await ok(scope, 'unshare', ['-r', '-m', '-u', '-i', '-n', '-fp', '--mount-proc', 'true'], { asUser: true });
    });
  });

  it('persistence: a namespace bound on a file, then unmounted', async (t) => {
    if (!ready(t)) return;
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      const target = join(dir, 'uts');
      fs.writeFileSync(target, '');
      scope.addFixtureMount(target);
      await ok(scope, 'unshare', [`--uts=${target}`, 'hostname', 'persisted']);
      const r = await ok(scope, 'nsenter', [`--uts=${target}`, 'hostname']);
      assert.equal(r.stdout, 'persisted\n');
      const u = await runCommand(['umount', target]);
      assert.equal(u.code, 0, describeResult(u));
    });
  });

  it('errors: a missing program, a map the kernel refuses, a bad option value', async (t) => {
    if (!ready(t)) return;
    await withScope(async (scope) => {
      const missing = await nsbox(scope, 'unshare', ['-U', '/nonexistent/program']);
      assert.equal(missing.code, 127, describeResult(missing));
      assert.match(missing.stderr, /failed to execute \/nonexistent\/program: No such file or directory/);
      clean(missing);
      // Overlapping ranges: the kernel refuses the uid_map write.
      const map = await nsbox(scope, 'unshare', ['-U', '--map-users=0:100000:10', '--map-users=5:200000:10', 'true']);
      assert.equal(map.code, 1, describeResult(map));
      assert.match(map.stderr, /^nsbox unshare: .*uid_map/m);
      clean(map);
      const pers = await nsbox(scope, 'unshare', ['--uts=/nonexistent/x', 'true']);
      assert.equal(pers.code, 1, describeResult(pers));
      clean(pers);
    });
  });

  it('nsenter into a running sandbox, and lsns with the nsinfo helper', async (t) => {
    if (!ready(t)) return;
    await withScope(async (scope) => {
      const running = startNsboxCommand('unshare', ['-u', '-i', '-n', '-m', '-fp', '--mount-proc', 'sh', '-c', 'hostname inside; exec sleep 1000'], { scope, env: sanitizerEnv() });
      const sleeper = await waitFor(() => processesWithToken(scope.token).find((p) => p.comm === 'sleep'), 10_000, 'the sandbox sleep');
      try {
        assert.equal((await ok(scope, 'nsenter', ['-t', String(sleeper.pid), '-u', 'hostname'])).stdout, 'inside\n');
        await ok(scope, 'nsenter', ['-t', String(sleeper.pid), '-a', 'true']);
        await ok(scope, 'nsenter', ['-t', String(sleeper.pid), '-m', '-p', '-F', '--wd=/', 'true']);
        const l = await ok(scope, 'lsns', ['-o', 'NS,TYPE,PNS,ONS,NETNSID', '-p', String(sleeper.pid)]);
        assert.match(l.stdout, /\buts\b/);
        await ok(scope, 'lsns', ['--tree=owner']);
      } finally {
        // Without --kill-child the sandbox outlives the CLI (as util-linux's): end its pid 1.
        process.kill(sleeper.pid, 'SIGKILL');
      }
      clean(await running.result);
    });
  });

  it('nsbox run with a profile (binds, hostname, init, loopback, try-namespaces)', async (t) => {
    if (!ready(t)) return;
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      const profile = {
        version: 1,
        unshare: ['cgroup', 'ipc', 'mount', 'net', 'pid', 'user', 'uts'],
        env: { GREETING: 'hi' },
        binds: [{ mode: 'ro', src: '/usr', dst: '/usr' }],
        hostname: 'profiled',
        command: ['sh', '-c', 'echo $GREETING $(hostname)'],
      };
      fs.writeFileSync(join(dir, 'p.json'), JSON.stringify(profile));
      const r = await ok(scope, 'run', ['--profile-dir', dir, 'p']);
      assert.equal(r.stdout, 'hi profiled\n');
    });
  });

  it('a rootfs container (busybox, overlay, tmpfs, read-only root)', async (t) => {
    if (!ready(t)) return;
    if (!requireCapability(t, fs.existsSync(BUSYBOX), 'busybox-static is not installed (/bin/busybox)')) return;
    await withScope(async (scope) => {
      const root = join(scope.tmpdir(), 'box');
      buildBusyboxRootfs(root);
      const r = await ok(scope, 'run', ['--rootfs', root, '--overlay', '--tmpfs', '/tmp', '--hostname', 'boxed', '--', 'sh', '-c', 'echo x > /tmp/f && cat /tmp/f && hostname']);
      assert.equal(r.stdout, 'x\nboxed\n');
      await ok(scope, 'run', ['--rootfs', root, '--ro', '--net', '--', 'sh', '-c', 'exit 0']);
    });
  });
});
