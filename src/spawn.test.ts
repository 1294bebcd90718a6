// Library tests: spawn()/run() against the real kernel, as the current user (root in CI; the
// rootless path is exercised by src/test/library-rootless.test.ts through the test user).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readlinkSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, run, NamespaceError } from './index.js';

const selfNs = (kind: string): string => readlinkSync(`/proc/self/ns/${kind}`);
const inode = (link: string): number => Number(/\[(\d+)\]/.exec(link)?.[1]);

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

describe('run()', { concurrency: true }, () => {
  it('runs a program in a new user namespace mapped to root', async () => {
    const r = await run('sh', ['-c', 'id -u; id -g; cat /proc/self/setgroups'], { user: true, mapRootUser: true });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, '0\n0\ndeny\n');
    assert.notEqual(r.namespaces.user, inode(selfNs('user')));
  });

  it('reports every namespace inode and they differ only where asked', async () => {
    const r = await run('true', [], { user: true, mapRootUser: true, uts: true, net: true });
    assert.notEqual(r.namespaces.uts, inode(selfNs('uts')));
    assert.notEqual(r.namespaces.net, inode(selfNs('net')));
    assert.equal(r.namespaces.ipc, inode(selfNs('ipc')));
    assert.equal(r.namespaces.mnt, inode(selfNs('mnt')));
  });

  it('makes the program pid 1 with a pid namespace and a fresh /proc (forks automatically)', async () => {
    const r = await run('sh', ['-c', 'echo $$; ls /proc | grep -c "^[0-9]"'], { user: true, mapRootUser: true, pid: true, mountProc: true });
    assert.equal(r.exitCode, 0);
    const [pid, count] = r.stdout.trim().split('\n');
    assert.equal(pid, '1');
    assert.ok(Number(count) <= 3, `only the sandbox's processes are visible, saw ${count}`);
  });

  it('passes stdin, env and cwd like child_process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsbox-lib-'));
    try {
      const r = await run('sh', ['-c', 'read x; echo "$x $FOO $(pwd)"'], {
        user: true,
        mapRootUser: true,
        input: 'hello\n',
        env: { FOO: 'bar', PATH: '/usr/bin:/bin' },
        cwd: dir,
      });
      assert.equal(r.stdout, `hello bar ${dir}\n`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('runs a command line through a shell with `shell`, like child_process', async () => {
    const r = await run('echo $((6 * 7)) | tr 4 X', [], { user: true, mapRootUser: true, shell: true });
    assert.equal(r.stdout, 'X2\n');
  });

  it('returns exit codes and signals', async () => {
    assert.equal((await run('sh', ['-c', 'exit 42'], { user: true })).exitCode, 42);
    const killed = await run('sh', ['-c', 'kill -TERM $$'], { user: true, mapRootUser: true });
    assert.equal(killed.signal, 'SIGTERM');
    const forked = await run('sh', ['-c', 'kill -KILL $$'], { user: true, mapRootUser: true, fork: true });
    assert.equal(forked.signal, 'SIGKILL');
  });

  it('applies time namespace offsets', async () => {
    const r = await run('cat', ['/proc/self/timens_offsets'], { user: true, mapRootUser: true, time: true, timeOffsets: { monotonic: -5, boottime: 7n } });
    assert.match(r.stdout, /monotonic\s+-5\s+0/);
    assert.match(r.stdout, /boottime\s+7\s+0/);
  });

  it('rejects with a typed NamespaceError when the program is missing', async () => {
    await assert.rejects(run('/nonexistent/program', [], { user: true }), (e: unknown) => {
      assert.ok(e instanceof NamespaceError);
      assert.equal(e.step, 'exec');
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.errno, 2);
      assert.equal(e.exitStatus, 127);
      assert.equal(e.path, '/nonexistent/program');
      assert.equal(e.message, 'failed to execute /nonexistent/program: No such file or directory');
      return true;
    });
  });

  it('rejects with the failing step for a bad chroot', async () => {
    await assert.rejects(run('true', [], { user: true, mapRootUser: true, root: '/nonexistent' }), (e: unknown) => {
      assert.ok(e instanceof NamespaceError);
      assert.equal(e.step, 'chroot');
      assert.equal(e.syscall, 'chroot');
      assert.equal(e.message, "cannot change root directory to '/nonexistent': No such file or directory");
      return true;
    });
  });

  it('refuses invalid options synchronously with a clear message', () => {
    assert.throws(() => spawn('true', [], { timeOffsets: { boottime: 1 } }), /require unsharing of a time namespace/);
    assert.throws(() => spawn('true', [], { user: true, mapRootUser: true, setgroups: 'allow' }), /--setgroups=allow and --map-group are mutually exclusive/);
  });
});

describe('spawn()', { concurrency: true }, () => {
  it('emits error with a NamespaceError and still exits', async () => {
    const child = spawn('/nonexistent', [], { user: true, stdio: 'ignore' });
    const [err] = (await once(child, 'error')) as [NamespaceError];
    assert.ok(err instanceof NamespaceError);
    assert.equal(err.step, 'exec');
    await assert.rejects(child.ready, NamespaceError);
  });

  it('exposes the program pid and emits ready', async () => {
    const child = spawn('sleep', ['5'], { user: true, mapRootUser: true, stdio: 'ignore' });
    const info = await child.ready;
    assert.equal(info.pid, child.pid, 'no fork: the program replaced the helper');
    assert.equal(child.sandboxPid, info.pid);
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    assert.equal(code, null);
    assert.equal(signal, 'SIGTERM');
  });

  it('forwards signals to the forked program by default', async () => {
    const child = spawn('sh', ['-c', 'trap "exit 7" TERM; while :; do sleep 0.05; done'], { user: true, mapRootUser: true, fork: true, stdio: 'ignore' });
    const info = await child.ready;
    assert.notEqual(info.pid, child.pid, 'forked: the program is the helper child');
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 7);
  });

  it('kills the sandbox when the helper dies (library default)', async () => {
    const child = spawn('sleep', ['30'], { user: true, mapRootUser: true, fork: true, stdio: 'ignore' });
    const info = await child.ready;
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(await waitGone(info.pid), 'program died with its parent');
  });

  it('supports AbortSignal like child_process', async () => {
    const ac = new AbortController();
    const child = spawn('sleep', ['30'], { user: true, mapRootUser: true, stdio: 'ignore', signal: ac.signal });
    child.on('error', () => undefined);
    await child.ready;
    ac.abort();
    const [, signal] = await once(child, 'exit');
    assert.equal(signal, 'SIGTERM');
  });

  it('leaks no fd beyond stdio into the program', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsbox-fd-'));
    try {
      writeFileSync(join(dir, 'x'), 'x');
      const r = await run('ls', ['/proc/self/fd'], { user: true, mapRootUser: true });
      // ls itself opens one directory fd (3) to list /proc/self/fd.
      assert.deepEqual(r.stdout.trim().split('\n').map(Number).sort(), [0, 1, 2, 3]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
