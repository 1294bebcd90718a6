import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  basename,
  defaultShell,
  getgrgid,
  getgrnam,
  getpwnam,
  getpwuid,
  loginShellArgv0,
  lookupGroupId,
  lookupUserId,
  parseGroup,
  parsePasswd,
} from './users.js';

const dir = mkdtempSync(join(tmpdir(), 'nsbox-users-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const passwd = join(dir, 'passwd');
const group = join(dir, 'group');
writeFileSync(
  passwd,
  [
    '# comment',
    'root:x:0:0:root:/root:/bin/bash',
    '',
    'games:x:5:60:games:/usr/games:/usr/sbin/nologin',
    'broken:x:notanumber:1::/:/bin/sh',
    'tuser:x:1001:1001:Test User,,,:/home/tuser:/bin/zsh',
    'noshell:x:1002:1002::/home/noshell:',
    'dup:x:1001:1001::/:/bin/dash',
  ].join('\n') + '\n',
);
writeFileSync(group, 'root:x:0:\nlp:x:7:\ntuser:x:1001:a,b\n');

test('parsing skips comments, blank and malformed lines', () => {
  const entries = parsePasswd('#x\nroot:x:0:0:r:/root:/bin/bash\nbad:x::0::/:\n');
  assert.deepEqual(entries, [{ name: 'root', passwd: 'x', uid: 0, gid: 0, gecos: 'r', dir: '/root', shell: '/bin/bash' }]);
  assert.deepEqual(parseGroup('g:x:5:a,b\n'), [{ name: 'g', passwd: 'x', gid: 5, members: ['a', 'b'] }]);
});

test('look-ups by name and id (first match wins)', () => {
  assert.equal(getpwnam('tuser', passwd)?.uid, 1001);
  assert.equal(getpwuid(1001, passwd)?.name, 'tuser');
  assert.equal(getpwuid(4242, passwd), undefined);
  assert.equal(getpwnam('nosuch', join(dir, 'missing')), undefined);
  assert.equal(getgrnam('lp', group)?.gid, 7);
  assert.equal(getgrgid(1001, group)?.members.join(), 'a,b');
});

test('ul_getuserpw_str / ul_getgrp_str semantics', () => {
  assert.deepEqual(lookupUserId('tuser', passwd), { ok: true, id: 1001 });
  assert.deepEqual(lookupUserId('5', passwd), { ok: true, id: 5 });
  // a number needs no passwd entry
  assert.deepEqual(lookupUserId('4242', passwd), { ok: true, id: 4242 });
  assert.deepEqual(lookupUserId('nosuchuser', passwd), { ok: false, errno: 'EINVAL' });
  assert.deepEqual(lookupUserId('4294967296', passwd), { ok: false, errno: 'ERANGE' });
  assert.deepEqual(lookupUserId('-1', passwd), { ok: false, errno: 'ERANGE' });
  assert.deepEqual(lookupUserId('4294967295', passwd), { ok: false, errno: 'EINVAL' });
  assert.deepEqual(lookupGroupId('lp', group), { ok: true, id: 7 });
  assert.deepEqual(lookupGroupId('nosuchgroup', group), { ok: false, errno: 'EINVAL' });
});

test('default shell: $SHELL, then the passwd shell, then /bin/sh', () => {
  assert.equal(defaultShell({ SHELL: '/bin/fish' }, 1001, passwd), '/bin/fish');
  assert.equal(defaultShell({ SHELL: '' }, 1001, passwd), '/bin/zsh');
  assert.equal(defaultShell({}, 0, passwd), '/bin/bash');
  assert.equal(defaultShell({}, 1002, passwd), '/bin/sh');
  assert.equal(defaultShell({}, 4242, passwd), '/bin/sh');
  assert.equal(defaultShell({}, 0, join(dir, 'missing')), '/bin/sh');
});

test('login shell argv[0]', () => {
  assert.equal(loginShellArgv0('/bin/bash'), '-bash');
  assert.equal(loginShellArgv0('/usr/bin/zsh/'), '-zsh');
  assert.equal(loginShellArgv0('sh'), '-sh');
  assert.equal(basename('/'), '/');
  assert.equal(basename(''), '.');
});
