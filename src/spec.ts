/**
 * The sandbox spec: the one data structure that the CLI, the library (and later profiles)
 * build, and that the native helper executes. Everything here is already decided: names are
 * resolved to numbers, defaults are applied, implications are expanded. The helper re-checks
 * every value it receives (it trusts nothing) but makes no decision of its own.
 *
 * The wire encoding (`encodeSpec`) is documented in docs/PROTOCOL.md; keep the two in step.
 */

/** Namespace kinds, in the order util-linux creates persistence binds for them. */
export const NAMESPACE_KINDS = ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt', 'time'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

/** One line of a uid_map/gid_map: `count` ids starting at `inner` map to ids starting at `outer`. */
export interface IdMapRange {
  inner: number;
  outer: number;
  count: number;
}

/**
 * Who writes an id map, mirroring util-linux:
 * - `self`: the sandboxed process writes a single-line map into /proc/self (unprivileged works
 *   for the caller's own id; for gid maps `deny` is written to setgroups first).
 * - `write`: a helper child that stayed in the parent namespace writes /proc/PID/{uid,gid}_map
 *   directly (needs CAP_SETUID/CAP_SETGID there, i.e. root).
 * - `tool`: that helper child execs newuidmap/newgidmap (setuid, checks /etc/subuid).
 */
export type IdMapWriter = 'self' | 'write' | 'tool';

export interface IdMapSpec {
  ranges: IdMapRange[];
  writer: IdMapWriter;
  /** newuidmap/newgidmap (absolute path, or a name execvp looks up), required for `tool`. */
  tool?: string;
}

export type Propagation = 'private' | 'slave' | 'shared' | 'unchanged';

/** How a bind mount is made: read-only (and nodev), read-write (nodev), or with devices usable. */
export type BindMode = 'ro' | 'rw' | 'dev';

/** A bind mount, made in the new mount namespace (paths as seen before `root`). */
export interface BindSpec {
  mode: BindMode;
  /** Source path on the host. */
  src: string;
  /** Absolute destination; created (mkdir -p, or an empty file) when missing. */
  dst: string;
}

/** A tmpfs mount (nosuid, nodev, mode 0755), kept in order with the binds. */
export interface TmpfsSpec {
  mode: 'tmpfs';
  dst: string;
  /** size= in bytes; 0 or absent: the kernel's default (half the RAM). */
  size?: number;
}

/** One entry of the mount list: a bind or a tmpfs. */
export type MountSpec = BindSpec | TmpfsSpec;

/** The longest hostname the kernel takes (__NEW_UTS_LEN). */
export const HOSTNAME_MAX = 64;

export interface SandboxSpec {
  /** Namespaces to create with unshare(2). */
  namespaces: NamespaceKind[];
  /** Bind-mount the new namespace onto an existing file (made from the original namespaces). */
  persist: Partial<Record<NamespaceKind, string>>;
  /** Stay as the parent of the program (needed for pid/time namespaces to apply to it). */
  fork: boolean;
  /** Signal the program gets when the helper dies (PR_SET_PDEATHSIG + pidfd race check). 0 = none. */
  killChildSignal: number;
  /** Signals the forking helper forwards to the program. */
  forwardSignals: number[];
  /** Signals the forking helper blocks while it waits (util-linux blocks SIGINT and SIGTERM). */
  blockSignals: number[];
  /** Signal the helper itself gets when its parent (the Node process) dies. 0 = none. */
  parentDeathSignal: number;
  /** Pid of the Node process, for the race check that goes with parentDeathSignal. 0 = none. */
  parentPid: number;
  /** Mount a fresh proc filesystem here (path seen after `root`). */
  mountProc?: string;
  /** Mount binfmt_misc here. */
  mountBinfmt?: string;
  /** Register this interpreter string in `<mountBinfmt>/register`. */
  loadInterp?: string;
  /** Propagation applied to / when a mount namespace is created. */
  propagation: Propagation;
  /** chroot(2) into this directory. */
  root?: string;
  /** chdir(2) here after the chroot. */
  wd?: string;
  /** setuid(2)/setgid(2) just before exec (numeric, already resolved). */
  setuid?: number;
  setgid?: number;
  /** Drop to this uid:gid before unshare so the new user namespace is owned by it. */
  owner?: { uid: number; gid: number };
  uidMap?: IdMapSpec;
  gidMap?: IdMapSpec;
  /** Explicit value written to /proc/self/setgroups after the maps. */
  setgroups?: 'allow' | 'deny';
  /** Copy permitted capabilities to inheritable and ambient (with a new user namespace). */
  keepCaps: boolean;
  /** Time namespace clock offsets in seconds. */
  monotonicOffset?: bigint;
  boottimeOffset?: bigint;
  /** Namespaces (among `namespaces`) left out if unshare(2) refuses them (EPERM, EINVAL, ENOSPC, EUSERS). */
  tryNamespaces?: NamespaceKind[];
  /** With `fork` and a pid namespace: pid 1 is a minimal init that reaps and forwards signals; the program is pid 2. */
  init?: boolean;
  /** Hostname set in the new UTS namespace. */
  hostname?: string;
  /** Bring the loopback interface up in the new network namespace. */
  loopback?: boolean;
  /**
   * Bind and tmpfs mounts, in order (need a new mount namespace with private or slave
   * propagation). With `rootfs`, destinations are inside the new root.
   */
  binds?: MountSpec[];
  /**
   * Rootfs mode: this directory becomes the root (pivot_root) with a fresh /proc, a minimal
   * /dev, a read-only /sys and a tmpfs /tmp. Needs mnt and pid namespaces and `fork`.
   */
  rootfs?: string;
  /** With `rootfs`: writes go to an overlay upper on a tmpfs, or in this directory. */
  overlay?: 'tmpfs' | string;
  /** With `rootfs`: the root mount is read-only. */
  readOnlyRoot?: boolean;
  /** setsid(2) just before exec (and in an init): no controlling terminal (no TIOCSTI). */
  newSession?: boolean;
  /** Make every fd >= this number close-on-exec in the sandbox (stdio and passed fds stay). */
  keepFds: number;
  /** The program: the file execvp(3) looks up, and its full argv (argv[0] included). */
  file: string;
  argv: string[];
}

