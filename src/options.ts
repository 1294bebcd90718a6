/**
 * Library options → sandbox spec. The options mirror `nsbox unshare`'s (see the README table);
 * implications, id-map merging and validation follow util-linux so that the library and the CLI
 * mean the same thing by the same words.
 */
import { constants } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { OPTION_KINDS, type NamespaceSet } from './namespaces.js';
import { HOSTNAME_MAX, NAMESPACE_KINDS, type BindSpec, type IdMapRange, type MountSpec, type IdMapSpec, type NamespaceKind, type Propagation, type SandboxSpec } from './spec.js';
import { addSingleMapRange, NO_ID, PROC_GID_MAP, PROC_UID_MAP, readKernelMap, readSubidRange, SUBGID_FILE, SUBUID_FILE } from './idmap.js';
import { GROUP_FILE, lookupGroupId, lookupUserId, PASSWD_FILE } from './users.js';
import { findInPath } from './path.js';
import { signameToSignum } from './signals.js';
import { strerror } from './libc.js';

/** A source of id-map ranges, as `--map-users`/`--map-groups` take them. */
export type MapSource = IdMapRange | 'auto' | 'subids' | 'all';

export interface SandboxOptions extends NamespaceSet {
  /** Persist namespaces: bind each onto an existing file (unmount the file to release it). */
  persist?: { [K in keyof NamespaceSet]?: string };
  /** Fork, the helper staying as the program's parent. Library default: true with a `pid` namespace. */
  fork?: boolean;
  /** With `fork`: signal for the program when its parent dies. Library default SIGKILL; false: none. */
  killChild?: NodeJS.Signals | number | false;
  /** With `fork`: signals forwarded to the program (true: SIGTERM and SIGINT). Library default: all common ones. */
  forwardSignals?: boolean | readonly NodeJS.Signals[];
  /** With `fork`: signals the parent blocks while it waits (util-linux blocks SIGINT and SIGTERM). */
  blockSignals?: readonly NodeJS.Signals[];
  /** The helper (and an unforked program) get SIGKILL when this process dies. Default true. */
  dieWithParent?: boolean;
  /** Mount a new proc at `/proc` (true) or at the given directory. Implies `mount`. */
  mountProc?: boolean | string;
  /** Mount binfmt_misc (true: /proc/sys/fs/binfmt_misc, and proc at /proc). Implies `user`, `mount`. */
  mountBinfmt?: boolean | string;
  /** Register this binfmt_misc interpreter. Implies `mountBinfmt`. */
  loadInterp?: string;
  /** Propagation of `/` in a new mount namespace (default `private`). */
  propagation?: Propagation;
  /** chroot(2) into this directory before exec. */
  root?: string;
  /** Working directory after the chroot (default `/` when `root` is set). */
  wd?: string;
  /** uid/gid set just before exec (inside the namespaces). */
  setuid?: number;
  setgid?: number;
  /** Map the caller's euid to this uid (number or user name). Implies `user`. */
  mapUser?: number | string;
  /** Map the caller's egid to this gid (number or group name). Implies `user`. */
  mapGroup?: number | string;
  /** Map the caller to root (uid and gid 0). */
  mapRootUser?: boolean;
  /** Map the caller to itself. */
  mapCurrentUser?: boolean;
  /** uid ranges; written directly as root, through newuidmap otherwise. */
  mapUsers?: readonly MapSource[];
  /** gid ranges; written directly as root, through newgidmap otherwise. */
  mapGroups?: readonly MapSource[];
  /** `mapUsers: ['auto'], mapGroups: ['auto']`. */
  mapAuto?: boolean;
  /** `mapUsers: ['subids'], mapGroups: ['subids']`. */
  mapSubids?: boolean;
  /** Owner of the new user namespace (set before it is created). */
  owner?: { uid: number; gid: number };
  /** Value for /proc/self/setgroups in the new user namespace. */
  setgroups?: 'allow' | 'deny';
  /** Keep the user namespace's capabilities across exec (ambient set). */
  keepCaps?: boolean;
  /** Time namespace offsets in seconds (needs `time`). */
  timeOffsets?: { monotonic?: number | bigint; boottime?: number | bigint };
  /** argv[0] of the program (default: the file name). */
  argv0?: string;
  /**
   * Namespaces that may be left out if the kernel refuses them (bubblewrap's
   * `--unshare-user-try`/`--unshare-cgroup-try`): the helper then retries without them and
   * reports each one (`SandboxInfo.dropped`, the 'namespace-dropped' event). Each must also be
   * requested. A user namespace can only be left out if nothing needs it (no map tool, no binfmt).
   */
  tryNamespaces?: readonly (keyof NamespaceSet)[];
  /**
   * With a `pid` namespace: pid 1 is a minimal init (as bubblewrap's) that forks the program as
   * pid 2, forwards catchable signals to it, reaps orphans, and ends with it. Implies `fork`.
   */
  init?: boolean;
  /** Hostname in the new UTS namespace (needs `uts`). */
  hostname?: string;
  /** Bring the loopback interface `lo` up in the new network namespace (needs `net`). */
  loopback?: boolean;
  /**
   * Bind mounts, in order (need `mount`): `ro` read-only and nodev, `rw` nodev, `dev` as is;
   * recursive; the destination (absolute) is created when missing.
   */
  binds?: readonly BindSpec[];
  /**
   * A container from a root filesystem: this directory becomes `/` (pivot_root, the old root
   * detached), with a fresh /proc, a minimal /dev, a read-only /sys and a tmpfs /tmp. Implies
   * `mount`, `pid`, `fork` and `init`. See `containerOptions()` for the usual defaults.
   */
  rootfs?: string;
  /** With `rootfs`: the rootfs is never written; writes go to a tmpfs (true) or to this directory. */
  overlay?: boolean | string;
  /** With `rootfs`: the root is mounted read-only. */
  readOnlyRoot?: boolean;
  /**
   * Mounts after `binds`, in order (need `mount`; with `rootfs`, destinations are inside it):
   * `bind` read-write, `ro-bind` read-only (both nodev, as bubblewrap's), `tmpfs` with an
   * optional size in bytes.
   */
  mounts?: readonly ContainerMount[];
  /**
   * The program's uid/gid inside. With a user namespace (always, when not root) the caller's
   * ids are mapped to them; without one, setuid/setgid just before exec. (Not `uid`/`gid`:
   * those are child_process's, the ids the helper itself would be started with.)
   */
  insideUid?: number;
  insideGid?: number;
  /**
   * The program runs in a new session (setsid(2) just before exec; an init too), without a
   * controlling terminal, so it cannot push input into the caller's terminal with TIOCSTI
   * (CVE-2017-5226) nor send it job-control signals. Library default: true; the CLI's
   * `nsbox unshare` never does it (util-linux), `nsbox run` does unless `--no-new-session`.
   */
  newSession?: boolean;
}

