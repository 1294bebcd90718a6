/**
 * util-linux's own unshare tests (tests/ts/unshare/, reference §4.1), reproduced against
 * `nsbox unshare`: same commands, same expected output (tests/expected/unshare/*), and, as in
 * util-linux's harness, stderr must be empty (there is no .err file for these tests).
 *
 * - unshare/env (subtests clear-env, whitelist-env) and unshare/clear-env
 * - unshare/forward-signals, unshare/forward-signals-kill-child: `test_sigreceive` (exits with
 *   the number of the signal it receives) is replaced by a `sh -c 'trap ...'` script doing the
 *   same; as upstream, they run as root with --user --map-root-user. A rootless variant follows.
 *
 * All of these are HEAD-only options, so they run through nsbox alone (2.38.1 lacks them: the
 * upstream harness reports "unrecognized option" failures or skips, reference §4.3).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type LeakScope,
  type SkipContext,
  describeResult,
  useFileLeakCheck,
  requireRoot,
  requireTestUser,
  run,
  shellStatus,
  start,
  waitForProcess,
  withScope,
} from './harness.js';

/** test_sigreceive as a shell script: exit with the number of the first signal received. */
const SIGRECEIVE = [
  'sh',
  '-c',
  "trap 'exit 1' HUP; trap 'exit 2' INT; trap 'exit 10' USR1; trap 'exit 12' USR2; trap 'exit 15' TERM; " +
    'while :; do sleep 0.1 </dev/null >/dev/null 2>&1 & wait $!; done',
];

async function forwardSignals(t: SkipContext, o: { killChild: boolean; asUser?: boolean }): Promise<void> {
  if (!requireRoot(t)) return;
  if (o.asUser && !requireTestUser(t)) return;
  await withScope(async (scope: LeakScope) => {
    const args = ['--user', '--map-root-user', '--pid', '--mount-proc', '--fork', '--forward-signals', ...(o.killChild ? ['--kill-child'] : []), ...SIGRECEIVE];
    const running = start('nsbox', args, { scope, asUser: o.asUser, timeout: 10_000 });
    // Upstream waits 2 s "for the child to set up its handlers"; the handlers are set before the
    // first sleep starts, so waiting for that sleep is enough.
    await waitForProcess(scope, 'sleep');
    running.kill('SIGTERM');
    const r = await running.result;
    const status = shellStatus(r);
    const output = status === 15 ? `SIGTERM forwarded successfully${o.killChild ? ' with kill-child' : ''}` : `UNEXPECTED EXIT CODE: ${status}`;
    assert.equal(output, `SIGTERM forwarded successfully${o.killChild ? ' with kill-child' : ''}`, describeResult(r));
    assert.equal(r.stdout, '', describeResult(r));
    assert.equal(r.stderr, '', describeResult(r));
  });
}

useFileLeakCheck();

describe('upstream util-linux tests: unshare', { concurrency: 4 }, () => {
  it('unshare/env: clear-env', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const r = await run('nsbox', ['--clear-env', '/bin/bash', '-c', 'echo "${UL_TEST_ENV:-CLEARED}"'], { scope, env: { UL_TEST_ENV: 'foo' } });
      assert.equal(r.stdout, 'CLEARED\n', describeResult(r));
      assert.equal(r.stderr, '', describeResult(r));
      assert.equal(shellStatus(r), 0, describeResult(r));
    });
  });

  it('unshare/env: whitelist-env', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const r = await run('nsbox', ['--whitelist-env', 'UL_TEST_ENV1', '/bin/bash', '-c', 'echo "${UL_TEST_ENV1}${UL_TEST_ENV2}"'], {
        scope,
        env: { UL_TEST_ENV1: 'foo', UL_TEST_ENV2: 'bar' },
      });
      assert.equal(r.stdout, 'foo\n', describeResult(r));
      assert.equal(r.stderr, '', describeResult(r));
      assert.equal(shellStatus(r), 0, describeResult(r));
    });
  });

  it('unshare/clear-env: nothing survives (echo $UL_TEST_ENV prints an empty line, nothing on stderr)', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const r = await run('nsbox', ['--clear-env', '/bin/bash', '-c', 'echo $UL_TEST_ENV'], { scope, env: { UL_TEST_ENV: 'foo' } });
      // upstream: res="$(... 2>&1)"; [[ -n "$res" ]] fails. $(...) strips the trailing newline.
      assert.equal((r.stdout + r.stderr).replace(/\n+$/, ''), '', describeResult(r));
    });
  });

  it('unshare/forward-signals: SIGTERM reaches test_sigreceive (exit 15)', (t) => forwardSignals(t, { killChild: false }));

  it('unshare/forward-signals-kill-child: SIGTERM is forwarded first (exit 15)', (t) => forwardSignals(t, { killChild: true }));

  it('unshare/forward-signals, rootless variant (as nsboxtest)', (t) => forwardSignals(t, { killChild: false, asUser: true }));

  it('unshare/forward-signals-kill-child, rootless variant (as nsboxtest)', (t) => forwardSignals(t, { killChild: true, asUser: true }));
});
