// A real distribution as the container's root: a debootstrap'd Debian bookworm (minbase plus
// procps) runs `apt --version` and `ps` with `nsbox run --rootfs`, as root and rootless.
//
// Slow the first time (debootstrap takes minutes), so the rootfs is cached between runs in
// /var/cache/nsbox-test/debian-bookworm (override: $NSBOX_DEBIAN_ROOTFS). It is built into a
// temporary sibling and renamed into place only when debootstrap succeeded, so an interrupted
// build is never taken for a complete one; a cache missing apt or ps is rebuilt. It always runs
// (CI too: needs debootstrap, installed by .ci/run, and the machine's Debian mirror).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { requireCapability, requireRoot, requireTestUser, runCommand, runNsboxCommand, userCli, withScope } from './harness.js';

const ROOTFS = process.env.NSBOX_DEBIAN_ROOTFS || '/var/cache/nsbox-test/debian-bookworm';
const DEBOOTSTRAP = ['/usr/sbin/debootstrap', '/sbin/debootstrap'].find((p) => fs.existsSync(p));

/** The machine's Debian mirror, from /etc/apt/sources.list{,.d/*} (one-line or deb822 format). */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list'];
  try {
    for (const f of fs.readdirSync('/etc/apt/sources.list.d')) files.push(join('/etc/apt/sources.list.d', f));
  } catch {
    /* none */
  }
  const found: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const oneLine = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (oneLine?.[1]) found.push(oneLine[1]);
      const deb822 = /^\s*URIs:\s*(.+)$/.exec(line);
      if (deb822?.[1]) found.push(...deb822[1].trim().split(/\s+/));
    }
  }
  return found.find((u) => !u.includes('security')) ?? 'http://deb.debian.org/debian';
}

function complete(dir: string): boolean {
  return fs.existsSync(join(dir, 'usr/bin/apt')) && fs.existsSync(join(dir, 'usr/bin/ps')) && fs.existsSync(join(dir, 'usr/bin/sh'));
}

let buildProblem: string | undefined;

describe('a debootstrapped Debian rootfs', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    if (process.geteuid?.() !== 0 || !DEBOOTSTRAP || complete(ROOTFS)) return;
    const tmp = `${ROOTFS}.tmp-${process.pid}`;
    fs.mkdirSync(dirname(ROOTFS), { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    const r = await runCommand([DEBOOTSTRAP, '--variant=minbase', '--include=procps', 'bookworm', tmp, debianMirror()], { timeout: 15 * 60_000 });
    if (r.code !== 0 || !complete(tmp)) {
      buildProblem = `debootstrap failed (${r.code}): ${(r.stderr + r.stdout).trim().split('\n').slice(-5).join('\n')}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      return;
    }
    fs.rmSync(ROOTFS, { recursive: true, force: true });
    fs.renameSync(tmp, ROOTFS);
    // Rootless runs read it as the test user: the cache directories must be traversable.
    fs.chmodSync(dirname(ROOTFS), 0o755);
  });

  function ready(t: { skip(m?: string): void }): boolean {
    if (!requireCapability(t, DEBOOTSTRAP !== undefined, 'needs debootstrap (apt-get install debootstrap)')) return false;
    assert.equal(buildProblem, undefined, buildProblem);
    return requireCapability(t, complete(ROOTFS), `needs the Debian rootfs in ${ROOTFS} (built as root)`);
  }

  it('as root: apt --version and ps run inside with nsbox run --rootfs', async (t) => {
    if (!requireRoot(t) || !ready(t)) return;
    await withScope(async () => {
      // --overlay: the cached rootfs is never modified by the runs.
      const apt = await runNsboxCommand('run', ['--rootfs', ROOTFS, '--overlay', '--', 'apt', '--version']);
      assert.equal(apt.code, 0, apt.stderr);
      assert.match(apt.stdout, /^apt 2\.\d+\.\d+/);
      const ps = await runNsboxCommand('run', ['--rootfs', ROOTFS, '--overlay', '--', 'ps', '-e', '-o', 'pid=,comm=']);
      assert.equal(ps.code, 0, ps.stderr);
      const rows = ps.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
      // pid 1 (nsbox's init or ps itself) and ps: nothing of the host.
      assert.ok(rows.length <= 2, ps.stdout);
      assert.equal(rows[0]?.[0], '1', ps.stdout);
      assert.ok(rows.some((r) => r[1] === 'ps'), ps.stdout);
    });
  });

  // Rootless, the rootfs belongs to the user (as after a rootless `nsbox rootfs import`): a copy
  // made by piping the root-owned one through `nsbox rootfs import -` as the test user, cached too.
  it('rootless: imported by the user with nsbox rootfs import, apt --version and ps run inside', async (t) => {
    const user = requireTestUser(t);
    if (!user || !ready(t)) return;
    const cli = userCli(user).cli;
    const mine = `${ROOTFS}-${user.name}`;
    if (!complete(mine)) {
      const tmp = `${mine}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp);
      fs.chownSync(tmp, user.uid, user.gid);
      const r = await runCommand(['sh', '-c', `tar -C ${ROOTFS} -cf - . | setpriv --reuid=${user.uid} --regid=${user.gid} --init-groups ${process.execPath} ${cli} rootfs import --force - ${tmp}`], { timeout: 10 * 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /skipped \d+ device node/);
      assert.ok(complete(tmp));
      fs.rmSync(mine, { recursive: true, force: true });
      fs.renameSync(tmp, mine);
    }
    await withScope(async () => {
      const apt = await runCommand([process.execPath, cli, 'run', '--rootfs', mine, '--overlay', '--', 'apt', '--version'], { asUser: true });
      assert.equal(apt.code, 0, apt.stderr);
      assert.match(apt.stdout, /^apt 2\.\d+\.\d+/);
      const ps = await runCommand([process.execPath, cli, 'run', '--rootfs', mine, '--overlay', '--', 'ps', '-e', '-o', 'pid=,comm='], { asUser: true });
      assert.equal(ps.code, 0, ps.stderr);
      const rows = ps.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
      assert.ok(rows.length <= 2, ps.stdout);
      assert.equal(rows[0]?.[0], '1', ps.stdout);
    });
  });

  it('finds the mirror in the apt sources', () => {
    assert.match(debianMirror(), /^(https?|file):\/\//);
  });
});
