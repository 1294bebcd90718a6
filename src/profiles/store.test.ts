/**
 * The profile store through the library: directory resolution, atomic writes, the lock (stale
 * owners, partial lock files, live and foreign owners, the break guard), corrupt and newer
 * files, 1000 concurrent edits from 40 processes, and a writer killed between write and rename.
 * Real files in temporary directories.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  copyProfile,
  deleteProfile,
  editProfile,
  listProfiles,
  loadProfile,
  loadProfileFile,
  profilePath,
  resolveProfileDir,
  saveProfile,
} from './store.js';
import { envAdd, unshareAdd } from './edit.js';
import { emptyProfile } from './types.js';
import { ProfileError, serializeProfile } from './validate.js';

const INDEX_URL = new URL('./index.js', import.meta.url).href;
const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function newDir(): string {
  const d = fs.mkdtempSync(join(tmpdir(), 'nsbox-profiles-'));
  roots.push(d);
  return join(d, 'store');
}

function isProfileError(kind: string, re?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ProfileError && e.kind === kind && (re === undefined || re.test(e.message));
}

/** Files of the store directory, sorted (temporary files and locks included). */
function files(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

function pidns(): string {
  return fs.readlinkSync('/proc/self/ns/pid');
}

function startTime(pid: number): string {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = cp.spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function lockText(o: { pid: number; start?: string; pidns?: string; nonce?: string }): string {
  return `${JSON.stringify({ pid: o.pid, start: o.start ?? '1', pidns: o.pidns ?? pidns(), nonce: o.nonce ?? 'feedfeedfeedfeed' })}\n`;
}

function waitExit(c: cp.ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (c.exitCode !== null || c.signalCode !== null) r(c.exitCode);
    else c.once('exit', (code) => r(code));
  });
}

