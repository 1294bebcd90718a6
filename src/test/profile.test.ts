/**
 * `nsbox profile` through the CLI, as a user runs it:
 * - every example of the FlatImage fim-unshare page (the seed) with `nsbox profile myapp unshare`,
 *   and FlatImage's own test/cli/unshare/*.py cases (add, del, set, list, clear);
 * - every other verb (env, bind, hostname, cwd, command, time, show, delete, copy, list);
 * - every error: one line `nsbox profile: ...`, exit 1, nothing changed (the file's bytes);
 * - the directory resolution order, an unwritable directory as the unprivileged user, a full
 *   file system (root: a tiny tmpfs), concurrent CLI edits, and a CLI writer killed before its
 *   rename.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  type RunOptions,
  type RunResult,
  describeResult,
  requireRoot,
  requireTestUser,
  runNsboxCommand,
  startNsboxCommand,
  tmpdir,
  useFileLeakCheck,
  waitFor,
} from './harness.js';

useFileLeakCheck();

/** A fresh (not yet existing) profile directory inside a temporary directory. */
function storeDir(): string {
  return join(tmpdir(), 'profiles');
}

function prof(dir: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runNsboxCommand('profile', ['--profile-dir', dir, ...args], opts);
}

function ok(r: RunResult, stdout = ''): void {
  assert.equal(r.stderr, '', describeResult(r));
  assert.equal(r.code, 0, describeResult(r));
  assert.equal(r.stdout, stdout, describeResult(r));
}

function failed(r: RunResult, re: RegExp): void {
  assert.equal(r.code, 1, describeResult(r));
  assert.equal(r.stdout, '', describeResult(r));
  assert.match(r.stderr, /^nsbox profile: [^\n]*\n$/, describeResult(r));
  assert.match(r.stderr, re, describeResult(r));
}

