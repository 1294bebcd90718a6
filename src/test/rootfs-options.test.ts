/**
 * Rootfs mode without running anything: library options → spec (implications, validation),
 * the spec's wire records, containerOptions() defaults, and `nsbox run --rootfs` argv parsing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, SandboxOptionError, type SandboxOptions } from '../options.js';
import { encodeSpec } from '../spec.js';
import { containerOptions, hostnameFromPath } from '../container.js';
import { profileToOptions } from '../profiles/run.js';
import { rootfsClear, rootfsSet } from '../profiles/edit.js';
import { parseProfileText, serializeProfile, ProfileError } from '../profiles/validate.js';
import { emptyProfile } from '../profiles/types.js';
import { parseRootfsArgs, parseTmpfsArg, RootfsUsageError } from '../cli/run-rootfs.js';

const ctx = { parentPid: 1, euid: 1000, egid: 1000 };
const spec = (o: SandboxOptions) => buildSpec('/bin/true', [], o, ctx);
const records = (o: SandboxOptions) => encodeSpec(spec(o), 3);

describe('rootfs options → spec', () => {
  it('rootfs implies mnt, pid, fork and init, and is made absolute', () => {
    const s = spec({ rootfs: 'some/dir', user: true, mapRootUser: true });
    assert.deepEqual(s.namespaces, ['user', 'pid', 'mnt']);
    assert.equal(s.fork, true);
    assert.equal(s.init, true);
    assert.equal(s.rootfs, `${process.cwd()}/some/dir`);
  });

  it('overlay, readOnlyRoot and mounts become records, in order with the binds', () => {
    const r = records({
      rootfs: '/r',
      overlay: true,
      readOnlyRoot: true,
      binds: [{ mode: 'dev', src: '/a', dst: '/x' }],
      mounts: [
        { type: 'tmpfs', dst: '/t', size: 1024 },
        { type: 'ro-bind', src: 'rel', dst: '/y' },
        { type: 'tmpfs', dst: '/u' },
      ],
    });
    const tail = r.slice(r.indexOf('bind=dev'), r.indexOf('keepfds=3'));
    assert.deepEqual(tail, ['bind=dev', 'bindsrc=/a', 'binddst=/x', 'tmpfs=1024:/t', 'bind=ro', `bindsrc=${process.cwd()}/rel`, 'binddst=/y', 'tmpfs=0:/u', 'rootfs=/r', 'overlay=tmpfs', 'rootro=1']);
  });

  it('an overlay directory is made absolute; , and : are refused', () => {
    assert.equal(spec({ rootfs: '/r', overlay: 'up' }).overlay, `${process.cwd()}/up`);
    assert.throws(() => spec({ rootfs: '/r', overlay: '/a,b' }), SandboxOptionError);
    assert.throws(() => spec({ rootfs: '/r', overlay: '/a:b' }), SandboxOptionError);
  });

  it('conflicts and missing requirements', () => {
    assert.throws(() => spec({ overlay: true }), /requires rootfs/);
    assert.throws(() => spec({ readOnlyRoot: true }), /requires rootfs/);
    assert.throws(() => spec({ rootfs: '/r', root: '/x' }), /mutually exclusive/);
    assert.throws(() => spec({ rootfs: '/r', mountProc: true }), /own \/proc/);
    assert.throws(() => spec({ rootfs: '/r', propagation: 'shared' }), /private or slave/);
    assert.throws(() => spec({ rootfs: '/r', fork: false }), /needs fork/);
    assert.throws(() => spec({ rootfs: '/r', tryNamespaces: ['pid'] }), /pid namespace/);
    assert.throws(() => spec({ mounts: [{ type: 'tmpfs', dst: '/t' }] }), /mount namespace/);
    assert.throws(() => spec({ mount: true, mounts: [{ type: 'tmpfs', dst: 'rel' }] }), /absolute/);
    assert.throws(() => spec({ mount: true, mounts: [{ type: 'tmpfs', dst: '/t', size: -1 }] }), /size/);
    assert.throws(() => spec({ mount: true, mounts: [{ type: 'bind', src: '', dst: '/t' }] }), /source/);
  });

  it('insideUid/insideGid: a mapping with a user namespace, setuid/setgid without', () => {
    const s = spec({ rootfs: '/r', user: true, insideUid: 5, insideGid: 6 });
    assert.deepEqual(s.uidMap, { writer: 'self', ranges: [{ inner: 5, outer: 1000, count: 1 }] });
    assert.deepEqual(s.gidMap, { writer: 'self', ranges: [{ inner: 6, outer: 1000, count: 1 }] });
    const root = buildSpec('/bin/true', [], { rootfs: '/r', insideUid: 5 }, { parentPid: 1, euid: 0, egid: 0 });
    assert.equal(root.setuid, 5);
    assert.equal(root.uidMap, undefined);
    assert.throws(() => spec({ rootfs: '/r', insideUid: 1, mapRootUser: true }), /mutually exclusive/);
  });
});

describe('containerOptions()', () => {
  it('defaults: mount, pid, uts, ipc, init; user mapped to root when not root; the hostname from the name', () => {
    const o = containerOptions('/nonexistent/My_Box.v2', { callerUid: 1000 });
    assert.equal(o.rootfs, '/nonexistent/My_Box.v2');
    assert.deepEqual([o.mount, o.pid, o.uts, o.ipc, o.init, o.user, o.net], [true, true, true, true, true, true, undefined]);
    assert.deepEqual([o.insideUid, o.insideGid], [0, 0]);
    assert.equal(o.hostname, 'my-box-v2');
    const r = containerOptions('/nonexistent/r', { callerUid: 0, net: true, readOnly: true, overlay: '/up', uid: 3 });
    assert.deepEqual([r.user, r.net, r.loopback, r.readOnlyRoot, r.overlay, r.insideUid], [undefined, true, true, true, '/up', 3]);
  });

  it('hostnameFromPath', () => {
    assert.equal(hostnameFromPath('/x/---'), 'nsbox');
    assert.equal(hostnameFromPath(`/x/${'a'.repeat(80)}`).length, 63);
  });
});

describe('nsbox run --rootfs argv', () => {
  it('parses every option; the program starts at the first non-option or after --', () => {
    const p = parseRootfsArgs(
      ['--rootfs', 'r', '--ro', '--overlay=/up', '--bind', 'a', '/b', '--ro-bind', 'c', '/d', '--tmpfs', '/t:2m', '--env', 'K=V=W', '--cwd', '/w', '--uid', '1', '--gid', '2', '--net', '--hostname', 'h', 'ls', '-l'],
      {},
    );
    assert.notEqual(p, 'help');
    if (p === 'help') return;
    assert.equal(p.rootfs, 'r');
    assert.deepEqual(p.program, ['ls', '-l']);
    assert.equal(p.env.K, 'V=W');
    assert.deepEqual(p.choices, {
      readOnly: true,
      overlay: '/up',
      mounts: [
        { type: 'bind', src: 'a', dst: '/b' },
        { type: 'ro-bind', src: 'c', dst: '/d' },
        { type: 'tmpfs', dst: '/t', size: 2 * 1024 * 1024 },
      ],
      cwd: '/w',
      uid: 1,
      gid: 2,
      net: true,
      hostname: 'h',
    });
    const q = parseRootfsArgs(['--rootfs=r', '--overlay', '--net=user', '--', '-x'], {});
    assert.ok(q !== 'help' && q.userNet && q.choices.overlay === true && q.program[0] === '-x');
  });

  it('--tmpfs sizes and errors', () => {
    assert.deepEqual(parseTmpfsArg('/a'), { type: 'tmpfs', dst: '/a' });
    assert.deepEqual(parseTmpfsArg('/a:10K'), { type: 'tmpfs', dst: '/a', size: 10240 });
    assert.deepEqual(parseTmpfsArg('/a:b:1g'), { type: 'tmpfs', dst: '/a:b', size: 1024 ** 3 });
    assert.throws(() => parseTmpfsArg('rel:1m'), RootfsUsageError);
  });

  it('usage errors', () => {
    assert.throws(() => parseRootfsArgs(['--ro', 'ls'], {}), /no --rootfs/);
    assert.throws(() => parseRootfsArgs(['--rootfs', 'r'], {}), /no program/);
    assert.throws(() => parseRootfsArgs(['--rootfs', 'r', '--bind', 'a'], {}), /requires an argument/);
    assert.throws(() => parseRootfsArgs(['--rootfs', 'r', '--uid', 'x', 'ls'], {}), /invalid id/);
    assert.throws(() => parseRootfsArgs(['--rootfs', 'r', '--env', 'novalue', 'ls'], {}), /K=V/);
    assert.equal(parseRootfsArgs(['--rootfs', 'r', '-h'], {}), 'help');
  });
});

describe('profiles: the rootfs setting', () => {
  it('rootfs set makes a relative DIR absolute (not one with $VAR), clear removes it, the file keeps it', () => {
    const p = rootfsSet(emptyProfile(), ['r'], '/home/u');
    assert.equal(p.rootfs, '/home/u/r');
    assert.equal(rootfsSet(emptyProfile(), ['$HOME/r']).rootfs, '$HOME/r');
    assert.equal(rootfsClear(p).rootfs, undefined);
    assert.throws(() => rootfsSet(emptyProfile(), []), ProfileError);
    assert.throws(() => rootfsSet(emptyProfile(), ['']), ProfileError);
    const text = serializeProfile(p);
    assert.match(text, /"rootfs": "\/home\/u\/r"/);
    assert.equal(parseProfileText(text).rootfs, '/home/u/r');
    assert.throws(() => parseProfileText('{"version":1,"unshare":[],"env":{},"binds":[],"rootfs":""}'), ProfileError);
  });

  it('profileToOptions: a container from the expanded rootfs with the profile settings', () => {
    const p = { ...rootfsSet(emptyProfile(), ['$HOME/r']), unshare: ['net' as const], hostname: 'h', binds: [{ mode: 'ro' as const, src: '/a', dst: '/b' }] };
    const o = profileToOptions(p, { env: { HOME: '/home/u' }, uid: 1000 });
    assert.equal(o.rootfs, '/home/u/r');
    assert.deepEqual([o.mount, o.pid, o.uts, o.ipc, o.user, o.net, o.loopback, o.init, o.hostname], [true, true, true, true, true, true, true, true, 'h']);
    assert.deepEqual(o.binds, [{ mode: 'ro', src: '/a', dst: '/b' }]);
    assert.doesNotThrow(() => buildSpec('/bin/true', [], o, ctx));
  });
});
