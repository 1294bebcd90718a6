/**
 * Network namespaces with a forking helper: the program is in the namespace the helper reports
 * (and persists), `lo` is up, and a refusal by the kernel reads as util-linux's, with nothing
 * started and nothing left behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { spawn } from '../index.js';
import {
  NSBOX_CLI,
  UTIL_UNSHARE,
  describeResult,
  requireRoot,
  requireTestUser,
  runCommand,
  runNsbox,
  useFileLeakCheck,
  withScope,
} from './harness.js';

useFileLeakCheck();

/** The program's output, as a promise, from a library spawn(). */
function output(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stdout: string }> {
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('network namespace with fork', () => {
  it('the program is in the reported network namespace, owned by the new user namespace, lo up', async () => {
    const child = spawn('sh', ['-c', 'readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate 2>/dev/null || ip -o link 2>/dev/null; cat /proc/net/dev | grep -c ":"'], {
      user: true,
      mapRootUser: true,
      net: true,
      pid: true,
      fork: true,
      mount: true,
      mountProc: true,
      loopback: true,
    });
    const done = output(child);
    const ns = await child.ready;
    const { code, stdout } = await done;
    assert.equal(code, 0, stdout);
    const [link, , ifaces] = stdout.trim().split('\n');
    assert.equal(link, `net:[${ns.namespaces.net}]`);
    assert.notEqual(link, fs.readlinkSync('/proc/self/ns/net'));
    // A new namespace has lo only.
    assert.equal(ifaces, '1');
  });

  it('a persisted network namespace is the program\'s ', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const file = join(scope.tmpdir(), "netns");
      fs.writeFileSync(file, '');
      const r = await runNsbox(['--net=' + file, '--fork', '--pid', '--mount-proc', 'readlink', '/proc/self/ns/net'], { scope });
      assert.equal(r.code, 0, describeResult(r));
      assert.equal(r.stdout.trim(), `net:[${fs.statSync(file).ino}]`);
      const un = await runCommand(['umount', file], { scope });
      assert.equal(un.code, 0, describeResult(un));
    });
  });

  for (const as of ['root', 'user'] as const) {
    it(`[${as}] refused by the kernel (max_net_namespaces=0): same message and status as util-linux, nothing started`, async (t) => {
      if (as === 'root' && !requireRoot(t)) return;
      if (as === 'user' && !requireTestUser(t)) return;
      await withScope(async (scope) => {
        // The limit applies in a user namespace of our own, so the host is not touched.
        const limited = (cmd: string) => ['/usr/bin/unshare', '-r', 'sh', '-c', `echo 0 > /proc/sys/user/max_net_namespaces && exec ${cmd}`];
        const args = '--net --pid --fork --mount --mount-proc sh -c "echo started"';
        const ours = await runCommand(limited(`"${process.execPath}" "${NSBOX_CLI}" unshare ${args}`), { scope, asUser: as === 'user' });
        const util = await runCommand(limited(`${UTIL_UNSHARE} ${args}`), { scope, asUser: as === 'user' });
        assert.equal(ours.code, 1, describeResult(ours));
        assert.equal(ours.code, util.code);
        assert.equal(ours.stderr, 'nsbox unshare: unshare failed: No space left on device\n');
        assert.equal(util.stderr, 'unshare: unshare failed: No space left on device\n');
        assert.doesNotMatch(ours.stdout, /started/);
      });
    });
  }
});
