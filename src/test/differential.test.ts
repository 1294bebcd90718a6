/**
 * Differential tests: the same command line through `nsbox unshare` and util-linux
 * `/usr/bin/unshare` (2.38.1 as installed), comparing the exit status and the normalised
 * stdout and stderr, plus the expected output itself (so that two identical failures do not pass).
 *
 * Target behaviour is util-linux HEAD (reference §1.9). Where 2.38.1 differs, the scenario is
 * marked `head` and runs through nsbox alone, asserted against the HEAD behaviour; the comment
 * on each says why.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { basename, join } from 'node:path';
import {
  type Impl,
  type LeakScope,
  type RunOptions,
  type RunResult,
  type SkipContext,
  type TestUser,
  READLINK_NS,
  alive,
  delay,
  describeResult,
  useFileLeakCheck,
  normalise,
  nsExpect,
  nsSameOrNew,
  processesWithEnv,
  requireRoot,
  requireTestUser,
  requireUtilUnshare,
  run,
  runCommand,
  sh,
  shellStatus,
  squeeze,
  start,
  waitFor,
  waitForFile,
  waitForProcess,
  withScope,
} from './harness.js';

// ---------------------------------------------------------------------------------------------
// The scenario table
// ---------------------------------------------------------------------------------------------

interface Ctx {
  impl: Impl;
  user: TestUser;
  scope: LeakScope;
  /** A temporary directory of the scenario (the same for both implementations). */
  dir: string;
}

interface Expect {
  /** Shell-convention status (128+n for a signal). */
  status?: number;
  signal?: NodeJS.Signals | null;
  stdout?: string | RegExp;
  stderr?: string | RegExp;
}

interface Scenario {
  name: string;
  /** Run as nsboxtest instead of root. */
  user?: boolean;
  args: string[] | ((c: Ctx) => string[]);
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  /** Pass /dev/null as this extra fd to the implementation. */
  extraFd?: number;
  /** Applied to stdout (before normalise) of both implementations. */
  stdout?: (s: string, c: Ctx) => string;
  expect: Expect | ((c: Ctx) => Expect);
  /** HEAD-only behaviour: nsbox alone, asserted against `expect`. The string says why. */
  head?: string;
  timeout?: number;
}

const SHOW_NS = READLINK_NS;
const nsTransform = (s: string): string => nsSameOrNew(s);

function uptimeOffset(s: string): string {
  const inner = parseFloat(s);
  const host = parseFloat(fs.readFileSync('/proc/uptime', 'utf8'));
  return `offset=${Math.round((inner - host) / 10) * 10}\n`;
}

const sortLines = (s: string): string =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .sort()
    .map((l) => `${l}\n`)
    .join('');

