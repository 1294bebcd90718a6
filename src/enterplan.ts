/**
 * From "what the user asked for" to an `EnterSpec`: the decisions util-linux nsenter (HEAD)
 * makes after parsing its options, shared by `nsbox nsenter` and the library's `enter()`.
 * `--all`, the target's root/cwd/environment/cgroup, `follow` ids, the credentials forced by a
 * user namespace, whether to fork. Messages are util-linux's (without the program prefix).
 */
import * as fs from 'node:fs';
import { release } from 'node:os';
import { kernelTakesPidfd, type EnterSpec } from './enterspec.js';
import { errnoCode, strerror } from './libc.js';
import { NAMESPACE_KINDS, type NamespaceKind } from './spec.js';
import { defaultShell, loginShellArgv0 } from './users.js';

/** A failure util-linux reports before touching anything (exit status 1). */
export class EnterSetupError extends Error {
  override readonly name = 'EnterSetupError';
}

/** What is read from the system; tests replace it. */
export interface EnterSys {
  /** stat(2) following links; throws a Node system error. */
  stat(path: string): { ino: bigint; uid: number; gid: number };
  readFile(path: string): Buffer;
  /** statfs(2) f_type. */
  statfsType(path: string): number;
  kernelRelease(): string;
  passwdFile: string;
}

export const DEFAULT_SYS: EnterSys = {
  stat(path) {
    const st = fs.statSync(path, { bigint: true });
    return { ino: st.ino, uid: Number(st.uid), gid: Number(st.gid) };
  },
  readFile: (path) => fs.readFileSync(path),
  statfsType: (path) => Number(fs.statfsSync(path).type),
  kernelRelease: () => release(),
  passwdFile: '/etc/passwd',
};

const CGROUP2_SUPER_MAGIC = 0x63677270;
/** util-linux `_PATH_SYS_CGROUP`. */
export const SYS_CGROUP = '/sys/fs/cgroup';

/** /proc/PID/ns names, as util-linux's namespace_files[] spells them. */
export const NS_FILE_NAMES: Readonly<Record<NamespaceKind, string>> = {
  user: 'ns/user',
  cgroup: 'ns/cgroup',
  ipc: 'ns/ipc',
  uts: 'ns/uts',
  net: 'ns/net',
  pid: 'ns/pid',
  mnt: 'ns/mnt',
  time: 'ns/time',
};

export interface EnterRequest {
  target?: number;
  targetIno?: bigint;
  all: boolean;
  /** Namespaces asked for: `true` (the target's) or a file. */
  ns: Partial<Record<NamespaceKind, true | string>>;
  netSocket?: number;
  userParent: boolean;
  setuid?: number | 'follow';
  setgid?: number | 'follow';
  preserveCredentials: boolean;
  keepCaps: boolean;
  /** `true`: the target's root (`/proc/PID/root`); a string: that directory. */
  root?: true | string;
  wd?: true | string;
  wdns?: string;
  /** The program's environment is the target's `/proc/PID/environ`. */
  targetEnv: boolean;
  /** undefined: fork exactly when a pid namespace is entered (util-linux). */
  fork?: boolean;
  joinCgroup: boolean;
  /** The program; undefined: the default shell as a login shell. */
  file?: string;
  args: readonly string[];
  /** The caller's environment (replaced by the target's with `targetEnv`). */
  env: Record<string, string>;
  /** getuid() of the caller, for the default shell. */
  uid: number;
}

export interface EnterPlan {
  spec: EnterSpec;
  env: Record<string, string>;
}

function fail(message: string): never {
  throw new EnterSetupError(message);
}

function sysFail(what: string, e: unknown): never {
  fail(`${what}: ${strerror(errnoCode(e))}`);
}

/** util-linux open_target_fd() without a file: `/proc/PID/<type>`, or its error. */
function targetPath(req: EnterRequest, type: string): string {
  if (!req.target) fail(`neither filename nor target pid supplied for ${type}`);
  return `/proc/${req.target}/${type}`;
}

function readTarget(req: EnterRequest, sys: EnterSys, type: string): Buffer {
  const path = targetPath(req, type);
  try {
    return sys.readFile(path);
  } catch (e) {
    return sysFail(`cannot open ${path}`, e);
  }
}

/** `--all`: every namespace the kernel has, except our own user namespace (setns refuses it). */
function addAll(req: EnterRequest, sys: EnterSys, join: Partial<Record<NamespaceKind, true | string>>): void {
  // util-linux HEAD would say "stat of /proc/0/ns/user failed"; its intent (and 2.38) is this.
  if (!req.target) fail('no target PID specified for --all');
  for (const kind of NAMESPACE_KINDS) {
    if (join[kind] !== undefined) continue;
    const name = NS_FILE_NAMES[kind];
    let own: bigint;
    try {
      own = sys.stat(`/proc/self/${name}`).ino;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue; // the kernel lacks this kind
      own = 0n;
    }
    if (kind === 'user') {
      const path = `/proc/${req.target}/${name}`;
      let theirs: bigint;
      try {
        theirs = sys.stat(path).ino;
      } catch (e) {
        return sysFail(`stat of ${path} failed`, e);
      }
      if (theirs === own) continue;
    }
    join[kind] = true;
  }
}

