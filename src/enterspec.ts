/**
 * The enter spec: what `nsbox nsenter` and the library's `enter()` decide, and what the helper
 * executes in enter mode (docs/PROTOCOL.md §5). As with the sandbox spec, every decision is
 * already made here (which namespaces, whose, the credentials, whether to fork); the helper
 * re-checks the values and acts.
 *
 * Also the mount actions behind `persist()` / `unpersist()` (the same mode, §5.4).
 */
import { NAMESPACE_KINDS, type NamespaceKind } from './spec.js';

export const ENTER_VERSION_TAG = 'NSBOX1-ENTER';

export interface EnterSpec {
  /** The target process (its namespaces, and the source of `netSocket` / `userParent`). */
  target?: number;
  /** `PID:inode`: the pidfd inode the target must have (util-linux HEAD). */
  targetIno?: bigint;
  /** Join the target's namespaces through a pidfd (setns(2) takes one since Linux 5.8). */
  usePidfd: boolean;
  /** Namespaces to join: `true` for the target's, or a namespace file (or a bind mount of one). */
  join: Partial<Record<NamespaceKind, true | string>>;
  /** Join the network namespace of this socket fd of the target. */
  netSocket?: number;
  /** Join the parent (owner) user namespace instead. */
  userParent: boolean;
  /** Directory opened before the joins, chroot'ed into after them. */
  root?: string;
  /** Directory opened before the joins, the working directory after them. */
  wd?: string;
  /** Working directory opened after the joins and the chroot (a path inside). */
  wdns?: string;
  /** A `cgroup.procs` file (cgroup v2) to move into. */
  cgroupProcs?: string;
  /** Fork: the helper stays as the parent (needed for a pid namespace). */
  fork: boolean;
  /** With fork: PR_SET_PDEATHSIG of the program (0: none). */
  killChildSignal: number;
  /** With fork: signals the parent forwards to the program. */
  forwardSignals: number[];
  /** The helper (and an unforked program) get this when the Node process dies (0: none). */
  parentDeathSignal: number;
  parentPid: number;
  /** setgroups(0) before the joins too; fail only if both attempts fail (util-linux). */
  dropGroups: boolean;
  setuid?: number;
  setgid?: number;
  /** Permitted capabilities become ambient (with a user namespace joined). */
  keepCaps: boolean;
  /** setsid(2) just before exec: the program has no controlling terminal (no TIOCSTI). */
  newSession?: boolean;
  /** Every fd >= this is close-on-exec (set by spawnHelper()). */
  keepFds: number;
  file: string;
  argv: string[];
}

function checkPath(p: string, what: string): void {
  if (p.length === 0 || p.includes('\0')) throw new RangeError(`${what}: invalid path`);
}

function checkInt(n: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what}: invalid value ${n}`);
}

/** Encode an enter spec as the helper's argv (after argv[0]). */
export function encodeEnterSpec(spec: EnterSpec, reportFd: number): string[] {
  const out: string[] = [ENTER_VERSION_TAG, `report=${reportFd}`];
  if (spec.target !== undefined) {
    checkInt(spec.target, 1, 0x7fffffff, 'target');
    out.push(`target=${spec.target}`);
  }
  if (spec.targetIno !== undefined) out.push(`targetino=${spec.targetIno}`);
  if (spec.usePidfd) out.push('pidfd=1');
  for (const kind of NAMESPACE_KINDS) {
    const j = spec.join[kind];
    if (j === undefined) continue;
    if (j === true) out.push(`join=${kind}`);
    else {
      checkPath(j, `join ${kind}`);
      out.push(`join=${kind}:${j}`);
    }
  }
  if (spec.netSocket !== undefined) {
    checkInt(spec.netSocket, 0, 0x7fffffff, 'netsocket');
    out.push(`netsocket=${spec.netSocket}`);
  }
  if (spec.userParent) out.push('userparent=1');
  const paths: [keyof EnterSpec, string][] = [
    ['root', 'root'],
    ['wd', 'wd'],
    ['wdns', 'wdns'],
    ['cgroupProcs', 'cgroup'],
  ];
  for (const [field, key] of paths) {
    const v = spec[field];
    if (typeof v !== 'string') continue;
    checkPath(v, key);
    out.push(`${key}=${v}`);
  }
  if (spec.fork) out.push('fork=1');
  if (spec.killChildSignal) {
    checkInt(spec.killChildSignal, 1, 64, 'killchild');
    out.push(`killchild=${spec.killChildSignal}`);
  }
  for (const s of spec.forwardSignals) {
    checkInt(s, 1, 64, 'forward');
    out.push(`forward=${s}`);
  }
  if (spec.parentDeathSignal) {
    checkInt(spec.parentDeathSignal, 1, 64, 'pdeathsig');
    out.push(`pdeathsig=${spec.parentDeathSignal}`, `parent=${spec.parentPid}`);
  }
  if (spec.dropGroups) out.push('dropgroups=1');
  if (spec.setgid !== undefined) {
    checkInt(spec.setgid, 0, 0xfffffffe, 'setgid');
    out.push(`setgid=${spec.setgid}`);
  }
  if (spec.setuid !== undefined) {
    checkInt(spec.setuid, 0, 0xfffffffe, 'setuid');
    out.push(`setuid=${spec.setuid}`);
  }
  if (spec.keepCaps) out.push('keepcaps=1');
  if (spec.newSession) out.push('setsid=1');
  checkInt(spec.keepFds, 3, 0x7fffffff, 'keepfds');
  out.push(`keepfds=${spec.keepFds}`);
  if (spec.argv.length === 0) throw new RangeError('argv must hold at least argv[0]');
  out.push('--', spec.file, ...spec.argv);
  return out;
}

/** A mount action of enter mode: bind a namespace file on a path, or unmount one. */
export type MountAction = { bind: { source: string; target: string } } | { unbind: string };

export interface MountActionSpec {
  action: MountAction;
  keepFds: number;
}

export function encodeMountAction(spec: MountActionSpec, reportFd: number): string[] {
  const out = [ENTER_VERSION_TAG, `report=${reportFd}`];
  const a = spec.action;
  if ('bind' in a) {
    checkPath(a.bind.source, 'bindsrc');
    checkPath(a.bind.target, 'bindto');
    out.push(`bindsrc=${a.bind.source}`, `bindto=${a.bind.target}`);
  } else {
    checkPath(a.unbind, 'unbind');
    out.push(`unbind=${a.unbind}`);
  }
  out.push(`keepfds=${spec.keepFds}`);
  return out;
}

/**
 * Whether setns(2) takes a pidfd here: Linux 5.8 and later (util-linux tests `> 5.7.0`).
 * `release` is os.release(), e.g. `6.1.0-18-amd64`.
 */
export function kernelTakesPidfd(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 8);
}
