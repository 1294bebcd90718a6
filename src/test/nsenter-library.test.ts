/** The library's enter(), persist() and unpersist() against real namespaces (root). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { enter, persist, unpersist, spawn, NamespaceError, EnterSetupError } from '../index.js';
import { requireRoot, useFileLeakCheck, withScope } from './harness.js';

useFileLeakCheck();

function collect(child: ReturnType<typeof enter>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => (out += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
}

describe('library: enter / persist / unpersist', { concurrency: 4 }, () => {
  it('enter(pid) joins every namespace of a spawn() sandbox; ready reports them', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async () => {
      const box = spawn('sleep', ['100'], { uts: true, pid: true, mount: true, mountProc: true, stdio: 'ignore' });
      const info = await box.ready;
      const child = enter(info.pid, 'sh', ['-c', 'hostname; echo $$'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const done = collect(child);
      const entered = await child.ready;
      assert.equal(entered.namespaces.uts, info.namespaces.uts);
      assert.equal(entered.namespaces.pid, info.namespaces.pid);
      const r = await done;
      assert.equal(r.code, 0);
      assert.match(r.out, /^\S+\n\d{1,2}\n$/);
      box.kill('SIGKILL');
      await new Promise((resolve) => box.on('close', resolve));
    });
  });

  it('persist() / enter({uts: file}) / unpersist(): the round trip', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      const file = join(dir, 'uts');
      fs.writeFileSync(file, '');
      const box = spawn('sh', ['-c', 'hostname persisted; exec sleep 100'], { uts: true, stdio: 'ignore' });
      const { pid } = await box.ready;
      await new Promise((r) => setTimeout(r, 100));
      await persist('uts', file, { pid });
      box.kill('SIGKILL');
      await new Promise((resolve) => box.on('close', resolve));
      const r = await collect(enter({ uts: file }, 'hostname', [], { stdio: ['ignore', 'pipe', 'inherit'] }));
      assert.deepEqual([r.code, r.out], [0, 'persisted\n']);
      await unpersist(file);
      const gone = enter({ uts: file }, 'true', [], { stdio: 'ignore' });
      gone.on('error', () => undefined);
      // Listen for 'close' now: it may come before the rejection has been looked at.
      const goneClosed = new Promise((resolve) => gone.on('close', resolve));
      await assert.rejects(gone.ready, (e: unknown) => e instanceof NamespaceError && e.step === 'setns' && e.code === 'EINVAL' && /ns\/uts/.test(e.message));
      await goneClosed;
    });
  });

  it('persist(): clear errors for a missing file and an empty pid_for_children', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      await assert.rejects(persist('uts', join(dir, 'missing')), /must exist/);
      const file = join(dir, 'pid');
      fs.writeFileSync(file, '');
      // A process that unshared a pid namespace but never forked: pid_for_children is empty.
      const box = spawn('sleep', ['100'], { pid: true, fork: false, stdio: 'ignore' });
      const { pid } = await box.ready;
      await assert.rejects(persist('pid', file, { pid, forChildren: true }), (e: unknown) => e instanceof NamespaceError && e.code === 'ENOENT' && /forked child/.test(e.message));
      box.kill('SIGKILL');
      await new Promise((resolve) => box.on('close', resolve));
      await assert.rejects(unpersist(file), /no namespace is persisted there/);
    });
  });

  it('persist(mount) on a shared mount explains the EINVAL', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const dir = scope.tmpdir();
      fs.mkdirSync(join(dir, 'shr'));
      const { execFileSync } = await import('node:child_process');
      execFileSync('mount', ['-t', 'tmpfs', '--make-shared', 'none', join(dir, 'shr')]);
      scope.addFixtureMount(join(dir, 'shr'));
      const file = join(dir, 'shr', 'mnt');
      fs.writeFileSync(file, '');
      // Propagation unchanged: the box's copy of the mount is a peer, so the bind would propagate
      // into the very namespace it refers to.
      const box = spawn('sleep', ['100'], { mount: true, propagation: 'unchanged', stdio: 'ignore' });
      const { pid } = await box.ready;
      await assert.rejects(persist('mount', file, { pid }), (e: unknown) => e instanceof NamespaceError && e.code === 'EINVAL' && /shared propagation/.test(e.message));
      box.kill('SIGKILL');
      await new Promise((resolve) => box.on('close', resolve));
      execFileSync('umount', [join(dir, 'shr')]);
    });
  });

  it('enter(): option mistakes throw at once', () => {
    assert.throws(() => enter({ uts: true }, 'true'), (e: unknown) => e instanceof EnterSetupError && e.message === 'no target PID specified');
    assert.throws(() => enter({ target: 1 }, 'true'), /no namespace specified/);
  });
});
