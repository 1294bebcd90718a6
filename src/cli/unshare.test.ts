import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxSpec } from '../spec.js';
import { encodeSpec } from '../spec.js';
import { LONGOPTS, parseUnshare, usageText, type UnshareContext, type UnshareParse } from './unshare.js';

const dir = mkdtempSync(join(tmpdir(), 'nsbox-unshare-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const FILES = {
  passwd: write(
    'passwd',
    'root:x:0:0:root:/root:/bin/bash\ngames:x:5:60::/usr/games:/usr/sbin/nologin\ntuser:x:1001:1001::/home/tuser:/bin/zsh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n',
  ),
  group: write('group', 'root:x:0:\nlp:x:7:\ntuser:x:1001:\n'),
  subuid: write('subuid', 'tuser:100000:65536\n'),
  subgid: write('subgid', 'tuser:200000:65536\n'),
  uidMap: write('uid_map', '         0          0 4294967295\n'),
  gidMap: write('gid_map', '         0       1001          1\n         1     100000      65536\n'),
  overflowuid: write('overflowuid', '65534\n'),
};
const bin = join(dir, 'bin');
mkdirSync(bin);
for (const tool of ['newuidmap', 'newgidmap']) {
  writeFileSync(join(bin, tool), '#!/bin/sh\n');
  chmodSync(join(bin, tool), 0o755);
}

const PROG = 'nsbox unshare';

function ctx(over: Partial<UnshareContext> = {}): UnshareContext {
  return {
    uid: 1001,
    gid: 1001,
    euid: 1001,
    egid: 1001,
    env: { SHELL: '/bin/bash', PATH: `/nonexistent:${bin}`, HOME: '/home/tuser', FOO: 'bar', UNSET: undefined },
    progName: PROG,
    version: '0.1.0',
    files: FILES,
    ...over,
  };
}

function run(args: string[], c: UnshareContext = ctx()): { spec: SandboxSpec; env: Record<string, string> } {
  const r = parseUnshare(args, c);
  if (r.action !== 'run') assert.fail(`expected a run, got exit ${r.status}: ${r.stderr}${r.stdout}`);
  // every spec we produce must be acceptable to the encoder
  encodeSpec(r.spec, 3);
  return r;
}

function fails(args: string[], message: string, c: UnshareContext = ctx()): void {
  const r: UnshareParse = parseUnshare(args, c);
  assert.equal(r.action, 'exit', `expected an error for ${args.join(' ')}`);
  if (r.action !== 'exit') return;
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `${PROG}: ${message}\n`);
}

function usageError(args: string[], message: string): void {
  fails(args, `${message}\nTry '${PROG} --help' for more information.`);
}

const lines = (spec: SandboxSpec, which: 'uidMap' | 'gidMap'): string[] =>
  (spec[which]?.ranges ?? []).map((r) => `${r.inner} ${r.outer} ${r.count}`);

test('defaults: no namespaces, no fork, the login shell from $SHELL', () => {
  const { spec, env } = run([]);
  assert.deepEqual(spec, {
    namespaces: [],
    persist: {},
    fork: false,
    killChildSignal: 0,
    forwardSignals: [],
    blockSignals: [],
    parentDeathSignal: 0,
    parentPid: 0,
    propagation: 'private',
    keepCaps: false,
    keepFds: 3,
    file: '/bin/bash',
    argv: ['-bash'],
  });
  assert.deepEqual(env, { SHELL: '/bin/bash', PATH: `/nonexistent:${bin}`, HOME: '/home/tuser', FOO: 'bar' });
});

test('the program and its arguments stop option parsing', () => {
  const { spec } = run(['-u', 'sh', '-c', 'echo $#', '-u', 'x']);
  assert.deepEqual(spec.namespaces, ['uts']);
  assert.equal(spec.file, 'sh');
  assert.deepEqual(spec.argv, ['sh', '-c', 'echo $#', '-u', 'x']);
  assert.deepEqual(run(['--', '-weird']).spec.argv, ['-weird']);
  // an optional argument is never taken from the next element
  const t = run(['--uts', '/tmp/ns/x']).spec;
  assert.deepEqual(t.persist, {});
  assert.equal(t.file, '/tmp/ns/x');
  assert.equal(run(['--kill-child', 'TERM']).spec.file, 'TERM');
});

