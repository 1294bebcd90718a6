/**
 * Listing namespaces, as util-linux `lsns(8)` (HEAD) finds them: `listNamespaces()` for the
 * library, `scanNamespaces()` for `nsbox lsns` (which also needs the processes behind them).
 *
 * Where namespaces come from:
 * - every process's `/proc/PID/ns/{mnt,net,pid,uts,ipc,user,cgroup,time}`;
 * - namespace files processes hold open (`/proc/PID/fd/N` reading `net:[INO]` and the like, or
 *   `/` for an nsfs file whose bind mount is gone: its st_dev is nsfs's);
 * - network namespaces only a socket keeps alive (the helper: pidfd_getfd + SIOCGSKNS);
 * - nsfs bind mounts in `/proc/self/mountinfo` (persistent namespaces, `unshare --uts=FILE`);
 * - the parents and owners of those last two kinds (and, for the `-T parent|owner` trees, of
 *   every namespace) even when nothing else refers to them any more.
 * Everything is read from /proc directly, except what only ioctl(2) and netlink can tell
 * (parent and owner namespaces, a user namespace's owner uid, NETNSID): the helper's nsinfo
 * mode (docs/PROTOCOL.md §6) answers that, in one run, and only when it is needed.
 *
 * Unprivileged, /proc hides other users' namespace links and fds, so, like util-linux, only
 * what the caller may see is listed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { helperPath } from './helper.js';
import { allPids, parseStat, readStat } from './proc.js';
import { getpwuid } from './users.js';
import { FilterApplyError, parseFilter, type ScolsFilter } from './cli/scols-filter.js';

/** Namespace kinds, in util-linux lsns's order (the order a process's entries are read in). */
export const LSNS_TYPES = ['mnt', 'net', 'pid', 'uts', 'ipc', 'user', 'cgroup', 'time'] as const;
export type LsnsType = (typeof LSNS_TYPES)[number];

export function isLsnsType(s: string): s is LsnsType {
  return (LSNS_TYPES as readonly string[]).includes(s);
}

/** One namespace, as `listNamespaces()` returns it (the columns of `lsns --output-all`). */
export interface NamespaceRecord {
  /** The namespace's inode number (its identifier). */
  readonly ns: number;
  readonly type: LsnsType;
  /** `/proc/PID/ns/TYPE` of `pid`; null when no process is in it. */
  readonly path: string | null;
  /** Processes (thread groups) in it that the caller can see; 0 for a persistent or fd-held one. */
  readonly nprocs: number;
  /** The lowest pid in it, its parent's pid and its command line (null without a process). */
  readonly pid: number | null;
  readonly ppid: number | null;
  readonly command: string | null;
  /** Owner of `pid`; without a process, the owner uid of a user namespace, else 0 (as lsns). */
  readonly uid: number;
  /** `uid`'s name from /etc/passwd, or the number as a string. */
  readonly user: string;
  /**
   * Network namespaces: the id the caller's network namespace gave it
   * (`ip netns set`), 'unassigned' when none; null otherwise or when it cannot be asked.
   */
  readonly netnsid: number | 'unassigned' | null;
  /** Where it is bind-mounted (nsfs mounts in the caller's mount namespace). */
  readonly nsfs: readonly string[];
  /** Parent namespace inode (user and pid namespaces), null when unknown or none. */
  readonly pns: number | null;
  /** Owning user namespace inode, null when unknown or none (the initial user namespace). */
  readonly ons: number | null;
}

export interface ListNamespacesFilter {
  /** Only these kinds (default: all). */
  types?: readonly LsnsType[];
  /** Only the namespaces this process is in. */
  pid?: number;
  /** Only namespaces without processes (persistent or held open by a file descriptor). */
  persistent?: boolean;
  /**
   * `lsns -Q` (libsmartcols's filter language): an expression over the columns (`NS`, `TYPE`,
   * `NPROCS`, ... as `lsns -H` lists them), e.g. `'TYPE == "net" && NPROCS == 0'`. Throws
   * `LsnsError` (status 1) for an expression that does not parse or names an unknown column.
   */
  filter?: string;
}

