/**
 * `nsbox run --rootfs DIR`: the "On Unsharing Namespaces, Part One" tutorial (a rootfs, a pid
 * namespace with its own /proc, a mount namespace whose mounts stay inside) as assertions, plus
 * what nsbox adds (pivot_root, /dev, --overlay, --ro, --net, hostname), as root and as the
 * unprivileged nsboxtest. The rootfs is Debian's busybox-static, built the README's way.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import {
  type LeakScope,
  type RunOptions,
  type RunResult,
  type SkipContext,
  BUSYBOX,
  buildBusyboxRootfs,
  describeResult,
  mountinfo,
  processesWithToken,
  readProc,
  requireCapability,
  requireRoot,
  requireTestUser,
  runNsboxCommand,
  startNsboxCommand,
  testUser,
  tmpdir,
  treeHash,
  useFileLeakCheck,
  waitFor,
  withScope,
} from './harness.js';

useFileLeakCheck();


type As = 'root' | 'user';
const AS: As[] = ['root', 'user'];

/** The rootfs of each run: root's, and nsboxtest's own copy (as `nsbox rootfs import` makes it). */
const ROOTFS: Record<As, string> = { root: '', user: '' };
before(() => {
  if (!fs.existsSync(BUSYBOX)) return;
  ROOTFS.root = join(tmpdir(), 'box');
  buildBusyboxRootfs(ROOTFS.root);
  // Mapped to root inside, nsboxtest can write only to what it owns outside: a rootless
  // container's rootfs belongs to its user. The parent directory stays root's.
  const u = testUser();
  if (typeof u === 'string') return;
  ROOTFS.user = join(tmpdir(), 'box');
  buildBusyboxRootfs(ROOTFS.user);
  const chown = spawnSync('chown', ['-hR', `${u.uid}:${u.gid}`, ROOTFS.user]);
  if (chown.status !== 0) throw new Error(`chown: ${String(chown.stderr)}`);
});

function ready(t: SkipContext, as: As): boolean {
  if (!requireRoot(t)) return false;
  if (!requireCapability(t, fs.existsSync(BUSYBOX), 'busybox-static is not installed (/bin/busybox)')) return false;
  return as === 'root' || requireTestUser(t) !== undefined;
}

function runIn(scope: LeakScope, as: As, opts: string[], program: string[], o: RunOptions = {}): Promise<RunResult> {
  return runNsboxCommand('run', ['--rootfs', ROOTFS[as], ...opts, '--', ...program], { scope, asUser: as === 'user', ...o });
}

function ok(r: RunResult): void {
  assert.equal(r.code, 0, describeResult(r));
}

/** Start a container whose program ends in `sleep 1000`; returns the sleep's host pid. */
async function startSleeper(scope: LeakScope, as: As, opts: string[], script: string): Promise<{ pid: number; stop(): Promise<RunResult> }> {
  const running = startNsboxCommand('run', ['--rootfs', ROOTFS[as], ...opts, '--', '/bin/sh', '-c', `${script}; exec sleep 1000`], { scope, asUser: as === 'user' });
  const sleeper = await waitFor(() => processesWithToken(scope.token).find((p) => p.comm === 'sleep'), 10_000, 'the container sleep');
  return {
    pid: sleeper.pid,
    async stop() {
      running.kill('SIGTERM');
      return running.result;
    },
  };
}