/** One entry of `mounts`. */
export type ContainerMount = { type: 'bind' | 'ro-bind'; src: string; dst: string } | { type: 'tmpfs'; dst: string; size?: number };

/** Raised for invalid options, with util-linux's wording. */
export class SandboxOptionError extends Error {
  override readonly name = 'SandboxOptionError';
}

export interface BuildContext {
  /** The Node process's pid, for the helper's parent-death check. */
  parentPid: number;
  euid?: number;
  egid?: number;
  /** PATH used to find newuidmap/newgidmap. */
  path?: string | undefined;
  /** Files read for names, `auto`/`subids` and `all` (tests point them elsewhere). */
  files?: Partial<MapFiles>;
}

export interface MapFiles {
  passwd: string;
  group: string;
  subuid: string;
  subgid: string;
  uidMap: string;
  gidMap: string;
}

export const DEFAULT_MAP_FILES: Readonly<MapFiles> = {
  passwd: PASSWD_FILE,
  group: GROUP_FILE,
  subuid: SUBUID_FILE,
  subgid: SUBGID_FILE,
  uidMap: PROC_UID_MAP,
  gidMap: PROC_GID_MAP,
};

function signalOption(sig: NodeJS.Signals | number, what: string): number {
  if (typeof sig === 'number') {
    if (Number.isInteger(sig) && sig > 0 && sig <= 64) return sig;
  } else {
    const n = signameToSignum(sig);
    if (n > 0) return n;
  }
  throw new SandboxOptionError(`unknown signal for ${what}: ${String(sig)}`);
}

