// `nsbox rootfs import TARBALL DIR`, through the CLI as a user runs it: tarballs built here with
// GNU tar (dirs, files, symlinks, a hard link, device nodes, a fifo, a setuid file and a
// `../escape` entry), imported as root and as the unprivileged test user.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { requireRoot, requireTestUser, runCommand, runNsboxCommand, userCli, withScope, NSBOX_CLI, type LeakScope } from './harness.js';

function sh(cmd: string, cwd: string): void {
  const r = cp.spawnSync('sh', ['-ec', cmd], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
}

/** A gzip'd tarball with one of everything; returns its path (in a directory the user can read). */
function buildTarball(scope: LeakScope): { tarball: string; base: string } {
  const base = scope.tmpdir({ writableByUser: true });
  const src = join(base, 'src');
  fs.mkdirSync(join(src, 'bin'), { recursive: true });
  fs.mkdirSync(join(src, 'etc/deep/er'), { recursive: true });
  fs.writeFileSync(join(src, 'bin/tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  fs.writeFileSync(join(src, 'etc/deep/er/conf'), 'x=1\n', { mode: 0o640 });
  fs.symlinkSync('/bin/tool', join(src, 'abs-link'));
  fs.symlinkSync('bin/tool', join(src, 'rel-link'));
  fs.linkSync(join(src, 'bin/tool'), join(src, 'hard-tool'));
  fs.writeFileSync(join(src, 'bin/su'), 'setuid\n', { mode: 0o755 });
  fs.chmodSync(join(src, 'bin/su'), 0o4755);
  fs.mkdirSync(join(src, 'dev'));
  sh('mknod dev/null c 1 3 && mknod dev/zero c 1 5 && mkfifo fifo && chown 1234:2345 etc/deep/er/conf', src);
  fs.writeFileSync(join(base, 'evil'), 'escaped\n');
  const tar = join(base, 'root.tar');
  sh(`tar -cf ${tar} -C src . && tar -rPf ${tar} --transform='s,^evil,../escape,' evil && gzip -k ${tar}`, base);
  return { tarball: `${tar}.gz`, base };
}

function assertContents(dir: string, o: { root: boolean }): void {
  assert.equal(fs.readFileSync(join(dir, 'bin/tool'), 'utf8'), '#!/bin/sh\necho tool\n');
  assert.equal(fs.statSync(join(dir, 'bin/tool')).mode & 0o7777, 0o755);
  assert.equal(fs.statSync(join(dir, 'etc/deep/er/conf')).mode & 0o7777, 0o640);
  assert.equal(fs.readlinkSync(join(dir, 'abs-link')), '/bin/tool');
  assert.equal(fs.readlinkSync(join(dir, 'rel-link')), 'bin/tool');
  assert.equal(fs.statSync(join(dir, 'hard-tool')).ino, fs.statSync(join(dir, 'bin/tool')).ino);
  assert.equal(fs.statSync(join(dir, 'bin/su')).mode & 0o7777, o.root ? 0o4755 : 0o755);
  assert.equal(fs.existsSync(join(dir, 'dev/null')), false);
  assert.equal(fs.existsSync(join(dir, 'fifo')), false);
  const conf = fs.statSync(join(dir, 'etc/deep/er/conf'));
  if (o.root) assert.deepEqual([conf.uid, conf.gid], [1234, 2345]);
}

function assertReport(stderr: string, o: { root: boolean }): void {
  assert.match(stderr, /skipped 3 device node\(s\) and fifo\(s\): .*dev\/null/);
  assert.match(stderr, /refused 1 entry outside the directory: \.\.\/escape/);
  if (o.root) assert.doesNotMatch(stderr, /setuid/);
  else assert.match(stderr, /dropped setuid\/setgid bits of 1 file\(s\) \(not root\): \.\/bin\/su/);
  assert.doesNotMatch(stderr, /importing:/, 'no progress display when stderr is not a terminal');
}

describe('nsbox rootfs import', { concurrency: true }, () => {
  it('as root: contents, owners and setuid kept, nodes skipped, ../escape refused', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const { tarball, base } = buildTarball(scope);
      const dir = join(base, 'new', 'rootfs');
      const r = await runNsboxCommand('rootfs', ['import', tarball, dir]);
      assert.equal(r.code, 2, r.stderr);
      assertReport(r.stderr, { root: true });
      assertContents(dir, { root: true });
      assert.equal(fs.existsSync(join(base, 'new', 'escape')), false);
      assert.equal(fs.existsSync(join(dirname(base), 'escape')), false);
    });
  });

  it('as an ordinary user: everything belongs to the caller, setuid dropped', async (t) => {
    const user = requireTestUser(t);
    if (!user) return;
    await withScope(async (scope) => {
      const { tarball, base } = buildTarball(scope);
      const dir = join(base, 'rootfs');
      const r = await runCommand([process.execPath, userCli(user).cli, 'rootfs', 'import', tarball, dir], { asUser: true });
      assert.equal(r.code, 2, r.stderr);
      assertReport(r.stderr, { root: false });
      assertContents(dir, { root: false });
      const owners = cp.spawnSync('find', [dir, '-printf', '%u\n'], { encoding: 'utf8' }).stdout.trim().split('\n');
      assert.deepEqual([...new Set(owners)], [user.name]);
      assert.equal(fs.existsSync(join(base, 'escape')), false);
    });
  });

  it('refuses a non-empty directory unless --force; creates a missing one', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const { tarball, base } = buildTarball(scope);
      const dir = join(base, 'busy');
      fs.mkdirSync(dir);
      fs.writeFileSync(join(dir, 'keep'), 'mine\n');
      const r = await runNsboxCommand('rootfs', ['import', tarball, dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is not empty \(use --force/);
      assert.equal(fs.existsSync(join(dir, 'bin')), false);
      const f = await runNsboxCommand('rootfs', ['import', '--force', tarball, dir]);
      assert.equal(f.code, 2, f.stderr);
      assert.equal(fs.readFileSync(join(dir, 'keep'), 'utf8'), 'mine\n');
      assertContents(dir, { root: true });
    });
  });

  it('reads plain tar and standard input; refuses xz with a clear message', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const { tarball, base } = buildTarball(scope);
      const plain = tarball.replace(/\.gz$/, '');
      const a = await runNsboxCommand('rootfs', ['import', plain, join(base, 'a')]);
      assert.equal(a.code, 2, a.stderr);
      assertContents(join(base, 'a'), { root: true });
      const b = await runCommand(['sh', '-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(NSBOX_CLI)} rootfs import - ${join(base, 'b')} < ${tarball}`]);
      assert.equal(b.code, 2, b.stderr);
      assertContents(join(base, 'b'), { root: true });
      sh(`xz -k ${plain} || printf '\\375\\067\\172\\130\\132\\000rest' > ${plain}.xz`, base);
      const x = await runNsboxCommand('rootfs', ['import', `${plain}.xz`, join(base, 'x')]);
      assert.equal(x.code, 1);
      assert.match(x.stderr, /is xz-compressed, which nsbox cannot read \(gzip and plain tar only\); decompress it first, e\.g\. 'xz -dc .* \| nsbox rootfs import - DIR'/);
    });
  });

  it('shows progress on a terminal only', async (t) => {
    if (!requireRoot(t)) return;
    await withScope(async (scope) => {
      const { tarball, base } = buildTarball(scope);
      const dir = join(base, 'tty');
      // script(1) gives the command a terminal; its output is what the terminal showed.
      const r = await runCommand(['script', '-qec', `${process.execPath} ${NSBOX_CLI} rootfs import ${tarball} ${dir}`, '/dev/null']);
      assert.match(r.stdout, /importing: \d+ entries, [\d.]+ (B|KiB|MiB) of [\d.]+ (B|KiB|MiB) \(100%\)/);
      assertContents(dir, { root: true });
    });
  });
});