describe('nsbox run --rootfs: the tutorial, step by step', () => {
  for (const as of AS) {
    it(`[${as}] ps shows pid 1 (the init) and itself only`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const r = await runIn(scope, as, [], ['ps', '-o', 'pid,comm']);
        ok(r);
        const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
        assert.deepEqual(rows, [['1', 'nsbox-helper'], ['2', 'ps']], describeResult(r));
      });
    });

    it(`[${as}] /proc/<pid>/root on the host is the rootfs; the container's mounts are its own`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const s = await startSleeper(scope, as, [], 'true');
        // The seed's chroot shows `/proc/PID/root -> /root/rootfs`. After pivot_root the old root
        // is detached, so the link reads `/` from here (as with bubblewrap): the root is a mount
        // the host's namespace cannot name. What it leads to is the rootfs, file for file.
        const inRoot = fs.statSync(`/proc/${s.pid}/root/bin/busybox`);
        const inDir = fs.statSync(join(ROOTFS[as], 'bin', 'busybox'));
        assert.deepEqual([inRoot.dev, inRoot.ino], [inDir.dev, inDir.ino]);
        assert.deepEqual(fs.readdirSync(`/proc/${s.pid}/root/bin`).sort(), fs.readdirSync(join(ROOTFS[as], 'bin')).sort());
        // As the seed's `cat /proc/PID/mounts`: only what the container mounted, none of the host's.
        const points = mountinfo(s.pid).map((m) => m.mountpoint);
        for (const p of points) assert.match(p, /^\/(proc|dev(\/.*)?|sys(\/.*)?|tmp|etc\/resolv\.conf|etc\/hosts)?$/, `unexpected mount ${p}`);
        assert.equal(points.filter((p) => p === '/').length, 1);
        await s.stop();
      });
    });

    it(`[${as}] the host root is unreachable: no .. escape, no old root, no leaked fd or cwd`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const marker = join(scope.tmpdir(), 'host-marker');
        fs.writeFileSync(marker, 'outside\n');
        const script = [
          'cd /; cd ../../..; echo "pwd=$(pwd)"',
          '[ "$(ls)" = "$(ls /)" ] && echo same-listing',
          `[ -e ${marker} ] && echo MARKER-VISIBLE`,
          // The init (pid 1, the helper) is non-dumpable: rootless, nothing inside can look into it.
          '[ -r /proc/1/environ ] && cat /proc/1/environ >/dev/null 2>&1 || echo init-closed',
          'echo "cwd=$(readlink /proc/self/cwd)"',
          // The shell's fds: stdio and pipes only, no directory (init's are checked from the host).
          'for f in /proc/$$/fd/*; do l=$(readlink $f); [ -d "$f" ] && echo "DIR-FD $f -> $l"; done',
          'grep -c . /proc/self/mountinfo >/dev/null && awk \'$5 == "/" { n++ } END { print "root-mounts=" n }\' /proc/self/mountinfo',
        ].join('; ');
        const r = await runIn(scope, as, [], ['/bin/sh', '-c', script]);
        ok(r);
        assert.match(r.stdout, /^pwd=\/$/m);
        assert.match(r.stdout, /^same-listing$/m);
        assert.doesNotMatch(r.stdout, /MARKER-VISIBLE|DIR-FD/, describeResult(r));
        assert.match(r.stdout, /^cwd=\/$/m);
        // As root there is no user namespace: real root may look into anything, pid 1 included.
        if (as === 'user') assert.match(r.stdout, /^init-closed$/m, describeResult(r));
        assert.match(r.stdout, /^root-mounts=1$/m);
        // From the host: init's root and cwd are the container's, it keeps stdio and its status
        // pipe, and holds no directory.
        const s = await startSleeper(scope, as, [], 'true');
        const init = readProc(s.pid)!.ppid;
        assert.equal(fs.readlinkSync(`/proc/${init}/cwd`), '/');
        assert.equal(fs.readlinkSync(`/proc/${init}/root`), '/');
        assert.ok(fs.existsSync(`/proc/${init}/root/bin/busybox`));
        const fds = fs.readdirSync(`/proc/${init}/fd`);
        assert.equal(fds.length, 4, fds.map((f) => fs.readlinkSync(`/proc/${init}/fd/${f}`)).join(' '));
        for (const f of fds) assert.ok(!fs.statSync(`/proc/${init}/fd/${f}`).isDirectory(), `init holds a directory: ${f}`);
        await s.stop();
      });
    });

    it(`[${as}] mounts made inside are absent from the host's mountinfo`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const hostBefore = mountinfo().length;
        const s = await startSleeper(scope, as, ['--overlay'], 'mkdir /source /target && touch /source/CIAO && mount --bind /source /target && ls /target > /tmp/seen');
        const inside = mountinfo(s.pid).map((m) => m.mountpoint);
        assert.ok(inside.includes('/target'), inside.join('\n'));
        assert.deepEqual(mountinfo().filter((m) => m.mountpoint.startsWith(ROOTFS[as]) || m.mountpoint.endsWith('/target')), []);
        assert.equal(mountinfo().length, hostBefore);
        await s.stop();
        assert.equal(fs.existsSync(join(ROOTFS[as], 'source')), false, 'the overlay kept the rootfs unchanged');
      });
    });

    it(`[${as}] --overlay: writes work inside, the rootfs is byte-for-byte unchanged`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const before = treeHash(ROOTFS[as]);
        const script = 'echo new > /etc/new && rm /bin/cat && mkdir -p /var/lib/x && echo more >> /etc/passwd && ls /etc/new /var/lib/x && [ ! -e /bin/cat ] && echo done';
        const r = await runIn(scope, as, ['--overlay'], ['/bin/sh', '-c', script]);
        ok(r);
        assert.match(r.stdout, /^done$/m);
        assert.equal(treeHash(ROOTFS[as]), before);
        // With a directory: the changes land in DIR/upper, the rootfs still unchanged.
        const upper = scope.tmpdir({ writableByUser: true });
        const r2 = await runIn(scope, as, [`--overlay=${upper}`], ['/bin/sh', '-c', 'echo kept > /etc/kept']);
        ok(r2);
        assert.equal(fs.readFileSync(join(upper, 'upper', 'etc', 'kept'), 'utf8'), 'kept\n');
        assert.equal(treeHash(ROOTFS[as]), before);
      });
    });

    it(`[${as}] --ro refuses writes to the root; /tmp stays writable`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const before = treeHash(ROOTFS[as]);
        const r = await runIn(scope, as, ['--ro'], ['/bin/sh', '-c', 'touch /etc/x 2>&1; echo t > /tmp/t && cat /tmp/t']);
        ok(r);
        assert.match(r.stdout, /Read-only file system/);
        assert.match(r.stdout, /^t$/m);
        assert.equal(treeHash(ROOTFS[as]), before);
      });
    });

    it(`[${as}] /dev nodes work; devpts, shm and the fd links are there`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const script = [
          'head -c 4 /dev/urandom | wc -c',
          'head -c 3 /dev/zero | wc -c',
          'echo > /dev/null && echo null-ok',
          'echo x > /dev/full 2>/dev/null || echo full-refuses',
          '[ -c /dev/random ] && [ -c /dev/tty ] && echo nodes',
          '[ -d /dev/pts ] && [ "$(readlink /dev/ptmx)" = pts/ptmx ] && echo ptmx',
          'echo s > /dev/shm/s && echo shm',
          '[ "$(readlink /dev/stdout)" = /proc/self/fd/1 ] && [ "$(readlink /dev/fd)" = /proc/self/fd ] && echo links',
        ].join('; ');
        const r = await runIn(scope, as, [], ['/bin/sh', '-c', script]);
        ok(r);
        assert.equal(r.stdout, '4\n3\nnull-ok\nfull-refuses\nnodes\nptmx\nshm\nlinks\n', describeResult(r));
      });
    });

    it(`[${as}] --net: the loopback answers; without it the host's network is shared`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const script = 'ip addr show lo | grep -q "UP" && echo lo-up; (nc -l -p 7777 > /tmp/got &); sleep 0.3; echo hello | nc -w 1 127.0.0.1 7777; sleep 0.3; cat /tmp/got; ls /sys/class/net';
        const r = await runIn(scope, as, ['--net'], ['/bin/sh', '-c', script]);
        ok(r);
        assert.equal(r.stdout, 'lo-up\nhello\nlo\n', describeResult(r));
        const hostNet = fs.readlinkSync('/proc/self/ns/net');
        const r2 = await runIn(scope, as, [], ['/bin/sh', '-c', 'readlink /proc/self/ns/net']);
        ok(r2);
        assert.equal(r2.stdout.trim(), hostNet);
      });
    });

    it(`[${as}] --net=user: a default route through pasta or slirp4netns, stopped afterwards`, async (t) => {
      if (!ready(t, as)) return;
      const tool = ['/usr/bin/pasta', '/usr/bin/slirp4netns'].some((f) => fs.existsSync(f));
      if (!requireCapability(t, tool, 'neither pasta (passt) nor slirp4netns is installed')) return;
      // Rootless, the tool opens /dev/net/tun as the caller: Debian makes it 0666, some hosts 0600.
      const tun = fs.statSync('/dev/net/tun', { throwIfNoEntry: false });
      // .ci/run makes it 0666 (Debian's default) where an image ships it 0600.
      const tunOpen = tun !== undefined && (tun.mode & 0o006) === 0o006;
      if (as === 'user' && !requireCapability(t, tunOpen, '/dev/net/tun must be readable and writable by other users (Debian: 0666)')) return;
      await withScope(async (scope) => {
        const script = 'for i in $(seq 100); do ip route | grep -q default && break; sleep 0.05; done; ip route | grep -c default; readlink /proc/self/ns/net';
        const r = await runIn(scope, as, ['--net=user'], ['/bin/sh', '-c', script]);
        ok(r);
        const [routes, netns] = r.stdout.trim().split('\n');
        assert.equal(routes, '1', describeResult(r));
        assert.notEqual(netns, fs.readlinkSync('/proc/self/ns/net'));
      });
    });

    it(`[${as}] the hostname is isolated (default from the directory name, --hostname)`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const host = hostHostname();
        const r = await runIn(scope, as, [], ['/bin/sh', '-c', 'hostname; hostname doody; hostname']);
        ok(r);
        assert.equal(r.stdout, 'box\ndoody\n');
        assert.equal(hostHostname(), host);
        const r2 = await runIn(scope, as, ['--hostname', 'named'], ['hostname']);
        ok(r2);
        assert.equal(r2.stdout, 'named\n');
      });
    });

    it(`[${as}] --bind, --ro-bind, --tmpfs, --env, --cwd, --uid/--gid`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const rw = scope.tmpdir({ writableByUser: true });
        const ro = scope.tmpdir();
        fs.writeFileSync(join(ro, 'f'), 'ro-content\n');
        const opts = ['--overlay', '--bind', rw, '/mnt/rw', '--ro-bind', ro, '/mnt/ro', '--tmpfs', '/data:1m', '--env', 'GREETING=hi', '--cwd', '/mnt/rw', '--uid', '1000', '--gid', '100'];
        const script = 'echo w > written; cat /mnt/ro/f; echo x > /mnt/ro/g 2>/dev/null || echo ro-refused; echo "$GREETING $(pwd) $(id -u):$(id -g)"; df -k /data | awk \'NR==2 { print $2 }\'';
        const r = await runIn(scope, as, opts, ['/bin/sh', '-c', script]);
        ok(r);
        assert.equal(r.stdout, 'ro-content\nro-refused\nhi /mnt/rw 1000:100\n1024\n', describeResult(r));
        assert.equal(fs.readFileSync(join(rw, 'written'), 'utf8'), 'w\n');
      });
    });

    it(`[${as}] exit status and errors: the program's code, 127 for a missing program, a bad rootfs`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const r = await runIn(scope, as, [], ['/bin/sh', '-c', 'exit 7']);
        assert.equal(r.code, 7);
        const r2 = await runIn(scope, as, [], ['/no/such']);
        assert.equal(r2.code, 127);
        assert.match(r2.stderr, /failed to execute \/no\/such: No such file or directory/);
        const r3 = await runNsboxCommand('run', ['--rootfs', join(scope.tmpdir(), 'missing'), '--', '/bin/true'], { scope, asUser: as === 'user' });
        assert.equal(r3.code, 1);
        assert.match(r3.stderr, /^nsbox run: cannot open .*missing: No such file or directory$/m);
      });
    });
  }
});