/** A process as lsns reads it. */
export interface LsnsProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  /** Inode per kind; absent when the link cannot be read (another user's process, unprivileged). */
  readonly ns: ReadonlyMap<LsnsType, number>;
  /** The process whose pid is `ppid`, if it was read. */
  parent: LsnsProcess | undefined;
}

/** A namespace with everything lsns knows about it (mutable while the scan builds it). */
export interface LsnsNamespace {
  readonly id: number;
  readonly type: LsnsType;
  /** Processes in it, in /proc order. */
  readonly procs: LsnsProcess[];
  /** The process with the lowest pid, if any. */
  proc: LsnsProcess | undefined;
  /** A file that opens it: `/proc/PID/ns/TYPE`, `/proc/PID/fd/N` or an nsfs mount point. */
  openPath: string | undefined;
  /** Parent and owner inodes (0: none or unknown, as lsns prints them). */
  parentId: number;
  ownerId: number;
  /** Owner uid for a namespace without processes (NS_GET_OWNER_UID, 0 for non-user ones). */
  uidFallback: number;
  /** NETNSID as the helper reported it: a number, -1 (unassigned), or undefined (unknown). */
  netnsid: number | undefined;
}

export interface ScanOptions {
  types?: readonly LsnsType[];
  /** Parent/owner relations are wanted (PNS/ONS columns, `-T parent|owner`). */
  relations?: boolean;
  /** Add the parents and owners no process refers to (the `-T parent|owner` trees). */
  ghosts?: boolean;
  /** NETNSID is wanted. */
  netnsid?: boolean;
  /** `/proc` (tests may point elsewhere). */
  proc?: string;
}

/** A failure lsns turns into its exit status (2 for an ioctl the kernel does not know). */
export class LsnsError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface ScanResult {
  readonly processes: readonly LsnsProcess[];
  /** Sorted by inode, as lsns lists them. */
  readonly namespaces: readonly LsnsNamespace[];
  readonly byId: ReadonlyMap<number, LsnsNamespace>;
  /** The nsfs mounts: namespace `TYPE:[INO]` to mount points, in mountinfo order. */
  readonly nsfsMounts: ReadonlyMap<string, readonly string[]>;
  /** Warnings lsns would print (`Unsupported ioctl ...`). */
  readonly warnings: readonly string[];
}

const NSFS_LINK = /^(mnt|net|pid|uts|ipc|user|cgroup|time):\[(\d+)\]$/;

function tryReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** `TYPE:[INO]` of a namespace link, or undefined. */
export function parseNsLink(link: string | undefined): { type: LsnsType; ino: number } | undefined {
  const m = link === undefined ? null : NSFS_LINK.exec(link);
  if (!m) return undefined;
  return { type: m[1] as LsnsType, ino: Number(m[2]) };
}

/** The pid and ppid of a `/proc/PID/stat` text (see `parseStat`). */
export function parseProcStat(text: string): { pid: number; ppid: number } | undefined {
  const s = parseStat(text);
  return s && { pid: s.pid, ppid: s.ppid };
}

/** mountinfo's octal escapes (`\040` for a space, and so on) undone. */
export function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** nsfs mounts of a mountinfo text: `TYPE:[INO]` (the mount's root) to mount points. */
export function parseNsfsMounts(mountinfo: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (right[0] !== 'nsfs') continue;
    const root = unescapeMountinfo(left[3] ?? '');
    const target = unescapeMountinfo(left[4] ?? '');
    const list = out.get(root) ?? [];
    list.push(target);
    out.set(root, list);
  }
  return out;
}

