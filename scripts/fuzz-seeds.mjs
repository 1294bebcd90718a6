#!/usr/bin/env node
/**
 * Writes the seed corpus of the C fuzz targets (fuzz/corpus/<target>/) from what the TS side
 * really sends: encodeSpec() of CLI command lines and library options, encodeEnterSpec() of
 * nsenter command lines, encodeMountAction(), and nsinfo command lines. Each file is one helper
 * command line after argv[0], records terminated by NUL (fuzz/records.h).
 *
 * Needs the build (`npm run build`); run by hand when the protocol changes:
 *   node scripts/fuzz-seeds.mjs [outdir]      (default fuzz/corpus)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (m) => import(join(root, 'dist', m));
const [{ encodeSpec }, { encodeEnterSpec, encodeMountAction }, { parseUnshare }, { parseNsenter }, { buildSpec }] = await Promise.all([
  dist('spec.js'),
  dist('enterspec.js'),
  dist('cli/unshare.js'),
  dist('cli/nsenter.js'),
  dist('options.js'),
]);

const out = process.argv[2] ?? join(root, 'fuzz', 'corpus');
const REPORT_FD = 3;

function write(target, argv) {
  const data = Buffer.from(argv.map((a) => `${a}\0`).join(''));
  const dir = join(out, target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, createHash('sha1').update(data).digest('hex').slice(0, 16)), data);
}

const ctx = { uid: 0, gid: 0, euid: 0, egid: 0, env: { PATH: '/usr/bin:/bin', SHELL: '/bin/sh' }, progName: 'nsbox unshare', version: '0' };
const unshareLines = [
  ['true'],
  ['-m', 'true'],
  ['-U', 'true'],
  ['-r', 'true'],
  ['-c', 'id'],
  ['-fp', '--mount-proc', 'ps'],
  ['-fp', '--mount-proc=/tmp/p', 'ps'],
  ['-muinpCT', '-f', 'sh', '-c', 'echo'],
  ['--mount=/tmp/m', '--uts=/tmp/u', '--net=/tmp/n', '--ipc=/tmp/i', 'true'],
  ['-fp', '--pid=/tmp/p', '--time=/tmp/t', 'true'],
  ['--kill-child', '-p', 'true'],
  ['--kill-child=SIGTERM', '-p', 'true'],
  ['--forward-signals', 'sleep', '1'],
  ['--map-users=0:100000:65536', '--map-groups=0:100000:65536', '-U', 'true'],
  ['--map-user=1000', '--map-group=1000', 'true'],
  ['--map-users=1:2:3', '--map-users=10:20:5', 'true'],
  ['--owner=1000:1000', 'true'],
  ['-U', '--setgroups=deny', 'true'],
  ['-U', '--map-users=0:100000:10', '--map-groups=0:100000:10', '--setgroups=allow', 'true'],
  ['--propagation=slave', '-m', 'true'],
  ['--propagation=shared', '-m', 'true'],
  ['--propagation=unchanged', '-m', 'true'],
  ['-R', '/tmp/root', '-w', '/srv', 'true'],
  ['-S', '0', '-G', '0', '-U', 'true'],
  ['--keep-caps', '-Ur', 'true'],
  ['-T', '--monotonic=-100', '--boottime=86400', 'true'],
  ['--mount-binfmt', 'true'],
  ['--mount-binfmt=/tmp/b', '-l', ':x:E::x::/bin/sh:', 'true'],
  ['--clear-env', 'env'],
  ['-Urm', '--', 'sh', '-c', 'a=b:c'],
];
for (const line of unshareLines) {
  const p = parseUnshare(line, ctx);
  if (p.action !== 'run') throw new Error(`seed command line refused: ${line.join(' ')}: ${p.stderr}`);
  write('spec', encodeSpec(p.spec, REPORT_FD));
}

const bctx = { parentPid: 4242, euid: 0, egid: 0, path: '/usr/bin:/bin' };
const optionSets = [
  { user: true, mapRootUser: true, mount: true, binds: [{ mode: 'ro', src: '/usr', dst: '/usr' }, { mode: 'rw', src: '/tmp/a:b', dst: '/x=y' }, { mode: 'dev', src: '/dev', dst: '/dev' }] },
  { user: true, mapRootUser: true, mount: true, pid: true, fork: true, rootfs: '/srv/r', mounts: [{ type: 'tmpfs', dst: '/tmp', size: 1048576 }, { type: 'ro-bind', src: '/etc/hosts', dst: '/etc/hosts' }, { type: 'bind', src: '/a', dst: '/b' }] },
  { uts: true, hostname: 'sandbox' },
  { net: true, loopback: true },
  { pid: true, fork: true, init: true, mountProc: true },
  { user: true, cgroup: true, mapRootUser: true, tryNamespaces: ['user', 'cgroup'] },
  { user: true, mapRootUser: true, mount: true, pid: true, fork: true, rootfs: '/srv/rootfs', overlay: 'tmpfs', readOnlyRoot: true },
  { user: true, mapRootUser: true, mount: true, pid: true, fork: true, rootfs: '/srv/rootfs', overlay: '/var/tmp/upper' },
  { dieWithParent: true, fork: true, killChild: 'SIGKILL' },
  { user: true, mapUsers: [{ inner: 0, outer: 100000, count: 65536 }], mapGroups: [{ inner: 0, outer: 100000, count: 65536 }], fork: true },
];
for (const o of optionSets) write('spec', encodeSpec(buildSpec('/bin/sh', ['sh', '-c', 'true'], o, bctx), REPORT_FD));

const ectx = { uid: 0, env: { PATH: '/usr/bin:/bin' }, progName: 'nsbox nsenter', version: '0', selinux: false };
const me = String(process.pid);
const nsenterLines = [
  ['-t', me, '-a', 'true'],
  ['-t', me, '-m', '-u', '-i', '-n', '-p', 'true'],
  ['-t', me, '-U', '--preserve-credentials', 'true'],
  ['-t', me, '-n', '-r', '-w', 'true'],
  ['-t', me, '-m', '-W/tmp', 'true'],
  ['-t', me, '-p', '-F', 'true'],
  ['-t', me, '-S', '0', '-G', '0', '-m', 'true'],
  ['--net=/proc/self/ns/net', 'true'],
  ['--mount=/proc/self/ns/mnt', '--uts=/proc/self/ns/uts', 'sh', '-c', 'echo'],
  ['-t', me, '-C', '-T', 'true'],
  ['-t', me, '-N', 'true'],
  ['-t', me, '-m', '--root=/', '--wd=/', 'true'],
];
for (const line of nsenterLines) {
  let p;
  try {
    p = parseNsenter(line, ectx);
  } catch (e) {
    console.log(`nsenter seed skipped (${line.join(' ')}): ${e.message}`);
    continue;
  }
  if (p.action !== 'run') {
    console.log(`nsenter seed skipped (${line.join(' ')}): ${p.stderr.trim()}`);
    continue;
  }
  write('enter_spec', encodeEnterSpec(p.spec, REPORT_FD));
}
write('enter_spec', encodeMountAction({ action: { bind: { source: '/proc/1/ns/net', target: '/run/netns/x' } }, keepFds: 4 }, REPORT_FD));
write('enter_spec', encodeMountAction({ action: { unbind: '/run/netns/x' }, keepFds: 4 }, REPORT_FD));

for (const argv of [
  ['NSBOX1-NSINFO', 'report=3', 'keepfds=4', '--', '/proc/self/ns/user', '/proc/self/ns/pid'],
  ['NSBOX1-NSINFO', 'keepfds=4', 'report=3', 'netnsid=1', '--', '/proc/1/ns/net'],
  ['NSBOX1-NSINFO', 'report=3', 'keepfds=3', '--'],
]) {
  write('nsinfo_spec', argv);
}
console.log(`nsbox: seed corpus written to ${out}`);
