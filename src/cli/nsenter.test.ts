/** Unit tests of `nsbox nsenter` parsing and planning (no processes, a fake /proc). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseNsenter, type NsenterContext, type NsenterParse } from './nsenter.js';
import type { EnterSys } from '../enterplan.js';
import type { EnterSpec } from '../enterspec.js';

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
}

/** A fake system: pid 42 in its own user ns (inode 9), we are in inode 1; cgroup v2. */
function fakeSys(over: Partial<EnterSys> = {}): EnterSys {
  const inodes: Record<string, bigint> = { '/proc/self/ns/user': 1n, '/proc/42/ns/user': 9n, '/proc/43/ns/user': 1n };
  return {
    stat(path) {
      if (path === '/proc/42/') return { ino: 5n, uid: 1000, gid: 100 };
      if (path.startsWith('/proc/self/ns/') && path !== '/proc/self/ns/time') return { ino: inodes[path] ?? 2n, uid: 0, gid: 0 };
      const ino = inodes[path];
      if (ino === undefined) throw enoent(path);
      return { ino, uid: 0, gid: 0 };
    },
    readFile(path) {
      if (path === '/proc/42/environ') return Buffer.from('A=1\0B=x=y\0A=2\0noequals\0');
      if (path === '/proc/42/cgroup') return Buffer.from('0::/user.slice/x.scope\n');
      throw enoent(path);
    },
    statfsType: () => 0x63677270,
    kernelRelease: () => '6.1.0',
    passwdFile: '/nonexistent/passwd',
    ...over,
  };
}

function ctx(over: Partial<NsenterContext> = {}): NsenterContext {
  return { uid: 0, env: { SHELL: '/bin/zsh', PATH: '/bin' }, progName: 'nsenter', version: 'test', selinux: false, sys: fakeSys(), checkOpen: () => undefined, ...over };
}

function run(args: string[], c: NsenterContext = ctx()): { spec: EnterSpec; env: Record<string, string> } {
  const r = parseNsenter(args, c);
  if (r.action !== 'run') assert.fail(`expected a run, got: ${r.stderr}`);
  return r;
}

function exit(args: string[], c: NsenterContext = ctx()): Extract<NsenterParse, { action: 'exit' }> {
  const r = parseNsenter(args, c);
  if (r.action !== 'exit') assert.fail('expected an exit');
  return r;
}