/** A uid/gid given as a number or a name, as `--map-user`/`--map-group` take it. */
function resolveId(value: number | string | undefined, kind: 'uid' | 'gid', files: MapFiles): number {
  if (value === undefined) return NO_ID;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < NO_ID) return value;
    throw new SandboxOptionError(`failed to parse ${kind} '${value}': ${strerror('ERANGE')}`);
  }
  const r = kind === 'uid' ? lookupUserId(value, files.passwd) : lookupGroupId(value, files.group);
  if (!r.ok) throw new SandboxOptionError(`failed to parse ${kind} '${value}': ${strerror(r.errno)}`);
  return r.id;
}

/** Expand map sources in the order given, into util-linux's chain order (each is prepended). */
function mapChain(sources: readonly MapSource[], kind: 'uid' | 'gid', euid: number, files: MapFiles): IdMapRange[] {
  const chain: IdMapRange[] = [];
  for (const src of sources) {
    if (src === 'auto' || src === 'subids') {
      chain.unshift(readSubidRange(kind === 'uid' ? files.subuid : files.subgid, euid, src === 'subids', files.passwd));
    } else if (src === 'all') {
      for (const r of readKernelMap(kind === 'uid' ? files.uidMap : files.gidMap)) chain.unshift(r);
    } else {
      chain.unshift({ inner: src.inner, outer: src.outer, count: src.count });
    }
  }
  return chain;
}

/**
 * One id map (uid or gid) as util-linux builds it: with ranges (or an owner), the single id is
 * merged into them (`add_single_map_range`) and a map child writes them, directly as root or
 * through newuidmap/newgidmap; a lone single id is written by the sandboxed process itself.
 */
function buildIdMap(
  single: number,
  sources: readonly MapSource[],
  owned: boolean,
  kind: 'uid' | 'gid',
  outerId: number,
  euid: number,
  ctx: BuildContext,
  files: MapFiles,
): IdMapSpec | undefined {
  if (sources.length === 0 && !(single !== NO_ID && owned)) {
    return single === NO_ID ? undefined : { writer: 'self', ranges: [{ inner: single, outer: outerId, count: 1 }] };
  }
  const ranges = addSingleMapRange(mapChain(sources, kind, euid, files), outerId, single);
  if (ranges.length === 0) return undefined;
  // The kernel refuses (uid_t)-1 as an id.
  const bad = ranges.find((r) => r.inner === NO_ID || r.outer === NO_ID);
  if (bad) throw new SandboxOptionError(`invalid mapping '${bad.inner}:${bad.outer}:${bad.count}'`);
  if (euid === 0) return { writer: 'write', ranges };
  const tool = kind === 'uid' ? 'newuidmap' : 'newgidmap';
  return { writer: 'tool', ranges, tool: findInPath(tool, ctx.path) };
}

function offsetOption(v: number | bigint | undefined, what: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && !Number.isInteger(v)) throw new SandboxOptionError(`failed to parse ${what} offset: '${v}'`);
  const b = BigInt(v);
  if (b < -(2n ** 63n) || b >= 2n ** 63n) throw new SandboxOptionError(`failed to parse ${what} offset: '${v}': ${strerror('ERANGE')}`);
  return b;
}

/** `mounts` entries → spec entries; sources made absolute (rootfs mode chdirs before binding). */
function containerMounts(mounts: readonly ContainerMount[]): MountSpec[] {
  return mounts.map((m): MountSpec => {
    if (typeof m.dst !== 'string' || !m.dst.startsWith('/') || m.dst.includes('\0')) {
      throw new SandboxOptionError(`invalid mount destination '${String(m.dst)}': must be an absolute path`);
    }
    if (m.type === 'tmpfs') {
      const size = m.size ?? 0;
      if (!Number.isSafeInteger(size) || size < 0) throw new SandboxOptionError(`invalid tmpfs size '${String(m.size)}'`);
      return size ? { mode: 'tmpfs', dst: m.dst, size } : { mode: 'tmpfs', dst: m.dst };
    }
    if (m.type !== 'bind' && m.type !== 'ro-bind') throw new SandboxOptionError(`invalid mount type '${String((m as { type: unknown }).type)}' (bind, ro-bind or tmpfs)`);
    if (typeof m.src !== 'string' || m.src === '' || m.src.includes('\0')) throw new SandboxOptionError(`invalid bind source '${String(m.src)}'`);
    return { mode: m.type === 'bind' ? 'rw' : 'ro', src: resolvePath(m.src), dst: m.dst };
  });
}

