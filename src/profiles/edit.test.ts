/** The editing verbs (pure functions) and profile validation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindAdd,
  bindClear,
  bindDel,
  bindList,
  commandClear,
  commandSet,
  commandShow,
  cwdClear,
  cwdSet,
  envAdd,
  envClear,
  envDel,
  envList,
  envSet,
  hostnameClear,
  hostnameSet,
  parseUnshareOptions,
  shellQuote,
  timeClear,
  timeList,
  timeSet,
  unshareAdd,
  unshareClear,
  unshareDel,
  unshareList,
  unshareSet,
} from './edit.js';
import { PROFILE_UNSHARE_OPTIONS, emptyProfile, type Profile } from './types.js';
import { ProfileError, parseProfileText, serializeProfile, validateProfile, validateProfileName } from './validate.js';

function withUnshare(...u: Profile['unshare']): Profile {
  return { ...emptyProfile(), unshare: u };
}

function usageError(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ProfileError && e.kind === 'usage' && re.test(e.message));
}

const ALL_SORTED = [...PROFILE_UNSHARE_OPTIONS].sort();

describe('unshare (FlatImage fim-unshare semantics)', () => {
  it('add merges (the seed: ipc,pid + uts = ipc,pid,uts)', () => {
    const p = unshareAdd(withUnshare('ipc', 'pid'), ['uts']);
    assert.deepEqual(unshareList(p), ['ipc', 'pid', 'uts']);
  });
  it('add of a single option, of several comma-separated, idempotent', () => {
    assert.deepEqual(unshareAdd(emptyProfile(), ['ipc']).unshare, ['ipc']);
    assert.deepEqual(unshareAdd(emptyProfile(), ['ipc,pid,uts']).unshare, ['ipc', 'pid', 'uts']);
    assert.deepEqual(unshareAdd(withUnshare('ipc'), ['ipc']).unshare, ['ipc']);
  });
  it('options may also come as several arguments, and in any case', () => {
    assert.deepEqual(unshareAdd(emptyProfile(), ['ipc,pid', 'NET', 'Uts']).unshare, ['ipc', 'net', 'pid', 'uts']);
  });
  it('set replaces (the seed: ipc,pid,uts set user,net = net,user)', () => {
    const p = unshareSet(withUnshare('ipc', 'pid', 'uts'), ['user,net']);
    assert.deepEqual(unshareList(p), ['net', 'user']);
  });
  it('del removes, the others stay; del of an absent option is fine', () => {
    assert.deepEqual(unshareDel(withUnshare('ipc', 'pid', 'uts'), ['ipc']).unshare, ['pid', 'uts']);
    assert.deepEqual(unshareDel(withUnshare('ipc', 'pid', 'uts'), ['ipc,pid']).unshare, ['uts']);
    assert.deepEqual(unshareDel(emptyProfile(), ['ipc']).unshare, []);
  });
  it('clear empties', () => {
    assert.deepEqual(unshareClear(withUnshare('ipc', 'net')).unshare, []);
  });
  it('list is one lowercase name per line, alphabetical (FlatImage: ipc, pid, user)', () => {
    assert.deepEqual(unshareList(unshareAdd(emptyProfile(), ['user,pid,ipc'])), ['ipc', 'pid', 'user']);
  });
  it('all: every option (FlatImage six + mount, time), with add and set; del all clears', () => {
    assert.deepEqual(unshareAdd(emptyProfile(), ['all']).unshare, ALL_SORTED);
    assert.deepEqual(unshareSet(withUnshare('ipc'), ['all']).unshare, ALL_SORTED);
    assert.deepEqual(unshareDel(unshareAdd(emptyProfile(), ['all']), ['all']).unshare, []);
    assert.equal(ALL_SORTED.length, 8);
  });
  it('all cannot be combined with others', () => {
    for (const args of [['all,ipc'], ['ipc,all'], ['all', 'pid']]) {
      usageError(() => unshareAdd(emptyProfile(), args), /option 'all' should not be used with others/);
      usageError(() => unshareSet(emptyProfile(), args), /option 'all' should not be used with others/);
    }
  });
  it('unknown options: an error naming it and listing the valid ones; nothing changes', () => {
    const p = withUnshare('ipc');
    for (const [args, bad] of [
      [['invalid'], 'invalid'],
      [['ipc,invalid'], 'invalid'],
      [['none'], 'none'],
      [['ipc,,pid'], ''],
      [['ipc', 'mnt'], 'mnt'],
    ] as const) {
      for (const f of [unshareAdd, unshareDel, unshareSet]) {
        usageError(
          () => f(p, args),
          new RegExp(`invalid unshare option '${bad}' \\(valid: all, user, ipc, pid, net, uts, cgroup, mount, time\\)`),
        );
      }
    }
    assert.deepEqual(p.unshare, ['ipc']);
  });
  it('no options at all is an error', () => {
    usageError(() => parseUnshareOptions([], 'add'), /unshare add: no options given/);
  });
  it('never modifies its input', () => {
    const p = withUnshare('ipc');
    unshareAdd(p, ['pid']);
    unshareSet(p, ['net']);
    unshareClear(p);
    assert.deepEqual(p.unshare, ['ipc']);
  });
});

describe('env', () => {
  it('add, set, del, clear, list; $VAR kept literally', () => {
    let p = envAdd(emptyProfile(), ['B=2', 'A=$HOME/x', 'E=']);
    assert.deepEqual(envList(p), ['A=$HOME/x', 'B=2', 'E=']);
    p = envAdd(p, ['B=3', 'C=a=b']);
    assert.deepEqual(envList(p), ['A=$HOME/x', 'B=3', 'C=a=b', 'E=']);
    p = envDel(p, ['A', 'C=whatever', 'MISSING']);
    assert.deepEqual(envList(p), ['B=3', 'E=']);
    p = envSet(p, ['Z=1']);
    assert.deepEqual(envList(p), ['Z=1']);
    assert.deepEqual(envList(envClear(p)), []);
  });
  it('errors', () => {
    usageError(() => envAdd(emptyProfile(), []), /env add: no KEY=VALUE given/);
    usageError(() => envAdd(emptyProfile(), ['NOEQUALS']), /env add: expected KEY=VALUE, got 'NOEQUALS'/);
    usageError(() => envSet(emptyProfile(), ['=v']), /env set: invalid variable name ''/);
    usageError(() => envDel(emptyProfile(), []), /env del: no KEY given/);
  });
});

describe('bind', () => {
  it('add ro|rw|dev, list in FlatImage format, del INDEX renumbers, clear', () => {
    let p = bindAdd(emptyProfile(), ['dev', '/dev/video0', '/dev/video0']);
    p = bindAdd(p, ['ro', '$HOME/Music', '/Music']);
    p = bindAdd(p, ['rw', '/srv', '/srv']);
    assert.equal(
      bindList(bindDel(p, ['2'])),
      '{\n  "0": {\n    "dst": "/dev/video0",\n    "src": "/dev/video0",\n    "type": "dev"\n  },\n  "1": {\n    "dst": "/Music",\n    "src": "$HOME/Music",\n    "type": "ro"\n  }\n}\n',
    );
    assert.deepEqual(bindDel(p, ['0']).binds.map((b) => b.dst), ['/Music', '/srv']);
    assert.equal(bindList(emptyProfile()), '');
    assert.deepEqual(bindClear(p).binds, []);
  });
  it('errors', () => {
    usageError(() => bindAdd(emptyProfile(), ['ro', '/a']), /bind add: expected ro\|rw\|dev SRC DST/);
    usageError(() => bindAdd(emptyProfile(), ['rx', '/a', '/b']), /bind add: invalid bind type 'rx' \(valid: ro, rw, dev\)/);
    usageError(() => bindAdd(emptyProfile(), ['ro', '', '/b']), /must not be empty/);
    const p = bindAdd(emptyProfile(), ['ro', '/a', '/b']);
    usageError(() => bindDel(p, ['1']), /no bind with index 1 \(0\.\.0\)/);
    usageError(() => bindDel(emptyProfile(), ['0']), /there are none/);
    usageError(() => bindDel(p, ['-1']), /invalid index '-1'/);
    usageError(() => bindDel(p, []), /expected one INDEX/);
  });
});

describe('hostname, cwd, command, time', () => {
  it('hostname set/clear', () => {
    const p = hostnameSet(emptyProfile(), ['box']);
    assert.equal(p.hostname, 'box');
    assert.equal(hostnameClear(p).hostname, undefined);
    usageError(() => hostnameSet(emptyProfile(), ['x'.repeat(65)]), /invalid hostname/);
    usageError(() => hostnameSet(emptyProfile(), []), /expected one NAME/);
  });
  it('cwd set/clear', () => {
    const p = cwdSet(emptyProfile(), ['$HOME/work']);
    assert.equal(p.cwd, '$HOME/work');
    assert.equal(cwdClear(p).cwd, undefined);
    usageError(() => cwdSet(emptyProfile(), ['a', 'b']), /expected one DIR/);
  });
  it('command set/clear/show', () => {
    const p = commandSet(emptyProfile(), ['sh', '-c', "echo 'hi' $X"]);
    assert.deepEqual(p.command, ['sh', '-c', "echo 'hi' $X"]);
    assert.equal(commandShow(p), `sh -c 'echo '\\''hi'\\'' $X'\n`);
    assert.equal(commandShow(commandClear(p)), '');
    usageError(() => commandSet(emptyProfile(), []), /expected PROGRAM/);
    assert.equal(shellQuote(''), "''");
  });
  it('time set/clear/list', () => {
    let p = timeSet(emptyProfile(), ['monotonic=10,boottime=-5']);
    assert.deepEqual(p.time, { monotonic: 10, boottime: -5 });
    assert.deepEqual(timeList(p), ['monotonic=10', 'boottime=-5']);
    p = timeSet(p, ['boottime=+3']);
    assert.deepEqual(p.time, { boottime: 3 });
    assert.deepEqual(timeSet(emptyProfile(), ['monotonic=1', 'boottime=2']).time, { monotonic: 1, boottime: 2 });
    assert.deepEqual(timeList(timeClear(p)), []);
    usageError(() => timeSet(emptyProfile(), []), /expected monotonic=N/);
    usageError(() => timeSet(emptyProfile(), ['realtime=1']), /invalid clock 'realtime'/);
    usageError(() => timeSet(emptyProfile(), ['monotonic=1.5']), /invalid offset 'monotonic=1.5'/);
    usageError(() => timeSet(emptyProfile(), ['monotonic=99999999999999999999']), /out of range/);
  });
});

describe('validation', () => {
  it('profile names', () => {
    for (const ok of ['myapp', 'my app', 'a.b', 'x'.repeat(128), 'ünï', 'list']) validateProfileName(ok);
    for (const [bad, why] of [
      ['', /empty/],
      ['a/b', /contains '\/'/],
      ['.', /not a file name/],
      ['..', /not a file name/],
      ['.hidden', /starts with '\.'/],
      ['-x', /starts with '-'/],
      ['a\0b', /control character/],
      ['a\nb', /control character/],
      ['x'.repeat(129), /longer than 128/],
    ] as const) {
      assert.throws(
        () => validateProfileName(bad),
        (e: unknown) => e instanceof ProfileError && e.kind === 'bad-name' && e.message.includes(JSON.stringify(bad)) && why.test(e.message),
      );
    }
  });
  it('a minimal file is a valid profile; unshare is normalised', () => {
    assert.deepEqual(validateProfile({ version: 1 }), emptyProfile());
    assert.deepEqual(validateProfile({ version: 1, unshare: ['pid', 'ipc', 'pid'] }).unshare, ['ipc', 'pid']);
  });
  it('newer version: newer-version, with the path', () => {
    assert.throws(
      () => parseProfileText('{"version": 2}', '/x/p.json'),
      (e: unknown) => e instanceof ProfileError && e.kind === 'newer-version' && e.path === '/x/p.json' && /^\/x\/p\.json: profile format version 2 is newer/.test(e.message),
    );
  });
  it('corrupt: not JSON, or wrong fields, with the path', () => {
    const cases: [string, RegExp][] = [
      ['{"version": 1,', /not valid JSON/],
      ['[]', /not a JSON object/],
      ['{"version": 0}', /"version" must be 1/],
      ['{"version": "1"}', /"version" must be 1/],
      ['{"version": 1, "hostnme": "x"}', /unknown field "hostnme"/],
      ['{"version": 1, "unshare": ["mnt"]}', /unknown option "mnt"/],
      ['{"version": 1, "unshare": "ipc"}', /"unshare" must be an array/],
      ['{"version": 1, "env": {"A": 1}}', /value of A must be a string/],
      ['{"version": 1, "env": {"A=B": "1"}}', /invalid variable name/],
      ['{"version": 1, "binds": [{"mode": "rx", "src": "/a", "dst": "/b"}]}', /mode must be one of/],
      ['{"version": 1, "binds": [{"mode": "ro", "src": "", "dst": "/b"}]}', /src must be a non-empty string/],
      ['{"version": 1, "command": []}', /"command" must be a non-empty array/],
      ['{"version": 1, "hostname": ""}', /"hostname" must be a non-empty string/],
      ['{"version": 1, "time": {"realtime": 1}}', /unknown clock "realtime"/],
      ['{"version": 1, "time": {"monotonic": 1.5}}', /must be an integer/],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => parseProfileText(text, '/x/p.json'),
        (e: unknown) => e instanceof ProfileError && e.kind === 'corrupt' && e.path === '/x/p.json' && e.message.startsWith('/x/p.json: ') && re.test(e.message),
        text,
      );
    }
  });
  it('serialisation is canonical and round-trips', () => {
    let p = envAdd(emptyProfile(), ['Z=1', 'A=2']);
    p = unshareAdd(p, ['pid,ipc']);
    p = bindAdd(p, ['ro', '/a', '/b']);
    p = hostnameSet(cwdSet(commandSet(timeSet(p, ['boottime=1']), ['true']), ['/']), ['h']);
    const text = serializeProfile(p);
    assert.equal(
      text,
      '{\n  "version": 1,\n  "unshare": [\n    "ipc",\n    "pid"\n  ],\n  "env": {\n    "A": "2",\n    "Z": "1"\n  },\n  "binds": [\n    {\n      "mode": "ro",\n      "src": "/a",\n      "dst": "/b"\n    }\n  ],\n  "hostname": "h",\n  "cwd": "/",\n  "command": [\n    "true"\n  ],\n  "time": {\n    "boottime": 1\n  }\n}\n',
    );
    assert.deepEqual(parseProfileText(text), p);
  });
});
