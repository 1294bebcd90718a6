/**
 * Unit tests of src/profiles/run.ts (profile → options, `$VAR` expansion), of the options and
 * spec records it relies on, and a real spawnProfile() run (the reported pid is the program's).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { expandVars, profileToOptions, ProfileRunError, spawnProfile } from './run.js';
import { emptyProfile, type Profile } from './types.js';
import { buildSpec, SandboxOptionError, type SandboxOptions } from '../options.js';
import { encodeSpec } from '../spec.js';
import { ReportDecoder } from '../report.js';

function profile(p: Partial<Profile>): Profile {
  return { ...emptyProfile(), ...p };
}

const ENV = { HOME: '/home/u', WHO: 'bob', PATH: '/usr/bin:/bin' };

describe('expandVars', () => {
  it('expands $VAR and ${VAR}, unset to empty, leaves other $ alone', () => {
    assert.equal(expandVars('$HOME/x', ENV), '/home/u/x');
    assert.equal(expandVars('${WHO}x-$WHO.y', ENV), 'bobx-bob.y');
    assert.equal(expandVars('$NOPE|${NOPE}|', ENV), '||');
    assert.equal(expandVars('a$ $1 $$ ${', ENV), 'a$ $1 $$ ${');
    assert.equal(expandVars('$WHOx', ENV), ''); // the longest name, as a shell
  });
});

describe('profileToOptions: bubblewrap-like defaults', () => {
  it('unprivileged: a user namespace mapping the caller to itself is added', () => {
    const o = profileToOptions(profile({ unshare: ['ipc'] }), { env: ENV, uid: 1000 });
    assert.equal(o.ipc, true);
    assert.equal(o.user, true);
    assert.equal(o.mapCurrentUser, true);
    assert.equal(o.tryNamespaces, undefined);
  });

  it('root: no user namespace unless asked; asked: root maps to itself, and it is a try option', () => {
    const o = profileToOptions(profile({ unshare: ['ipc'] }), { env: ENV, uid: 0 });
    assert.equal(o.user, undefined);
    const u = profileToOptions(profile({ unshare: ['ipc', 'user'] }), { env: ENV, uid: 0 });
    assert.equal(u.user, true);
    assert.equal(u.mapCurrentUser, true);
    assert.deepEqual(u.tryNamespaces, ['user']);
  });

  it('try options: cgroup always; user only when nothing else needs it', () => {
    assert.deepEqual(profileToOptions(profile({ unshare: ['cgroup', 'user'] }), { env: ENV, uid: 1000 }).tryNamespaces, ['cgroup']);
    assert.deepEqual(profileToOptions(profile({ unshare: ['user'] }), { env: ENV, uid: 1000 }).tryNamespaces, ['user']);
    assert.deepEqual(profileToOptions(profile({ unshare: ['cgroup', 'user'] }), { env: ENV, uid: 0 }).tryNamespaces, ['cgroup', 'user']);
  });

  it('no namespace: nothing added', () => {
    const o = profileToOptions(profile({}), { env: ENV, uid: 1000 });
    assert.equal(o.user, undefined);
    assert.equal(o.mount, undefined);
  });

  it('pid: fork, init, a fresh /proc (mount); net: loopback; uts + hostname', () => {
    const o = profileToOptions(profile({ unshare: ['pid', 'net', 'uts'], hostname: 'h' }), { env: ENV, uid: 0 });
    assert.equal(o.fork, true);
    assert.equal(o.init, true);
    assert.equal(o.mountProc, true);
    assert.equal(o.mount, true);
    assert.equal(o.loopback, true);
    assert.equal(o.hostname, 'h');
    assert.equal(o.dieWithParent, true);
  });

  it('hostname and time offsets without their namespace are ignored', () => {
    const o = profileToOptions(profile({ hostname: 'h', time: { boottime: 5 } }), { env: ENV, uid: 0 });
    assert.equal(o.hostname, undefined);
    assert.equal(o.timeOffsets, undefined);
    const t = profileToOptions(profile({ unshare: ['time'], time: { boottime: 5 } }), { env: ENV, uid: 0 });
    assert.deepEqual(t.timeOffsets, { boottime: 5 });
  });

  it('binds (expanded) add a mount namespace; env and cwd expanded against the caller', () => {
    const o = profileToOptions(
      profile({ binds: [{ mode: 'ro', src: '$HOME/src', dst: '/mnt/${WHO}' }], env: { A: 'x$WHO', PATH: '/opt:$PATH' }, cwd: '$HOME' }),
      { env: ENV, uid: 0 },
    );
    assert.deepEqual(o.binds, [{ mode: 'ro', src: '/home/u/src', dst: '/mnt/bob' }]);
    assert.equal(o.mount, true);
    assert.equal(o.wd, '/home/u');
    assert.deepEqual(o.env, { HOME: '/home/u', WHO: 'bob', PATH: '/opt:/usr/bin:/bin', A: 'xbob' });
  });

  it('every profile option builds a valid spec, as root and not', () => {
    for (const uid of [0, 1000]) {
      const all = profile({ unshare: ['user', 'ipc', 'pid', 'net', 'uts', 'cgroup', 'mount', 'time'], hostname: 'h', time: { monotonic: 1 }, binds: [{ mode: 'dev', src: '/dev/null', dst: '/tmp/x' }] });
      const spec = buildSpec('true', [], profileToOptions(all, { env: ENV, uid }), { parentPid: 1, euid: uid, egid: uid });
      const argv = encodeSpec(spec, 3);
      for (const rec of ['init=1', 'hostname=h', 'loopback=1', 'bind=dev', 'bindsrc=/dev/null', 'binddst=/tmp/x', 'tryns=cgroup', 'fork=1', 'procmount=/proc']) {
        assert.ok(argv.includes(rec), `${rec} in ${argv.join(' ')}`);
      }
      assert.equal(argv.includes('tryns=user'), uid === 0);
    }
  });
});

describe('buildSpec: validation of the new options', () => {
  const bad = (o: SandboxOptions, re: RegExp): void => {
    assert.throws(() => buildSpec('true', [], o, { parentPid: 1, euid: 0, egid: 0 }), (e: unknown) => e instanceof SandboxOptionError && re.test(e.message));
  };
  it('each needs its namespace', () => {
    bad({ hostname: 'x' }, /hostname requires .*uts/);
    bad({ loopback: true }, /loopback requires .*net/);
    bad({ init: true }, /init requires .*pid/);
    bad({ binds: [{ mode: 'ro', src: '/a', dst: '/b' }] }, /require .*mount/);
    bad({ tryNamespaces: ['cgroup'] }, /cgroup is not requested/);
  });
  it('bad values', () => {
    bad({ uts: true, hostname: '' }, /invalid hostname/);
    bad({ uts: true, hostname: 'x'.repeat(65) }, /invalid hostname/);
    bad({ mount: true, binds: [{ mode: 'ro', src: '/a', dst: 'rel' }] }, /absolute/);
    bad({ mount: true, propagation: 'shared', binds: [{ mode: 'ro', src: '/a', dst: '/b' }] }, /private or slave/);
    bad({ user: true, mapUsers: [{ inner: 0, outer: 100000, count: 10 }], tryNamespaces: ['user'] }, /cannot be left out/);
  });
  it('init implies fork; binds keep their order and allow ":" in paths', () => {
    const spec = buildSpec('true', [], { pid: true, init: true, mount: true, binds: [{ mode: 'rw', src: '/a:b', dst: '/c=d' }, { mode: 'ro', src: '/e', dst: '/f' }] }, { parentPid: 1, euid: 0, egid: 0 });
    assert.equal(spec.fork, true);
    const argv = encodeSpec(spec, 3);
    const i = argv.indexOf('bind=rw');
    assert.deepEqual(argv.slice(i, i + 6), ['bind=rw', 'bindsrc=/a:b', 'binddst=/c=d', 'bind=ro', 'bindsrc=/e', 'binddst=/f']);
  });
});

describe('report: D lines', () => {
  it('are decoded in order, before P', () => {
    const d = new ReportDecoder();
    d.push('D\tcgroup\t28\tNo space left on device\nD\tuser\t28\tNo space left on device\nP\t12\n');
    const r = d.end();
    assert.deepEqual(r.dropped.map((x) => x.kind), ['cgroup', 'user']);
    assert.equal(r.pid, 12);
    assert.equal(r.malformed, undefined);
  });
});

describe('spawnProfile', () => {
  it('no program and no command: ProfileRunError', () => {
    assert.throws(() => spawnProfile(profile({})), ProfileRunError);
  });

  it('runs the command; with pid, sandboxPid is the program (pid 2 inside), not its init', async (t) => {
    if (process.geteuid?.() !== 0) {
      t.skip('needs root for a user-namespace-free run');
      return;
    }
    const child = spawnProfile(profile({ unshare: ['pid'], command: ['sh', '-c', 'echo $$; read x'] }), undefined, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const info = await child.ready;
    assert.equal(child.sandboxPid, info.pid);
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${info.pid}/status`, 'utf8'))![1]!.trim().split(/\s+/);
    assert.deepEqual(nspid, [String(info.pid), '2']);
    assert.deepEqual(info.dropped, []);
    child.stdin!.end('\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 0);
    assert.equal(out, '2\n');
  });
});