/** Files of the directory (and their contents), to prove an error changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).sort()) out[f] = fs.readFileSync(join(dir, f), 'utf8');
  return out;
}

const VALID = '\\(valid: all, user, ipc, pid, net, uts, cgroup, mount, time\\)';

describe('the seed: Configure namespace unsharing, with nsbox profile myapp unshare', () => {
  it('every example, in order', async () => {
    const d = storeDir();
    const u = (...a: string[]): Promise<RunResult> => prof(d, ['myapp', 'unshare', ...a]);
    // Add single unshare option / multiple options: existing ones are preserved.
    ok(await u('add', 'ipc'));
    ok(await u('list'), 'ipc\n');
    ok(await u('add', 'ipc,pid,uts'));
    ok(await u('list'), 'ipc\npid\nuts\n');
    // Set: all previous options are removed, only the specified ones remain.
    ok(await u('set', 'user,ipc,net'));
    ok(await u('list'), 'ipc\nnet\nuser\n');
    // Difference between add and set.
    ok(await u('set', 'ipc,pid'));
    ok(await u('add', 'uts'));
    ok(await u('list'), 'ipc\npid\nuts\n');
    ok(await u('set', 'user,net'));
    ok(await u('list'), 'net\nuser\n');
    // List: the example output.
    ok(await u('set', 'ipc,pid,user'));
    ok(await u('list'), 'ipc\npid\nuser\n');
    // Remove single / multiple options: the others remain.
    ok(await u('del', 'ipc'));
    ok(await u('list'), 'pid\nuser\n');
    ok(await u('add', 'ipc'));
    ok(await u('del', 'ipc,pid'));
    ok(await u('list'), 'user\n');
    // Clear: shares every namespace again.
    ok(await u('clear'));
    ok(await u('list'), '');
    // fim-help unshare's examples.
    ok(await u('add', 'ipc,pid'));
    ok(await u('set', 'user,ipc,net'));
    ok(await u('list'), 'ipc\nnet\nuser\n');
  });
});

describe("FlatImage's test/cli/unshare cases", () => {
  it('add: incremental, all, duplicate', async () => {
    const d = storeDir();
    const u = (...a: string[]): Promise<RunResult> => prof(d, ['app', 'unshare', ...a]);
    ok(await u('add', 'ipc,pid'));
    ok(await u('list'), 'ipc\npid\n');
    ok(await u('add', 'user,net'));
    ok(await u('list'), 'ipc\nnet\npid\nuser\n');
    ok(await u('add', 'ipc'));
    ok(await u('list'), 'ipc\nnet\npid\nuser\n');
    ok(await u('add', 'all'));
    ok(await u('list'), 'cgroup\nipc\nmount\nnet\npid\ntime\nuser\nuts\n');
    ok(await u('del', 'all'));
    ok(await u('list'), '');
    ok(await u('set', 'all'));
    ok(await u('list'), 'cgroup\nipc\nmount\nnet\npid\ntime\nuser\nuts\n');
    ok(await u('del', 'ipc'));
    ok(await u('del', 'ipc'));
    ok(await u('clear'));
    ok(await u('del', 'ipc'));
    ok(await u('list'), '');
    ok(await u('add', 'IPC', 'Pid,uts'));
    ok(await u('list'), 'ipc\npid\nuts\n');
  });
  it('errors change nothing: all combined, missing argument, invalid, none, trailing', async () => {
    const d = storeDir();
    ok(await prof(d, ['app', 'unshare', 'add', 'ipc']));
    const before = snapshot(d);
    for (const verb of ['add', 'del', 'set']) {
      failed(await prof(d, ['app', 'unshare', verb, 'all,ipc']), new RegExp(`unshare ${verb}: option 'all' should not be used with others`));
      failed(await prof(d, ['app', 'unshare', verb, 'all', 'pid']), /option 'all' should not be used with others/);
      failed(await prof(d, ['app', 'unshare', verb]), new RegExp(`unshare ${verb}: no options given`));
      failed(await prof(d, ['app', 'unshare', verb, 'invalid']), new RegExp(`invalid unshare option 'invalid' ${VALID}`));
      failed(await prof(d, ['app', 'unshare', verb, 'ipc,invalid']), new RegExp(`invalid unshare option 'invalid' ${VALID}`));
      failed(await prof(d, ['app', 'unshare', verb, 'none']), new RegExp(`invalid unshare option 'none' ${VALID}`));
      failed(await prof(d, ['app', 'unshare', verb, 'ipc', 'extra']), new RegExp(`invalid unshare option 'extra' ${VALID}`));
    }
    failed(await prof(d, ['app', 'unshare', 'list', 'extra']), /unshare list: unexpected argument 'extra'/);
    failed(await prof(d, ['app', 'unshare', 'clear', 'extra']), /unshare clear: unexpected argument 'extra'/);
    failed(await prof(d, ['app', 'unshare', 'toggle', 'ipc']), /unshare: invalid operation 'toggle' \(valid: add, del, set, list, clear\)/);
    failed(await prof(d, ['app', 'unshare']), /unshare: missing operation/);
    assert.deepEqual(snapshot(d), before);
    ok(await prof(d, ['app', 'unshare', 'list']), 'ipc\n');
  });
});

describe('the other verbs', () => {
  it('env, bind, hostname, cwd, command, time, show', async () => {
    const d = storeDir();
    const p = (...a: string[]): Promise<RunResult> => prof(d, ['app', ...a]);
    ok(await p('env', 'add', 'A=$HOME/x', 'B=1'));
    ok(await p('env', 'add', 'C=a=b'));
    ok(await p('env', 'list'), 'A=$HOME/x\nB=1\nC=a=b\n');
    ok(await p('env', 'del', 'B'));
    ok(await p('env', 'list'), 'A=$HOME/x\nC=a=b\n');
    ok(await p('env', 'set', 'Z=9'));
    ok(await p('env', 'list'), 'Z=9\n');
    ok(await p('env', 'clear'));
    ok(await p('env', 'list'), '');
    ok(await p('env', 'add', 'LANG=C'));

    ok(await p('bind', 'add', 'dev', '/dev/video0', '/dev/video0'));
    ok(await p('bind', 'add', 'ro', '$HOME/Music', '/Music'));
    ok(await p('bind', 'add', 'rw', '/srv', '/srv'));
    ok(await p('bind', 'del', '2'));
    ok(
      await p('bind', 'list'),
      '{\n  "0": {\n    "dst": "/dev/video0",\n    "src": "/dev/video0",\n    "type": "dev"\n  },\n  "1": {\n    "dst": "/Music",\n    "src": "$HOME/Music",\n    "type": "ro"\n  }\n}\n',
    );
    ok(await p('bind', 'del', '0'));
    ok(await p('bind', 'list'), '{\n  "0": {\n    "dst": "/Music",\n    "src": "$HOME/Music",\n    "type": "ro"\n  }\n}\n');

    ok(await p('hostname', 'show'), '');
    ok(await p('hostname', 'set', 'box'));
    ok(await p('hostname', 'show'), 'box\n');
    ok(await p('cwd', 'set', '/tmp'));
    ok(await p('cwd', 'show'), '/tmp\n');
    ok(await p('command', 'set', 'sh', '-c', 'echo "$1"', 'sh', 'a b'));
    ok(await p('command', 'show'), `sh -c 'echo "$1"' sh 'a b'\n`);
    ok(await p('command', 'set', 'ls', '--help'));
    ok(await p('command', 'show'), 'ls --help\n');
    ok(await p('time', 'set', 'monotonic=86400,boottime=-10'));
    ok(await p('time', 'list'), 'monotonic=86400\nboottime=-10\n');
    ok(await p('unshare', 'add', 'uts,time,pid'));

    const file = join(d, 'app.json');
    ok(
      await p('show'),
      `profile:  app
file:     ${file}
unshare:  pid,time,uts
env:
  LANG=C
binds:
  0: ro '$HOME/Music' -> /Music
hostname: box
cwd:      /tmp
command:  ls --help
time:     monotonic=86400,boottime=-10
`,
    );
    ok(await p('show', '--json'), fs.readFileSync(file, 'utf8'));
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), {
      version: 1,
      unshare: ['pid', 'time', 'uts'],
      env: { LANG: 'C' },
      binds: [{ mode: 'ro', src: '$HOME/Music', dst: '/Music' }],
      hostname: 'box',
      cwd: '/tmp',
      command: ['ls', '--help'],
      time: { monotonic: 86400, boottime: -10 },
    });

    for (const s of ['hostname', 'cwd', 'command']) ok(await p(s, 'clear'));
    ok(await p('time', 'clear'));
    ok(await p('bind', 'clear'));
    ok(await p('time', 'list'), '');
    ok(await p('command', 'show'), '');
    ok(
      await p('show'),
      `profile:  app\nfile:     ${file}\nunshare:  pid,time,uts\nenv:\n  LANG=C\nbinds:    (none)\nhostname: (unset)\ncwd:      (unset)\ncommand:  (unset)\ntime:     (unset)\n`,
    );
  });

  it('list, copy, delete', async () => {
    const d = storeDir();
    ok(await prof(d, ['list']), '');
    ok(await prof(d, ['b', 'unshare', 'add', 'net']));
    ok(await prof(d, ['a', 'env', 'add', 'X=1']));
    ok(await prof(d, ['list']), 'a\nb\n');
    failed(await prof(d, ['b', 'copy', 'a']), /profile 'a' already exists \(.*\/a\.json\); use --force to replace it/);
    ok(await prof(d, ['a', 'env', 'list']), 'X=1\n');
    ok(await prof(d, ['b', 'copy', '--force', 'a']));
    ok(await prof(d, ['a', 'unshare', 'list']), 'net\n');
    ok(await prof(d, ['a', 'env', 'list']), '');
    ok(await prof(d, ['b', 'copy', 'c']));
    ok(await prof(d, ['c', 'copy', 'a', '--force']));
    ok(await prof(d, ['list']), 'a\nb\nc\n');
    ok(await prof(d, ['b', 'delete']));
    ok(await prof(d, ['list']), 'a\nc\n');
    // A profile may be called "list": `list` alone lists, with more words it is a name.
    ok(await prof(d, ['list', 'unshare', 'add', 'pid']));
    ok(await prof(d, ['list', 'unshare', 'list']), 'pid\n');
    ok(await prof(d, ['list']), 'a\nc\nlist\n');
    assert.deepEqual(fs.readdirSync(d).sort(), ['a.json', 'c.json', 'list.json']);
  });

  it('help', async () => {
    for (const h of ['-h', '--help']) {
      const r = await runNsboxCommand('profile', [h]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage:\n nsbox profile \[--profile-dir DIR\] list\n/);
      assert.match(r.stdout, /unshare add\|del\|set OPTIONS/);
    }
  });
});

describe('errors: one line, exit 1, nothing changed', () => {
  it('usage errors and missing profiles', async () => {
    const d = storeDir();
    ok(await prof(d, ['app', 'unshare', 'add', 'pid']));
    ok(await prof(d, ['app', 'bind', 'add', 'ro', '/a', '/b']));
    const before = snapshot(d);
    const cases: [string[], RegExp][] = [
      [[], /missing profile name or 'list'/],
      [['app'], /missing command after the profile name/],
      [['app', 'frob'], /unknown command 'frob' \(valid: unshare, env, bind, hostname, cwd, rootfs, command, time, show, delete, copy\)/],
      [['app', 'env', 'add', 'NOEQ'], /env add: expected KEY=VALUE, got 'NOEQ'/],
      [['app', 'env', 'add'], /env add: no KEY=VALUE given/],
      [['app', 'env', 'del'], /env del: no KEY given/],
      [['app', 'env', 'list', 'x'], /env list: unexpected argument 'x'/],
      [['app', 'bind', 'add', 'rx', '/a', '/b'], /bind add: invalid bind type 'rx' \(valid: ro, rw, dev\)/],
      [['app', 'bind', 'add', 'ro', '/a'], /bind add: expected ro\|rw\|dev SRC DST, got 2 arguments/],
      [['app', 'bind', 'del', '5'], /bind del: no bind with index 5 \(0\.\.0\)/],
      [['app', 'bind', 'del', 'x'], /bind del: invalid index 'x'/],
      [['app', 'hostname', 'set'], /hostname set: expected one NAME/],
      [['app', 'hostname', 'frob'], /hostname: invalid operation 'frob' \(valid: set, clear, show\)/],
      [['app', 'cwd', 'set', 'a', 'b'], /cwd set: expected one DIR/],
      [['app', 'command', 'set'], /command set: expected PROGRAM/],
      [['app', 'time', 'set', 'realtime=5'], /time set: invalid clock 'realtime' \(valid: monotonic, boottime\)/],
      [['app', 'time', 'set', 'monotonic=x'], /time set: invalid offset 'monotonic=x'/],
      [['app', 'show', 'extra'], /show: unexpected argument 'extra'/],
      [['app', 'copy'], /copy: missing the name of the new profile/],
      [['app', 'copy', '../x'], /invalid profile name "\.\.\/x": contains '\/'/],
      [['app', 'delete', 'now'], /delete: unexpected argument 'now'/],
      [['../etc', 'unshare', 'add', 'ipc'], /invalid profile name "\.\.\/etc": contains '\/'/],
      [['..', 'show'], /invalid profile name "\.\.": not a file name/],
      [['.hidden', 'show'], /invalid profile name "\.hidden": starts with '\.'/],
      [['x'.repeat(129), 'show'], /longer than 128 characters/],
      [['a\nb', 'show'], /contains a control character/],
      [['missing', 'show'], /profile 'missing' does not exist \(no .*\/missing\.json\)/],
      [['missing', 'show', '--json'], /profile 'missing' does not exist/],
      [['missing', 'unshare', 'list'], /profile 'missing' does not exist/],
      [['missing', 'env', 'list'], /profile 'missing' does not exist/],
      [['missing', 'bind', 'list'], /profile 'missing' does not exist/],
      [['missing', 'time', 'list'], /profile 'missing' does not exist/],
      [['missing', 'command', 'show'], /profile 'missing' does not exist/],
      [['missing', 'delete'], /profile 'missing' does not exist/],
      [['missing', 'copy', 'other'], /profile 'missing' does not exist/],
    ];
    for (const [args, re] of cases) failed(await prof(d, args), re);
    failed(await runNsboxCommand('profile', ['--profile-dir']), /option '--profile-dir' requires an argument/);
    failed(await runNsboxCommand('profile', ['--frob', 'app', 'show']), /unrecognized option '--frob'/);
    assert.deepEqual(snapshot(d), before);
  });

  it('a corrupt file and a newer version: reported with the path, never overwritten', async () => {
    const d = storeDir();
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(join(d, 'bad.json'), '{"version": 1, "unshare": ["ipc"');
    fs.writeFileSync(join(d, 'new.json'), '{"version": 2, "unshare": ["ipc"], "future": true}\n');
    ok(await prof(d, ['good', 'unshare', 'add', 'pid']));
    const before = snapshot(d);
    for (const [name, re] of [
      ['bad', new RegExp(`${d}/bad\\.json: corrupt profile file \\(not valid JSON: `)],
      ['new', new RegExp(`${d}/new\\.json: profile format version 2 is newer than this nsbox supports \\(1\\); not touching it`)],
    ] as const) {
      failed(await prof(d, [name, 'show']), re);
      failed(await prof(d, [name, 'unshare', 'list']), re);
      failed(await prof(d, [name, 'unshare', 'add', 'net']), re);
      failed(await prof(d, [name, 'env', 'add', 'A=1']), re);
      failed(await prof(d, [name, 'copy', 'x']), re);
      failed(await prof(d, ['good', 'copy', '--force', name]), re);
    }
    assert.deepEqual(snapshot(d), before);
    ok(await prof(d, ['list']), 'bad\ngood\nnew\n');
    ok(await prof(d, ['bad', 'delete']));
    ok(await prof(d, ['list']), 'good\nnew\n');
  });
});

describe('the profile directory', () => {
  it('--profile-dir, then NSBOX_PROFILE_DIR, then XDG_CONFIG_HOME, then HOME/.config', async () => {
    const base = tmpdir();
    const env = {
      NSBOX_PROFILE_DIR: join(base, 'env'),
      XDG_CONFIG_HOME: join(base, 'xdg'),
      HOME: join(base, 'home'),
    };
    const run = (e: Record<string, string | undefined>, args: string[]): Promise<RunResult> => runNsboxCommand('profile', args, { env: e });
    ok(await run(env, ['--profile-dir', join(base, 'opt'), 'p1', 'unshare', 'add', 'ipc']));
    ok(await run(env, [`--profile-dir=${join(base, 'opt2')}`, 'p2', 'unshare', 'add', 'ipc']));
    ok(await run(env, ['p3', 'unshare', 'add', 'ipc']));
    ok(await run({ ...env, NSBOX_PROFILE_DIR: undefined }, ['p4', 'unshare', 'add', 'ipc']));
    ok(await run({ ...env, NSBOX_PROFILE_DIR: '', XDG_CONFIG_HOME: 'relative/ignored' }, ['p5', 'unshare', 'add', 'ipc']));
    ok(await run({ ...env, NSBOX_PROFILE_DIR: undefined, XDG_CONFIG_HOME: undefined }, ['p6', 'unshare', 'add', 'ipc']));
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else found.push(p.slice(base.length + 1));
      }
    };
    walk(base);
    assert.deepEqual(found.sort(), [
      'env/p3.json',
      'home/.config/nsbox/profiles/p5.json',
      'home/.config/nsbox/profiles/p6.json',
      'opt/p1.json',
      'opt2/p2.json',
      'xdg/nsbox/profiles/p4.json',
    ]);
    assert.equal(fs.statSync(join(base, 'xdg', 'nsbox', 'profiles')).mode & 0o777, 0o700);
    ok(await run({ ...env, NSBOX_PROFILE_DIR: undefined }, ['list']), 'p4\n');
  });
});

describe('permissions and a full file system', () => {
  it('an unwritable directory (the unprivileged user): a clear error, the old profile intact, reads still work', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    // A root-owned store: readable, not writable, by the user.
    const rootStore = storeDir();
    ok(await prof(rootStore, ['app', 'unshare', 'add', 'ipc']));
    fs.chmodSync(rootStore, 0o755);
    fs.chmodSync(join(rootStore, 'app.json'), 0o644);
    const before = snapshot(rootStore);
    failed(await prof(rootStore, ['app', 'unshare', 'add', 'net'], { asUser: true }), new RegExp(`cannot lock profile directory: cannot create ${rootStore}/\\.lock: permission denied`));
    failed(await prof(rootStore, ['other', 'env', 'add', 'A=1'], { asUser: true }), /permission denied/);
    ok(await prof(rootStore, ['app', 'unshare', 'list'], { asUser: true }), 'ipc\n');
    assert.deepEqual(snapshot(rootStore), before);
    // The user's own store, made read-only (0500) by the user: root would bypass the mode bits.
    const userBase = tmpdir();
    fs.chownSync(userBase, user.uid, user.gid);
    const own = join(userBase, 'profiles');
    ok(await prof(own, ['app', 'unshare', 'add', 'pid'], { asUser: true }));
    const r = cp.spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'chmod', '0500', own]);
    assert.equal(r.status, 0);
    const ownBefore = snapshot(own);
    failed(await prof(own, ['app', 'unshare', 'add', 'net'], { asUser: true }), /cannot lock profile directory: cannot create .*\/\.lock: permission denied/);
    failed(await prof(own, ['app', 'delete'], { asUser: true }), /permission denied/);
    assert.deepEqual(snapshot(own), ownBefore);
    ok(await prof(own, ['app', 'unshare', 'list'], { asUser: true }), 'pid\n');
    // A profile directory the user cannot create.
    failed(
      await runNsboxCommand('profile', ['app', 'unshare', 'add', 'ipc'], { asUser: true, env: { XDG_CONFIG_HOME: join(rootStore, 'sub') } }),
      new RegExp(`cannot create profile directory ${rootStore}/sub/nsbox/profiles: permission denied`),
    );
    fs.chmodSync(own, 0o700);
  });

  it('a full file system: a clear error, the old profile intact, no temporary file left', async (t) => {
    if (!requireRoot(t)) return;
    const mnt = tmpdir();
    const m = cp.spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'nsbox-test-full', mnt], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      ok(await prof(mnt, ['app', 'env', 'add', 'A=1']));
      const before = snapshot(mnt);
      // Fill the file system, then free 8 pages: enough for the lock, not for a 64 KiB profile.
      const filler = join(mnt, 'filler');
      const fd = fs.openSync(filler, 'w');
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      }
      fs.ftruncateSync(fd, Math.max(0, fs.fstatSync(fd).size - 8 * 4096));
      fs.closeSync(fd);
      failed(await prof(mnt, ['app', 'env', 'add', `BIG=${'x'.repeat(64 * 1024)}`]), new RegExp(`cannot write profile \\(write\\): ${mnt}/app\\.json: no space left on device`));
      const after = snapshot(mnt);
      delete after.filler;
      assert.deepEqual(after, before);
      ok(await prof(mnt, ['app', 'env', 'list']), 'A=1\n');
    } finally {
      cp.spawnSync('umount', [mnt]);
    }
  });
});

describe('concurrency and crashes through the CLI', () => {
  it('concurrent CLI edits lose no update (12 processes x 5 edits, and one unshare add per option)', { timeout: 120_000 }, async () => {
    const d = storeDir();
    const env = { NSBOX_PROFILE_LOCK_TIMEOUT_MS: '60000' };
    const runs: Promise<RunResult>[] = [];
    for (let w = 0; w < 12; w++) {
      runs.push(
        (async () => {
          let last: RunResult | undefined;
          for (let i = 0; i < 5; i++) {
            last = await prof(d, ['app', 'env', 'add', `K_${w}_${i}=${i}`], { env, timeout: 60_000 });
            if (last.code !== 0) return last;
          }
          return last!;
        })(),
      );
    }
    for (const o of ['user', 'ipc', 'pid', 'net', 'uts', 'cgroup', 'mount', 'time']) runs.push(prof(d, ['app', 'unshare', 'add', o], { env, timeout: 60_000 }));
    for (const r of await Promise.all(runs)) ok(r);
    const list = await prof(d, ['app', 'env', 'list']);
    assert.equal(list.stdout.split('\n').filter((l) => l !== '').length, 60);
    ok(await prof(d, ['app', 'unshare', 'list']), 'cgroup\nipc\nmount\nnet\npid\ntime\nuser\nuts\n');
    assert.deepEqual(fs.readdirSync(d), ['app.json']);
  });

  it('a CLI writer killed between write and rename: old file valid, the next edit recovers', async () => {
    const d = storeDir();
    ok(await prof(d, ['app', 'unshare', 'add', 'ipc']));
    const before = fs.readFileSync(join(d, 'app.json'), 'utf8');
    const marker = join(tmpdir(), 'paused');
    const writer = startNsboxCommand('profile', ['--profile-dir', d, 'app', 'unshare', 'add', 'net'], {
      env: { NSBOX_PROFILE_TEST_HOOK: `pause-before-rename:${marker}` },
    });
    try {
      await waitFor(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').endsWith('\n'), 10_000, 'the writer to pause');
      writer.kill('SIGKILL');
      await writer.exited;
    } finally {
      writer.kill('SIGKILL');
    }
    await writer.result;
    assert.equal(fs.readFileSync(join(d, 'app.json'), 'utf8'), before);
    assert.equal(fs.readdirSync(d).filter((f) => f.endsWith('.tmp')).length, 1);
    ok(await prof(d, ['app', 'unshare', 'list']), 'ipc\n');
    ok(await prof(d, ['app', 'unshare', 'add', 'pid']));
    ok(await prof(d, ['app', 'unshare', 'list']), 'ipc\npid\n');
    assert.deepEqual(fs.readdirSync(d), ['app.json']);
  });
});