/** `--join-cgroup`: the target's cgroup v2 directory's cgroup.procs. */
function cgroupProcs(req: EnterRequest, sys: EnterSys): string {
  let type: number;
  try {
    type = sys.statfsType(SYS_CGROUP);
  } catch (e) {
    return sysFail(`statfs ${SYS_CGROUP} failed`, e);
  }
  if (type !== CGROUP2_SUPER_MAGIC) fail('--join-cgroup is only supported in cgroup v2');
  const first = readTarget(req, sys, 'cgroup').toString('utf8').split('\n')[0] ?? '';
  const colon = first.lastIndexOf(':');
  if (colon < 0) fail('failed to get cgroup path');
  return `${SYS_CGROUP}/${first.slice(colon + 1)}/cgroup.procs`;
}

/** The target's environment: NUL-separated `NAME=value` entries (the first of a name wins). */
export function parseEnviron(data: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of data.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    if (!(name in env)) env[name] = entry.slice(eq + 1);
  }
  return env;
}

/** Decide everything, in util-linux HEAD's order (so the first error is the same one). */
export function planEnter(req: EnterRequest, sys: EnterSys = DEFAULT_SYS): EnterPlan {
  const join: Partial<Record<NamespaceKind, true | string>> = { ...req.ns };
  if (req.all) addAll(req, sys, join);

  const fromTarget = NAMESPACE_KINDS.some((k) => join[k] === true);
  if ((fromTarget || req.netSocket !== undefined || req.userParent) && !req.target) fail('no target PID specified');

  const root = req.root === true ? targetPath(req, 'root') : req.root;
  const wd = req.wd === true ? targetPath(req, 'cwd') : req.wd;
  const env = req.targetEnv ? parseEnviron(readTarget(req, sys, 'environ')) : { ...req.env };
  let owner: { uid: number; gid: number } | undefined;
  if (req.setuid === 'follow' || req.setgid === 'follow') {
    const path = targetPath(req, '');
    try {
      owner = sys.stat(path);
    } catch (e) {
      return sysFail(`cannot open ${path}`, e);
    }
  }
  const procs = req.joinCgroup ? cgroupProcs(req, sys) : undefined;

  const kinds = new Set(NAMESPACE_KINDS.filter((k) => join[k] !== undefined));
  if (req.userParent) kinds.add('user');
  if (req.netSocket !== undefined) kinds.add('net');
  if (kinds.size === 0) fail('no namespace specified');

  const fork = req.fork ?? kinds.has('pid');
  const userJoined = kinds.has('user');
  // Entering a user namespace sets uid and gid (0 unless given) and drops the groups.
  const forceIds = userJoined && !req.preserveCredentials;
  const idOf = (v: number | 'follow' | undefined, followed: number | undefined): number | undefined =>
    v === 'follow' ? followed : v !== undefined ? v : forceIds ? 0 : undefined;
  const setuid = idOf(req.setuid, owner?.uid);
  const setgid = idOf(req.setgid, owner?.gid);

  let file = req.file;
  let argv = file !== undefined ? [file, ...req.args] : [];
  if (file === undefined) {
    file = defaultShell(env, setuid ?? req.uid, sys.passwdFile);
    argv = [loginShellArgv0(file)];
  }

  const spec: EnterSpec = {
    usePidfd: req.target !== undefined && kernelTakesPidfd(sys.kernelRelease()),
    join,
    userParent: req.userParent,
    fork,
    killChildSignal: 0,
    forwardSignals: [],
    parentDeathSignal: 0,
    parentPid: 0,
    dropGroups: forceIds,
    keepCaps: req.keepCaps && userJoined,
    keepFds: 3,
    file,
    argv,
  };
  if (req.target !== undefined) spec.target = req.target;
  if (req.targetIno !== undefined) spec.targetIno = req.targetIno;
  if (req.netSocket !== undefined) spec.netSocket = req.netSocket;
  if (root !== undefined) spec.root = root;
  if (wd !== undefined) spec.wd = wd;
  if (req.wdns !== undefined) spec.wdns = req.wdns;
  if (procs !== undefined) spec.cgroupProcs = procs;
  if (setuid !== undefined) spec.setuid = setuid;
  if (setgid !== undefined) spec.setgid = setgid;
  return { spec, env };
}
