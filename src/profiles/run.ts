/**
 * Running a profile: a `Profile` (the settings `nsbox profile` edits) becomes library options
 * with bubblewrap-like defaults, and `spawnProfile()` starts a program with them. `nsbox run`
 * (src/cli/run-profile.ts) is this plus the CLI's exit-status mirroring.
 *
 * Defaults (README "nsbox run"):
 * - not root and any namespace: a user namespace is added, mapping the caller to itself (uid
 *   and gid, as bubblewrap does by default); with `user` as root: root mapped to itself;
 * - binds: a mount namespace is added (binds need one);
 * - pid: fork, a fresh /proc (so a mount namespace is added) and a minimal init as pid 1;
 * - net: the loopback interface is up; uts with a hostname: the hostname is set;
 * - time with offsets: the offsets are set (hostname and offsets without their namespace are
 *   ignored, so `unshare del uts` does not break a profile that has a hostname);
 * - the sandbox dies with its parent; signals are forwarded to the program;
 * - env: the caller's environment plus the profile's, `$VAR`/`${VAR}` expanded against the
 *   caller's (unset: empty); binds and cwd are expanded the same way;
 * - `user` and `cgroup` are "try" options: left out (with one line on stderr) if the kernel
 *   refuses them; `user` only when nothing else needs it (as root, or alone).
 */
import { containerOptions, type ContainerChoices } from '../container.js';
import type { NamespaceSet } from '../namespaces.js';
import type { SandboxOptions } from '../options.js';
import { droppedNamespaceMessage, type DroppedNamespace } from '../report.js';
import { spawn, type SandboxedChildProcess, type SpawnOptions } from '../spawn.js';
import type { BindSpec } from '../spec.js';
import type { Profile, ProfileUnshareOption } from './types.js';

/** The environment `$VAR` is expanded against. */
export type ProfileEnv = Readonly<Record<string, string | undefined>>;

export interface ProfileRunContext {
  /** The caller's environment: the base of the program's, and what `$VAR` expands to. */
  env: ProfileEnv;
  /** The caller's effective uid (decides whether a user namespace is added). */
  uid: number;
}

/** Options for `spawn()`: the sandbox options plus the program's complete environment. */
export interface ProfileSpawnOptions extends SandboxOptions {
  env: Record<string, string>;
}

/** Signals passed on to the program: the library's, plus SIGPWR, which the CLI passes on too. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGWINCH', 'SIGCONT', 'SIGPWR'];

/** A profile option → the library's namespace option (the same names). */
const NAMESPACE_OPTION: Readonly<Record<ProfileUnshareOption, keyof NamespaceSet>> = {
  user: 'user',
  ipc: 'ipc',
  pid: 'pid',
  net: 'net',
  uts: 'uts',
  cgroup: 'cgroup',
  mount: 'mount',
  time: 'time',
};

/**
 * `$VAR` and `${VAR}` replaced by the variable's value in `env` (empty when unset), as a shell
 * would without word splitting. A `$` not followed by a name or `{name}` stays as it is.
 */
export function expandVars(text: string, env: ProfileEnv): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    return env[name] ?? '';
  });
}