/** The magic first argument: names the encoding version. */
export const SPEC_VERSION_TAG = 'NSBOX1';

const SIGNAL_MAX = 64;

function checkSignal(sig: number, what: string): void {
  if (!Number.isInteger(sig) || sig < 0 || sig > SIGNAL_MAX) throw new RangeError(`${what}: invalid signal number ${sig}`);
}

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) throw new RangeError(`${what}: invalid id ${id}`);
}

function checkPath(p: string, what: string): void {
  if (p.length === 0 || p.includes('\0')) throw new RangeError(`${what}: invalid path`);
}

function encodeMap(key: string, map: IdMapSpec | undefined, out: string[]): void {
  if (!map) return;
  out.push(`${key}by=${map.writer}`);
  if (map.writer === 'tool') {
    if (!map.tool) throw new RangeError(`${key}: writer 'tool' needs a tool path`);
    checkPath(map.tool, key);
    out.push(`${key}tool=${map.tool}`);
  }
  if (map.writer === 'self' && map.ranges.length !== 1) throw new RangeError(`${key}: a self-written map has exactly one line`);
  for (const r of map.ranges) {
    checkId(r.inner, key);
    checkId(r.outer, key);
    if (!Number.isInteger(r.count) || r.count < 1 || r.count > 0xffffffff) throw new RangeError(`${key}: invalid count ${r.count}`);
    out.push(`${key}=${r.inner}:${r.outer}:${r.count}`);
  }
}

/**
 * Encode a spec as the helper's argv (after argv[0]). The report fd number is the channel the
 * helper writes its status lines to (see docs/PROTOCOL.md).
 */