/** The command line lsns shows: argv joined with spaces, else the `comm` name. */
export function readCommand(pid: number, proc = '/proc'): string | null {
  try {
    const raw = readFileSync(`${proc}/${pid}/cmdline`, 'latin1');
    const trimmed = raw.replace(/\0+$/, '');
    if (trimmed !== '') return Buffer.from(trimmed.replace(/\0/g, ' '), 'latin1').toString('utf8');
  } catch {
    /* gone, or a kernel thread: fall back to comm */
  }
  try {
    return readFileSync(`${proc}/${pid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return null;
  }
}

const userNames = new Map<number, string>();

/** The name lsns prints for a uid (util-linux's idcache: the number when there is no entry). */
export function userName(uid: number): string {
  let name = userNames.get(uid);
  if (name === undefined) {
    name = getpwuid(uid)?.name ?? String(uid);
    userNames.set(uid, name);
  }
  return name;
}

interface FdNamespace {
  readonly type: LsnsType;
  readonly ino: number;
  readonly path: string;
}

/**
 * Fds the helper must look at to learn which namespace they lead to, one path per file:
 * sockets (`socket:[INO]`, their network namespace) and nsfs files whose link no longer names
 * the namespace (opened through a bind mount since unmounted: the link reads `/`).
 */
interface Probes {
  readonly paths: Map<string, string>;
  /** st_dev of nsfs (util-linux's read_nsfs_dev()), or undefined if unknown. */
  readonly nsfsDev: number | undefined;
}

function readProcess(proc: string, pid: number, types: ReadonlySet<LsnsType>, fdNs: FdNamespace[], probes: Probes): LsnsProcess | undefined {
  let uid: number;
  let stat: { pid: number; ppid: number } | undefined;
  try {
    uid = statSync(`${proc}/${pid}`).uid;
    stat = readStat(pid, proc);
  } catch {
    return undefined; // gone meanwhile
  }
  if (!stat) return undefined;
  const ns = new Map<LsnsType, number>();
  for (const type of LSNS_TYPES) {
    if (!types.has(type)) continue;
    const link = parseNsLink(tryReadlink(`${proc}/${pid}/ns/${type}`));
    if (link) ns.set(type, link.ino);
  }
  let fds: string[] = [];
  try {
    fds = readdirSync(`${proc}/${pid}/fd`);
  } catch {
    /* another user's process, or gone */
  }
  for (const fd of fds) {
    if (!/^\d+$/.test(fd)) continue;
    const path = `${proc}/${pid}/fd/${fd}`;
    const target = tryReadlink(path);
    const link = parseNsLink(target);
    if (link && types.has(link.type)) fdNs.push({ ...link, path });
    const sock = target === undefined ? null : /^socket:\[(\d+)\]$/.exec(target);
    if (sock && types.has('net') && !probes.paths.has(target!)) probes.paths.set(target!, path);
    if (target === '/' && probes.nsfsDev !== undefined) {
      try {
        const st = statSync(path);
        if (st.dev === probes.nsfsDev && !probes.paths.has(`nsfs:${st.ino}`)) probes.paths.set(`nsfs:${st.ino}`, path);
      } catch {
        /* gone */
      }
    }
  }
  return { pid: stat.pid, ppid: stat.ppid, uid, ns, parent: undefined };
}

/** Result of one nsinfo run (docs/PROTOCOL.md §6). */
export interface NsInfo {
  /** Per path: the inode it opened, or the errno. */
  readonly paths: ReadonlyMap<string, { ino: number | undefined; errno: number }>;
  readonly namespaces: ReadonlyMap<number, NsInfoEntry>;
}

export interface NsInfoEntry {
  readonly ino: number;
  readonly type: LsnsType | undefined;
  readonly parent: number | undefined;
  readonly owner: number | undefined;
  readonly uid: number | undefined;
  readonly errno: number;
  readonly ioctl: string | undefined;
  /** The NETNSID (-1: unassigned), when asked and known. */
  readonly netnsid: number | undefined;
}

function unescapeField(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

function optNumber(s: string | undefined): number | undefined {
  return s === undefined || s === '-' ? undefined : Number(s);
}

/** Decodes the nsinfo lines (`I` and `R`). */
export function parseNsInfo(text: string): NsInfo {
  const paths = new Map<string, { ino: number | undefined; errno: number }>();
  const namespaces = new Map<number, NsInfoEntry>();
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'I' && f.length >= 4) {
      paths.set(unescapeField(f[1]!), { ino: optNumber(f[2]), errno: Number(f[3]) });
    } else if (f[0] === 'R' && f.length >= 8) {
      const ino = Number(f[1]);
      const type = f[2]!;
      namespaces.set(ino, {
        ino,
        type: isLsnsType(type) ? type : undefined,
        parent: optNumber(f[3]),
        owner: optNumber(f[4]),
        uid: optNumber(f[5]),
        errno: Number(f[6]),
        ioctl: f[7] === '-' ? undefined : f[7],
        netnsid: optNumber(f[8]),
      });
    }
  }
  return { paths, namespaces };
}

/** Runs the helper's nsinfo mode once over `paths`. */
export function runNsInfo(paths: readonly string[], o: { netnsid?: boolean } = {}): NsInfo {
  const args = ['NSBOX1-NSINFO', 'report=1', 'keepfds=3', ...(o.netnsid ? ['netnsid=1'] : []), '--', ...paths];
  const r = spawnSync(helperPath(), args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`nsbox: the helper's nsinfo mode failed (exit status ${r.status ?? r.signal})`);
  return parseNsInfo(r.stdout);
}

const ENOTTY = 25;

/**
 * Reads every namespace lsns would see. `types` filters as `lsns -t` does (before anything
 * else: a filtered-out kind is never read, nor followed to its relatives).
 */
export function scanNamespaces(o: ScanOptions = {}): ScanResult {
  const proc = o.proc ?? '/proc';
  const types = new Set<LsnsType>(o.types && o.types.length > 0 ? o.types : LSNS_TYPES);
  const warnings: string[] = [];

  // 1. Processes, in pid order (util-linux reads /proc in directory order, which is pid order).
  const pids = allPids(proc);
  const fdNs: FdNamespace[] = [];
  let nsfsDev: number | undefined;
  try {
    nsfsDev = statSync(`${proc}/self/ns/user`).dev;
  } catch {
    nsfsDev = undefined;
  }
  const probes: Probes = { paths: new Map(), nsfsDev };
  const processes: LsnsProcess[] = [];
  for (const pid of pids) {
    const p = readProcess(proc, pid, types, fdNs, probes);
    if (p) processes.push(p);
  }
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  for (const p of processes) p.parent = byPid.get(p.ppid);

  // 2. Namespaces of processes.
  const byId = new Map<number, LsnsNamespace>();
  const add = (id: number, type: LsnsType, openPath: string | undefined): LsnsNamespace => {
    let ns = byId.get(id);
    if (!ns) {
      ns = { id, type, procs: [], proc: undefined, openPath, parentId: 0, ownerId: 0, uidFallback: 0, netnsid: undefined };
      byId.set(id, ns);
    }
    return ns;
  };
  for (const p of processes) {
    for (const [type, ino] of p.ns) {
      const ns = add(ino, type, `${proc}/${p.pid}/ns/${type}`);
      if (ns.openPath === undefined) ns.openPath = `${proc}/${p.pid}/ns/${type}`;
      ns.procs.push(p);
      if (!ns.proc || ns.proc.pid > p.pid) ns.proc = p;
    }
  }

  // 3. Namespaces only open files or bind mounts keep alive.
  const orphans: LsnsNamespace[] = [];
  const addOrphan = (type: LsnsType, ino: number, path: string): void => {
    if (!types.has(type) || byId.has(ino)) return;
    orphans.push(add(ino, type, path));
  };
  for (const f of fdNs) addOrphan(f.type, f.ino, f.path);
  let mountinfo = '';
  try {
    mountinfo = readFileSync(`${proc}/self/mountinfo`, 'utf8');
  } catch {
    /* no mountinfo: no persistent namespaces */
  }
  const nsfsMounts = parseNsfsMounts(mountinfo);
  for (const [root, targets] of nsfsMounts) {
    const link = parseNsLink(root);
    if (link && targets[0] !== undefined) addOrphan(link.type, link.ino, targets[0]);
  }

  // 4. What only ioctls (and netlink) tell: one helper run for everything that needs it. The
  // probes go along: a network namespace only a socket keeps alive is found through the socket
  // (util-linux HEAD's add_namespace_from_sock(): pidfd_getfd + SIOCGSKNS, failures ignored),
  // an unmounted nsfs file through its fd (read_opened_namespaces(): st_dev is nsfs's).
  const netNs = o.netnsid ? [...byId.values()].filter((n) => n.type === 'net') : [];
  const asked = new Set<LsnsNamespace>([...orphans, ...netNs, ...(o.relations || o.ghosts ? byId.values() : [])]);
  const probePaths = [...probes.paths.values()];
  if (asked.size > 0 || probePaths.length > 0) {
    const list = [...asked].filter((n) => n.openPath !== undefined);
    const info = runNsInfo([...list.map((n) => n.openPath!), ...probePaths], { netnsid: o.netnsid === true && types.has('net') });
    // Namespaces reached through probes only, added as orphans (their relatives too).
    for (const path of probePaths) {
      const ino = info.paths.get(path)?.ino;
      const type = ino === undefined ? undefined : info.namespaces.get(ino)?.type;
      if (ino === undefined || byId.has(ino) || type === undefined || !types.has(type)) continue;
      const ns = add(ino, type, path);
      orphans.push(ns);
      list.push(ns);
    }
    applyNsInfo(info, list, byId, { types, ghosts: o.ghosts === true, orphans: new Set(orphans), warnings });
  }

  const namespaces = [...byId.values()].sort((a, b) => a.id - b.id);
  return { processes, namespaces, byId, nsfsMounts, warnings };
}

function applyNsInfo(
  info: NsInfo,
  asked: readonly LsnsNamespace[],
  byId: Map<number, LsnsNamespace>,
  o: { types: ReadonlySet<LsnsType>; ghosts: boolean; orphans: ReadonlySet<LsnsNamespace>; warnings: string[] },
): void {
  const fill = (ns: LsnsNamespace, e: NsInfoEntry): void => {
    ns.parentId = e.parent ?? 0;
    ns.ownerId = e.owner ?? 0;
    ns.uidFallback = e.uid ?? 0;
    ns.netnsid = e.netnsid;
  };
  // Namespaces reached through ioctls only (no process, no file): added as lsns adds them.
  const addRelatives = (e: NsInfoEntry, depth: number): void => {
    for (const rel of [e.parent, e.owner]) {
      if (rel === undefined || rel === e.ino || byId.has(rel) || depth > 64) continue;
      const r = info.namespaces.get(rel);
      if (!r?.type || !o.types.has(r.type)) continue;
      const ns: LsnsNamespace = { id: rel, type: r.type, procs: [], proc: undefined, openPath: undefined, parentId: 0, ownerId: 0, uidFallback: 0, netnsid: undefined };
      fill(ns, r);
      byId.set(rel, ns);
      addRelatives(r, depth + 1);
    }
  };
  for (const ns of asked) {
    const p = info.paths.get(ns.openPath!);
    const e = p?.ino === ns.id ? info.namespaces.get(ns.id) : undefined;
    if (!e) continue;
    fill(ns, e);
    if (e.errno === ENOTTY && e.ioctl) {
      o.warnings.push(`Unsupported ioctl ${e.ioctl}`);
      // A process's namespace: lsns stops there (exit status 2); others are only warned about.
      if (ns.proc) throw new LsnsError(`Unsupported ioctl ${e.ioctl}`, 2);
    }
    if (o.orphans.has(ns) || o.ghosts) addRelatives(e, 0);
  }
}

/** The record of one scanned namespace (what `lsns --output-all -J` prints, typed). */
export function toRecord(ns: LsnsNamespace, nsfsMounts: ReadonlyMap<string, readonly string[]>, o: { relations: boolean }): NamespaceRecord {
  const p = ns.proc;
  const uid = p ? p.uid : ns.uidFallback;
  const nsfs = [...new Set(nsfsMounts.get(`${ns.type}:[${ns.id}]`) ?? [])];
  let netnsid: number | 'unassigned' | null = null;
  if (ns.type === 'net' && ns.netnsid !== undefined) netnsid = ns.netnsid === -1 ? 'unassigned' : ns.netnsid >= 0 ? ns.netnsid : null;
  return {
    ns: ns.id,
    type: ns.type,
    path: p ? `/proc/${p.pid}/ns/${ns.type}` : null,
    nprocs: ns.procs.length,
    pid: p ? p.pid : null,
    ppid: p ? p.ppid : null,
    command: p ? readCommand(p.pid) : null,
    uid,
    user: userName(uid),
    netnsid,
    nsfs,
    pns: o.relations && ns.parentId !== 0 ? ns.parentId : null,
    ons: o.relations && ns.ownerId !== 0 ? ns.ownerId : null,
  };
}

/**
 * The namespaces of the system, as `lsns --output-all` lists them (sorted by inode).
 *
 * ```ts
 * for (const ns of listNamespaces({ types: ['net'] })) console.log(ns.ns, ns.nprocs, ns.nsfs);
 * ```
 *
 * Runs the nsbox helper once (parent/owner namespaces, NETNSID); throws `LsnsError` with
 * status 2 when the kernel lacks the ioctls.
 */
export function listNamespaces(filter: ListNamespacesFilter = {}): NamespaceRecord[] {
  let expr: ScolsFilter | undefined;
  if (filter.filter !== undefined) {
    const f = parseFilter(filter.filter);
    if (!f.ok) throw new LsnsError(`failed to parse "${filter.filter}": ${f.message}`, 1);
    const unknown = f.filter.holders().filter((h) => recordColumn(h) === undefined);
    if (unknown.length > 0) throw new LsnsError(`unknown column: ${[...new Set(unknown)].join(', ')}`, 1);
    expr = f.filter;
  }
  const scan = scanNamespaces({ types: filter.types, relations: true, netnsid: true });
  const records = scan.namespaces
    .filter((ns) => filter.pid === undefined || ns.procs.some((p) => p.pid === filter.pid))
    .filter((ns) => !filter.persistent || ns.procs.length === 0)
    .map((ns) => toRecord(ns, scan.nsfsMounts, { relations: true }));
  if (!expr) return records;
  const e = expr;
  try {
    return records.filter((rec) =>
      e.matches({
        cell: (h) => recordCell(rec, recordColumn(h)!),
        type: (h) => (RECORD_NUMBER_COLUMNS.has(recordColumn(h)!) ? 'number' : 'string'),
      }),
    );
  } catch (err) {
    if (err instanceof FilterApplyError) throw new LsnsError(`failed to apply filter: ${err.message}`, 1);
    throw err;
  }
}

const RECORD_COLUMNS = ['NS', 'TYPE', 'PATH', 'NPROCS', 'PID', 'PPID', 'COMMAND', 'UID', 'USER', 'NETNSID', 'NSFS', 'PNS', 'ONS'] as const;
type RecordColumn = (typeof RECORD_COLUMNS)[number];
const RECORD_NUMBER_COLUMNS: ReadonlySet<RecordColumn> = new Set<RecordColumn>(['NS', 'NPROCS', 'PID', 'PPID', 'UID', 'PNS', 'ONS']);

function recordColumn(name: string): RecordColumn | undefined {
  return RECORD_COLUMNS.find((c) => c.toLowerCase() === name.toLowerCase());
}

/** The cell `lsns` would show for a record's column (null for an empty one). */
function recordCell(r: NamespaceRecord, c: RecordColumn): string | null {
  const opt = (v: number | string | null): string | null => (v === null || v === '' ? null : String(v));
  switch (c) {
    case 'NS':
      return String(r.ns);
    case 'TYPE':
      return r.type;
    case 'PATH':
      return opt(r.path);
    case 'NPROCS':
      return String(r.nprocs);
    case 'PID':
      return opt(r.pid);
    case 'PPID':
      return opt(r.ppid);
    case 'COMMAND':
      return opt(r.command);
    case 'UID':
      return String(r.uid);
    case 'USER':
      return r.user;
    case 'NETNSID':
      return opt(r.netnsid);
    case 'NSFS':
      return r.nsfs.length > 0 ? r.nsfs.join('\n') : null;
    case 'PNS':
      return String(r.pns ?? 0);
    case 'ONS':
      return String(r.ons ?? 0);
  }
}