function stringEnv(env: ProfileEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * A profile with a `rootfs`: a container (`containerOptions()`: mount, pid, uts, ipc, an init,
 * a user namespace when not root, mapped to root), with the profile's net, cgroup, time
 * offsets, hostname, cwd, binds (inside the rootfs) and environment.
 */
function containerProfileOptions(profile: Profile, rootfs: string, ctx: ProfileRunContext): ProfileSpawnOptions {
  const asked = new Set<ProfileUnshareOption>(profile.unshare);
  const choices: ContainerChoices = { callerUid: ctx.uid };
  if (asked.has('net')) choices.net = true;
  if (asked.has('cgroup')) choices.cgroup = true;
  if (asked.has('user')) choices.user = true;
  if (profile.hostname !== undefined) choices.hostname = profile.hostname;
  if (profile.cwd !== undefined) choices.cwd = expandVars(profile.cwd, ctx.env);
  if (asked.has('time') && profile.time) {
    const t: { monotonic?: number; boottime?: number } = {};
    if (profile.time.monotonic !== undefined) t.monotonic = profile.time.monotonic;
    if (profile.time.boottime !== undefined) t.boottime = profile.time.boottime;
    choices.timeOffsets = t;
  }
  const o: ProfileSpawnOptions = { ...containerOptions(rootfs, choices), env: stringEnv(ctx.env), forwardSignals: FORWARDED };
  const binds: BindSpec[] = profile.binds.map((b) => ({ mode: b.mode, src: expandVars(b.src, ctx.env), dst: expandVars(b.dst, ctx.env) }));
  if (binds.length) o.binds = binds;
  if (asked.has('cgroup')) o.tryNamespaces = ['cgroup'];
  for (const [k, v] of Object.entries(profile.env)) o.env[k] = expandVars(v, ctx.env);
  return o;
}

/** A profile's settings as `spawn()` options, with the defaults above. */
export function profileToOptions(profile: Profile, ctx: ProfileRunContext): ProfileSpawnOptions {
  if (profile.rootfs !== undefined) return containerProfileOptions(profile, expandVars(profile.rootfs, ctx.env), ctx);
  const asked = new Set<ProfileUnshareOption>(profile.unshare);
  const o: ProfileSpawnOptions = {
    env: stringEnv(ctx.env),
    dieWithParent: true,
    killChild: 'SIGKILL',
    forwardSignals: FORWARDED,
  };
  for (const opt of asked) o[NAMESPACE_OPTION[opt]] = true;

  const binds: BindSpec[] = profile.binds.map((b) => ({ mode: b.mode, src: expandVars(b.src, ctx.env), dst: expandVars(b.dst, ctx.env) }));
  if (binds.length) {
    o.binds = binds;
    o.mount = true;
  }
  if (asked.has('pid')) {
    o.fork = true;
    o.init = true;
    o.mountProc = true;
    o.mount = true;
  }
  if (asked.has('net')) o.loopback = true;
  if (asked.has('uts') && profile.hostname !== undefined) o.hostname = profile.hostname;
  if (asked.has('time') && profile.time) {
    const t: { monotonic?: number; boottime?: number } = {};
    if (profile.time.monotonic !== undefined) t.monotonic = profile.time.monotonic;
    if (profile.time.boottime !== undefined) t.boottime = profile.time.boottime;
    o.timeOffsets = t;
  }
  if (profile.cwd !== undefined) o.wd = expandVars(profile.cwd, ctx.env);

  const others = (['ipc', 'pid', 'net', 'uts', 'cgroup', 'mount', 'time'] as const).filter((k) => o[k]);
  // Without root every other namespace needs a user namespace (bubblewrap's "DWIM").
  if (others.length && ctx.uid !== 0) o.user = true;
  // bubblewrap maps the caller to itself: the program keeps its ids (root stays root).
  if (o.user) o.mapCurrentUser = true;

  const tries: (keyof NamespaceSet)[] = [];
  if (asked.has('cgroup')) tries.push('cgroup');
  // The user namespace can only be left out if nothing else needs it.
  if (asked.has('user') && (ctx.uid === 0 || others.length === 0)) tries.push('user');
  if (tries.length) o.tryNamespaces = tries;

  for (const [k, v] of Object.entries(profile.env)) o.env[k] = expandVars(v, ctx.env);
  return o;
}

/** Raised when there is nothing to run (no program given and no `command` in the profile). */
export class ProfileRunError extends Error {
  override readonly name = 'ProfileRunError';
}

export interface SpawnProfileOptions extends Omit<SpawnOptions, keyof SandboxOptions | 'env'> {
  /** The caller's environment (default `process.env`). */
  env?: ProfileEnv;
  /** The caller's effective uid (default `process.geteuid()`). */
  uid?: number;
  /** Called once per try namespace left out; default: one line on stderr. */
  onDropped?: (dropped: DroppedNamespace, message: string) => void;
}

/**
 * Start `program` (argv, default: the profile's `command`) with the profile's settings. Returns
 * `spawn()`'s `ChildProcess` (`ready`, `sandboxPid`, `'error'` with a `NamespaceError`).
 * Throws ProfileRunError when there is no program, SandboxOptionError for impossible settings.
 */
export function spawnProfile(profile: Profile, program?: readonly string[], options: SpawnProfileOptions = {}): SandboxedChildProcess {
  const argv = program && program.length ? program : profile.command;
  if (!argv || argv.length === 0) throw new ProfileRunError('no program given and the profile has no command');
  const { env, uid, onDropped, ...spawnOptions } = options;
  const sandbox = profileToOptions(profile, { env: env ?? process.env, uid: uid ?? process.geteuid?.() ?? 0 });
  const child = spawn(argv[0]!, argv.slice(1), { ...spawnOptions, ...sandbox });
  const report = onDropped ?? ((_d: DroppedNamespace, message: string) => process.stderr.write(`nsbox: ${message}\n`));
  child.on('namespace-dropped', (d: DroppedNamespace) => report(d, droppedNamespaceMessage(d)));
  return child;
}