export function encodeSpec(spec: SandboxSpec, reportFd: number): string[] {
  const out: string[] = [SPEC_VERSION_TAG, `report=${reportFd}`];
  for (const ns of spec.namespaces) out.push(`ns=${ns}`);
  for (const kind of NAMESPACE_KINDS) {
    const target = spec.persist[kind];
    if (target === undefined) continue;
    checkPath(target, `persist ${kind}`);
    out.push(`persist=${kind}:${target}`);
  }
  if (spec.fork) out.push('fork=1');
  if (spec.killChildSignal) {
    checkSignal(spec.killChildSignal, 'killchild');
    out.push(`killchild=${spec.killChildSignal}`);
  }
  for (const s of spec.forwardSignals) {
    checkSignal(s, 'forward');
    out.push(`forward=${s}`);
  }
  for (const s of spec.blockSignals) {
    checkSignal(s, 'block');
    out.push(`block=${s}`);
  }
  if (spec.parentDeathSignal) {
    checkSignal(spec.parentDeathSignal, 'pdeathsig');
    out.push(`pdeathsig=${spec.parentDeathSignal}`, `parent=${spec.parentPid}`);
  }
  if (spec.mountProc !== undefined) {
    checkPath(spec.mountProc, 'procmount');
    out.push(`procmount=${spec.mountProc}`);
  }
  if (spec.mountBinfmt !== undefined) {
    checkPath(spec.mountBinfmt, 'binfmt');
    out.push(`binfmt=${spec.mountBinfmt}`);
  }
  if (spec.loadInterp !== undefined) out.push(`interp=${spec.loadInterp}`);
  out.push(`propagation=${spec.propagation}`);
  if (spec.root !== undefined) {
    checkPath(spec.root, 'root');
    out.push(`root=${spec.root}`);
  }
  if (spec.wd !== undefined) {
    checkPath(spec.wd, 'wd');
    out.push(`wd=${spec.wd}`);
  }
  if (spec.setgid !== undefined) {
    checkId(spec.setgid, 'setgid');
    out.push(`setgid=${spec.setgid}`);
  }
  if (spec.setuid !== undefined) {
    checkId(spec.setuid, 'setuid');
    out.push(`setuid=${spec.setuid}`);
  }
  if (spec.owner) {
    checkId(spec.owner.uid, 'owner');
    checkId(spec.owner.gid, 'owner');
    out.push(`owner=${spec.owner.uid}:${spec.owner.gid}`);
  }
  encodeMap('uidmap', spec.uidMap, out);
  encodeMap('gidmap', spec.gidMap, out);
  if (spec.setgroups) out.push(`setgroups=${spec.setgroups}`);
  if (spec.keepCaps) out.push('keepcaps=1');
  for (const kind of spec.tryNamespaces ?? []) {
    if (!NAMESPACE_KINDS.includes(kind)) throw new RangeError(`tryns: invalid namespace kind ${String(kind)}`);
    out.push(`tryns=${kind}`);
  }
  if (spec.init) out.push('init=1');
  if (spec.hostname !== undefined) {
    const bytes = Buffer.byteLength(spec.hostname);
    if (bytes === 0 || bytes > HOSTNAME_MAX || spec.hostname.includes('\0')) throw new RangeError(`hostname: must be 1 to ${HOSTNAME_MAX} bytes`);
    out.push(`hostname=${spec.hostname}`);
  }
  if (spec.loopback) out.push('loopback=1');
  if (spec.newSession) out.push('setsid=1');
  for (const b of spec.binds ?? []) {
    if (b.mode === 'tmpfs') {
      checkPath(b.dst, 'tmpfs destination');
      if (!b.dst.startsWith('/')) throw new RangeError('tmpfs destination: must be an absolute path');
      const size = b.size ?? 0;
      if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`tmpfs: invalid size ${size}`);
      out.push(`tmpfs=${size}:${b.dst}`);
      continue;
    }
    if (b.mode !== 'ro' && b.mode !== 'rw' && b.mode !== 'dev') throw new RangeError(`bind: invalid mode ${String(b.mode)}`);
    checkPath(b.src, 'bind source');
    checkPath(b.dst, 'bind destination');
    if (!b.dst.startsWith('/')) throw new RangeError('bind destination: must be an absolute path');
    out.push(`bind=${b.mode}`, `bindsrc=${b.src}`, `binddst=${b.dst}`);
  }
  if (spec.rootfs !== undefined) {
    checkPath(spec.rootfs, 'rootfs');
    if (!spec.rootfs.startsWith('/')) throw new RangeError('rootfs: must be an absolute path');
    out.push(`rootfs=${spec.rootfs}`);
  }
  if (spec.overlay !== undefined) {
    checkPath(spec.overlay, 'overlay');
    if (spec.overlay !== 'tmpfs' && (!spec.overlay.startsWith('/') || /[,:]/.test(spec.overlay))) {
      throw new RangeError("overlay: 'tmpfs' or an absolute path without ',' or ':'");
    }
    out.push(`overlay=${spec.overlay}`);
  }
  if (spec.readOnlyRoot) out.push('rootro=1');
  if (spec.boottimeOffset !== undefined) out.push(`boottime=${spec.boottimeOffset}`);
  if (spec.monotonicOffset !== undefined) out.push(`monotonic=${spec.monotonicOffset}`);
  if (!Number.isInteger(spec.keepFds) || spec.keepFds < 3) throw new RangeError(`keepfds: must be >= 3`);
  out.push(`keepfds=${spec.keepFds}`);
  if (spec.argv.length === 0) throw new RangeError('argv must hold at least argv[0]');
  out.push('--', spec.file, ...spec.argv);
  return out;
}