const scenarios: Scenario[] = [
  // ---- every namespace kind: "same or new" compared with this test process -------------------
  { name: '[root] -m: new mount ns', args: ['-m', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('mnt'), stderr: '' } },
  { name: '[root] -u: new uts ns', args: ['-u', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('uts'), stderr: '' } },
  { name: '[root] -i: new ipc ns', args: ['-i', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('ipc'), stderr: '' } },
  { name: '[root] -n: new net ns', args: ['-n', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('net'), stderr: '' } },
  {
    // pid_for_children of a pid ns that no process has entered yet cannot be read (ENOENT).
    name: '[root] -p without --fork: only pid_for_children is new (and still empty)',
    args: ['-p', ...SHOW_NS],
    stdout: nsTransform,
    expect: {
      status: 1,
      stdout: nsExpect().replace('pid_for_children=same', 'pid_for_children=unreadable'),
      stderr: "ls: cannot read symbolic link '/proc/self/ns/pid_for_children': No such file or directory\n",
    },
  },
  { name: '[root] -U: new user ns', args: ['-U', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('user'), stderr: '' } },
  { name: '[root] -C: new cgroup ns', args: ['-C', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('cgroup'), stderr: '' } },
  {
    name: '[root] -T: new time ns (exec moves the program into time_for_children)',
    args: ['-T', ...SHOW_NS],
    stdout: nsTransform,
    expect: { status: 0, stdout: nsExpect('time', 'time_for_children'), stderr: '' },
  },
  {
    name: '[root] --fork --pid: the program is in the new pid ns',
    args: ['--fork', '--pid', ...SHOW_NS],
    stdout: nsTransform,
    expect: { status: 0, stdout: nsExpect('pid', 'pid_for_children'), stderr: '' },
  },
  {
    name: '[root] all long options together',
    args: ['--mount', '--uts', '--ipc', '--net', '--pid', '--user', '--cgroup', '--time', '--fork', ...SHOW_NS],
    stdout: nsTransform,
    expect: { status: 0, stdout: nsExpect(...['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts']), stderr: '' },
  },
  {
    name: '[root] combined short options -muinpCTUf',
    args: ['-muinpCTUf', ...SHOW_NS],
    stdout: nsTransform,
    expect: { status: 0, stdout: nsExpect(...['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts']), stderr: '' },
  },
  { name: '[user] -r: new user ns', user: true, args: ['-r', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('user'), stderr: '' } },
  { name: '[user] -rm', user: true, args: ['-rm', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('user', 'mnt'), stderr: '' } },
  { name: '[user] -rn', user: true, args: ['-rn', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('user', 'net'), stderr: '' } },
  { name: '[user] -rU', user: true, args: ['-rU', ...SHOW_NS], stdout: nsTransform, expect: { status: 0, stdout: nsExpect('user'), stderr: '' } },
  {
    name: '[user] -r -uiCT',
    user: true,
    args: ['-r', '-uiCT', ...SHOW_NS],
    stdout: nsTransform,
    expect: { status: 0, stdout: nsExpect('user', 'uts', 'ipc', 'cgroup', 'time', 'time_for_children'), stderr: '' },
  },
  {
    name: '[user] -rpf',
    user: true,
    args: ['-rpf', ...SHOW_NS],
    stdout: nsTransform,
    expect: { status: 0, stdout: nsExpect('user', 'pid', 'pid_for_children'), stderr: '' },
  },
  {
    name: '[user] -r -u: hostname set inside stays inside',
    user: true,
    args: ['-r', '-u', 'sh', '-c', 'hostname nsbox-inner && hostname'],
    expect: { status: 0, stdout: 'nsbox-inner\n', stderr: '' },
  },

  // ---- pid namespace and /proc ----------------------------------------------------------------
  {
    name: '[root] -fp --mount-proc: ps shows only pid 1',
    args: ['-fp', '--mount-proc', 'ps', '-o', 'pid,comm'],
    expect: { status: 0, stdout: '    PID COMMAND\n      1 ps\n', stderr: '' },
  },
  {
    name: '[user] -rpf --mount-proc: ps shows only pid 1',
    user: true,
    args: ['-rpf', '--mount-proc', 'ps', '-o', 'pid,comm'],
    expect: { status: 0, stdout: '    PID COMMAND\n      1 ps\n', stderr: '' },
  },
  {
    name: '[root] --pid --fork: $$ is 1 and $PPID is 0',
    args: ['--pid', '--fork', 'sh', '-c', 'echo $$ ppid=$PPID'],
    expect: { status: 0, stdout: '1 ppid=0\n', stderr: '' },
  },
  {
    name: '[root] --pid without --fork: the second fork fails (the ns died with its init)',
    args: ['--pid', 'sh', '-c', '/bin/true; /bin/true'],
    expect: { status: 2, stdout: '', stderr: 'sh: 1: Cannot fork\n' },
  },
  {
    name: '[root] -fp --mount-proc=<dir>: proc mounted on a custom directory',
    args: (c) => ['-fp', `--mount-proc=${c.dir}`, 'readlink', `${c.dir}/self`],
    expect: { status: 0, stdout: '1\n', stderr: '' },
  },

  // ---- user and group maps ----------------------------------------------------------------------
  {
    name: '[user] -r: uid_map, gid_map and setgroups',
    user: true,
    args: ['-r', 'cat', '/proc/self/uid_map', '/proc/self/gid_map', '/proc/self/setgroups'],
    stdout: squeeze,
    expect: (c) => ({ status: 0, stdout: `0 ${c.user.uid} 1\n0 ${c.user.gid} 1\ndeny\n`, stderr: '' }),
  },
  {
    name: '[root] -r: maps 0 to 0, setgroups deny',
    args: ['-r', 'cat', '/proc/self/uid_map', '/proc/self/gid_map', '/proc/self/setgroups'],
    stdout: squeeze,
    expect: { status: 0, stdout: '0 0 1\n0 0 1\ndeny\n', stderr: '' },
  },
  {
    name: '[user] -c: the current user maps to itself',
    user: true,
    args: ['-c', 'sh', '-c', 'id -u; id -g; id -G'],
    expect: (c) => ({ status: 0, stdout: `${c.user.uid}\n${c.user.gid}\n${c.user.gid}\n`, stderr: '' }),
  },
  {
    name: '[user] --map-user=5 --map-group=7',
    user: true,
    args: ['--map-user=5', '--map-group=7', 'sh', '-c', 'id -u; id -g'],
    expect: { status: 0, stdout: '5\n7\n', stderr: '' },
  },
  {
    name: '[user] --map-user/--map-group with names',
    user: true,
    args: ['--map-user=nsboxtest', '--map-group=nsboxtest', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'],
    stdout: squeeze,
    expect: (c) => ({ status: 0, stdout: `${c.user.uid} ${c.user.uid} 1\n${c.user.gid} ${c.user.gid} 1\n`, stderr: '' }),
  },
  {
    name: '[root] --map-user=nsboxtest (name) as root',
    args: ['--map-user', 'nsboxtest', 'cat', '/proc/self/uid_map'],
    stdout: squeeze,
    expect: (c) => ({ status: 0, stdout: `${c.user.uid} 0 1\n`, stderr: '' }),
  },
  {
    name: '[user] -U without maps: nobody, empty uid_map, setgroups allow',
    user: true,
    args: ['-U', 'sh', '-c', 'id -u; cat /proc/self/uid_map; cat /proc/self/setgroups'],
    expect: { status: 0, stdout: '65534\nallow\n', stderr: '' },
  },
  {
    name: '[user] --map-users/--map-groups comma form (outer,inner,count) through newuidmap',
    user: true,
    args: (c) => [
      `--map-users=${c.user.subuid.start},0,${c.user.subuid.count}`,
      `--map-groups=${c.user.subgid.start},0,${c.user.subgid.count}`,
      'cat',
      '/proc/self/uid_map',
      '/proc/self/gid_map',
    ],
    stdout: squeeze,
    expect: (c) => ({
      status: 0,
      stdout: `0 ${c.user.subuid.start} ${c.user.subuid.count}\n0 ${c.user.subgid.start} ${c.user.subgid.count}\n`,
      stderr: '',
    }),
  },
  {
    name: '[user] --map-users range + --map-current-user: the single id splits the range',
    user: true,
    args: (c) => [`--map-users=${c.user.subuid.start},0,${c.user.subuid.count}`, '--map-current-user', 'cat', '/proc/self/uid_map'],
    stdout: squeeze,
    expect: (c) => {
      const { uid } = c.user;
      const { start, count } = c.user.subuid;
      return { status: 0, stdout: `${uid} ${uid} 1\n0 ${start} ${uid}\n${uid + 1} ${start + uid} ${count - uid - 1}\n`, stderr: '' };
    },
  },
  {
    name: '[user] --map-auto: the subuid/subgid block from 0',
    user: true,
    args: ['--map-auto', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'],
    stdout: squeeze,
    expect: (c) => ({
      status: 0,
      stdout: `0 ${c.user.subuid.start} ${c.user.subuid.count}\n0 ${c.user.subgid.start} ${c.user.subgid.count}\n`,
      stderr: '',
    }),
  },
  {
    name: '[user] --map-auto -r leaves setgroups allow',
    user: true,
    args: ['--map-auto', '-r', 'cat', '/proc/self/setgroups'],
    expect: { status: 0, stdout: 'allow\n', stderr: '' },
  },
  {
    // 2.38.1 wastes one id (65535); HEAD (872c84e7c) maps the whole block: 65536.
    name: '[user][HEAD] --map-auto -r: root is the user, 1.. is the whole subuid block',
    user: true,
    head: '2.38.1 maps count-1 ids (fixed in HEAD)',
    args: ['--map-auto', '-r', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'],
    stdout: squeeze,
    expect: (c) => ({
      status: 0,
      stdout:
        `0 ${c.user.uid} 1\n1 ${c.user.subuid.start} ${c.user.subuid.count}\n` + `0 ${c.user.gid} 1\n1 ${c.user.subgid.start} ${c.user.subgid.count}\n`,
      stderr: '',
    }),
  },
  {
    name: '[user][HEAD] --map-users colon form inner:outer:count',
    user: true,
    head: 'the colon form exists since 2.39',
    args: (c) => [
      `--map-users=0:${c.user.subuid.start}:${c.user.subuid.count}`,
      `--map-groups=0:${c.user.subgid.start}:${c.user.subgid.count}`,
      'cat',
      '/proc/self/uid_map',
      '/proc/self/gid_map',
    ],
    stdout: squeeze,
    expect: (c) => ({
      status: 0,
      stdout: `0 ${c.user.subuid.start} ${c.user.subuid.count}\n0 ${c.user.subgid.start} ${c.user.subgid.count}\n`,
      stderr: '',
    }),
  },
  {
    name: '[user][HEAD] --map-users=<uid>:S:C --map-root-user: no overlap, nothing lost',
    user: true,
    head: 'the colon form exists since 2.39',
    args: (c) => [`--map-users=${c.user.uid}:${c.user.subuid.start}:${c.user.subuid.count}`, '--map-root-user', 'cat', '/proc/self/uid_map'],
    stdout: squeeze,
    expect: (c) => ({ status: 0, stdout: `0 ${c.user.uid} 1\n${c.user.uid} ${c.user.subuid.start} ${c.user.subuid.count}\n`, stderr: '' }),
  },
  {
    // As root, 2.38.1 runs newuidmap, which refuses (root has no subuid range); HEAD writes the map itself.
    name: '[root][HEAD] range maps as root are written directly (colon form)',
    head: '2.38.1 calls newuidmap as root and fails',
    args: ['--map-users=0:100000:65536', '--map-groups=0:100000:65536', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'],
    stdout: squeeze,
    expect: { status: 0, stdout: '0 100000 65536\n0 100000 65536\n', stderr: '' },
  },
  {
    name: '[root][HEAD] range maps as root are written directly (comma form)',
    head: '2.38.1 calls newuidmap as root and fails',
    args: ['--map-users=100000,0,65536', '--map-groups=100000,0,65536', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'],
    stdout: squeeze,
    expect: { status: 0, stdout: '0 100000 65536\n0 100000 65536\n', stderr: '' },
  },
  {
    name: '[root][HEAD] --map-users=all copies the current map',
    head: '`all` exists since 2.40',
    args: ['--map-users=all', '--map-groups=all', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'],
    stdout: squeeze,
    expect: { status: 0, stdout: '0 0 4294967295\n0 0 4294967295\n', stderr: '' },
  },
  {
    name: '[root][HEAD] repeated --map-users ranges plus a single id',
    head: 'repeatable since 2.40',
    args: ['--map-users=0:100000:10', '--map-users=10:200000:10', '--map-groups=0:100000:20', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'],
    stdout: (s) => sortLines(squeeze(s)),
    expect: { status: 0, stdout: '0 100000 10\n0 100000 20\n10 200000 10\n', stderr: '' },
  },

  // ---- setgroups ---------------------------------------------------------------------------------
  {
    name: '[root] -U --setgroups=deny',
    args: ['-U', '--setgroups=deny', 'cat', '/proc/self/setgroups'],
    expect: { status: 0, stdout: 'deny\n', stderr: '' },
  },
  {
    name: '[root] -U --setgroups allow',
    args: ['-U', '--setgroups', 'allow', 'cat', '/proc/self/setgroups'],
    expect: { status: 0, stdout: 'allow\n', stderr: '' },
  },
  {
    name: '[user] -U --setgroups=deny',
    user: true,
    args: ['-U', '--setgroups=deny', 'cat', '/proc/self/setgroups'],
    expect: { status: 0, stdout: 'deny\n', stderr: '' },
  },
  {
    // -r already wrote `deny` and the gid map; setgroups cannot be written after gid_map.
    name: '[user] -r --setgroups=deny: too late once the gid map is written',
    user: true,
    args: ['-r', '--setgroups=deny', 'cat', '/proc/self/setgroups'],
    expect: { status: 1, stdout: '', stderr: 'unshare: write failed /proc/self/setgroups: Operation not permitted\n' },
  },

  // ---- capabilities --------------------------------------------------------------------------------
  {
    name: '[user] -r: full permitted/effective, no inheritable/ambient',
    user: true,
    args: ['-r', 'grep', 'Cap', '/proc/self/status'],
    expect: { status: 0, stdout: /^CapInh:\t0{16}\nCapPrm:\t0*1f+\nCapEff:\t0*1f+\nCapBnd:\t[0-9a-f]{16}\nCapAmb:\t0{16}\n$/, stderr: '' },
  },
  {
    name: '[user] -r --keep-caps: inheritable and ambient too',
    user: true,
    args: ['-r', '--keep-caps', 'grep', 'Cap', '/proc/self/status'],
    expect: { status: 0, stdout: /^CapInh:\t0*1f+\nCapPrm:\t0*1f+\nCapEff:\t0*1f+\nCapBnd:\t[0-9a-f]{16}\nCapAmb:\t0*1f+\n$/, stderr: '' },
  },
  {
    name: '[user] --user --keep-caps: even nobody keeps them (ambient)',
    user: true,
    args: ['--user', '--keep-caps', 'grep', '-E', 'CapEff|CapAmb', '/proc/self/status'],
    expect: { status: 0, stdout: /^CapEff:\t0*1f+\nCapAmb:\t0*1f+\n$/, stderr: '' },
  },
  {
    name: '[user] --user without --keep-caps: no effective caps after exec',
    user: true,
    args: ['--user', 'grep', 'CapEff', '/proc/self/status'],
    expect: { status: 0, stdout: 'CapEff:\t0000000000000000\n', stderr: '' },
  },
  {
    name: '[root] --keep-caps without --user changes nothing',
    args: ['-u', '--keep-caps', 'grep', 'CapAmb', '/proc/self/status'],
    expect: { status: 0, stdout: 'CapAmb:\t0000000000000000\n', stderr: '' },
  },

  // ---- exit status -----------------------------------------------------------------------------------
  { name: '[root] exit status passes through (no fork)', args: ['-u', 'sh', '-c', 'exit 42'], expect: { status: 42, stdout: '', stderr: '' } },
  { name: '[root] exit status passes through (--fork)', args: ['-u', '--fork', 'sh', '-c', 'exit 42'], expect: { status: 42, stdout: '', stderr: '' } },
  { name: '[user] exit status passes through (-r --fork)', user: true, args: ['-r', '--fork', 'sh', '-c', 'exit 3'], expect: { status: 3, stdout: '', stderr: '' } },
  {
    name: '[root] missing program: 127',
    args: ['-u', 'nsbox-no-such-program'],
    expect: { status: 127, stdout: '', stderr: 'unshare: failed to execute nsbox-no-such-program: No such file or directory\n' },
  },
  {
    name: '[root] missing program with --fork: 127',
    args: ['-u', '--fork', 'nsbox-no-such-program'],
    expect: { status: 127, stdout: '', stderr: 'unshare: failed to execute nsbox-no-such-program: No such file or directory\n' },
  },
  {
    name: '[user] missing program: 127',
    user: true,
    args: ['-r', 'nsbox-no-such-program'],
    expect: { status: 127, stdout: '', stderr: 'unshare: failed to execute nsbox-no-such-program: No such file or directory\n' },
  },
  {
    name: '[root] non-executable program: 126',
    args: ['-u', '/etc/passwd'],
    expect: { status: 126, stdout: '', stderr: 'unshare: failed to execute /etc/passwd: Permission denied\n' },
  },
  {
    name: '[root] child killed by SIGTERM: unshare dies by SIGTERM too',
    args: ['--fork', 'sh', '-c', 'kill -TERM $$'],
    expect: { status: 143, signal: 'SIGTERM', stdout: '', stderr: '' },
  },
  {
    name: '[root] child killed by SIGUSR1: unshare dies by SIGUSR1 too',
    args: ['--fork', 'sh', '-c', 'kill -USR1 $$'],
    expect: { status: 138, signal: 'SIGUSR1', stdout: '', stderr: '' },
  },
  {
    // 2.38.1: `sigprocmask unblock failed: Invalid argument`, rc 1 (bug #2614); HEAD: killed, 137.
    name: '[root][HEAD] child killed by SIGKILL: unshare dies by SIGKILL',
    head: '2.38.1 prints "sigprocmask unblock failed" and exits 1',
    args: ['--fork', 'sh', '-c', 'kill -KILL $$'],
    expect: { status: 137, signal: 'SIGKILL', stdout: '', stderr: '' },
  },
  {
    name: '[user] child killed by SIGTERM inside -rpf: unshare dies by SIGTERM',
    user: true,
    args: ['-rf', 'sh', '-c', 'kill -TERM $$'],
    expect: { status: 143, signal: 'SIGTERM', stdout: '', stderr: '' },
  },

  // ---- the program's fds: stdin, stdout and stderr, nothing else ------------------------------------
  // A deliberate difference (README, "Where nsbox differs"): util-linux passes every inherited fd
  // on; nsbox passes 0-2 only. Node marks inherited fds close-on-exec at start-up
  // (uv_disable_stdio_inheritance), so it cannot tell them from its own, and an isolation tool
  // should not leak descriptors into the sandbox anyway. So these run through nsbox alone.
  {
    name: '[root] the program gets fds 0-2 and nothing of the implementation',
    head: 'nsbox passes only fds 0-2 (documented difference)',
    args: ['-u', 'sh', '-c', 'ls /proc/$$/fd'],
    expect: { status: 0, stdout: '0\n1\n2\n', stderr: '' },
  },
  {
    name: '[root] an fd the caller holds (5</dev/null) does not reach the program',
    head: 'nsbox passes only fds 0-2 (documented difference)',
    extraFd: 5,
    args: ['-u', 'sh', '-c', 'ls /proc/$$/fd'],
    expect: { status: 0, stdout: '0\n1\n2\n', stderr: '' },
  },
  {
    name: '[root] -m -u --fork: fds 0-2 only (no helper pipe, no caller fd)',
    head: 'nsbox passes only fds 0-2 (documented difference)',
    extraFd: 5,
    args: ['-m', '-u', '--fork', 'sh', '-c', 'ls /proc/$$/fd'],
    expect: { status: 0, stdout: '0\n1\n2\n', stderr: '' },
  },
  {
    name: '[user] --map-auto -r (newuidmap child): fds 0-2 only',
    head: 'nsbox passes only fds 0-2 (documented difference)',
    user: true,
    extraFd: 5,
    args: ['--map-auto', '-r', 'sh', '-c', 'ls /proc/$$/fd'],
    expect: { status: 0, stdout: '0\n1\n2\n', stderr: '' },
  },

  // ---- time namespace ------------------------------------------------------------------------------------
  {
    name: '[root] -T --boottime 86400: uptime shifted by a day (no --fork needed)',
    args: ['-T', '--boottime', '86400', 'cat', '/proc/uptime'],
    stdout: uptimeOffset,
    expect: { status: 0, stdout: 'offset=86400\n', stderr: '' },
  },
  {
    name: '[root] -T --fork --monotonic -5 --boottime 7: timens_offsets',
    args: ['-T', '--fork', '--monotonic', '-5', '--boottime', '7', 'cat', '/proc/self/timens_offsets'],
    stdout: squeeze,
    expect: { status: 0, stdout: 'monotonic -5 0\nboottime 7 0\n', stderr: '' },
  },
  {
    name: '[root] -T without offsets: zero offsets',
    args: ['--time', 'cat', '/proc/self/timens_offsets'],
    stdout: squeeze,
    expect: { status: 0, stdout: 'monotonic 0 0\nboottime 0 0\n', stderr: '' },
  },
  {
    name: '[user] -r -T --boottime=3600',
    user: true,
    args: ['-r', '-T', '--boottime=3600', 'cat', '/proc/uptime'],
    stdout: uptimeOffset,
    expect: { status: 0, stdout: 'offset=3600\n', stderr: '' },
  },

  // ---- root and working directory ----------------------------------------------------------------------------
  { name: '[root] -R / -w /tmp pwd', args: ['-R', '/', '-w', '/tmp', 'pwd'], expect: { status: 0, stdout: '/tmp\n', stderr: '' } },
  { name: '[root] --root=/ alone changes to /', cwd: '/tmp', args: ['--root=/', 'pwd'], expect: { status: 0, stdout: '/\n', stderr: '' } },
  { name: '[root] -w /tmp alone', args: ['-w', '/tmp', 'pwd'], expect: { status: 0, stdout: '/tmp\n', stderr: '' } },
  { name: '[user] --wd=/tmp as the user', user: true, args: ['-r', '--wd=/tmp', 'pwd'], expect: { status: 0, stdout: '/tmp\n', stderr: '' } },
  {
    name: '[root] --root=<dir without pwd>: chroot, not pivot_root',
    args: (c) => ['--root', c.dir, 'pwd'],
    expect: { status: 127, stdout: '', stderr: 'unshare: failed to execute pwd: No such file or directory\n' },
  },

  // ---- -S / -G ------------------------------------------------------------------------------------------------
  {
    name: '[root] -S uid -G gid',
    args: (c) => ['-S', String(c.user.uid), '-G', String(c.user.gid), 'id'],
    expect: (c) => ({ status: 0, stdout: `uid=${c.user.uid}(nsboxtest) gid=${c.user.gid}(nsboxtest) groups=${c.user.gid}(nsboxtest)\n`, stderr: '' }),
  },
  {
    name: '[root] -S uid alone keeps gid 0 and the groups',
    args: (c) => ['--setuid', String(c.user.uid), 'id'],
    expect: (c) => ({ status: 0, stdout: `uid=${c.user.uid}(nsboxtest) gid=0(root) groups=0(root)\n`, stderr: '' }),
  },
  {
    name: '[root] -G gid alone drops the supplementary groups',
    args: (c) => ['--setgid', String(c.user.gid), 'id'],
    expect: (c) => ({ status: 0, stdout: `uid=0(root) gid=${c.user.gid}(nsboxtest) groups=${c.user.gid}(nsboxtest)\n`, stderr: '' }),
  },
  {
    name: '[user] --map-auto -r -S 1 -G 1: switch to a mapped id inside',
    user: true,
    args: ['--map-auto', '-r', '-S', '1', '-G', '1', 'sh', '-c', 'id -u; id -g'],
    expect: { status: 0, stdout: '1\n1\n', stderr: '' },
  },

  // ---- environment -----------------------------------------------------------------------------------------------
  {
    name: '[root] the environment is inherited unchanged',
    env: { NSBOX_FOO: 'bar baz' },
    args: ['-u', 'sh', '-c', 'echo "$NSBOX_FOO"'],
    expect: { status: 0, stdout: 'bar baz\n', stderr: '' },
  },
  {
    name: '[root][HEAD] --clear-env',
    head: '--clear-env is new in HEAD',
    env: { FOO: 'bar' },
    args: ['-u', '--clear-env', '/usr/bin/env'],
    expect: { status: 0, stdout: '', stderr: '' },
  },
  {
    name: '[user][HEAD] --clear-env as the user',
    user: true,
    head: '--clear-env is new in HEAD',
    env: { FOO: 'bar' },
    args: ['-r', '--clear-env', '/usr/bin/env'],
    expect: { status: 0, stdout: '', stderr: '' },
  },
  {
    name: '[root][HEAD] --whitelist-env FOO,PATH keeps exactly those',
    head: '--whitelist-env is new in HEAD',
    env: { FOO: 'bar', OTHER: 'x' },
    args: ['-u', '--whitelist-env', 'FOO,PATH', '/usr/bin/env'],
    stdout: sortLines,
    expect: { status: 0, stdout: 'FOO=bar\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n', stderr: '' },
  },
  {
    // HEAD quirk (§1.8): a whitelist naming no set variable clears nothing. Reference §7 lists it as a
    // bug not to copy: nsbox clears everything (the list was given, nothing on it is set).
    name: '[root][HEAD] --whitelist-env with no matching variable clears everything',
    head: '--whitelist-env is new in HEAD (and its empty-list quirk is deliberately not copied)',
    env: { FOO: 'bar' },
    args: ['-u', '--whitelist-env=NSBOX_NOPE', '/usr/bin/env'],
    expect: { status: 0, stdout: '', stderr: '' },
  },

  // ---- default program: the login shell ---------------------------------------------------------------------
  {
    name: '[root] no program: $SHELL as a login shell (-bash)',
    env: { SHELL: '/bin/bash' },
    input: 'echo $0\n',
    args: ['-u'],
    expect: { status: 0, stdout: '-bash\n', stderr: '' },
  },
  {
    name: '[root] no program: SHELL=/bin/sh gives -sh',
    env: { SHELL: '/bin/sh' },
    input: 'echo $0; exit 5\n',
    args: ['--uts'],
    expect: { status: 5, stdout: '-sh\n', stderr: '' },
  },
  {
    name: '[user] no program, SHELL unset, -c: the passwd shell of the user (/bin/sh) as -sh',
    user: true,
    input: 'echo $0\n',
    args: ['-c'],
    expect: (c) => ({ status: 0, stdout: `-${basename(c.user.shell)}\n`, stderr: '' }),
  },
  {
    // HEAD's ul_default_shell() runs getpwuid(getuid()) at exec time, i.e. inside the new user
    // namespace: with -r that is uid 0, so root's passwd shell. 2.38.1 uses /bin/sh.
    name: "[user][HEAD] no program, SHELL unset, -r: the passwd shell of uid 0 (the uid inside)",
    user: true,
    head: '2.38.1 falls back to /bin/sh',
    input: 'echo $0\n',
    args: ['-r'],
    expect: () => ({ status: 0, stdout: `-${basename(rootShell())}\n`, stderr: '' }),
  },
  {
    // 2.38.1 falls back to /bin/sh; HEAD to the passwd shell of the caller (root: /bin/bash here).
    name: "[root][HEAD] no program, SHELL unset: root's passwd shell",
    head: '2.38.1 falls back to /bin/sh',
    input: 'echo $0\n',
    // Not root's own dot files: the login shell would run whatever they hold (here a pyenv
    // hook that sometimes writes to stderr).
    env: { HOME: '/nonexistent' },
    args: ['-u'],
    expect: () => ({ status: 0, stdout: `-${basename(rootShell())}\n`, stderr: '' }),
  },
  {
    name: '[root] SHELL=/nonexistent: 127',
    env: { SHELL: '/nonexistent' },
    args: ['-u'],
    expect: { status: 127, stdout: '', stderr: 'unshare: failed to execute /nonexistent: No such file or directory\n' },
  },

  // ---- getopt parsing -----------------------------------------------------------------------------------------
  {
    name: '[root] parsing stops at the program: options after it are its own',
    args: ['-u', 'sh', '-c', 'echo $#', '-u', 'x'],
    expect: { status: 0, stdout: '1\n', stderr: '' },
  },
  {
    name: '[root] -- ends the options',
    args: ['-u', '--', 'sh', '-c', 'echo $0', 'arg0'],
    expect: { status: 0, stdout: 'arg0\n', stderr: '' },
  },
  {
    name: '[root] --uts <path>: the optional argument must be attached, so the path is the program',
    args: ['--uts', '/nonexistent/nsbox-x'],
    expect: { status: 127, stdout: '', stderr: 'unshare: failed to execute /nonexistent/nsbox-x: No such file or directory\n' },
  },
  {
    name: '[root] --kill-child TERM: TERM is the program',
    args: ['--kill-child', 'TERM'],
    expect: { status: 127, stdout: '', stderr: 'unshare: failed to execute TERM: No such file or directory\n' },
  },
  {
    name: '[root] bundled short options -fpr',
    args: ['-fpr', 'sh', '-c', 'echo $$; id -u'],
    expect: { status: 0, stdout: '1\n0\n', stderr: '' },
  },
  {
    name: '[user] bundled short options -fpr',
    user: true,
    args: ['-fpr', 'sh', '-c', 'echo $$; id -u'],
    expect: { status: 0, stdout: '1\n0\n', stderr: '' },
  },
  {
    name: '[root] unambiguous long prefixes (--kill-c, --map-r, --propag)',
    args: ['--kill-c=SIGTERM', '--map-r', '--propag', 'private', '-p', 'sh', '-c', 'echo $$; id -u'],
    expect: { status: 0, stdout: '1\n0\n', stderr: '' },
  },
  {
    name: '[root] --kill-child=sigterm and =RTMIN+1 are accepted',
    args: ['--kill-child=sigterm', '--kill-child=RTMIN+1', 'sh', '-c', 'echo ok'],
    expect: { status: 0, stdout: 'ok\n', stderr: '' },
  },
  {
    // `--for` is a unique prefix of --fork in 2.38.1, but HEAD also has --forward-signals, so
    // glibc getopt_long reports it as ambiguous (the order is that of HEAD's longopts[]).
    name: '[root][HEAD] --for is ambiguous (--fork, --forward-signals)',
    head: '2.38.1 has no --forward-signals, so --for means --fork there',
    args: ['--for', 'true'],
    expect: {
      status: 1,
      stdout: '',
      stderr: "unshare: option '--for' is ambiguous; possibilities: '--fork' '--forward-signals'\nTry 'unshare --help' for more information.\n",
    },
  },
  {
    name: '[root] --fork spelled out with --pid',
    args: ['--fork', '--pid', 'sh', '-c', 'echo $$'],
    expect: { status: 0, stdout: '1\n', stderr: '' },
  },
  {
    name: '[root] --propagation without --mount is silently ignored',
    args: ['--propagation', 'shared', '-u', 'findmnt', '-n', '-o', 'PROPAGATION', '/'],
    stdout: (s) => (s.trim() === rootPropagation() ? 'unchanged\n' : `changed: ${s}`),
    expect: { status: 0, stdout: 'unchanged\n', stderr: '' },
  },
];

let rootShellCache: string | undefined;
function rootShell(): string {
  rootShellCache ??= sh('getent passwd 0').trim().split(':')[6] || '/bin/sh';
  return rootShellCache;
}

/** The fds a child of this test process inherits (plus `extra`), as `ls /proc/$$/fd` prints them. */
function rootPropagation(): string {
  return sh('findmnt -n -o PROPAGATION /').trim();
}

// ---------------------------------------------------------------------------------------------
// Running a scenario
// ---------------------------------------------------------------------------------------------

interface View {
  status: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  pipesHeldOpen: boolean;
}

function view(r: RunResult, stdoutTransform?: (s: string) => string): View {
  return {
    status: shellStatus(r),
    signal: r.signal,
    stdout: normalise(stdoutTransform ? stdoutTransform(r.stdout) : r.stdout),
    stderr: normalise(r.stderr),
    timedOut: r.timedOut,
    pipesHeldOpen: r.pipesHeldOpen,
  };
}

function checkExpect(v: View, e: Expect, label: string, raw: RunResult): void {
  const ctx = `${label}\n${describeResult(raw)}`;
  assert.equal(v.timedOut, false, `${ctx}\ntimed out`);
  if (e.stdout !== undefined) {
    if (typeof e.stdout === 'string') assert.equal(v.stdout, e.stdout, `${ctx}\nstdout`);
    else assert.match(v.stdout, e.stdout, `${ctx}\nstdout`);
  }
  if (e.stderr !== undefined) {
    if (typeof e.stderr === 'string') assert.equal(v.stderr, e.stderr, `${ctx}\nstderr`);
    else assert.match(v.stderr, e.stderr, `${ctx}\nstderr`);
  }
  if (e.status !== undefined) assert.equal(v.status, e.status, `${ctx}\nexit status`);
  if (e.signal !== undefined) assert.equal(v.signal, e.signal, `${ctx}\nsignal`);
  assert.equal(v.pipesHeldOpen, false, `${ctx}\nstdout/stderr still held open by a leftover process`);
}

/** Preconditions of a scenario; returns the test user, or undefined when skipped. */
function preconditions(t: SkipContext, o: { user?: boolean; head?: string }): TestUser | undefined {
  if (!requireRoot(t)) return undefined;
  if (!o.head && !requireUtilUnshare(t)) return undefined;
  // Even root scenarios use the test user's ids (-S/-G, names).
  return requireTestUser(t, { runAs: o.user === true });
}

async function runScenario(t: SkipContext, s: Scenario): Promise<void> {
  const user = preconditions(t, { user: s.user, head: s.head });
  if (!user) return;
  await withScope(async (scope) => {
    let dir: string | undefined;
    const ctxFor = (impl: Impl): Ctx => ({
      impl,
      user,
      scope,
      get dir() {
        dir ??= scope.tmpdir({ writableByUser: true });
        return dir;
      },
    });
    const opts = (impl: Impl): RunOptions => ({
      asUser: s.user === true,
      env: s.env,
      input: s.input,
      extraFd: s.extraFd,
      cwd: s.cwd ?? '/',
      scope,
      timeout: s.timeout ?? 20_000,
      ...(impl === 'nsbox' ? {} : {}),
    });
    const argsFor = (impl: Impl): string[] => (typeof s.args === 'function' ? s.args(ctxFor(impl)) : s.args);
    const impls: Impl[] = s.head ? ['nsbox'] : ['nsbox', 'util'];
    const results = await Promise.all(impls.map((impl) => run(impl, argsFor(impl), opts(impl))));
    const c = ctxFor('nsbox');
    const e = typeof s.expect === 'function' ? s.expect(c) : s.expect;
    const views = results.map((r) => view(r, s.stdout ? (x) => s.stdout!(x, c) : undefined));
    // 1. nsbox does what the scenario expects (HEAD behaviour).
    checkExpect(views[0]!, e, `nsbox unshare ${JSON.stringify(argsFor('nsbox'))}`, results[0]!);
    if (!s.head) {
      // 2. the reference does too (otherwise the scenario itself is wrong) ...
      checkExpect(views[1]!, e, `reference /usr/bin/unshare ${JSON.stringify(argsFor('util'))} (scenario or environment problem)`, results[1]!);
      // 3. ... and the two are indistinguishable after normalisation.
      assert.deepEqual(views[0], views[1], 'nsbox and util-linux differ');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Multi-step scenarios: a transcript per implementation, compared
// ---------------------------------------------------------------------------------------------

/** Describe a result as one transcript line. */
function line(label: string, r: RunResult, transform?: (s: string) => string): string {
  const out = normalise(transform ? transform(r.stdout) : r.stdout).trimEnd();
  const err = normalise(r.stderr).trimEnd();
  return `${label}: status=${shellStatus(r)}${r.timedOut ? ' TIMEOUT' : ''}${out ? ` out=${JSON.stringify(out)}` : ''}${err ? ` err=${JSON.stringify(err)}` : ''}`;
}

/**
 * Run `procedure` once per implementation (nsbox first, then util-linux, sequentially unless
 * `parallel`) and compare the transcripts with each other and with `expected`.
 */
async function differential(
  t: SkipContext,
  o: { user?: boolean; head?: string; parallel?: boolean },
  procedure: (impl: Impl, scope: LeakScope, user: TestUser) => Promise<string[]>,
  expected: string[] | ((user: TestUser) => string[]),
): Promise<void> {
  const user = preconditions(t, o);
  if (!user) return;
  const exp = typeof expected === 'function' ? expected(user) : expected;
  const impls: Impl[] = o.head ? ['nsbox'] : ['nsbox', 'util'];
  const transcripts: Record<string, string[]> = {};
  const runOne = (impl: Impl): Promise<void> =>
    withScope(async (scope) => {
      transcripts[impl] = (await procedure(impl, scope, user)).map((l) => scope.anonymise(l));
    });
  if (o.parallel) await Promise.all(impls.map(runOne));
  else for (const impl of impls) await runOne(impl);
  assert.deepEqual(transcripts.nsbox, exp, 'nsbox transcript');
  if (!o.head) {
    assert.deepEqual(transcripts.util, exp, 'reference util-linux transcript (scenario or environment problem)');
    assert.deepEqual(transcripts.nsbox, transcripts.util);
  }
}

function readProcComm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const ownNs = (name: string): string => fs.readlinkSync(`/proc/self/ns/${name}`);
const inode = (s: string): string => /\[(\d+)\]/.exec(s)?.[1] ?? `?${s.trim()}`;

/**
 * Persist a namespace with `--<kind>=FILE`, then check what the file holds and enter it with
 * util-linux nsenter: the entered ns is the persisted one, and not ours. Then unpersist.
 */
async function persistProcedure(
  impl: Impl,
  scope: LeakScope,
  o: { kind: string; nsEntry: string; extra?: string[]; program?: string[]; enter?: string[]; dir?: string; fileName?: string },
): Promise<string[]> {
  const dir = o.dir ?? scope.tmpdir();
  const f = join(dir, o.fileName ?? `${impl}-${o.kind}`);
  fs.writeFileSync(f, '');
  const T: string[] = [];
  const opts: RunOptions = { scope, cwd: dir };
  const r = await run(impl, [`--${o.kind}=${f}`, ...(o.extra ?? []), ...(o.program ?? ['true'])], opts);
  T.push(line('unshare', r));
  const fm = await runCommand(['findmnt', '-n', '-o', 'FSTYPE,SOURCE', f], opts);
  T.push(line('findmnt', fm, squeeze));
  const persisted = inode(fm.stdout);
  // Entering a user ns whose setgroups is `deny` needs --preserve-credentials (reference §3.1).
  const nsenterOpts = o.kind === 'user' ? ['--preserve-credentials'] : [];
  const e = await runCommand(['nsenter', ...nsenterOpts, `--${o.kind}=${f}`, 'readlink', `/proc/self/ns/${o.nsEntry}`], opts);
  T.push(`entered: ${inode(e.stdout) === persisted ? 'the persisted ns' : `other (${e.stdout.trim()} vs ${persisted})`}, ${e.stdout.trim() === ownNs(o.nsEntry) ? 'ours' : 'not ours'}`);
  if (o.enter) T.push(line('nsenter', await runCommand(['nsenter', ...nsenterOpts, `--${o.kind}=${f}`, ...o.enter], opts)));
  T.push(line('umount', await runCommand(['umount', f], opts)));
  T.push(line('findmnt after umount', await runCommand(['findmnt', '-n', f], opts)));
  return T;
}

function persistExpected(kind: string, o: { unshareOut?: string; enterOut?: string } = {}): string[] {
  return [
    `unshare: status=0${o.unshareOut ? ` out=${JSON.stringify(o.unshareOut)}` : ''}`,
    `findmnt: status=0 out=${JSON.stringify(`nsfs nsfs[${kind}:[INODE]]`)}`,
    'entered: the persisted ns, not ours',
    ...(o.enterOut !== undefined ? [`nsenter: status=0 out=${JSON.stringify(o.enterOut)}`] : []),
    'umount: status=0',
    'findmnt after umount: status=1',
  ];
}

/** A directory that is its own private mount (a mount-ns file must not be on a shared mount). */
function privateDir(scope: LeakScope): string {
  const d = scope.tmpdir();
  sh(`mount --bind '${d}' '${d}' && mount --make-private '${d}'`);
  scope.addFixtureMount(d);
  return d;
}

/** A shared tmpfs at <dir>/shr. */
function sharedTmpfs(scope: LeakScope): string {
  const d = scope.tmpdir();
  const shr = join(d, 'shr');
  fs.mkdirSync(shr);
  sh(`mount -t tmpfs nsbox-shr '${shr}' && mount --make-shared '${shr}'`);
  scope.addFixtureMount(shr);
  return shr;
}

// ---------------------------------------------------------------------------------------------
// The suites
// ---------------------------------------------------------------------------------------------

useFileLeakCheck();

describe('differential: single command lines', { concurrency: 6 }, () => {
  for (const s of scenarios) {
    it(s.name, (t) => runScenario(t, s));
  }
});

describe('differential: persistence and nsenter', { concurrency: 4 }, () => {
  it('[root] --uts=FILE: hostname set inside is seen by nsenter --uts=FILE', (t) =>
    differential(
      t,
      {},
      async (impl, scope) => {
        const dir = scope.tmpdir();
        const f = join(dir, 'uts');
        fs.writeFileSync(f, '');
        const T: string[] = [];
        T.push(line('unshare', await run(impl, [`--uts=${f}`, 'hostname', 'nsbox-persisted'], { scope })));
        T.push(line('nsenter', await runCommand(['nsenter', `--uts=${f}`, 'hostname'], { scope })));
        T.push(line('hostname here', await runCommand(['hostname'], { scope }), (s) => (s.trim() === 'nsbox-persisted' ? 'CHANGED\n' : 'unchanged\n')));
        T.push(line('umount', await runCommand(['umount', f], { scope })));
        T.push(line('nsenter after umount', await runCommand(['nsenter', `--uts=${f}`, 'hostname'], { scope })));
        return T;
      },
      [
        'unshare: status=0',
        'nsenter: status=0 out="nsbox-persisted"',
        'hostname here: status=0 out="unchanged"',
        'umount: status=0',
        `nsenter after umount: status=1 err="nsenter: reassociate to namespace 'ns/uts' failed: Invalid argument"`,
      ],
    ));

  it('[root] --net=FILE', (t) =>
    differential(
      t,
      { parallel: true },
      (impl, scope) => persistProcedure(impl, scope, { kind: 'net', nsEntry: 'net', enter: ['sh', '-c', 'ip -o link | wc -l'] }),
      persistExpected('net', { enterOut: '1' }),
    ));

  it('[root] --ipc=FILE: a message queue made inside is there on re-entry', (t) =>
    differential(
      t,
      { parallel: true },
      (impl, scope) =>
        persistProcedure(impl, scope, { kind: 'ipc', nsEntry: 'ipc', program: ['sh', '-c', 'ipcmk -Q >/dev/null'], enter: ['sh', '-c', 'ipcs -q | grep -c "^0x"'] }),
      persistExpected('ipc', { enterOut: '1' }),
    ));

  it('[root] --cgroup=FILE', (t) =>
    differential(t, { parallel: true }, (impl, scope) => persistProcedure(impl, scope, { kind: 'cgroup', nsEntry: 'cgroup' }), persistExpected('cgroup')));

  it('[root] --time=FILE --boottime 1000: nsenter sees the offsets', (t) =>
    differential(
      t,
      { parallel: true },
      (impl, scope) =>
        persistProcedure(impl, scope, {
          kind: 'time',
          nsEntry: 'time',
          extra: ['--boottime', '1000'],
          enter: ['sh', '-c', "tr -s ' ' < /proc/self/timens_offsets"],
        }),
      persistExpected('time', { enterOut: 'monotonic 0 0\nboottime 1000 0' }),
    ));

  it('[root] --mount=FILE on a private mount: a mount made inside is seen by nsenter --mount only', (t) =>
    differential(
      t,
      {},
      async (impl, scope) => {
        const d = privateDir(scope);
        const m = join(d, 'm');
        fs.mkdirSync(m);
        const f = join(d, 'mntns');
        fs.writeFileSync(f, '');
        const T: string[] = [];
        T.push(line('unshare', await run(impl, [`--mount=${f}`, 'mount', '-t', 'tmpfs', 'nsbox-inner', m], { scope })));
        T.push(line('findmnt file', await runCommand(['findmnt', '-n', '-o', 'FSTYPE,SOURCE', f], { scope }), squeeze));
        T.push(line('findmnt here', await runCommand(['findmnt', '-n', '-o', 'SOURCE', m], { scope })));
        T.push(line('nsenter', await runCommand(['nsenter', `--mount=${f}`, 'findmnt', '-n', '-o', 'SOURCE', m], { scope })));
        T.push(line('umount', await runCommand(['umount', f], { scope })));
        return T;
      },
      [
        'unshare: status=0',
        'findmnt file: status=0 out="nsfs nsfs[mnt:[INODE]]"',
        'findmnt here: status=1',
        'nsenter: status=0 out="nsbox-inner"',
        'umount: status=0',
      ],
    ));

  it('[root] --pid=FILE --fork: nsenter joins the live pid ns, which dies with its init', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const dir = scope.tmpdir();
        const f = join(dir, 'pid');
        fs.writeFileSync(f, '');
        const T: string[] = [];
        const running = start(impl, [`--pid=${f}`, '--fork', 'sleep', '1.5'], { scope });
        await waitForProcess(scope, 'sleep');
        T.push(line('findmnt', await runCommand(['findmnt', '-n', '-o', 'FSTYPE,SOURCE', f], { scope }), squeeze));
        T.push(line('nsenter while alive', await runCommand(['nsenter', `--pid=${f}`, 'sh', '-c', 'echo $$'], { scope })));
        T.push(line('unshare', await running.result));
        T.push(line('nsenter after init died', await runCommand(['nsenter', `--pid=${f}`, 'true'], { scope })));
        T.push(line('umount', await runCommand(['umount', f], { scope })));
        return T;
      },
      [
        'findmnt: status=0 out="nsfs nsfs[pid:[INODE]]"',
        'nsenter while alive: status=0 out="2"',
        'unshare: status=0',
        'nsenter after init died: status=1 err="nsenter: fork failed: Cannot allocate memory"',
        'umount: status=0',
      ],
    ));

  it('[root] --user=FILE --mount=FILE2 -r: both persisted (works in 2.38.1 too, through the bind helper)', (t) =>
    differential(
      t,
      {},
      async (impl, scope) => {
        const d = privateDir(scope);
        const fu = join(d, 'user');
        const fm = join(d, 'mnt');
        fs.writeFileSync(fu, '');
        fs.writeFileSync(fm, '');
        const T: string[] = [];
        T.push(line('unshare', await run(impl, [`--user=${fu}`, `--mount=${fm}`, '-r', 'true'], { scope })));
        T.push(line('findmnt', await runCommand(['findmnt', '-n', '-o', 'SOURCE', fu], { scope })));
        T.push(line('uid_map', await runCommand(['nsenter', '--preserve-credentials', `--user=${fu}`, 'cat', '/proc/self/uid_map'], { scope }), squeeze));
        T.push(line('umount', await runCommand(['umount', fu, fm], { scope })));
        return T;
      },
      ['unshare: status=0', 'findmnt: status=0 out="nsfs[user:[INODE]]"', 'uid_map: status=0 out="0 0 1"', 'umount: status=0'],
    ));

  it('[root][HEAD] --user=FILE without --mount (PR #3905; 2.38.1 fails with EPERM)', (t) =>
    differential(
      t,
      { head: '2.38.1 cannot bind a user ns file without --mount' },
      (impl, scope) =>
        persistProcedure(impl, scope, { kind: 'user', nsEntry: 'user', extra: ['-r'], enter: ['sh', '-c', "tr -s ' ' < /proc/self/uid_map"] }),
      persistExpected('user', { enterOut: ' 0 0 1' }),
    ));

  it('[root] persistence of several namespaces at once (uts, ipc, net) with --fork', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const dir = scope.tmpdir();
        const files = ['uts', 'ipc', 'net'].map((k) => join(dir, k));
        for (const f of files) fs.writeFileSync(f, '');
        const T: string[] = [];
        T.push(line('unshare', await run(impl, [`--uts=${files[0]}`, `--ipc=${files[1]}`, `--net=${files[2]}`, '--fork', 'hostname', 'multi'], { scope })));
        for (const f of files) T.push(line('findmnt', await runCommand(['findmnt', '-n', '-o', 'SOURCE', f], { scope })));
        T.push(line('nsenter', await runCommand(['nsenter', `--uts=${files[0]}`, 'hostname'], { scope })));
        T.push(line('umount', await runCommand(['umount', ...files], { scope })));
        return T;
      },
      [
        'unshare: status=0',
        'findmnt: status=0 out="nsfs[uts:[INODE]]"',
        'findmnt: status=0 out="nsfs[ipc:[INODE]]"',
        'findmnt: status=0 out="nsfs[net:[INODE]]"',
        'nsenter: status=0 out="multi"',
        'umount: status=0',
      ],
    ));

  it('[user] -r --uts=FILE as the user: the bind is refused (EPERM) and nothing is left', (t) =>
    differential(
      t,
      { user: true, parallel: true },
      async (impl, scope) => {
        const dir = scope.tmpdir({ writableByUser: true });
        const f = join(dir, 'uts');
        fs.writeFileSync(f, '');
        fs.chmodSync(f, 0o666);
        const r = await run(impl, ['-r', `--uts=${f}`, 'true'], { scope, asUser: true });
        return [line('unshare', r), line('findmnt', await runCommand(['findmnt', '-n', f], { scope }))];
      },
      ['unshare: status=1 err="unshare: mount /proc/PID/ns/uts on DIR/uts failed: Operation not permitted"', 'findmnt: status=1'],
    ));
});

describe('differential: mount propagation', { concurrency: 4 }, () => {
  const propagationCase = (name: string, args: string[], expected: string) =>
    it(`[root] ${name}`, (t) =>
      differential(
        t,
        { parallel: true },
        async (impl, scope) => {
          const shr = sharedTmpfs(scope);
          const r = await run(impl, [...args, 'findmnt', '-n', '-o', 'PROPAGATION', shr], { scope });
          return [line('inside', r)];
        },
        [`inside: status=0 out=${JSON.stringify(expected)}`],
      ));
  propagationCase('-m: default propagation is private', ['-m'], 'private');
  propagationCase('--propagation private', ['-m', '--propagation', 'private'], 'private');
  propagationCase('--propagation slave', ['-m', '--propagation=slave'], 'private,slave');
  propagationCase('--propagation shared', ['-m', '--propagation', 'shared'], 'shared');
  propagationCase('--propagation unchanged', ['-m', '--propagation', 'unchanged'], 'shared');
  propagationCase('--propagation shared without -m is ignored (the host mount stays shared)', ['--propagation', 'shared', '-u'], 'shared');

  it('[root] a mount made inside -m is invisible outside', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const shr = sharedTmpfs(scope);
        const a = join(shr, 'a');
        const r = await run(impl, ['-m', 'sh', '-c', `mkdir ${a} && mount -t tmpfs nsbox-inner ${a} && findmnt -n -o SOURCE ${a}`], { scope });
        return [line('inside', r), line('outside', await runCommand(['findmnt', '-n', '-o', 'SOURCE', a], { scope }))];
      },
      ['inside: status=0 out="nsbox-inner"', 'outside: status=1'],
    ));

  it('[root] with --propagation unchanged a mount under a shared mount is visible outside', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const shr = sharedTmpfs(scope);
        const a = join(shr, 'a');
        const r = await run(impl, ['-m', '--propagation', 'unchanged', 'sh', '-c', `mkdir ${a} && mount -t tmpfs nsbox-inner ${a}`], { scope });
        const T = [line('inside', r), line('outside', await runCommand(['findmnt', '-n', '-o', 'SOURCE', a], { scope }))];
        T.push(line('umount', await runCommand(['umount', a], { scope })));
        return T;
      },
      ['inside: status=0', 'outside: status=0 out="nsbox-inner"', 'umount: status=0'],
    ));

  it('[user] -rm: the user may mount a tmpfs inside, invisible outside', (t) =>
    differential(
      t,
      { user: true, parallel: true },
      async (impl, scope) => {
        const dir = scope.tmpdir({ writableByUser: true });
        const a = join(dir, impl);
        fs.mkdirSync(a);
        const r = await run(impl, ['-rm', 'sh', '-c', `mount -t tmpfs nsbox-inner ${a} && findmnt -n -o SOURCE ${a}`], { scope, asUser: true });
        return [line('inside', r), line('outside', await runCommand(['findmnt', '-n', '-o', 'SOURCE', a], { scope }))];
      },
      ['inside: status=0 out="nsbox-inner"', 'outside: status=1'],
    ));
});

describe('differential: signals and --kill-child', { concurrency: 3 }, () => {
  /** Start `--fork ... sh -c 'echo $$ > P; exec sleep N'`, wait for the sleep, return its pid. */
  async function startChild(impl: Impl, scope: LeakScope, args: string[], o: { asUser?: boolean; secs?: number } = {}) {
    const dir = scope.tmpdir({ writableByUser: true });
    const pidfile = join(dir, 'child.pid');
    const running = start(impl, [...args, 'sh', '-c', `echo $$ > ${pidfile}; exec sleep ${o.secs ?? 5}`], { scope, asUser: o.asUser });
    const pid = Number(await waitForFile(pidfile));
    await waitFor(() => readProcComm(pid) === 'sleep', 5000, 'the child to exec sleep');
    return { running, pid };
  }

  it('[root] --kill-child: unshare killed by SIGKILL takes the child with it', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const { running, pid } = await startChild(impl, scope, ['--fork', '--kill-child']);
        running.kill('SIGKILL');
        const r = await running.result;
        const dead = await waitFor(() => !alive(pid), 3000, 'the child to die').catch(() => false);
        return [`unshare: signal=${r.signal}`, `child: ${dead ? 'dead' : 'alive'}`];
      },
      ['unshare: signal=SIGKILL', 'child: dead'],
    ));

  it('[user] -r --kill-child: same as the user', (t) =>
    differential(
      t,
      { user: true, parallel: true },
      async (impl, scope) => {
        const { running, pid } = await startChild(impl, scope, ['-r', '--kill-child'], { asUser: true });
        running.kill('SIGKILL');
        const r = await running.result;
        const dead = await waitFor(() => !alive(pid), 3000, 'the child to die').catch(() => false);
        return [`unshare: signal=${r.signal}`, `child: ${dead ? 'dead' : 'alive'}`];
      },
      ['unshare: signal=SIGKILL', 'child: dead'],
    ));

  it('[root] without --kill-child the child survives SIGKILL of unshare', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const { running, pid } = await startChild(impl, scope, ['--fork']);
        running.kill('SIGKILL');
        const r = await running.result;
        await delay(300);
        const survived = alive(pid);
        if (survived) process.kill(pid, 'SIGKILL');
        return [`unshare: signal=${r.signal}`, `child: ${survived ? 'alive' : 'dead'}`];
      },
      ['unshare: signal=SIGKILL', 'child: alive'],
    ));

  it('[root] --kill-child=SIGUSR1: the child gets SIGUSR1', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const dir = scope.tmpdir();
        const pidfile = join(dir, 'pid');
        const outfile = join(dir, 'out');
        const script = `trap 'echo child got USR1 > ${outfile}; kill $!; exit 3' USR1; echo $$ > ${pidfile}; sleep 5 </dev/null >/dev/null 2>&1 & wait`;
        const running = start(impl, ['--kill-child=SIGUSR1', 'sh', '-c', script], { scope });
        await waitForFile(pidfile);
        await waitForProcess(scope, 'sleep');
        running.kill('SIGKILL');
        const r = await running.result;
        const got = await waitForFile(outfile, 3000).catch(() => '(nothing)');
        return [`unshare: signal=${r.signal}`, `child: ${got}`];
      },
      ['unshare: signal=SIGKILL', 'child: child got USR1'],
    ));

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`[root] ${sig} to unshare --fork is blocked: it waits for the child and exits 0`, (t) =>
      differential(
        t,
        { parallel: true },
        async (impl, scope) => {
          const running = start(impl, ['--fork', 'sleep', '1'], { scope });
          await waitForProcess(scope, 'sleep');
          const t0 = Date.now();
          running.kill(sig);
          const r = await running.result;
          return [line('unshare', r), `waited for the child: ${Date.now() - t0 > 500}`];
        },
        ['unshare: status=0', 'waited for the child: true'],
      ));
  }

  // util-linux blocks SIGINT/SIGTERM before it forks, so once the program runs a SIGTERM can
  // never kill unshare. Run many instances at once (the load widens any window in which a
  // signal is not yet handled) and signal each as soon as its program has started.
  it('[root] stress: SIGTERM as soon as the program runs is always blocked (24 runs, 8 at a time)', (t) =>
    differential(
      t,
      {},
      async (impl, scope) => {
        const bad: string[] = [];
        const one = async (i: number): Promise<void> => {
          const mark = `NSBOX_STRESS=${scope.token}-${i}`;
          const running = start(impl, ['--fork', 'sleep', '0.3'], { scope, env: { NSBOX_STRESS: `${scope.token}-${i}` } });
          await waitFor(() => processesWithEnv(mark).find((p) => p.comm === 'sleep'), 10_000, 'the program');
          running.kill('SIGTERM');
          const r = await running.result;
          if (shellStatus(r) !== 0) bad.push(`run ${i}: status ${shellStatus(r)}${r.signal ? ` (${r.signal})` : ''}`);
        };
        for (let batch = 0; batch < 3; batch++) await Promise.all([...Array(8).keys()].map((k) => one(batch * 8 + k)));
        return bad.length ? bad : ['all 24 exited 0'];
      },
      ['all 24 exited 0'],
    ));

  it('[root] SIGTERM to unshare --fork --kill-child is blocked too', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const running = start(impl, ['--fork', '--kill-child', 'sleep', '1'], { scope });
        await waitForProcess(scope, 'sleep');
        running.kill('SIGTERM');
        return [line('unshare', await running.result)];
      },
      ['unshare: status=0'],
    ));

  it('[root] without --forward-signals the child never sees SIGTERM', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const running = start(impl, ['--fork', 'sh', '-c', 'trap "echo child got TERM; exit 7" TERM; sleep 1 & wait'], { scope });
        await waitForProcess(scope, 'sleep');
        running.kill('SIGTERM');
        return [line('unshare', await running.result)];
      },
      ['unshare: status=0'],
    ));

  it('[root] SIGHUP kills unshare --fork (129); the child lives on', (t) =>
    differential(
      t,
      { parallel: true },
      async (impl, scope) => {
        const { running, pid } = await startChild(impl, scope, ['--fork']);
        running.kill('SIGHUP');
        const r = await running.result;
        await delay(300);
        const survived = alive(pid);
        if (survived) process.kill(pid, 'SIGKILL');
        return [line('unshare', r), `signal=${r.signal}`, `child: ${survived ? 'alive' : 'dead'}`];
      },
      ['unshare: status=129', 'signal=SIGHUP', 'child: alive'],
    ));

  for (const [sig, status] of [
    ['SIGTERM', 7],
    ['SIGINT', 9],
  ] as const) {
    it(`[root][HEAD] --forward-signals: ${sig} reaches the child (status ${status})`, (t) =>
      differential(
        t,
        { head: '--forward-signals is new in 2.42' },
        async (impl, scope) => {
          const name = sig.slice(3);
          const script = `trap 'echo child got ${name}; kill $!; exit ${status}' ${name}; sleep 5 </dev/null >/dev/null 2>&1 & wait`;
          const running = start(impl, ['--fork', '--forward-signals', 'sh', '-c', script], { scope });
          await waitForProcess(scope, 'sleep');
          running.kill(sig);
          return [line('unshare', await running.result)];
        },
        [`unshare: status=${status} out="child got ${sig.slice(3)}"`],
      ));
  }
});
