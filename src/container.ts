/**
 * Containers from a root filesystem: `containerOptions()` turns a rootfs directory and a few
 * choices into library options with the defaults `nsbox run --rootfs` uses, and
 * `spawnContainer()` starts a program with them.
 *
 * Defaults: new mount, pid, uts and ipc namespaces; a user namespace too when not root (the
 * caller mapped to root inside, or to `uid`/`gid`); a network namespace with `lo` up only when
 * asked (`net`), else the host's network with its /etc/resolv.conf and /etc/hosts bound in
 * read-only; cgroup on request; a time namespace when offsets are given; an init as pid 1; the
 * container dies with its parent; hostname derived from the rootfs directory's name.
 */
import { existsSync, lstatSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ContainerMount, SandboxOptions } from './options.js';
import { spawn, type SandboxedChildProcess, type SpawnOptions } from './spawn.js';

export interface ContainerChoices {
  /** Writes go to a tmpfs (true) or this directory; the rootfs is never modified. */
  overlay?: boolean | string;
  /** The root is read-only. */
  readOnly?: boolean;
  /** Extra mounts inside the container, in order. */
  mounts?: readonly ContainerMount[];
  /** An isolated network namespace with only the loopback interface up (default: the host's network). */
  net?: boolean;
  /** A new cgroup namespace. */
  cgroup?: boolean;
  /** A time namespace with these offsets (seconds). */
  timeOffsets?: { monotonic?: number | bigint; boottime?: number | bigint };
  /** Hostname inside (default: from the rootfs directory's name). */
  hostname?: string;
  /** Working directory inside (default `/`). */
  cwd?: string;
  /** uid/gid of the program inside (default 0 with a user namespace, else unchanged). */
  uid?: number;
  gid?: number;
  /** A user namespace even as root (always one otherwise). */
  user?: boolean;
  /** The caller's effective uid (default `process.geteuid()`): root needs no user namespace. */
  callerUid?: number;
}

/** Signals passed on to the program (the init forwards them to it), as `nsbox run NAME`'s. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGWINCH', 'SIGCONT', 'SIGPWR'];

/** Files bound read-only from the host when the network is shared, so that names resolve as outside. */
export const SHARED_NET_FILES = ['/etc/resolv.conf', '/etc/hosts'] as const;

/** A valid hostname from a directory name: lower case letters, digits and '-', 1 to 63 bytes. */
export function hostnameFromPath(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name || 'nsbox';
}

/**
 * The host's resolver files, bound where the rootfs has a regular file to bind on (never
 * through a symlink of the rootfs, which would be resolved on the host), or anywhere with an
 * overlay (the empty mount point then lands in the overlay's upper layer, not in the rootfs).
 */
function sharedNetMounts(rootfs: string, overlay: boolean): ContainerMount[] {
  const out: ContainerMount[] = [];
  for (const file of SHARED_NET_FILES) {
    if (!existsSync(file)) continue;
    let inside;
    try {
      inside = lstatSync(join(rootfs, file));
    } catch {
      inside = undefined;
    }
    const etc = (() => {
      try {
        return lstatSync(join(rootfs, 'etc')).isDirectory();
      } catch {
        return false;
      }
    })();
    if ((inside && inside.isFile()) || (!inside && overlay && etc)) out.push({ type: 'ro-bind', src: file, dst: file });
  }
  return out;
}

/** Library options for a container from `rootfs`, with the defaults above. */
export function containerOptions(rootfs: string, choices: ContainerChoices = {}): SandboxOptions {
  const callerUid = choices.callerUid ?? process.geteuid?.() ?? 0;
  const dir = resolve(rootfs);
  const overlay = choices.overlay ?? false;
  const o: SandboxOptions = {
    rootfs: dir,
    mount: true,
    pid: true,
    uts: true,
    ipc: true,
    fork: true,
    init: true,
    dieWithParent: true,
    killChild: 'SIGKILL',
    forwardSignals: FORWARDED,
    hostname: choices.hostname ?? hostnameFromPath(dir),
  };
  if (callerUid !== 0 || choices.user) o.user = true;
  if (o.user) {
    o.insideUid = choices.uid ?? 0;
    o.insideGid = choices.gid ?? 0;
  } else {
    if (choices.uid !== undefined) o.insideUid = choices.uid;
    if (choices.gid !== undefined) o.insideGid = choices.gid;
  }
  if (overlay !== false) o.overlay = overlay;
  if (choices.readOnly) o.readOnlyRoot = true;
  if (choices.net) {
    o.net = true;
    o.loopback = true;
  }
  if (choices.cgroup) o.cgroup = true;
  if (choices.timeOffsets) {
    o.time = true;
    o.timeOffsets = choices.timeOffsets;
  }
  if (choices.cwd !== undefined) o.wd = choices.cwd;
  const mounts = [...(choices.net ? [] : sharedNetMounts(dir, overlay !== false)), ...(choices.mounts ?? [])];
  if (mounts.length) o.mounts = mounts;
  return o;
}

/**
 * Start `program` with `args` in a container from `rootfs` (see `containerOptions()`); the
 * other options are `spawn()`'s (stdio, env, ...) and may override the container's. Here
 * `cwd`, `uid` and `gid` are the container's (inside), not child_process's.
 */
export function spawnContainer(
  rootfs: string,
  program: string,
  args: readonly string[] = [],
  options: Omit<SpawnOptions, 'cwd' | 'uid' | 'gid'> & ContainerChoices = {},
): SandboxedChildProcess {
  const { overlay, readOnly, mounts, net, cgroup, timeOffsets, hostname, cwd, uid, gid, callerUid, user, ...rest } = options;
  const choices: ContainerChoices = {};
  if (user !== undefined) choices.user = user;
  if (overlay !== undefined) choices.overlay = overlay;
  if (readOnly !== undefined) choices.readOnly = readOnly;
  if (mounts !== undefined) choices.mounts = mounts;
  if (net !== undefined) choices.net = net;
  if (cgroup !== undefined) choices.cgroup = cgroup;
  if (timeOffsets !== undefined) choices.timeOffsets = timeOffsets;
  if (hostname !== undefined) choices.hostname = hostname;
  if (cwd !== undefined) choices.cwd = cwd;
  if (uid !== undefined) choices.uid = uid;
  if (gid !== undefined) choices.gid = gid;
  if (callerUid !== undefined) choices.callerUid = callerUid;
  return spawn(program, args, { ...containerOptions(rootfs, choices), ...rest });
}
