/**
 * The library side of `nsbox nsenter`: `enter()` starts a program inside existing namespaces
 * (returning the same `SandboxedChildProcess` as `spawn()`), and `persist()` / `unpersist()`
 * bind a namespace onto a file and release it again. The joins and mounts run in the native
 * helper (setns(2) is per thread, and impossible for a user namespace in multithreaded Node).
 */
import type * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { encodeEnterSpec, encodeMountAction, type EnterSpec, type MountActionSpec } from './enterspec.js';
import { DEFAULT_SYS, NS_FILE_NAMES, planEnter, type EnterRequest } from './enterplan.js';
import { NamespaceError } from './errors.js';
import { errnoCode, strerror } from './libc.js';
import { OPTION_KINDS, type NamespaceSet } from './namespaces.js';
import { signameToSignum } from './signals.js';
import type { NamespaceKind } from './spec.js';
import { spawnHelper, type SandboxedChildProcess } from './spawn.js';

export { EnterSetupError } from './enterplan.js';

/**
 * Whose namespaces: a pid (every namespace of that process, as `nsenter --all`), or per kind
 * `true` (those of the process `target`) or a namespace file (`/proc/PID/ns/uts`, or a persisted one). Kinds
 * not named are not entered.
 */
export type EnterTarget = number | ({ target?: number } & { [K in keyof NamespaceSet]?: boolean | string });

export interface EnterOptions extends cp.SpawnOptions {
  /** Fork (needed for a pid namespace). Default: exactly when a pid namespace is entered. */
  fork?: boolean;
  /** uid/gid in the entered namespaces; `follow`: the target process's. Default 0 with a user namespace. */
  setuid?: number | 'follow';
  setgid?: number | 'follow';
  /** Leave uid, gid and groups as they are (needed to enter a `setgroups deny` namespace unprivileged). */
  preserveCredentials?: boolean;
  /** Keep the joined user namespace's capabilities across exec (ambient). */
  keepCaps?: boolean;
  /** chroot: `true` the target's root, or a directory of the caller's file system. */
  root?: true | string;
  /** Working directory: `true` the target's, or a directory of the caller's file system. */
  wd?: true | string;
  /** Working directory as a path inside the entered namespaces (exclusive with `wd`). */
  wdns?: string;
  /** The program gets the target's environment (`nsenter --env`); `env` is then ignored. */
  targetEnv?: boolean;
  /** Enter the parent user namespace instead (`--user-parent`). */
  userParent?: boolean;
  /** Enter the network namespace of this socket fd of the target (`--net-socket`). */
  netSocket?: number;
  /** Move into the target's cgroup (cgroup v2). */
  joinCgroup?: boolean;
  /** With fork: signal for the program when the helper dies. Default SIGKILL; false: none. */
  killChild?: NodeJS.Signals | false;
  /** With fork: signals forwarded to the program. Default: the common ones, as spawn(). */
  forwardSignals?: readonly NodeJS.Signals[] | false;
  /** The helper (and an unforked program) die with this process. Default true. */
  dieWithParent?: boolean;
  /** setsid(2) before exec: no controlling terminal, no TIOCSTI into the caller's. Default true. */
  newSession?: boolean;
}

const LIBRARY_FORWARDED: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGWINCH', 'SIGCONT'];

function signal(name: NodeJS.Signals, what: string): number {
  const n = signameToSignum(name);
  if (n <= 0) throw new RangeError(`${what}: unknown signal ${name}`);
  return n;
}