describe('profile directory', () => {
  it('resolution order: dir, NSBOX_PROFILE_DIR, XDG_CONFIG_HOME (absolute), HOME/.config', () => {
    const env = { NSBOX_PROFILE_DIR: '/p', XDG_CONFIG_HOME: '/x', HOME: '/h' };
    assert.equal(resolveProfileDir({ dir: '/d', env }), '/d');
    assert.equal(resolveProfileDir({ env }), '/p');
    assert.equal(resolveProfileDir({ env: { ...env, NSBOX_PROFILE_DIR: '' } }), '/x/nsbox/profiles');
    assert.equal(resolveProfileDir({ env: { XDG_CONFIG_HOME: '/x', HOME: '/h' } }), '/x/nsbox/profiles');
    assert.equal(resolveProfileDir({ env: { XDG_CONFIG_HOME: 'relative', HOME: '/h' } }), '/h/.config/nsbox/profiles');
    assert.equal(resolveProfileDir({ env: { XDG_CONFIG_HOME: '', HOME: '/h' } }), '/h/.config/nsbox/profiles');
    assert.equal(resolveProfileDir({ env: { HOME: '/h' } }), '/h/.config/nsbox/profiles');
    assert.equal(resolveProfileDir({ dir: '', env: { HOME: '/h' } }), '/h/.config/nsbox/profiles');
    assert.equal(resolveProfileDir({ dir: 'rel', env }), join(process.cwd(), 'rel'));
    assert.equal(profilePath('app', { dir: '/d' }), '/d/app.json');
    assert.throws(() => profilePath('../x', { dir: '/d' }), isProfileError('bad-name', /invalid profile name "\.\.\/x"/));
  });
  it('the first write creates the directory 0700 and a 0600 file, nothing else', async () => {
    const dir = newDir();
    await editProfile('app', (p) => unshareAdd(p, ['ipc,pid']), { dir });
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(files(dir), ['app.json']);
    assert.equal(fs.statSync(join(dir, 'app.json')).mode & 0o777, 0o600);
    const text = fs.readFileSync(join(dir, 'app.json'), 'utf8');
    assert.match(text, /^\{\n {2}"version": 1,\n {2}"unshare": \[\n {4}"ipc",\n {4}"pid"\n {2}\],/);
    assert.deepEqual((await loadProfile('app', { dir })).unshare, ['ipc', 'pid']);
    assert.deepEqual((await loadProfileFile(join(dir, 'app.json'))).unshare, ['ipc', 'pid']);
  });
});

describe('load, list, save, delete, copy', () => {
  it('missing profiles are errors naming them; list of an absent directory is empty', async () => {
    const dir = newDir();
    await assert.rejects(loadProfile('nope', { dir }), isProfileError('not-found', /profile 'nope' does not exist \(no .*\/nope\.json\)/));
    await assert.rejects(deleteProfile('nope', { dir }), isProfileError('not-found', /'nope'/));
    await assert.rejects(copyProfile('nope', 'x', { dir }), isProfileError('not-found', /'nope'/));
    await assert.rejects(editProfile('nope', (p) => p, { dir, create: false }), isProfileError('not-found', /'nope'/));
    await assert.rejects(loadProfileFile(join(dir, 'x.json')), isProfileError('not-found'));
    assert.deepEqual(await listProfiles({ dir }), []);
  });
  it('list: sorted names, only valid <name>.json files', async () => {
    const dir = newDir();
    for (const n of ['b', 'a', 'c d']) await saveProfile(n, emptyProfile(), { dir });
    fs.writeFileSync(join(dir, '.hidden.json'), '{}');
    fs.writeFileSync(join(dir, 'notes.txt'), '');
    fs.mkdirSync(join(dir, 'sub.json'));
    assert.deepEqual(await listProfiles({ dir }), ['a', 'b', 'c d']);
  });
  it('save validates; delete removes; copy refuses an existing target unless forced', async () => {
    const dir = newDir();
    await assert.rejects(saveProfile('x', { ...emptyProfile(), unshare: ['bogus' as 'ipc'] }, { dir }), isProfileError('corrupt', /unknown option "bogus"/));
    assert.equal(fs.existsSync(dir), false);
    await saveProfile('a', unshareAdd(emptyProfile(), ['net']), { dir });
    await saveProfile('b', emptyProfile(), { dir });
    await assert.rejects(copyProfile('a', 'b', { dir }), isProfileError('exists', /profile 'b' already exists .*use --force/));
    assert.deepEqual((await loadProfile('b', { dir })).unshare, []);
    await copyProfile('a', 'b', { dir, force: true });
    await copyProfile('a', 'c', { dir });
    assert.deepEqual((await loadProfile('b', { dir })).unshare, ['net']);
    assert.deepEqual((await loadProfile('c', { dir })).unshare, ['net']);
    await deleteProfile('a', { dir });
    assert.deepEqual(await listProfiles({ dir }), ['b', 'c']);
    assert.deepEqual(files(dir), ['b.json', 'c.json']);
  });
  it('an edit that throws changes nothing and releases the lock', async () => {
    const dir = newDir();
    await saveProfile('a', unshareAdd(emptyProfile(), ['net']), { dir });
    const before = fs.readFileSync(join(dir, 'a.json'), 'utf8');
    await assert.rejects(
      editProfile('a', (p) => unshareAdd(p, ['bogus']), { dir }),
      isProfileError('usage', /invalid unshare option 'bogus'/),
    );
    assert.equal(fs.readFileSync(join(dir, 'a.json'), 'utf8'), before);
    assert.deepEqual(files(dir), ['a.json']);
  });
});

describe('corrupt and newer files are reported with their path and never overwritten', () => {
  for (const [what, text, kind, re] of [
    ['not JSON', '{"version": 1, "unshare": [', 'corrupt', /corrupt profile file \(not valid JSON/],
    ['invalid', '{"version": 1, "unshare": ["bogus"]}', 'corrupt', /invalid profile: "unshare": unknown option "bogus"/],
    ['newer version', '{"version": 2, "sandbox": {}}', 'newer-version', /profile format version 2 is newer than this nsbox supports \(1\)/],
  ] as const) {
    it(what, async () => {
      const dir = newDir();
      fs.mkdirSync(dir, { recursive: true });
      const file = join(dir, 'bad.json');
      fs.writeFileSync(file, text);
      const check = isProfileError(kind, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${re.source}`));
      await assert.rejects(loadProfile('bad', { dir }), check);
      await assert.rejects(editProfile('bad', (p) => envAdd(p, ['A=1']), { dir }), check);
      await assert.rejects(saveProfile('bad', emptyProfile(), { dir }), check);
      await assert.rejects(copyProfile('bad', 'other', { dir }), check);
      await saveProfile('good', emptyProfile(), { dir });
      await assert.rejects(copyProfile('good', 'bad', { dir, force: true }), check);
      assert.equal(fs.readFileSync(file, 'utf8'), text);
      assert.deepEqual(await listProfiles({ dir }), ['bad', 'good']);
      await deleteProfile('bad', { dir });
      assert.deepEqual(files(dir), ['good.json']);
    });
  }
});

describe('the lock', () => {
  it('a lock of a dead process is broken', async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, '.lock'), lockText({ pid: deadPid() }));
    await editProfile('a', (p) => envAdd(p, ['A=1']), { dir, lockTimeoutMs: 2000 });
    assert.deepEqual(files(dir), ['a.json']);
  });
  it('a lock of a reused pid (another start time) is broken', async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, '.lock'), lockText({ pid: process.pid, start: '1' }));
    await editProfile('a', (p) => envAdd(p, ['A=1']), { dir, lockTimeoutMs: 2000 });
    assert.deepEqual(files(dir), ['a.json']);
  });
  it('an empty lock file is waited for while fresh, broken once old', async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    const lock = join(dir, '.lock');
    fs.writeFileSync(lock, '');
    await assert.rejects(
      editProfile('a', (p) => p, { dir, lockTimeoutMs: 200 }),
      isProfileError('lock-timeout', /timed out after 200 ms waiting for the lock .*\.lock \(held by a process that has not written its pid yet\)/),
    );
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    await editProfile('a', (p) => envAdd(p, ['A=1']), { dir, lockTimeoutMs: 2000 });
    assert.deepEqual(files(dir), ['a.json']);
  });
  it('a live owner is waited for, up to the bound, with a clear error; nothing changes', async () => {
    const dir = newDir();
    await saveProfile('a', emptyProfile(), { dir });
    const before = fs.readFileSync(join(dir, 'a.json'), 'utf8');
    const sleeper = cp.spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 50));
      fs.writeFileSync(join(dir, '.lock'), lockText({ pid: sleeper.pid!, start: startTime(sleeper.pid!) }));
      const t0 = Date.now();
      await assert.rejects(
        editProfile('a', (p) => envAdd(p, ['A=1']), { dir, lockTimeoutMs: 300 }),
        isProfileError('lock-timeout', new RegExp(`waiting for the lock ${dir}/\\.lock \\(held by pid ${sleeper.pid}\\); if no nsbox is editing profiles, remove it`)),
      );
      assert.ok(Date.now() - t0 >= 290 && Date.now() - t0 < 3000);
      assert.equal(fs.readFileSync(join(dir, 'a.json'), 'utf8'), before);
      // The owner dies while we wait: we get the lock.
      const edit = editProfile('a', (p) => envAdd(p, ['A=1']), { dir, lockTimeoutMs: 10_000 });
      setTimeout(() => sleeper.kill('SIGKILL'), 200);
      await edit;
      assert.deepEqual((await loadProfile('a', { dir })).env, { A: '1' });
    } finally {
      sleeper.kill('SIGKILL');
      await waitExit(sleeper);
    }
  });
  it('a lock from another pid namespace is never judged stale', async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, '.lock'), lockText({ pid: deadPid(), pidns: 'pid:[1]' }));
    await assert.rejects(editProfile('a', (p) => p, { dir, lockTimeoutMs: 150 }), isProfileError('lock-timeout', /held by pid \d+ in another pid namespace/));
    assert.ok(fs.existsSync(join(dir, '.lock')));
  });
  it('NSBOX_PROFILE_LOCK_TIMEOUT_MS bounds the wait', async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, '.lock'), lockText({ pid: process.pid, start: startTime(process.pid) }));
    await assert.rejects(editProfile('a', (p) => p, { dir, env: { NSBOX_PROFILE_LOCK_TIMEOUT_MS: '100' } }), isProfileError('lock-timeout', /timed out after 100 ms/));
  });
  it('a break guard left by a dead breaker is recovered', async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, '.lock'), lockText({ pid: deadPid() }));
    fs.writeFileSync(join(dir, '.lock.break'), lockText({ pid: deadPid(), nonce: 'aaaaaaaaaaaaaaaa' }));
    await editProfile('a', (p) => envAdd(p, ['A=1']), { dir, lockTimeoutMs: 2000 });
    assert.deepEqual(files(dir), ['a.json']);
  });
  it('stale temporary files are removed by the next write', async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, '.a.json.12345.abcdef.tmp'), '{"version": 1, "trunc');
    await editProfile('a', (p) => envAdd(p, ['A=1']), { dir });
    assert.deepEqual(files(dir), ['a.json']);
  });
  it('concurrent edits in one process are serialised too', async () => {
    const dir = newDir();
    await Promise.all(Array.from({ length: 50 }, (_, i) => editProfile('a', (p) => envAdd(p, [`K${i}=${i}`]), { dir })));
    assert.equal(Object.keys((await loadProfile('a', { dir })).env).length, 50);
    assert.deepEqual(files(dir), ['a.json']);
  });
});

describe('processes', () => {
  it('1000 concurrent add/del edits from 40 processes lose no update (a stale lock to break first)', { timeout: 120_000 }, async () => {
    const dir = newDir();
    const WORKERS = 40;
    const EDITS = 25;
    // Seed: the keys the workers delete (odd edits), and one nobody touches.
    let seed = envAdd(emptyProfile(), ['KEEP=1']);
    for (let w = 0; w < WORKERS; w++) for (let i = 1; i < EDITS; i += 2) seed = envAdd(seed, [`D_${w}_${i}=x`]);
    await saveProfile('p', seed, { dir });
    fs.writeFileSync(join(dir, '.lock'), lockText({ pid: deadPid() }));
    const worker = join(dir, '..', 'worker.mjs');
    fs.writeFileSync(
      worker,
      `import { editProfile, envAdd, envDel } from ${JSON.stringify(INDEX_URL)};
const [dir, w, n] = process.argv.slice(2);
for (let i = 0; i < Number(n); i++) {
  if (i % 2 === 0) await editProfile('p', (p) => envAdd(p, [\`A_\${w}_\${i}=\${i}\`]), { dir, lockTimeoutMs: 60000 });
  else await editProfile('p', (p) => envDel(p, [\`D_\${w}_\${i}\`]), { dir, lockTimeoutMs: 60000 });
}
`,
    );
    const t0 = Date.now();
    const children = Array.from({ length: WORKERS }, (_, w) => cp.spawn(process.execPath, [worker, dir, String(w), String(EDITS)], { stdio: ['ignore', 'ignore', 'pipe'] }));
    const errs: string[] = [];
    for (const c of children) c.stderr!.on('data', (b: Buffer) => errs.push(b.toString()));
    const codes = await Promise.all(children.map(waitExit));
    const ms = Date.now() - t0;
    assert.deepEqual(codes, Array(WORKERS).fill(0), errs.join(''));
    const env = (await loadProfile('p', { dir })).env;
    const expected: Record<string, string> = { KEEP: '1' };
    for (let w = 0; w < WORKERS; w++) for (let i = 0; i < EDITS; i += 2) expected[`A_${w}_${i}`] = String(i);
    assert.deepEqual(env, expected);
    assert.equal(Object.keys(env).length, 1 + WORKERS * 13);
    assert.deepEqual(files(dir), ['p.json']);
    assert.ok(ms < 60_000, `took ${ms} ms`);
  });

  it('a writer killed between write and rename leaves the old file; the next edit recovers the lock and the temporary file', async () => {
    const dir = newDir();
    await saveProfile('p', envAdd(emptyProfile(), ['OLD=1']), { dir });
    const before = fs.readFileSync(join(dir, 'p.json'), 'utf8');
    const marker = join(dir, '..', 'paused');
    const child = cp.spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { editProfile, envAdd } from ${JSON.stringify(INDEX_URL)}; await editProfile('p', (p) => envAdd(p, ['NEW=1']), { dir: ${JSON.stringify(dir)} });`],
      { stdio: 'ignore', env: { ...process.env, NSBOX_PROFILE_TEST_HOOK: `pause-before-rename:${marker}` } },
    );
    try {
      const deadline = Date.now() + 10_000;
      while (!fs.existsSync(marker) || !fs.readFileSync(marker, 'utf8').endsWith('\n')) {
        assert.ok(Date.now() < deadline, 'the writer never paused');
        await new Promise((r) => setTimeout(r, 20));
      }
      const tmp = fs.readFileSync(marker, 'utf8').trim();
      // The new content is complete and synced in the temporary file; the profile is untouched.
      assert.deepEqual(JSON.parse(fs.readFileSync(tmp, 'utf8')).env, { NEW: '1', OLD: '1' });
      assert.equal(fs.readFileSync(join(dir, 'p.json'), 'utf8'), before);
      child.kill('SIGKILL');
      await waitExit(child);
    } finally {
      child.kill('SIGKILL');
    }
    // The crash left the lock and the temporary file behind, and a valid old profile.
    assert.deepEqual(files(dir).filter((f) => f.endsWith('.tmp')).length, 1);
    assert.ok(files(dir).includes('.lock'));
    assert.equal(fs.readFileSync(join(dir, 'p.json'), 'utf8'), before);
    assert.deepEqual((await loadProfile('p', { dir })).env, { OLD: '1' });
    // The next edit breaks the stale lock, removes the temporary file and applies.
    await editProfile('p', (p) => envAdd(p, ['NEXT=1']), { dir, lockTimeoutMs: 5000 });
    assert.deepEqual((await loadProfile('p', { dir })).env, { NEXT: '1', OLD: '1' });
    assert.deepEqual(files(dir), ['p.json']);
    assert.equal(fs.readFileSync(join(dir, 'p.json'), 'utf8'), serializeProfile(envAdd(envAdd(emptyProfile(), ['OLD=1']), ['NEXT=1'])));
  });
});
