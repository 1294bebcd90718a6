/**
 * A profile: a named, persistent set of isolation settings (FlatImage's fim-unshare, fim-env,
 * fim-bind, fim-boot, plus what nsbox adds), stored as versioned JSON
 * (`<profile dir>/<name>.json`, see store.ts) and run by `nsbox run NAME`.
 */

/** The namespace options of `nsbox profile NAME unshare ...` (FlatImage's six, plus mount and time). */
export const PROFILE_UNSHARE_OPTIONS = ['user', 'ipc', 'pid', 'net', 'uts', 'cgroup', 'mount', 'time'] as const;
export type ProfileUnshareOption = (typeof PROFILE_UNSHARE_OPTIONS)[number];

/**
 * "Try" options, as in FlatImage (bubblewrap's --unshare-user-try/--unshare-cgroup-try): if the
 * kernel refuses them, the run goes on without them and says so on stderr once.
 */
export const PROFILE_TRY_OPTIONS: ReadonlySet<ProfileUnshareOption> = new Set<ProfileUnshareOption>(['user', 'cgroup']);

/** How a bind mount is made: read-only, read-write, or read-write with devices usable. */
export type BindMode = 'ro' | 'rw' | 'dev';

export interface ProfileBind {
  mode: BindMode;
  /** Source on the host; `$VAR` / `${VAR}` are expanded at run time. */
  src: string;
  /** Destination inside the sandbox; expanded the same way. */
  dst: string;
}

/** The current file format version. A newer one is refused, never overwritten. */
export const PROFILE_VERSION = 1;

export interface Profile {
  version: typeof PROFILE_VERSION;
  /** Namespaces to unshare, sorted, no duplicates. */
  unshare: ProfileUnshareOption[];
  /** Environment for the program, KEY → value (`$VAR` expanded at run time against the caller's env). */
  env: Record<string, string>;
  /** Bind mounts, in order (`bind del INDEX` uses the index in this list). */
  binds: ProfileBind[];
  /** Hostname inside a new UTS namespace. */
  hostname?: string;
  /** Working directory of the program. */
  cwd?: string;
  /**
   * A root file system: `nsbox run NAME` runs a container from it (`nsbox run --rootfs`'s
   * defaults; `$VAR` expanded at run time).
   */
  rootfs?: string;
  /** Default program and arguments (FlatImage's boot command), used when `nsbox run` gets none. */
  command?: string[];
  /** Time namespace offsets in seconds. */
  time?: { monotonic?: number; boottime?: number };
}

export function emptyProfile(): Profile {
  return { version: PROFILE_VERSION, unshare: [], env: {}, binds: [] };
}
