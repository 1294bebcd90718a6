/**
 * Self-tests of the test harness: a leak check that never fires, or a normalisation that hides
 * real differences, would make every other test meaningless.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  IN_CI,
  LeakScope,
  assertNoLeaks,
  copyPackageForUser,
  describeResult,
  normalise,
  processesWithToken,
  requireCapability,
  requireRoot,
  requireTestUser,
  requireUtilUnshare,
  run,
  runCommand,
  sh,
  shellStatus,
  snapshotLeaks,
  squeeze,
  withScope,
} from './harness.js';

describe('harness: normalise', () => {
  it('maps both program prefixes and the --help hint to util-linux wording', () => {
    assert.equal(
      normalise("nsbox unshare: unrecognized option '--x'\nTry 'nsbox unshare --help' for more information.\n"),
      "unshare: unrecognized option '--x'\nTry 'unshare --help' for more information.\n",
    );
    assert.equal(normalise("/usr/bin/unshare: invalid option -- 'x'\n"), "unshare: invalid option -- 'x'\n");
  });

  it('hides pids and namespace inodes, and nothing else', () => {
    assert.equal(
      normalise('unshare: mount /proc/4927/ns/uts on /tmp/nsd failed: Not a directory\n'),
      'unshare: mount /proc/PID/ns/uts on /tmp/nsd failed: Not a directory\n',
    );
    assert.equal(normalise('nsfs[uts:[4026532177]] pid=123 exit 42'), 'nsfs[uts:[INODE]] pid=PID exit 42');
    // a prefix in the middle of a line is program output, not ours
    assert.equal(normalise('echo nsbox unshare: x'), 'echo nsbox unshare: x');
  });

  it('squeeze collapses id-map columns', () => {
    assert.equal(squeeze('         0       1001          1\n'), '0 1001 1\n');
  });
});

describe('harness: skip policy', () => {
  it('requireCapability skips outside CI and fails in CI', () => {
    let skipped: string | undefined;
    const fake = { skip: (m?: string) => void (skipped = m ?? '') };
    if (IN_CI) {
      assert.throws(() => requireCapability(fake, false, 'needs X'), /required capability unavailable in CI: needs X/);
    } else {
      assert.equal(requireCapability(fake, false, 'needs X'), false);
      assert.equal(skipped, 'needs X');
    }
    skipped = undefined;
    assert.equal(requireCapability(fake, true, 'needs Y'), true);
    assert.equal(skipped, undefined);
  });
});

describe('harness: leak checks fire', { concurrency: 1 }, () => {
  it('a process left behind (carrying the scope token) is reported', async (t) => {
    if (!requireRoot(t)) return;
    const scope = await LeakScope.begin();
    try {
      const r = await runCommand(['sh', '-c', 'sleep 5 </dev/null >/dev/null 2>&1 &'], { scope });
      assert.equal(shellStatus(r), 0);
      await assert.rejects(scope.check(300), /process left behind: .*comm sleep/);
      assert.equal(processesWithToken(scope.token).length, 1);
    } finally {
      scope.dispose();
    }
    // SIGKILL is asynchronous: give the kernel (and the reaper of the orphan) a moment.
    for (let i = 0; i < 40 && processesWithToken(scope.token).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(processesWithToken(scope.token).length, 0, 'dispose() kills what is left');
  });

  it('a leftover holding stdout shows as pipesHeldOpen', async (t) => {
    if (!requireRoot(t)) return;
    const scope = await LeakScope.begin();
    try {
      const r = await runCommand(['sh', '-c', 'sleep 5 &'], { scope, closeGraceMs: 300 });
      assert.equal(r.pipesHeldOpen, true);
    } finally {
      scope.dispose();
    }
  });

  it('a mount left under a scope directory is reported, and removed by dispose()', async (t) => {
    if (!requireRoot(t)) return;
    const scope = await LeakScope.begin();
    let dir = '';
    try {
      dir = scope.tmpdir();
      fs.writeFileSync(join(dir, 'f'), '');
      sh(`mount --bind /proc/self/ns/uts '${join(dir, 'f')}'`);
      await assert.rejects(scope.check(100), /mount left behind: .*\/f \(nsfs/);
    } finally {
      scope.dispose();
    }
    assert.equal(fs.existsSync(dir), false);
    assert.equal(sh(`grep -c '${dir}' /proc/self/mountinfo || true`).trim(), '0');
  });

  it('an fd left open in the test process is reported when nothing else runs', async () => {
    const before = snapshotLeaks({ fds: true, dirs: [] });
    const fd = fs.openSync('/dev/null', 'r');
    try {
      await assert.rejects(assertNoLeaks(before, 100), /fd left open in the test process: \d+ -> \/dev\/null/);
    } finally {
      fs.closeSync(fd);
    }
    await assertNoLeaks(before, 100);
  });

  it("util-linux's orphaned id-map helper (reference §1.4) is caught, so the nsbox check means something", async (t) => {
    if (!requireRoot(t) || !requireUtilUnshare(t) || !requireTestUser(t)) return;
    const scope = await LeakScope.begin();
    try {
      const r = await run('util', ['--map-auto', '/usr/bin/unshare', '--map-users=0,0,1', 'true'], { scope, asUser: true, closeGraceMs: 500 });
      assert.match(r.stderr, /unshare failed: Operation not permitted/, describeResult(r));
      assert.equal(r.pipesHeldOpen, true, 'the orphan holds stdout open');
      await assert.rejects(scope.check(300), /process left behind: .*--map-users=0,0,1/);
    } finally {
      scope.dispose();
    }
  });
});

describe('harness: the package copy for an unreadable checkout', () => {
  it('the copied CLI runs as the test user', async (t) => {
    if (!requireRoot(t) || !requireTestUser(t)) return;
    const copy = copyPackageForUser();
    assert.equal(fs.statSync(copy.dir).mode & 0o777, 0o755);
    await withScope(async (scope) => {
      const r = await run('nsbox', ['-r', 'id', '-u'], { scope, asUser: true, cli: copy });
      assert.equal(r.stdout, '0\n', describeResult(r));
      assert.equal(shellStatus(r), 0, describeResult(r));
    });
  });
});