test('namespace options and persistence files', () => {
  const { spec } = run(['-mu', '-i', '-n', '-p', '-U', '-C', '-T', 'true']);
  assert.deepEqual(spec.namespaces, ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt', 'time']);
  const p = run(['--mount=/a', '--uts=/b', '--ipc=/c', '--net=/d', '--pid=/e', '--user=/f', '--cgroup=/g', '--time=/h', '--uts=/b2', 'true']).spec;
  assert.deepEqual(p.persist, { mnt: '/a', uts: '/b2', ipc: '/c', net: '/d', pid: '/e', user: '/f', cgroup: '/g', time: '/h' });
  assert.deepEqual(run(['--net=/n', '--ipc', 'true']).spec.persist, { net: '/n' });
});

test('long prefixes: an exact name wins, ambiguity is an error', () => {
  assert.deepEqual(run(['--mount', 'true']).spec.namespaces, ['mnt']);
  assert.deepEqual(run(['--cg', 'true']).spec.namespaces, ['cgroup']);
  usageError(['--mou', 'true'], "option '--mou' is ambiguous; possibilities: '--mount' '--mount-proc' '--mount-binfmt'");
  usageError(
    ['--ma', 'x'],
    "option '--ma' is ambiguous; possibilities: '--map-user' '--map-users' '--map-group' '--map-groups' '--map-root-user' '--map-current-user' '--map-auto' '--map-subids'",
  );
});

test('getopt errors add the --help hint', () => {
  usageError(['--bogus', 'true'], "unrecognized option '--bogus'");
  usageError(['-x', 'true'], "invalid option -- 'x'");
  usageError(['-u/tmp/ns/x', 'true'], "invalid option -- '/'");
  usageError(['-R'], "option requires an argument -- 'R'");
  usageError(['--root'], "option '--root' requires an argument");
  usageError(['--fork=1'], "option '--fork' doesn't allow an argument");
  usageError(['--map-user'], "option '--map-user' requires an argument");
});

test('options are acted on in order: an earlier bad value wins over a later getopt error', () => {
  fails(['--map-users=1:2', '--bogus'], "invalid mapping '1:2'");
  usageError(['--bogus', '--map-users=1:2'], "unrecognized option '--bogus'");
});

test('--help and --version', () => {
  for (const args of [['-h'], ['--help'], ['--he'], ['-u', '-h', '--bogus']]) {
    const r = parseUnshare(args, ctx());
    assert.deepEqual(r, { action: 'exit', status: 0, stdout: usageText(PROG), stderr: '' });
  }
  const v = parseUnshare(['-V'], ctx());
  assert.deepEqual(v, { action: 'exit', status: 0, stdout: 'nsbox unshare from nsbox 0.1.0\n', stderr: '' });
  assert.equal(parseUnshare(['--version', '-h'], ctx()).action, 'exit');
  assert.equal((parseUnshare(['--version', '-h'], ctx()) as { stdout: string }).stdout, 'nsbox unshare from nsbox 0.1.0\n');
  // help comes before the post-parse checks
  assert.equal((parseUnshare(['--monotonic', '5', '-h'], ctx()) as { status: number }).status, 0);
});

test('the usage text lists every long option', () => {
  const text = usageText(PROG);
  assert.ok(text.startsWith(`\nUsage:\n ${PROG} [options] [<program> [<argument>...]]\n`));
  for (const o of LONGOPTS) assert.ok(text.includes(`--${o.name}`), o.name);
  // USAGE_HELP_OPTIONS(27): "%-27s%s\n"
  assert.ok(text.includes(`${' -h, --help'.padEnd(27)}display this help\n`));
  assert.ok(text.includes(`${' -V, --version'.padEnd(27)}display version\n`));
  assert.ok(text.includes(' -w, --wd <dir>            change working directory to <dir>\n'));
  assert.ok(text.endsWith('\nFor more details see unshare(1).\n'));
});

test('fork, signals and --kill-child', () => {
  const f = run(['-f', 'true']).spec;
  assert.equal(f.fork, true);
  assert.deepEqual(f.blockSignals, [2, 15]);
  assert.deepEqual(f.forwardSignals, []);
  assert.equal(f.killChildSignal, 0);

  const k = run(['--kill-child', 'true']).spec;
  assert.equal(k.fork, true);
  assert.equal(k.killChildSignal, 9);
  assert.deepEqual(k.blockSignals, [2, 15]);
  assert.equal(run(['--kill-child=TERM']).spec.killChildSignal, 15);
  assert.equal(run(['--kill-child=SIGUSR1']).spec.killChildSignal, 10);
  assert.equal(run(['--kill-child=sigterm']).spec.killChildSignal, 15);
  assert.equal(run(['--kill-child=RTMIN+1']).spec.killChildSignal, 35);
  fails(['--kill-child=15', 'true'], 'unknown signal: 15');
  fails(['--kill-child=SIGBOGUS', 'true'], 'unknown signal: SIGBOGUS');
  fails(['--kill-child=', 'true'], 'unknown signal: ');

  const fw = run(['--forward-signals', 'true']).spec;
  assert.equal(fw.fork, true);
  assert.deepEqual(fw.forwardSignals, [15, 2]);
  assert.deepEqual(fw.blockSignals, []);
  const both = run(['--forward-signals', '--kill-child=TERM', 'true']).spec;
  assert.deepEqual([both.killChildSignal, both.forwardSignals, both.blockSignals], [15, [15, 2], []]);
});

test('mount options and their implications', () => {
  const mp = run(['--mount-proc', 'true']).spec;
  assert.deepEqual(mp.namespaces, ['mnt']);
  assert.equal(mp.mountProc, '/proc');
  assert.equal(run(['--mount-proc=/tmp/p']).spec.mountProc, '/tmp/p');

  const bf = run(['--mount-binfmt', 'true']).spec;
  assert.deepEqual(bf.namespaces, ['user', 'mnt']);
  assert.equal(bf.mountBinfmt, '/proc/sys/fs/binfmt_misc');
  assert.equal(bf.mountProc, '/proc');
  const bf2 = run(['--mount-binfmt=/b']).spec;
  assert.deepEqual([bf2.mountBinfmt, bf2.mountProc], ['/b', undefined]);
  assert.equal(run(['--mount-proc=/x', '--mount-binfmt']).spec.mountProc, '/x');
  assert.equal(run(['--mount-binfmt', '--mount-proc=/x']).spec.mountProc, '/x');

  const li = run(['-l', ':test:E::tstx::/bin/cat:', 'true']).spec;
  assert.deepEqual(li.namespaces, ['user', 'mnt']);
  assert.deepEqual([li.mountBinfmt, li.mountProc, li.loadInterp], ['/proc/sys/fs/binfmt_misc', '/proc', ':test:E::tstx::/bin/cat:']);
  const li2 = run(['--mount-binfmt=/b', '--load-interp', 'X']).spec;
  assert.deepEqual([li2.mountBinfmt, li2.mountProc, li2.loadInterp], ['/b', undefined, 'X']);

  assert.equal(run(['--propagation', 'shared']).spec.propagation, 'shared');
  assert.equal(run(['--propagation=unchanged']).spec.propagation, 'unchanged');
  assert.equal(run(['--propagation=slave']).spec.propagation, 'slave');
  fails(['--propagation=bogus', 'true'], 'unsupported propagation mode: bogus');

  const rw = run(['-R', '/srv/root', '-w/tmp', 'pwd']).spec;
  assert.deepEqual([rw.root, rw.wd], ['/srv/root', '/tmp']);
  assert.deepEqual(run(['--root=/', 'pwd']).spec.wd, undefined);
});

test('user mapping: single ids are written by the process itself', () => {
  const r = run(['-r', 'id']).spec;
  assert.deepEqual(r.namespaces, ['user']);
  assert.deepEqual(r.uidMap, { writer: 'self', ranges: [{ inner: 0, outer: 1001, count: 1 }] });
  assert.deepEqual(r.gidMap, { writer: 'self', ranges: [{ inner: 0, outer: 1001, count: 1 }] });
  assert.equal(r.setgroups, undefined);

  const c = run(['-c', 'id'], ctx({ euid: 1001, egid: 1002 })).spec;
  assert.deepEqual([lines(c, 'uidMap'), lines(c, 'gidMap')], [['1001 1001 1'], ['1002 1002 1']]);

  const u = run(['--map-user=5', '--map-group=7', 'id']).spec;
  assert.deepEqual([lines(u, 'uidMap'), lines(u, 'gidMap')], [['5 1001 1'], ['7 1001 1']]);
  const n = run(['--map-user=tuser', '--map-group=lp', 'id']).spec;
  assert.deepEqual([lines(n, 'uidMap'), lines(n, 'gidMap')], [['1001 1001 1'], ['7 1001 1']]);
  assert.equal(run(['--map-user=games']).spec.gidMap, undefined);
  assert.deepEqual(lines(run(['--map-user=4242']).spec, 'uidMap'), ['4242 1001 1']);

  fails(['--map-user=nosuchuser', 'true'], "failed to parse uid 'nosuchuser': Invalid argument");
  fails(['--map-group=nosuchgroup', 'true'], "failed to parse gid 'nosuchgroup': Invalid argument");
  fails(['--map-user=99999999999', 'true'], "failed to parse uid '99999999999': Numerical result out of range");
  fails(['--map-user=-1', 'true'], "failed to parse uid '-1': Numerical result out of range");
});

test('range maps: merged with the single id, written by a helper', () => {
  const a = run(['--map-users=0:100000:65536', '--map-current-user', 'id']).spec;
  assert.deepEqual(lines(a, 'uidMap'), ['1001 1001 1', '0 100000 1001', '1002 101001 64534']);
  assert.equal(a.uidMap?.writer, 'tool');
  assert.equal(a.uidMap?.tool, join(bin, 'newuidmap'));
  // the gid stays a self-written single map
  assert.deepEqual(a.gidMap, { writer: 'self', ranges: [{ inner: 1001, outer: 1001, count: 1 }] });

  const b = run(['--map-auto', '-r', 'id']).spec;
  assert.deepEqual(lines(b, 'uidMap'), ['0 1001 1', '1 100000 65536']);
  assert.deepEqual(lines(b, 'gidMap'), ['0 1001 1', '1 200000 65536']);
  assert.equal(b.gidMap?.tool, join(bin, 'newgidmap'));

  const c = run(['--map-users=1001:100000:65536', '--map-root-user', 'id']).spec;
  assert.deepEqual(lines(c, 'uidMap'), ['0 1001 1', '1001 100000 65536']);

  // legacy comma form, repeated options keep their order
  const d = run(['--map-users=100000,0,10', '--map-users', '10:200000:10', 'id']).spec;
  assert.deepEqual(lines(d, 'uidMap'), ['0 100000 10', '10 200000 10']);
  assert.deepEqual(d.namespaces, ['user']);

  const s = run(['--map-subids', 'id']).spec;
  assert.deepEqual([lines(s, 'uidMap'), lines(s, 'gidMap')], [['100000 100000 65536'], ['200000 200000 65536']]);
  const s2 = run(['--map-users=subids', '--map-groups=auto', 'id']).spec;
  assert.deepEqual([lines(s2, 'uidMap'), lines(s2, 'gidMap')], [['100000 100000 65536'], ['0 200000 65536']]);

  const all = run(['--map-users=all', '--map-groups=all', 'id'], ctx({ uid: 0, gid: 0, euid: 0, egid: 0 })).spec;
  assert.deepEqual(all.uidMap, { writer: 'write', ranges: [{ inner: 0, outer: 0, count: 4294967295 }] });
  assert.deepEqual(lines(all, 'gidMap'), ['0 0 1', '1 1 65536']);
  assert.equal(all.gidMap?.writer, 'write');
});

test('the id-map tool is looked up in PATH (bare name when missing)', () => {
  const r = run(['--map-users=0:100000:10', 'id'], ctx({ env: { PATH: '/nonexistent' } })).spec;
  assert.deepEqual(r.uidMap, { writer: 'tool', tool: 'newuidmap', ranges: [{ inner: 0, outer: 100000, count: 10 }] });
});

test('range map errors', () => {
  fails(['--map-users=1:2', 'true'], "invalid mapping '1:2'");
  fails(['--map-users=a:b:c', 'true'], "invalid mapping 'a:b:c'");
  fails(['--map-users=0,1,2,3', 'true'], "invalid mapping '0,1,2,3'");
  fails(['--map-groups=0,1', 'true'], "invalid mapping '0,1'");
  fails(['--map-users=0:-1:1', 'true'], "invalid mapping '0:-1:1'");
  fails(['--map-auto', 'true'], "you (user 4242) don't exist.", ctx({ uid: 4242, euid: 4242 }));
  fails(['--map-auto', 'true'], 'no line matching user "root" in ' + FILES.subuid.replace('subuid', 'subuid-empty'), ctx({
    euid: 0,
    files: { ...FILES, subuid: write('subuid-empty', '') },
  }));
  const missing = join(dir, 'missing-subgid');
  fails(['--map-groups=auto', 'true'], `could not open '${missing}': No such file or directory`, ctx({ files: { ...FILES, subgid: missing } }));
});

test('--owner', () => {
  const o = run(['--owner=1001:1001', '--user=/tmp/ns/ou', '--map-users=0:100000:10', 'true'], ctx({ uid: 0, gid: 0, euid: 0, egid: 0 })).spec;
  assert.deepEqual(o.owner, { uid: 1001, gid: 1001 });
  assert.deepEqual(o.namespaces, ['user']);
  assert.deepEqual(o.uidMap, { writer: 'write', ranges: [{ inner: 0, outer: 100000, count: 10 }] });
  // with an owner a single map also goes through the helper
  const s = run(['--owner', '5:6', '-r', 'true'], ctx({ uid: 0, gid: 0, euid: 0, egid: 0 })).spec;
  assert.deepEqual(s.uidMap, { writer: 'write', ranges: [{ inner: 0, outer: 0, count: 1 }] });
  assert.deepEqual(s.gidMap, { writer: 'write', ranges: [{ inner: 0, outer: 0, count: 1 }] });
  assert.deepEqual(run(['--owner= 1:2']).spec.owner, { uid: 1, gid: 2 });
  // (uid_t)-1 for both means "not given" in util-linux
  assert.equal(run(['--owner=-1:-1']).spec.owner, undefined);
  fails(['--owner=1', 'true'], 'failed to parse owner');
  fails(['--owner=1:x', 'true'], 'failed to parse owner');
  fails(['--owner=1:2:3', 'true'], 'failed to parse owner');
  fails(['--owner=1:2 ', 'true'], 'failed to parse owner');
});

test('--setgroups', () => {
  assert.equal(run(['-U', '--setgroups=deny', 'true']).spec.setgroups, 'deny');
  assert.equal(run(['--setgroups', 'allow', 'true']).spec.setgroups, 'allow');
  fails(['--setgroups=maybe', 'true'], "unsupported --setgroups argument 'maybe'");
  fails(['-r', '--setgroups=allow', 'id'], 'options --setgroups=allow and --map-group are mutually exclusive');
  fails(['-c', '--setgroups=allow', 'id'], 'options --setgroups=allow and --map-group are mutually exclusive');
  fails(['--map-group=7', '--setgroups=allow', 'id'], 'options --setgroups=allow and --map-group are mutually exclusive');
  // a gid range map is written by the helper: no conflict
  assert.equal(run(['--map-auto', '-r', '--setgroups=allow', 'id']).spec.setgroups, 'allow');
  assert.equal(run(['--map-user=0', '--setgroups=allow', 'id']).spec.setgroups, 'allow');
});

test('-S/-G', () => {
  const s = run(['-S', '1001', '-G1001', 'id']).spec;
  assert.deepEqual([s.setuid, s.setgid], [1001, 1001]);
  assert.equal(run(['--setuid=0']).spec.setuid, 0);
  fails(['-S', 'abc', 'true'], "failed to parse uid: 'abc'");
  fails(['-G', 'abc', 'true'], "failed to parse gid: 'abc'");
  fails(['-S', '', 'true'], "failed to parse uid: ''");
  fails(['-S', '-1', 'true'], "failed to parse uid: '-1': Numerical result out of range");
  fails(['-G', '4294967295', 'true'], "failed to parse gid: '4294967295': Numerical result out of range");
});

test('--keep-caps only counts with a user namespace', () => {
  assert.equal(run(['--keep-caps', 'true']).spec.keepCaps, false);
  assert.equal(run(['--keep-caps', '-U', 'true']).spec.keepCaps, true);
  assert.equal(run(['--keep-caps', '-r', 'true']).spec.keepCaps, true);
});

test('time namespace offsets', () => {
  const t = run(['-T', '--monotonic', '-5', '--boottime=86400', 'true']).spec;
  assert.deepEqual([t.monotonicOffset, t.boottimeOffset], [-5n, 86400n]);
  assert.equal(run(['-T', '--boottime', '9223372036854775807']).spec.boottimeOffset, 9223372036854775807n);
  fails(['--monotonic', '10', 'true'], 'options --monotonic and --boottime require unsharing of a time namespace (-T)');
  fails(['--boottime=10', 'true'], 'options --monotonic and --boottime require unsharing of a time namespace (-T)');
  fails(['-T', '--monotonic', 'abc', 'true'], "failed to parse monotonic offset: 'abc'");
  fails(['-T', '--boottime', '1.5', 'true'], "failed to parse boottime offset: '1.5'");
  fails(['-T', '--boottime', '9223372036854775808', 'true'], "failed to parse boottime offset: '9223372036854775808': Numerical result out of range");
  // the parse error comes first (it happens in the option loop)
  fails(['--monotonic', 'abc', 'true'], "failed to parse monotonic offset: 'abc'");
});

test('--clear-env and --whitelist-env', () => {
  assert.deepEqual(run(['--clear-env', 'env']).env, {});
  assert.deepEqual(run(['--whitelist-env', 'FOO,PATH', 'env']).env, { FOO: 'bar', PATH: `/nonexistent:${bin}` });
  assert.deepEqual(run(['--whitelist-env=FOO', '--whitelist-env=HOME,,NOPE', 'env']).env, { FOO: 'bar', HOME: '/home/tuser' });
  // util-linux keeps everything when no listed variable exists; we clear (the documented intent)
  assert.deepEqual(run(['--whitelist-env', 'NOPE', 'env']).env, {});
  assert.deepEqual(run(['--clear-env', '--whitelist-env', 'FOO', 'env']).env, { FOO: 'bar' });
  assert.deepEqual(run(['--whitelist-env', 'UNSET', 'env']).env, {});
});

test('default shell: $SHELL as the program will see it, else the passwd shell of its uid, else /bin/sh', () => {
  assert.deepEqual(run([]).spec.argv, ['-bash']);
  const noShell = ctx({ env: { PATH: '/bin' } });
  let s = run(['-u'], noShell).spec;
  assert.deepEqual([s.file, s.argv], ['/bin/zsh', ['-zsh']]);
  // cleared environment: no $SHELL
  s = run(['--clear-env']).spec;
  assert.deepEqual([s.file, s.argv], ['/bin/zsh', ['-zsh']]);
  s = run(['--whitelist-env=SHELL']).spec;
  assert.equal(s.file, '/bin/bash');
  s = run(['-u'], ctx({ env: { SHELL: '' } })).spec;
  assert.equal(s.file, '/bin/zsh');
  // inside a user namespace getuid() is the mapped id
  s = run(['-r'], noShell).spec;
  assert.deepEqual([s.file, s.argv], ['/bin/bash', ['-bash']]);
  s = run(['-U'], noShell).spec;
  assert.equal(s.file, '/usr/sbin/nologin');
  s = run(['-S', '5'], noShell).spec;
  assert.equal(s.file, '/usr/sbin/nologin');
  s = run(['-u'], ctx({ uid: 4242, env: {} })).spec;
  assert.deepEqual([s.file, s.argv], ['/bin/sh', ['-sh']]);
  // the passwd file is read inside the new root
  const root = join(dir, 'root');
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, FILES.passwd), 'tuser:x:1001:1001::/:/bin/ash\n');
  s = run(['-R', root], noShell).spec;
  assert.deepEqual([s.file, s.argv], ['/bin/ash', ['-ash']]);
});

test('empty paths fail the way util-linux fails at run time', () => {
  fails(['--mount-proc=', 'true'], 'mount  failed: No such file or directory');
  fails(['--root=', 'true'], "cannot change root directory to '': No such file or directory");
  fails(['--wd=', 'true'], 'cannot change directory to : No such file or directory');
  fails(['--uts=', 'true'], 'mount /proc/self/ns/uts on  failed: No such file or directory');
  // an empty interpreter string writes nothing
  assert.equal(run(['-l', '', 'true']).spec.loadInterp, undefined);
});

test('encodable specs for a busy command line', () => {
  const { spec } = run(
    ['-fpmr', '--mount-proc', '--propagation=slave', '--kill-child=RTMAX-1', '-T', '--boottime', '7', '--pid=/tmp/p', 'sh', '-c', 'x'],
    ctx({ uid: 0, gid: 0, euid: 0, egid: 0 }),
  );
  assert.deepEqual(spec.namespaces, ['user', 'pid', 'mnt', 'time']);
  assert.equal(spec.killChildSignal, 63);
  assert.deepEqual(spec.argv, ['sh', '-c', 'x']);
});