function idInside(v: number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0 || v >= NO_ID) throw new SandboxOptionError(`invalid ${what} '${v}'`);
  return v;
}

/**
 * Options → spec: the one place where implications, id maps and option conflicts are settled,
 * for the library and the CLI alike. Throws SandboxOptionError (or IdMapError) with
 * util-linux's wording.
 */
export function buildSpec(file: string, args: readonly string[], o: SandboxOptions, ctx: BuildContext): SandboxSpec {
  const euid = ctx.euid ?? process.geteuid?.() ?? 0;
  const egid = ctx.egid ?? process.getegid?.() ?? 0;
  const files: MapFiles = { ...DEFAULT_MAP_FILES, ...ctx.files };
  const kinds = new Set<NamespaceKind>();
  const persist: SandboxSpec['persist'] = {};
  for (const [opt, kind] of OPTION_KINDS) {
    if (o[opt]) kinds.add(kind);
    const target = o.persist?.[opt];
    if (target !== undefined) {
      kinds.add(kind);
      persist[kind] = target;
    }
  }

  if (o.rootfs !== undefined) {
    kinds.add('mnt');
    kinds.add('pid');
  }

  let mountProc = o.mountProc === true ? '/proc' : o.mountProc || undefined;
  let mountBinfmt = o.mountBinfmt === true ? '/proc/sys/fs/binfmt_misc' : o.mountBinfmt || undefined;
  if (mountProc) kinds.add('mnt');
  if (o.mountBinfmt === true || (o.loadInterp !== undefined && mountBinfmt === undefined)) {
    mountProc ??= '/proc';
    mountBinfmt ??= '/proc/sys/fs/binfmt_misc';
  }
  if (mountBinfmt) {
    kinds.add('mnt');
    kinds.add('user');
  }

  let mapUser = resolveId(o.mapUser, 'uid', files);
  let mapGroup = resolveId(o.mapGroup, 'gid', files);
  const uidInside = idInside(o.insideUid, 'insideUid');
  const gidInside = idInside(o.insideGid, 'insideGid');
  // With a user namespace (needed anyway when not root) the ids inside are a mapping.
  const mapInside = (uidInside !== undefined || gidInside !== undefined) && (kinds.has('user') || euid !== 0);
  if (mapInside) {
    if (o.mapUser !== undefined || o.mapGroup !== undefined || o.mapRootUser || o.mapCurrentUser) {
      throw new SandboxOptionError('options insideUid/insideGid and the map options are mutually exclusive');
    }
    if (o.setuid !== undefined || o.setgid !== undefined) throw new SandboxOptionError('options insideUid/insideGid and setuid/setgid are mutually exclusive');
    mapUser = uidInside ?? 0;
    mapGroup = gidInside ?? 0;
  }
  if (o.mapRootUser) {
    mapUser = 0;
    mapGroup = 0;
  }
  if (o.mapCurrentUser) {
    mapUser = euid;
    mapGroup = egid;
  }
  const userSources = [...(o.mapUsers ?? []), ...(o.mapAuto ? ['auto' as const] : []), ...(o.mapSubids ? ['subids' as const] : [])];
  const groupSources = [...(o.mapGroups ?? []), ...(o.mapAuto ? ['auto' as const] : []), ...(o.mapSubids ? ['subids' as const] : [])];
  if (mapUser !== NO_ID || mapGroup !== NO_ID || userSources.length || groupSources.length || o.owner) kinds.add('user');
  const uidMap = buildIdMap(mapUser, userSources, o.owner !== undefined, 'uid', euid, euid, ctx, files);
  const gidMap = buildIdMap(mapGroup, groupSources, o.owner !== undefined, 'gid', egid, euid, ctx, files);

  if (o.setgroups === 'allow' && gidMap?.writer === 'self') {
    throw new SandboxOptionError('options --setgroups=allow and --map-group are mutually exclusive');
  }
  const monotonicOffset = offsetOption(o.timeOffsets?.monotonic, 'monotonic');
  const boottimeOffset = offsetOption(o.timeOffsets?.boottime, 'boottime');
  if ((monotonicOffset !== undefined || boottimeOffset !== undefined) && !kinds.has('time')) {
    throw new SandboxOptionError('options --monotonic and --boottime require unsharing of a time namespace (-T)');
  }

  if (o.hostname !== undefined) {
    if (!kinds.has('uts')) throw new SandboxOptionError('option hostname requires unsharing of a UTS namespace (uts)');
    const bytes = Buffer.byteLength(o.hostname);
    if (bytes === 0 || bytes > HOSTNAME_MAX || o.hostname.includes('\0')) {
      throw new SandboxOptionError(`invalid hostname '${o.hostname}': must be 1 to ${HOSTNAME_MAX} bytes`);
    }
  }
  if (o.loopback && !kinds.has('net')) throw new SandboxOptionError('option loopback requires unsharing of a network namespace (net)');
  if (o.init && !kinds.has('pid')) throw new SandboxOptionError('option init requires unsharing of a pid namespace (pid)');
  const bindList: BindSpec[] = (o.binds ?? []).map((b) => ({ mode: b.mode, src: b.src, dst: b.dst }));
  const binds: MountSpec[] = [...bindList, ...containerMounts(o.mounts ?? [])];
  if (binds.length) {
    if (!kinds.has('mnt')) throw new SandboxOptionError('bind mounts require unsharing of a mount namespace (mount)');
    const prop = o.propagation ?? 'private';
    if (prop !== 'private' && prop !== 'slave') throw new SandboxOptionError(`bind mounts require private or slave propagation (not ${prop}): they would show outside`);
    for (const b of bindList) {
      if (b.mode !== 'ro' && b.mode !== 'rw' && b.mode !== 'dev') throw new SandboxOptionError(`invalid bind mode '${String(b.mode)}' (ro, rw or dev)`);
      if (b.src === '' || b.src.includes('\0')) throw new SandboxOptionError(`invalid bind source '${b.src}'`);
      if (!b.dst.startsWith('/') || b.dst.includes('\0')) throw new SandboxOptionError(`invalid bind destination '${b.dst}': must be an absolute path`);
    }
  }
  let rootfs: string | undefined;
  let overlay: string | undefined;
  if (o.rootfs !== undefined) {
    if (o.rootfs === '' || o.rootfs.includes('\0')) throw new SandboxOptionError(`invalid rootfs '${o.rootfs}'`);
    rootfs = resolvePath(o.rootfs);
    if (o.root !== undefined) throw new SandboxOptionError('options rootfs and root are mutually exclusive');
    if (mountProc !== undefined || mountBinfmt !== undefined) throw new SandboxOptionError('option rootfs mounts its own /proc: mountProc and mountBinfmt cannot be used with it');
    const prop = o.propagation ?? 'private';
    if (prop !== 'private' && prop !== 'slave') throw new SandboxOptionError(`option rootfs requires private or slave propagation (not ${prop})`);
    if (o.fork === false) throw new SandboxOptionError('option rootfs needs fork (its pid namespace applies to children)');
    // The helper makes bind sources absolute too, but relative ones would name paths in the new root.
    for (const b of binds) if (b.mode !== 'tmpfs') b.src = resolvePath(b.src);
    if (o.overlay !== undefined && o.overlay !== false) {
      if (o.overlay === true) overlay = 'tmpfs';
      else {
        if (o.overlay === '' || /[,:\0]/.test(o.overlay)) throw new SandboxOptionError(`invalid overlay directory '${o.overlay}': it may not hold ',' or ':'`);
        overlay = resolvePath(o.overlay);
        if (/[,:]/.test(overlay)) throw new SandboxOptionError(`invalid overlay directory '${overlay}': it may not hold ',' or ':'`);
      }
    }
  } else if ((o.overlay !== undefined && o.overlay !== false) || o.readOnlyRoot) {
    throw new SandboxOptionError(`option ${o.readOnlyRoot ? 'readOnlyRoot' : 'overlay'} requires rootfs`);
  }
  const tryKinds = new Set<NamespaceKind>();
  for (const name of o.tryNamespaces ?? []) {
    const kind = OPTION_KINDS.find(([opt]) => opt === name)?.[1];
    if (kind === undefined) throw new SandboxOptionError(`unknown namespace in tryNamespaces: ${String(name)}`);
    if (!kinds.has(kind)) throw new SandboxOptionError(`tryNamespaces: ${name} is not requested`);
    tryKinds.add(kind);
  }
  if (tryKinds.has('user') && (uidMap?.writer === 'write' || uidMap?.writer === 'tool' || gidMap?.writer === 'write' || gidMap?.writer === 'tool' || mountBinfmt)) {
    throw new SandboxOptionError('tryNamespaces: the user namespace cannot be left out when id ranges or binfmt_misc need it');
  }
  if (rootfs !== undefined && tryKinds.has('pid')) throw new SandboxOptionError('tryNamespaces: option rootfs needs its pid namespace');
  if (rootfs !== undefined && tryKinds.has('mnt')) throw new SandboxOptionError('tryNamespaces: option rootfs needs its mount namespace');
  for (const kind of tryKinds) {
    if (persist[kind] !== undefined) throw new SandboxOptionError(`tryNamespaces: a persisted namespace (${kind}) cannot be left out`);
  }

  // An init is pid 1 of the new pid namespace, which only a forked child can be.
  // A container's pid 1 is always an init: a program as pid 1 would ignore SIGTERM and not reap.
  const init = (o.init ?? false) || rootfs !== undefined;
  const fork = (o.fork ?? false) || init;
  const dieWithParent = o.dieWithParent ?? true;
  const forward =
    o.forwardSignals === true
      ? (['SIGTERM', 'SIGINT'] as const)
      : o.forwardSignals === false || o.forwardSignals === undefined
        ? []
        : o.forwardSignals;

  const spec: SandboxSpec = {
    namespaces: NAMESPACE_KINDS.filter((k) => kinds.has(k)),
    persist,
    fork,
    // These concern the forking parent only: without a fork there is none.
    killChildSignal: !fork || o.killChild === undefined || o.killChild === false ? 0 : signalOption(o.killChild, 'killChild'),
    forwardSignals: fork ? forward.map((s) => signalOption(s, 'forwardSignals')) : [],
    blockSignals: fork ? (o.blockSignals ?? []).map((s) => signalOption(s, 'blockSignals')) : [],
    parentDeathSignal: dieWithParent ? constants.signals.SIGKILL : 0,
    parentPid: dieWithParent ? ctx.parentPid : 0,
    propagation: o.propagation ?? 'private',
    keepCaps: (o.keepCaps ?? false) && kinds.has('user'),
    keepFds: 3,
    file,
    argv: [o.argv0 ?? file, ...args],
  };
  if (mountProc !== undefined) spec.mountProc = mountProc;
  if (mountBinfmt !== undefined) spec.mountBinfmt = mountBinfmt;
  // Writing an empty string to the register file is a no-op.
  if (o.loadInterp !== undefined && o.loadInterp !== '') spec.loadInterp = o.loadInterp;
  if (o.root !== undefined) spec.root = o.root;
  if (o.wd !== undefined) spec.wd = o.wd;
  if (o.setuid !== undefined) spec.setuid = resolveId(o.setuid, 'uid', files);
  if (o.setgid !== undefined) spec.setgid = resolveId(o.setgid, 'gid', files);
  if (!mapInside && uidInside !== undefined) spec.setuid = uidInside;
  if (!mapInside && gidInside !== undefined) spec.setgid = gidInside;
  if (o.owner) spec.owner = { uid: o.owner.uid, gid: o.owner.gid };
  if (uidMap) spec.uidMap = uidMap;
  if (gidMap) spec.gidMap = gidMap;
  if (o.setgroups) spec.setgroups = o.setgroups;
  if (monotonicOffset !== undefined) spec.monotonicOffset = monotonicOffset;
  if (boottimeOffset !== undefined) spec.boottimeOffset = boottimeOffset;
  if (tryKinds.size) spec.tryNamespaces = NAMESPACE_KINDS.filter((k) => tryKinds.has(k));
  if (init) spec.init = true;
  if (o.hostname !== undefined) spec.hostname = o.hostname;
  if (o.loopback) spec.loopback = true;
  if (o.newSession) spec.newSession = true;
  if (binds.length) spec.binds = binds;
  if (rootfs !== undefined) spec.rootfs = rootfs;
  if (overlay !== undefined) spec.overlay = overlay;
  if (rootfs !== undefined && o.readOnlyRoot) spec.readOnlyRoot = true;
  return spec;
}
