// The stress engine (src/stress.ts, `npm run stress`) at CI size: a few hundred sandboxes 64 at
// a time, as root and as the test user, with no leak and no unexpected outcome. Plus the bug the
// full-size run found (a signal forwarded to init before it had its handlers was lost).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from '../index.js';
import { detailLines, runStress, stressProcesses, summaryLine, type StressReport } from '../stress.js';
import { delay, mountinfo, removeTmpdir, requireRoot, requireTestUser, runCommand, TEST_USER, userCli, useFileLeakCheck, waitFor } from './harness.js';

useFileLeakCheck();

const COUNT = 500;

function assertClean(r: StressReport): void {
  const why = [summaryLine(r), ...detailLines(r)].join('\n');
  assert.equal(r.total, COUNT, why);
  assert.equal(r.stoppedByTime, false, why);
  assert.equal(r.unexpected, 0, why);
  assert.deepEqual(r.leaks, { processes: 0, zombies: 0, mounts: 0, nsfs: 0, namespaces: 0, fds: 0 }, why);
  assert.equal(r.during.lingeringProcesses, 0, why);
  assert.equal(r.during.zombies, 0, why);
  assert.ok(r.memory.ok, why);
  assert.ok(r.clean, why);
  assert.ok(r.peakConcurrency > 1, why);
  // The mix really mixes: every scenario ran, and the deliberate failures happened.
  for (const [name, c] of Object.entries(r.byScenario)) assert.ok(c.ok + c.expectedFailure > 0, `scenario ${name} never ran\n${why}`);
  for (const k of ['missing-program', 'bad-map', 'exit-nonzero', 'killed-by-signal']) assert.ok((r.byOutcome[k] ?? 0) > 0, `no ${k}\n${why}`);
}

describe('stress (CI size)', () => {
  it(`root: ${COUNT} sandboxes 64 at a time, every outcome as expected, nothing left behind`, async (t) => {
    if (!requireRoot(t)) return;
    const r = await runStress({ count: COUNT, concurrency: 64, seed: 7, maxSeconds: 120 });
    t.diagnostic(summaryLine(r));
    assertClean(r);
    assert.ok(r.ok > 0 && (r.byScenario.persist?.ok ?? 0) > 0, 'persisted namespaces were checked and released');
  });

  it(`as ${TEST_USER}: ${COUNT} sandboxes 64 at a time (newuidmap, refused persistence), nothing left behind`, async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    const entry = pathToFileURL(join(dirname(userCli(user).cli), 'stress.js')).href;
    const code = `const m = await import(${JSON.stringify(entry)}); process.exitCode = await m.main(['--count', '${COUNT}', '--concurrency', '64', '--seed', '7', '--max-seconds', '120', '--json']);`;
    const res = await runCommand([process.execPath, '--expose-gc', '--input-type=module', '-e', code], { asUser: true, timeout: 150_000 });
    assert.ok(res.stdout.trim() !== '', `no report: status ${res.code} ${res.signal}\n${res.stderr}`);
    const r = JSON.parse(res.stdout) as StressReport;
    t.diagnostic(summaryLine(r));
    assert.equal(r.root, false);
    assertClean(r);
    assert.ok((r.byOutcome['persist-refused'] ?? 0) > 0, 'rootless persistence is refused with EPERM');
    assert.equal(res.code, 0, res.stderr);
  });
});

describe('stress checks', () => {
  // The zeros above mean something only if the checks see a leak when there is one.
  it('see a process, a mount, an nsfs bind, namespaces and an fd left behind on purpose', async (t) => {
    if (!requireRoot(t)) return;
    const r = await runStress({ count: 100, concurrency: 16, seed: 3, injectLeaks: true });
    const why = [summaryLine(r), ...detailLines(r)].join('\n');
    assert.equal(r.unexpected, 0, why);
    assert.equal(r.leaks.processes, 1, why);
    assert.equal(r.leaks.mounts, 1, why);
    assert.equal(r.leaks.nsfs, 1, why);
    assert.ok(r.leaks.namespaces >= 2, why); // the persisted uts, the net one held by the fd (and the sleep's)
    assert.equal(r.leaks.fds, 1, why);
    // (During the run it is seen too if two samples fall after its end: timing, not asserted.)
    assert.equal(r.clean, false, why);
  });
});

describe('stress: the Node process dies mid-run', () => {
  it('takes every sandbox with it (nothing survives a SIGKILL of the process that spawned them)', async () => {
    const token = randomBytes(6).toString('hex');
    const stressJs = new URL('../stress.js', import.meta.url).href;
    const code = `const m = await import(${JSON.stringify(stressJs)}); await m.main(['--count', '100000', '--max-seconds', '60', '--quiet']);`;
    const child = cp.spawn(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, NSBOX_STRESS_RUN: token }, stdio: 'ignore' });
    try {
      await waitFor(() => stressProcesses(token).length >= 3, 15_000, 'sandboxes of the run');
      await delay(300);
      child.kill('SIGKILL');
      await once(child, 'exit');
      let left = stressProcesses(token);
      for (let k = 0; k < 60 && left.length > 0; k++) {
        await delay(50);
        left = stressProcesses(token);
      }
      assert.deepEqual(left, [], 'sandbox processes outlived the Node process');
    } finally {
      child.kill('SIGKILL');
      for (const p of stressProcesses(token)) process.kill(p.pid, 'SIGKILL');
      // Its persisted namespaces outlive it by design: release them with its directory.
      const prefix = join(tmpdir(), `nsbox-stress-${child.pid}-`);
      for (const d of readdirSync(tmpdir())) if (join(tmpdir(), d).startsWith(prefix)) removeTmpdir(join(tmpdir(), d));
      assert.deepEqual(mountinfo().filter((m) => m.mountpoint.startsWith(prefix)), []);
    }
  });
});

describe('signals forwarded to init during setup', () => {
  // Found by the stress run: with `init`, a signal the helper forwarded before pid 1 had its
  // forwarding handlers hit pid 1 with the default disposition, which the kernel ignores for a
  // namespace's init: the program ran on (here: sleep 30) instead of dying.
  it('a SIGTERM sent as soon as spawn() returns ends the program', async () => {
    const outcomes = await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          new Promise<string>((resolve) => {
            const child = spawn('sleep', ['30'], { user: true, mapRootUser: true, pid: true, init: true, stdio: 'ignore' });
            child.on('error', () => undefined);
            child.kill('SIGTERM');
            const timer = setTimeout(() => {
              child.kill('SIGKILL');
              resolve('still running after 10 s');
            }, 10_000);
            child.once('exit', (code, signal) => {
              clearTimeout(timer);
              resolve(signal ?? `exit ${code}`);
            });
          }),
      ),
    );
    assert.deepEqual(
      outcomes.filter((o) => o !== 'SIGTERM'),
      [],
    );
  });
});
