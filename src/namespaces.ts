/**
 * The namespace kinds, what each isolates, and what creating one means for the program.
 * (Modelled on the docs of the Rust `unshare` crate's `Namespace` enum.)
 */
import type { NamespaceKind } from './spec.js';

export interface NamespaceSet {
  /**
   * User namespace: uids, gids and capabilities. The program gets a full capability set inside
   * (over objects owned by the namespace only) and can then create the other namespaces without
   * being root outside. Ids without a mapping show up as the overflow id (65534, "nobody");
   * without a map the program runs as nobody. Needed for every other kind when not root.
   */
  user?: boolean;
  /**
   * Mount namespace: the mount table. Mounts made inside are invisible outside; with the default
   * `private` propagation nothing from outside propagates in either. Needed for `mountProc`,
   * `root`-relative mounts and `mountBinfmt`.
   */
  mount?: boolean;
  /** UTS namespace: hostname and NIS domain name; `hostname x` inside changes nothing outside. */
  uts?: boolean;
  /** IPC namespace: System V IPC objects and POSIX message queues. */
  ipc?: boolean;
  /**
   * Network namespace: interfaces, routes, firewall, sockets bound to ports, abstract unix
   * sockets. A new one holds only a loopback interface, and it is down: no network at all.
   */
  net?: boolean;
  /**
   * PID namespace: process ids. It applies to children only, so the program must be forked
   * (`fork`, automatic in the library) to become pid 1. Pid 1 ignores signals it has no
   * handler for (SIGTERM included), reaps orphans, and its death kills every process inside.
   * `/proc` still shows the host's processes until a new one is mounted (`mountProc`).
   */
  pid?: boolean;
  /** Cgroup namespace: the program sees its current cgroup as the root of /proc/self/cgroup. */
  cgroup?: boolean;
  /**
   * Time namespace: offsets for CLOCK_MONOTONIC and CLOCK_BOOTTIME (`timeOffsets`), e.g. a
   * different uptime. Applies to children and, on exec, to the program itself; offsets can only
   * be set before any process is inside.
   */
  time?: boolean;
}

/** Library option names → spec kinds. */
export const OPTION_KINDS: ReadonlyArray<readonly [keyof NamespaceSet, NamespaceKind]> = [
  ['user', 'user'],
  ['cgroup', 'cgroup'],
  ['ipc', 'ipc'],
  ['uts', 'uts'],
  ['net', 'net'],
  ['pid', 'pid'],
  ['mount', 'mnt'],
  ['time', 'time'],
];

/** The short options util-linux's unshare and nsenter both use for the kinds: letter → kind. */
export const NS_OPTION_LETTERS: Readonly<Record<string, NamespaceKind>> = {
  m: 'mnt',
  u: 'uts',
  i: 'ipc',
  n: 'net',
  p: 'pid',
  U: 'user',
  C: 'cgroup',
  T: 'time',
};