/** The request `planEnter()` takes, from the library's arguments. */
function request(target: EnterTarget, file: string, args: readonly string[], o: EnterOptions): EnterRequest {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.env ?? process.env)) if (v !== undefined) env[k] = v;
  const req: EnterRequest = {
    all: typeof target === 'number',
    ns: {},
    userParent: o.userParent ?? false,
    preserveCredentials: o.preserveCredentials ?? false,
    keepCaps: o.keepCaps ?? false,
    targetEnv: o.targetEnv ?? false,
    joinCgroup: o.joinCgroup ?? false,
    file,
    args,
    env,
    uid: process.getuid?.() ?? 0,
  };
  if (typeof target === 'number') req.target = target;
  else {
    if (target.target !== undefined) req.target = target.target;
    for (const [opt, kind] of OPTION_KINDS) {
      const v = target[opt];
      if (v === true) req.ns[kind] = true;
      else if (typeof v === 'string') req.ns[kind] = v;
    }
  }
  if (o.fork !== undefined) req.fork = o.fork;
  if (o.setuid !== undefined) req.setuid = o.setuid;
  if (o.setgid !== undefined) req.setgid = o.setgid;
  if (o.root !== undefined) req.root = o.root;
  if (o.wd !== undefined) req.wd = o.wd;
  if (o.wdns !== undefined) {
    if (o.wd !== undefined) throw new RangeError('enter(): wd and wdns are mutually exclusive');
    req.wdns = o.wdns;
  }
  if (o.netSocket !== undefined) req.netSocket = o.netSocket;
  return req;
}

/**
 * Start `file` with `args` inside existing namespaces, as `nsenter` would (two-pass join,
 * credentials 0 in an entered user namespace unless preserved, fork for a pid namespace).
 * Option mistakes throw `EnterSetupError` at once; failures of the joins themselves are
 * `'error'` events with a `NamespaceError` (`step` `setns`, `open`, ...), as for `spawn()`.
 */
export function enter(target: EnterTarget, file: string, args: readonly string[] = [], options: EnterOptions = {}): SandboxedChildProcess<EnterSpec> {
  const plan = planEnter(request(target, file, args, options), DEFAULT_SYS);
  const spec = plan.spec;
  if (spec.fork) {
    const kill = options.killChild ?? 'SIGKILL';
    spec.killChildSignal = kill === false ? 0 : signal(kill, 'killChild');
    const fwd = options.forwardSignals ?? LIBRARY_FORWARDED;
    spec.forwardSignals = fwd === false ? [] : fwd.map((s) => signal(s, 'forwardSignals'));
  }
  if (options.dieWithParent ?? true) {
    spec.parentDeathSignal = constants.signals.SIGKILL;
    spec.parentPid = process.pid;
  }
  if (options.newSession ?? true) spec.newSession = true;
  return spawnHelper(spec, encodeEnterSpec, { ...options, env: plan.env });
}

/** Runs one mount action in the helper; resolves when done, rejects with a NamespaceError. */
function mountAction(spec: MountActionSpec): Promise<void> {
  const child = spawnHelper(spec, encodeMountAction, { stdio: 'ignore' });
  // The failure comes as 'error' and as the rejection of `ready` (which, with no program, also
  // rejects on success: there is no pid to report). The exit status tells which.
  child.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    child.on('close', (code, sig) => {
      void child.ready.then(
        () => resolve(),
        (e: unknown) => {
          if (e instanceof NamespaceError) reject(e);
          else if (code === 0) resolve();
          else reject(new Error(`nsbox: the helper ended with ${sig ?? `status ${code}`}`));
        },
      );
    });
  });
}

/** The library's namespace names (`mount`, `uts`, ...) → kinds. */
const KIND_OF: Readonly<Record<keyof NamespaceSet, NamespaceKind>> = Object.fromEntries(OPTION_KINDS) as Record<keyof NamespaceSet, NamespaceKind>;

export interface PersistOptions {
  /** Whose namespace (default: this process). */
  pid?: number;
  /**
   * pid and time: bind `pid_for_children` / `time_for_children` (what `unshare --pid=FILE`
   * binds) instead of the process's own pid/time namespace.
   */
  forChildren?: boolean;
}

