// The library as most users run it: an ordinary user, no privileges. A small script that uses
// spawn()/run() runs as the test user (through setpriv) and prints what it saw as JSON.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireTestUser, runCommand, userCli, type TestUser } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'nsbox-librootless-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

/** Run `body` (an async function body using `lib`) as the test user; returns its JSON result. */
async function asUser(user: TestUser, name: string, body: string): Promise<unknown> {
  const pkgDist = dirname(userCli(user).cli); // the CLI is dist/nsbox.cjs
  const script = join(dir, `${name}.mjs`);
  writeFileSync(
    script,
    `const lib = await import(${JSON.stringify(pathToFileURL(join(pkgDist, 'index.js')).href)});\n` +
      `const out = await (async () => {\n${body}\n})();\n` +
      `process.stdout.write(JSON.stringify(out, (k, v) => (typeof v === 'bigint' ? String(v) : v)));\n`,
  );
  chmodSync(script, 0o644);
  const r = await runCommand([process.execPath, script], { asUser: true, timeout: 15000 });
  assert.equal(r.code, 0, `script ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

describe('library as an unprivileged user', { concurrency: true }, () => {
  it('maps the caller to root in a new user namespace', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    const out = (await asUser(user, 'root-map', `
      const r = await lib.run('sh', ['-c', 'id -u; cat /proc/self/uid_map /proc/self/setgroups'], { user: true, mapRootUser: true });
      return r;`)) as { exitCode: number; stdout: string };
    assert.equal(out.exitCode, 0);
    const lines = out.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(lines, ['0', `0 ${user.uid} 1`, 'deny']);
  });

  it('runs pid 1 with its own /proc, uts and net', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    const out = (await asUser(user, 'pidns', `
      return await lib.run('sh', ['-c', 'echo $$; hostname inner; hostname; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'],
        { user: true, mapRootUser: true, pid: true, mountProc: true, uts: true, net: true });`)) as { exitCode: number; stdout: string };
    assert.equal(out.exitCode, 0);
    assert.deepEqual(out.stdout.trim().split('\n'), ['1', 'inner', 'lo']);
  });

  it('maps subordinate ids through newuidmap/newgidmap', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    const out = (await asUser(user, 'mapauto', `
      return await lib.run('cat', ['/proc/self/uid_map', '/proc/self/gid_map'], { mapAuto: true, mapRootUser: true });`)) as {
      exitCode: number;
      stdout: string;
    };
    assert.equal(out.exitCode, 0);
    const lines = out.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(lines, [
      `0 ${user.uid} 1`,
      `1 ${user.subuid.start} ${user.subuid.count}`,
      `0 ${user.gid} 1`,
      `1 ${user.subgid.start} ${user.subgid.count}`,
    ]);
  });

  it('reports a refused namespace as a typed error (no user namespace: EPERM)', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    const out = (await asUser(user, 'eperm', `
      try { await lib.run('true', [], { uts: true }); return 'no error'; }
      catch (e) { return { name: e.name, step: e.step, code: e.code, message: e.message, exitStatus: e.exitStatus }; }`)) as Record<string, unknown>;
    assert.deepEqual(out, { name: 'NamespaceError', step: 'unshare', code: 'EPERM', message: 'unshare failed: Operation not permitted', exitStatus: 1 });
  });
});