describe('nsenter parsing', { concurrency: true }, () => {
  it('-t PID -u: the target uts ns through a pidfd, no fork, no credentials', () => {
    const { spec } = run(['-t', '42', '-u', 'hostname']);
    assert.deepEqual(spec.join, { uts: true });
    assert.equal(spec.target, 42);
    assert.equal(spec.usePidfd, true);
    assert.equal(spec.fork, false);
    assert.equal(spec.setuid, undefined);
    assert.deepEqual(spec.argv, ['hostname']);
  });

  it('short options take an attached file only; a leading = is dropped', () => {
    const { spec } = run(['-t', '42', '-u/x/uts', '-m=/x/mnt', '--ipc=/x/ipc', '-n', '/bin/true']);
    assert.deepEqual(spec.join, { uts: '/x/uts', mnt: '/x/mnt', ipc: '/x/ipc', net: true });
    assert.equal(spec.file, '/bin/true');
  });

  it('files are opened while parsing, in order (cannot open)', () => {
    const c = ctx({
      checkOpen: (p) => {
        throw Object.assign(new Error(p), { code: 'EACCES' });
      },
    });
    assert.equal(exit(['--uts=/a', '-t', 'bad'], c).stderr, 'nsenter: cannot open /a: Permission denied\n');
  });

  it('-p forks unless -F', () => {
    assert.equal(run(['-t', '42', '-p', 'true']).spec.fork, true);
    assert.equal(run(['-t', '42', '-p', '-F', 'true']).spec.fork, false);
  });

  it('a user namespace forces uid/gid 0 and drops groups unless --preserve-credentials', () => {
    const a = run(['-t', '42', '-U', 'true']).spec;
    assert.equal(a.setuid, 0);
    assert.equal(a.setgid, 0);
    assert.equal(a.dropGroups, true);
    const b = run(['-t', '42', '-U', '--preserve-credentials', 'true']).spec;
    assert.equal(b.setuid, undefined);
    assert.equal(b.dropGroups, false);
    const c = run(['-t', '42', '-U', '-S', '5', 'true']).spec;
    assert.equal(c.setuid, 5);
    assert.equal(c.setgid, 0);
  });

  it('-S/-G follow take the owner of /proc/PID', () => {
    const s = run(['-t', '42', '-u', '-S', 'follow', '-G', 'follow', 'id']).spec;
    assert.equal(s.setuid, 1000);
    assert.equal(s.setgid, 100);
  });

  it('--all skips our own user namespace and kinds the kernel lacks', () => {
    assert.deepEqual(Object.keys(run(['-t', '43', '-a', 'true']).spec.join), ['cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt']);
    assert.deepEqual(Object.keys(run(['-t', '42', '-a', 'true']).spec.join), ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt']);
    assert.deepEqual(run(['-t', '42', '-a', '--uts=/f', 'true']).spec.join.uts, '/f');
  });

  it('--env: the target environment, first of a name wins', () => {
    assert.deepEqual(run(['-t', '42', '-u', '-e', 'true']).env, { A: '1', B: 'x=y' });
  });

  it('-r/-w: the target root and cwd; --root=DIR / --wd=DIR / -W DIR as given', () => {
    const a = run(['-t', '42', '-m', '-r', '-w', 'true']).spec;
    assert.equal(a.root, '/proc/42/root');
    assert.equal(a.wd, '/proc/42/cwd');
    const b = run(['-t', '42', '-m', '--root=/r', '--wd=/w', 'true']).spec;
    assert.equal(b.root, '/r');
    assert.equal(b.wd, '/w');
    assert.equal(run(['-t', '42', '-m', '-W/in', 'true']).spec.wdns, '/in');
  });

  it('-c: the target cgroup.procs on cgroup v2, refused on v1', () => {
    assert.equal(run(['-t', '42', '-u', '-c', 'true']).spec.cgroupProcs, '/sys/fs/cgroup//user.slice/x.scope/cgroup.procs');
    const v1 = ctx({ sys: fakeSys({ statfsType: () => 0x01021994 }) });
    assert.equal(exit(['-t', '42', '-u', '-c', 'true'], v1).stderr, 'nsenter: --join-cgroup is only supported in cgroup v2\n');
  });

  it('no program: the shell as a login shell', () => {
    const s = run(['-t', '42', '-u']).spec;
    assert.equal(s.file, '/bin/zsh');
    assert.deepEqual(s.argv, ['-zsh']);
  });

  it('-N and --user-parent need a target and imply net / user', () => {
    const s = run(['-t', '42', '-N', '3', '--user-parent', 'true']).spec;
    assert.equal(s.netSocket, 3);
    assert.equal(s.userParent, true);
    assert.equal(s.setuid, 0);
    assert.equal(exit(['-N', '3', 'true']).stderr, 'nsenter: no target PID specified\n');
    assert.equal(exit(['-N', 'x', 'true']).stderr, "nsenter: failed to parse file descriptor: 'x'\n");
  });

  it('PID:inode', () => {
    assert.equal(run(['-t', '42:77', '-u', 'true']).spec.targetIno, 77n);
    assert.equal(exit(['-t', '42:0', '-u', 'true']).stderr, "nsenter: failed to parse PID argument '42:0': Numerical result out of range\n");
    assert.equal(exit(['-t', '0', '-u', 'true']).stderr, "nsenter: failed to parse PID argument '0': Numerical result out of range\n");
    assert.equal(exit(['-t', '4x', '-u', 'true']).stderr, "nsenter: failed to parse PID argument '4x': Invalid argument\n");
  });

  it('old kernels: /proc files instead of a pidfd', () => {
    assert.equal(run(['-t', '42', '-u', 'true'], ctx({ sys: fakeSys({ kernelRelease: () => '5.7.0' }) })).spec.usePidfd, false);
  });

  it('errors, in util-linux order and wording', () => {
    const cases: [string[], string][] = [
      [['-u', 'true'], 'nsenter: no target PID specified\n'],
      [['-t', '42', 'true'], 'nsenter: no namespace specified\n'],
      [['-a', 'true'], 'nsenter: no target PID specified for --all\n'],
      [['-t', '42', '-t', '42', '-u'], 'nsenter: option --target may be given only once\n'],
      [['-w', '-W/x', 'true'], 'nsenter: mutually exclusive arguments: --wdns --wd\n'],
      [['--uts=/f', '-r', 'true'], 'nsenter: neither filename nor target pid supplied for root\n'],
      [['-t', '42', '-u', '-S', 'x'], "nsenter: failed to parse uid: 'x'\n"],
      [['-t', '99', '-u', '-e', 'true'], 'nsenter: cannot open /proc/99/environ: No such file or directory\n'],
      [['--bogus'], "nsenter: unrecognized option '--bogus'\nTry 'nsenter --help' for more information.\n"],
    ];
    for (const [args, stderr] of cases) assert.equal(exit(args).stderr, stderr, args.join(' '));
  });

  it('-Z: nothing to follow without SELinux; refused with it', () => {
    assert.equal(run(['-t', '42', '-u', '-Z', 'true']).spec.file, 'true');
    assert.equal(exit(['-t', '42', '-u', '-Z', 'true'], ctx({ selinux: true })).stderr, 'nsenter: --follow-context is not supported: nsbox has no SELinux support\n');
  });

  it('-h and -V', () => {
    assert.match(exit(['-h']).stdout, /Run a program with namespaces of other processes\./);
    assert.equal(exit(['-V']).stdout, 'nsenter from nsbox test\n');
  });
});
