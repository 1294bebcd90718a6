/**
 * The helper's failure steps (docs/PROTOCOL.md §4) and the util-linux wording of each. The
 * helper only names the step and the errno; every message is decided here.
 */

export const STEP_MESSAGES = {
  spec: "invalid helper spec '{0}'",
  fork: 'fork failed',
  pipe: 'pipe failed',
  owner: '{0} failed',
  unshare: 'unshare failed',
  'idmap-exec': 'failed to execute {0}',
  'idmap-status': '',
  'idmap-open': 'failed to open {0}',
  'idmap-write': 'failed to write {0}',
  'idmap-size': '{0} too large for kernel 4k limit',
  open: 'cannot open {0}',
  write: 'write failed {0}',
  'timens-open': 'failed to open /proc/self/timens_offsets',
  'timens-write': 'failed to write to /proc/self/timens_offsets',
  persist: 'mount {0} on {1} failed',
  'parent-gone': '',
  propagation: 'cannot change root filesystem propagation',
  chroot: "cannot change root directory to '{0}'",
  chdir: 'cannot change directory to {0}',
  mount: 'mount {0} failed',
  'proc-propagation': 'cannot change {0} filesystem propagation',
  setgroups: 'setgroups failed',
  setgid: 'setgid() failed',
  setuid: 'setuid() failed',
  caps: '{0} failed',
  signals: '{0} failed',
  exec: 'failed to execute {0}',
  wait: 'waitpid failed',
  // A forked helper child that died during setup without an E line (killed): `signal N` or `status N`.
  'setup-died': 'the sandbox process died during setup, before the program started ({0} {1})',
  // `nsbox run` additions (docs/PROTOCOL.md §4).
  hostname: "cannot set hostname to '{0}'",
  loopback: 'cannot bring up the loopback interface: {0} failed',
  'bind-source': 'cannot bind {0}: no access to it',
  'bind-dest': 'cannot create bind destination {0}',
  bind: 'cannot bind {0} on {1}',
  'bind-remount': 'cannot remount {0} with restricted flags',
  // Rootfs mode (docs/PROTOCOL.md §4).
  'rootfs-mkdir': 'cannot create {0} in the new root',
  overlay: 'cannot mount an overlay on {0}',
  'pivot-root': "cannot make '{0}' the root (pivot_root)",
  'umount-oldroot': 'cannot detach the old root',
  'rootfs-ro': 'cannot remount the root read-only',
  // Enter mode (docs/PROTOCOL.md §5), util-linux nsenter's wording.
  setns: "reassociate to namespace '{0}' failed",
  'userns-parent': 'failed to open parent namespace',
  'pidfd-open': 'failed to pidfd_open() for {0}',
  'pidfd-target': 'pidfd_open() failed',
  'pidfd-ino': 'pidfd inode {0} not found for pid {1}',
  'pidfd-getfd': 'pidfd_getfd({0}, {1})',
  'sk-netns': 'ioctl({0}, SIOCGSKNS)',
  'cwd-open': 'cannot open current working directory',
  'root-fchdir': 'change directory by root file descriptor failed',
  'chroot-dot': 'chroot failed',
  'wd-fchdir': 'change directory by working directory file descriptor failed',
  'cgroup-open': 'failed to open cgroup.procs',
  'cgroup-write': 'write cgroup.procs failed',
  dumpable: 'prctl(PR_SET_DUMPABLE) failed',
  unbind: 'umount {0} failed',
  // Hardening (SECURITY.md).
  setsid: 'setsid failed',
  privileged: 'the helper is setuid, setgid or has file capabilities: refusing to run (nsbox runs with its caller\'s privileges only; remove them with chmod u-s,g-s and setcap -r)',
  'rootfs-symlink': '{0} in the new root is a symbolic link: refusing to mount on it',
  'rootfs-dangling': 'cannot create {0} in the new root: a symbolic link on its path leads to a missing file (links are resolved inside the new root)',
} as const;

export type Step = keyof typeof STEP_MESSAGES;

export function isStep(s: string): s is Step {
  return Object.prototype.hasOwnProperty.call(STEP_MESSAGES, s);
}

/** The syscall (or libc call) behind each step, for NamespaceError.syscall. */
export const STEP_SYSCALLS: Record<Step, string> = {
  spec: 'spec',
  fork: 'fork',
  pipe: 'pipe2',
  owner: 'setresuid',
  unshare: 'unshare',
  'idmap-exec': 'execve',
  'idmap-status': 'waitpid',
  'idmap-open': 'open',
  'idmap-write': 'write',
  'idmap-size': 'write',
  open: 'open',
  write: 'write',
  'timens-open': 'open',
  'timens-write': 'write',
  persist: 'mount',
  'parent-gone': 'poll',
  propagation: 'mount',
  chroot: 'chroot',
  chdir: 'chdir',
  mount: 'mount',
  'proc-propagation': 'mount',
  setgroups: 'setgroups',
  setgid: 'setgid',
  setuid: 'setuid',
  caps: 'capset',
  signals: 'sigaction',
  exec: 'execvp',
  wait: 'waitpid',
  'setup-died': 'waitpid',
  hostname: 'sethostname',
  loopback: 'ioctl',
  'bind-source': 'stat',
  'bind-dest': 'mkdir',
  bind: 'mount',
  'bind-remount': 'mount',
  'rootfs-mkdir': 'mkdir',
  overlay: 'mount',
  'pivot-root': 'pivot_root',
  'umount-oldroot': 'umount2',
  'rootfs-ro': 'mount',
  setns: 'setns',
  'userns-parent': 'ioctl',
  'pidfd-open': 'pidfd_open',
  'pidfd-target': 'pidfd_open',
  'pidfd-ino': 'statx',
  'pidfd-getfd': 'pidfd_getfd',
  'sk-netns': 'ioctl',
  'cwd-open': 'open',
  'root-fchdir': 'fchdir',
  'chroot-dot': 'chroot',
  'wd-fchdir': 'fchdir',
  'cgroup-open': 'open',
  'cgroup-write': 'write',
  dumpable: 'prctl',
  unbind: 'umount2',
  setsid: 'setsid',
  privileged: 'execve',
  'rootfs-symlink': 'lstat',
  'rootfs-dangling': 'openat2',
};

/** The message util-linux would print after `<prog>: ` (empty when nothing is printed). */
export function stepMessage(step: Step, args: readonly string[], strerror: string, errno: number): string {
  const template: string = STEP_MESSAGES[step];
  if (template === '') return '';
  const text = template.replace(/\{(\d)\}/g, (_m, i: string) => args[Number(i)] ?? '');
  return errno !== 0 ? `${text}: ${strerror}` : text;
}

/** The exit status util-linux uses for a failure at this step. */
export function stepExitStatus(step: Step, errno: number, args: readonly string[]): number {
  if (step === 'exec' || step === 'idmap-exec') return errno === 2 ? 127 : 126;
  if (step === 'idmap-status') {
    const status = Number(args[1]);
    return Number.isInteger(status) && status > 0 && status < 256 ? status : 1;
  }
  return 1;
}