/** Whether the mount holding `path` has shared propagation (mountinfo optional field `shared:N`). */
function onSharedMount(path: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(path);
  } catch {
    return false;
  }
  let best: { point: string; shared: boolean } | undefined;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const point = f[4]?.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === undefined) continue;
    const inside = real === point || real.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (!inside || (best && best.point.length > point.length)) continue;
    const sep = f.indexOf('-');
    best = { point, shared: f.slice(6, sep < 0 ? undefined : sep).some((x) => x.startsWith('shared:')) };
  }
  return best?.shared ?? false;
}

/**
 * Persist a namespace: bind `/proc/PID/ns/<kind>` onto `path`, an existing file (as
 * `unshare --uts=FILE` does). The namespace then lives as long as the bind; enter it with
 * `enter({ uts: path }, ...)` or `nsenter --uts=FILE`, release it with `unpersist(path)`.
 * Needs CAP_SYS_ADMIN over the caller's mount namespace (root).
 */
export async function persist(kind: keyof NamespaceSet, path: string, options: PersistOptions = {}): Promise<void> {
  const nsKind = KIND_OF[kind];
  if (nsKind === undefined) throw new RangeError(`persist(): unknown namespace kind '${String(kind)}'`);
  const pid = options.pid ?? process.pid;
  const children = options.forChildren && (nsKind === 'pid' || nsKind === 'time');
  const source = `/proc/${pid}/${children ? `${NS_FILE_NAMES[nsKind]}_for_children` : NS_FILE_NAMES[nsKind]}`;
  try {
    if (fs.statSync(path).isDirectory()) throw new NamespaceError({ step: 'persist', errno: constants.errno.ENOTDIR, strerror: strerror('ENOTDIR'), args: [source, path] });
  } catch (e) {
    if (e instanceof NamespaceError) throw e;
    const err = new NamespaceError({ step: 'persist', errno: constants.errno.ENOENT, strerror: strerror('ENOENT'), args: [source, path] });
    err.message = `${err.message} (the target file must exist: create it first, e.g. with touch)`;
    throw err;
  }
  try {
    await mountAction({ action: { bind: { source, target: path } }, keepFds: 3 });
  } catch (e) {
    if (!(e instanceof NamespaceError)) throw e;
    if (e.code === 'ENOENT' && children) {
      e.message += ` (${source} is empty until the namespace has a process: a pid namespace needs a forked child, as with unshare --fork)`;
    } else if (e.code === 'EINVAL' && nsKind === 'mnt' && onSharedMount(path)) {
      e.message += ` (${path} is on a mount with shared propagation, where a mount namespace cannot be bound: use a file on a private mount, e.g. after 'mount --bind DIR DIR && mount --make-private DIR')`;
    } else if (e.code === 'EINVAL' && nsKind === 'mnt') {
      e.message += ' (a mount namespace can only be bound into an older mount namespace than itself)';
    }
    throw e;
  }
}

/** Whether `path` is the mount point of an nsfs bind (a persisted namespace). */
function isNsfsMount(path: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(path);
  } catch {
    return false;
  }
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => {
      const f = line.split(' ');
      const sep = f.indexOf('-');
      return f[4] === real && sep > 0 && f[sep + 1] === 'nsfs';
    });
}

/** Release a persisted namespace: unmount the bind on `path` (as `umount FILE`). */
export async function unpersist(path: string): Promise<void> {
  if (!isNsfsMount(path)) {
    let exists = true;
    try {
      fs.statSync(path);
    } catch (e) {
      exists = errnoCode(e) !== 'ENOENT';
    }
    const err = new NamespaceError({
      step: 'unbind',
      errno: exists ? constants.errno.EINVAL : constants.errno.ENOENT,
      strerror: strerror(exists ? 'EINVAL' : 'ENOENT'),
      args: [path],
    });
    err.message = `${err.message} (${exists ? 'no namespace is persisted there' : 'no such file'})`;
    throw err;
  }
  await mountAction({ action: { unbind: path }, keepFds: 3 });
}