describe('a profile with a rootfs: nsbox profile NAME rootfs set DIR, nsbox run NAME', () => {
  for (const as of AS) {
    it(`[${as}] runs as a container, with the profile's hostname, env, binds and net`, async (t) => {
      if (!ready(t, as)) return;
      await withScope(async (scope) => {
        const dir = scope.tmpdir({ writableByUser: true });
        const cli = async (...a: string[]): Promise<RunResult> => {
          const r = await runNsboxCommand('profile', ['--profile-dir', dir, 'box', ...a], { scope, asUser: as === 'user' });
          ok(r);
          return r;
        };
        await cli('rootfs', 'set', ROOTFS[as]);
        assert.equal((await cli('rootfs', 'show')).stdout, `${ROOTFS[as]}\n`);
        await cli('unshare', 'add', 'net');
        await cli('hostname', 'set', 'profiled');
        await cli('env', 'add', 'WHO=profile');
        const shared = scope.tmpdir();
        fs.writeFileSync(join(shared, 'f'), 'bound\n');
        await cli('bind', 'add', 'ro', shared, '/srv');
        const script = 'echo "$(hostname) $WHO $(cat /srv/f)"; ls /sys/class/net; echo "pid $$"; cat /proc/1/comm';
        const r = await runNsboxCommand('run', ['--profile-dir', dir, 'box', '/bin/sh', '-c', script], { scope, asUser: as === 'user' });
        ok(r);
        assert.equal(r.stdout, 'profiled profile bound\nlo\npid 2\nnsbox-helper\n', describeResult(r));
        await cli('rootfs', 'clear');
        assert.equal((await cli('rootfs', 'show')).stdout, '');
      });
    });
  }
});

describe('nsbox run --rootfs: command line', () => {
  it('usage errors', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const r = await runNsboxCommand('run', ['--ro', '--', 'true'], { scope });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no --rootfs given/);
      const r2 = await runNsboxCommand('run', ['--rootfs', '/x', '--bogus'], { scope });
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /unrecognized option '--bogus'/);
      const r3 = await runNsboxCommand('run', ['--rootfs', '/x', '--net=bogus', 'true'], { scope });
      assert.equal(r3.code, 1);
      assert.match(r3.stderr, /--net: unknown mode 'bogus'/);
      const r4 = await runNsboxCommand('run', ['--help'], { scope });
      assert.equal(r4.code, 0);
      assert.match(r4.stdout, /--rootfs DIR/);
    });
  });
});
