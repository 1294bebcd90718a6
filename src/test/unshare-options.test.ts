/**
 * Positive tests of the options the installed util-linux (2.38.1) does not have, so they run
 * through nsbox alone, asserted against what newest util-linux does (reference §1.5, §1.8):
 * --mount-binfmt, -l/--load-interp, --owner, --map-subids.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult, requireRoot, requireTestUser, runCommand, runNsbox, squeeze, useFileLeakCheck, withScope } from './harness.js';

useFileLeakCheck();

describe('unshare: options newer than the installed util-linux', { concurrency: 4 }, () => {
  it('[root] --mount-binfmt mounts a private binfmt_misc (with a pid namespace for its /proc)', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const r = await runNsbox(['-r', '--fork', '--pid', '--mount-binfmt', 'ls', '/proc/sys/fs/binfmt_misc'], { scope });
      assert.equal(r.code, 0, describeResult(r));
      assert.equal(r.stdout, 'register\nstatus\n');
    });
  });

  it('[user] -l registers an interpreter in the namespace only', async (t) => {
    if (!requireTestUser(t)) return;
    await withScope(async (scope) => {
      const r = await runNsbox(['-r', '--fork', '--pid', '-l', ':nsboxtest:E::tstx::/bin/cat:', 'cat', '/proc/sys/fs/binfmt_misc/nsboxtest'], {
        scope,
        asUser: true,
      });
      assert.equal(r.code, 0, describeResult(r));
      assert.equal(r.stdout, 'enabled\ninterpreter /bin/cat\nflags: \nextension .tstx\n');
      const outside = await runCommand(['sh', '-c', 'test -e /proc/sys/fs/binfmt_misc/nsboxtest && echo leaked || echo absent'], { scope });
      assert.equal(outside.stdout, 'absent\n');
    });
  });

  it('[root] a malformed interpreter string is reported like util-linux', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const r = await runNsbox(['-r', '--fork', '--pid', '-l', ':bad', 'true'], { scope });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'nsbox unshare: write failed /proc/sys/fs/binfmt_misc/register: Invalid argument\n');
    });
  });

  it('[root] --mount-binfmt without a pid namespace: proc cannot be mounted', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const r = await runNsbox(['--mount-binfmt', 'true'], { scope });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'nsbox unshare: mount /proc failed: Operation not permitted\n');
    });
  });

  it('[root] --owner makes the user namespace belong to another user, who can enter it', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      const file = join(dir, 'userns');
      writeFileSync(file, '');
      const r = await runNsbox([`--owner=${user.uid}:${user.gid}`, `--user=${file}`, '--map-users=0:100000:10', 'true'], { scope });
      assert.equal(r.code, 0, describeResult(r));
      const inside = await runCommand(['nsenter', `--user=${file}`, '--preserve-credentials', 'sh', '-c', 'id -u; cat /proc/self/uid_map'], {
        scope,
        asUser: true,
      });
      assert.equal(squeeze(inside.stdout), '65534\n0 100000 10\n', describeResult(inside));
      const umount = await runCommand(['umount', file], { scope });
      assert.equal(umount.code, 0, describeResult(umount));
    });
  });

  it('[user] --map-subids maps the first subordinate block onto itself', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    await withScope(async (scope) => {
      const r = await runNsbox(['--map-subids', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'], { scope, asUser: true });
      assert.equal(r.code, 0, describeResult(r));
      const u = user.subuid;
      const g = user.subgid;
      assert.equal(squeeze(r.stdout), `${u.start} ${u.start} ${u.count}\n${g.start} ${g.start} ${g.count}\n`);
    });
  });
});
