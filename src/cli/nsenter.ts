/**
 * `nsbox nsenter`: the command line of util-linux `nsenter(1)` (HEAD), parsed into an
 * `EnterRequest`; `planEnter()` then makes util-linux's run-time decisions and the helper joins
 * the namespaces in enter mode (docs/PROTOCOL.md §5).
 *
 * Where nsbox differs on purpose: a failed join always names its namespace (HEAD's pidfd path
 * says `reassociate to namespaces failed`), `--all` without `--target` says so (HEAD says
 * `stat of /proc/0/ns/user failed`), `-Z` is refused on SELinux systems (no SELinux support).
 */
import { NS_OPTION_LETTERS } from '../namespaces.js';
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { encodeEnterSpec } from '../enterspec.js';
import { DEFAULT_SYS, EnterSetupError, planEnter, type EnterRequest, type EnterSys } from '../enterplan.js';
import { errnoCode, strerror, ulStrtou64 } from '../libc.js';
import type { EnterSpec } from '../enterspec.js';
import { getoptLong, usageErrorExit, versionExit, type ExitAction, type LongOption } from './getopt.js';
import { runCliHelper } from './run.js';
import { VERSION } from '../version.js';

export const SHORTOPTS = '+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W::ecFZ';

/** util-linux's `longopts[]`, in its order (`follow-context` exists in SELinux builds). */
export const LONGOPTS: readonly LongOption[] = [
  { name: 'all', hasArg: 'none', val: 'a' },
  { name: 'help', hasArg: 'none', val: 'h' },
  { name: 'version', hasArg: 'none', val: 'V' },
  { name: 'target', hasArg: 'required', val: 't' },
  { name: 'mount', hasArg: 'optional', val: 'm' },
  { name: 'uts', hasArg: 'optional', val: 'u' },
  { name: 'ipc', hasArg: 'optional', val: 'i' },
  { name: 'net', hasArg: 'optional', val: 'n' },
  { name: 'net-socket', hasArg: 'required', val: 'N' },
  { name: 'pid', hasArg: 'optional', val: 'p' },
  { name: 'user', hasArg: 'optional', val: 'U' },
  { name: 'cgroup', hasArg: 'optional', val: 'C' },
  { name: 'time', hasArg: 'optional', val: 'T' },
  { name: 'setuid', hasArg: 'required', val: 'S' },
  { name: 'setgid', hasArg: 'required', val: 'G' },
  { name: 'root', hasArg: 'optional', val: 'r' },
  { name: 'wd', hasArg: 'optional', val: 'w' },
  { name: 'wdns', hasArg: 'optional', val: 'W' },
  { name: 'env', hasArg: 'none', val: 'e' },
  { name: 'no-fork', hasArg: 'none', val: 'F' },
  { name: 'join-cgroup', hasArg: 'none', val: 'c' },
  { name: 'preserve-credentials', hasArg: 'none', val: 'preserve-credentials' },
  { name: 'keep-caps', hasArg: 'none', val: 'keep-caps' },
  { name: 'user-parent', hasArg: 'none', val: 'user-parent' },
  { name: 'follow-context', hasArg: 'none', val: 'Z' },
];


export function usageText(progName: string): string {
  return (
    '\nUsage:\n' +
    ` ${progName} [options] [<program> [<argument>...]]\n` +
    '\n' +
    'Run a program with namespaces of other processes.\n' +
    '\nOptions:\n' +
    ' -a, --all                     enter all namespaces\n' +
    ' -t, --target <PID>            target process to get namespaces from\n' +
    ' -m, --mount[=<file>]          enter mount namespace\n' +
    ' -u, --uts[=<file>]            enter UTS namespace (hostname etc)\n' +
    ' -i, --ipc[=<file>]            enter System V IPC namespace\n' +
    ' -n, --net[=<file>]            enter network namespace\n' +
    " -N, --net-socket <fd>         enter socket's network namespace (needs --target)\n" +
    ' -p, --pid[=<file>]            enter pid namespace\n' +
    ' -C, --cgroup[=<file>]         enter cgroup namespace\n' +
    ' -U, --user[=<file>]           enter user namespace\n' +
    '     --user-parent             enter parent user namespace\n' +
    ' -T, --time[=<file>]           enter time namespace\n' +
    ' -S, --setuid[=<uid>]          set uid in entered namespace\n' +
    ' -G, --setgid[=<gid>]          set gid in entered namespace\n' +
    '     --preserve-credentials    do not touch uids or gids\n' +
    '     --keep-caps               retain capabilities granted in user namespaces\n' +
    ' -r, --root[=<dir>]            set the root directory\n' +
    ' -w, --wd[=<dir>]              set the working directory\n' +
    ' -W, --wdns <dir>              set the working directory in namespace\n' +
    ' -e, --env                     inherit environment variables from target process\n' +
    " -F, --no-fork                 do not fork before exec'ing <program>\n" +
    ' -c, --join-cgroup             join the cgroup of the target process\n' +
    ' -Z, --follow-context          set SELinux context according to --target PID (refused: no SELinux support)\n' +
    '\n' +
    ` -h, --help                    display this help\n` +
    ` -V, --version                 display version\n` +
    '\nFor more details see nsenter(1).\n'
  );
}

export interface NsenterContext {
  uid: number;
  env: Record<string, string | undefined>;
  progName: string;
  version: string;
  /** Whether SELinux is enabled (`-Z` would need it). */
  selinux: boolean;
  sys?: EnterSys;
  /** open(2) for reading, as util-linux does for files named on the command line; throws. */
  checkOpen?: (path: string) => void;
}

export type NsenterParse =
  | { action: 'run'; spec: EnterSpec; env: Record<string, string> }
  | ExitAction;

function defaultCheckOpen(path: string): void {
  fs.closeSync(fs.openSync(path, fs.constants.O_RDONLY));
}

/** `-t`: HEAD's ul_parse_pid_str(): `PID` or `PID:inode`. */
function parsePid(str: string): { pid: number; ino?: bigint } {
  const bad = (errno: 'EINVAL' | 'ERANGE'): never => {
    throw new EnterSetupError(`failed to parse PID argument '${str}': ${strerror(errno)}`);
  };
  // strtoimax(): leading blanks and a sign, then digits.
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)(.*)$/s.exec(str);
  if (!m) return bad('EINVAL');
  const num = BigInt(`${m[1]}${m[2]}`);
  if (num <= 0n || num > 0x7fffffffn) return bad('ERANGE');
  const rest = m[3]!;
  if (rest === '') return { pid: Number(num) };
  if (!rest.startsWith(':')) return bad('EINVAL');
  const ino = ulStrtou64(rest.slice(1));
  if (!ino.ok) return bad(ino.errno);
  if (ino.value === 0n) return bad('ERANGE');
  return { pid: Number(num), ino: ino.value };
}

/** strtoul_or_err() / str2num_or_err(): `<what>: '<str>'`, plus strerror for ERANGE. */
function parseNumber(str: string, what: string, max: bigint): number {
  const r = ulStrtou64(str);
  if (!r.ok) throw new EnterSetupError(`${what}: '${str}'${r.errno === 'ERANGE' ? `: ${strerror('ERANGE')}` : ''}`);
  if (r.value > max) throw new EnterSetupError(`${what}: '${str}': ${strerror('ERANGE')}`);
  return Number(r.value);
}

/** Parse `nsbox nsenter` arguments (without the program name). */
export function parseNsenter(args: string[], ctx: NsenterContext): NsenterParse {
  try {
    return parse(args, ctx);
  } catch (e) {
    if (e instanceof EnterSetupError) return { action: 'exit', status: 1, stdout: '', stderr: `${ctx.progName}: ${e.message}\n` };
    throw e;
  }
}

function parse(args: string[], ctx: NsenterContext): NsenterParse {
  const checkOpen = ctx.checkOpen ?? defaultCheckOpen;
  const opened = (path: string): string => {
    try {
      checkOpen(path);
    } catch (e) {
      throw new EnterSetupError(`cannot open ${path}: ${strerror(errnoCode(e))}`);
    }
    return path;
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
  const req: EnterRequest = {
    all: false,
    ns: {},
    userParent: false,
    preserveCredentials: false,
    keepCaps: false,
    targetEnv: false,
    joinCgroup: false,
    args: [],
    env,
    uid: ctx.uid,
  };
  let sawW = false;
  let sawWd = false;
  let followContext = false;

  const g = getoptLong(args, SHORTOPTS, LONGOPTS);
  for (const { opt, arg } of g.options) {
    // err_exclusive_options(): --wd and --wdns, whatever order they come in.
    if (opt === 'w' || opt === 'W') {
      if (opt === 'w') sawWd = true;
      else sawW = true;
      if (sawW && sawWd) throw new EnterSetupError('mutually exclusive arguments: --wdns --wd');
    }
    const kind = NS_OPTION_LETTERS[opt];
    if (kind !== undefined) {
      // A leading '=' is dropped (`-m=/file`); a file is opened right away, as util-linux does.
      const file = arg !== undefined && arg.startsWith('=') ? arg.slice(1) : arg;
      req.ns[kind] = file !== undefined ? opened(file) : true;
      continue;
    }
    switch (opt) {
      case 'a':
        req.all = true;
        break;
      case 't': {
        if (req.target !== undefined) throw new EnterSetupError('option --target may be given only once');
        const t = parsePid(arg!);
        req.target = t.pid;
        if (t.ino !== undefined) req.targetIno = t.ino;
        break;
      }
      case 'N':
        req.netSocket = parseNumber(arg!, 'failed to parse file descriptor', 0x7fffffffn);
        break;
      case 'S':
        req.setuid = arg === 'follow' ? 'follow' : parseNumber(arg!, 'failed to parse uid', 0xfffffffen);
        break;
      case 'G':
        req.setgid = arg === 'follow' ? 'follow' : parseNumber(arg!, 'failed to parse gid', 0xfffffffen);
        break;
      case 'F':
        req.fork = false;
        break;
      case 'c':
        req.joinCgroup = true;
        break;
      case 'r':
        req.root = arg !== undefined ? opened(arg) : true;
        break;
      case 'w': {
        const dir = arg !== undefined && arg.startsWith('=') ? arg.slice(1) : arg;
        req.wd = dir !== undefined ? opened(dir) : true;
        break;
      }
      case 'W': {
        const dir = arg !== undefined && arg.startsWith('=') ? arg.slice(1) : arg;
        if (dir !== undefined) req.wdns = dir;
        break;
      }
      case 'e':
        req.targetEnv = true;
        break;
      case 'preserve-credentials':
        req.preserveCredentials = true;
        break;
      case 'keep-caps':
        req.keepCaps = true;
        break;
      case 'user-parent':
        req.userParent = true;
        break;
      case 'Z':
        followContext = true;
        break;
      case 'h':
        return { action: 'exit', status: 0, stdout: usageText(ctx.progName), stderr: '' };
      case 'V':
        return versionExit(ctx.progName, ctx.version);
      default:
        throw new Error(`getopt returned an unhandled option '${opt}'`);
    }
  }
  if (g.error) {
    return usageErrorExit(ctx.progName, g.error.message);
  }
  // util-linux acts on -Z only when SELinux is enabled; there nsbox cannot set the context.
  if (followContext && ctx.selinux) {
    if (req.target === undefined) throw new EnterSetupError('no target PID specified for --follow-context');
    throw new EnterSetupError('--follow-context is not supported: nsbox has no SELinux support');
  }
  if (req.wdns === '') throw new EnterSetupError(`cannot open current working directory: ${strerror('ENOENT')}`);
  if (g.operands.length > 0) {
    req.file = g.operands[0]!;
    req.args = g.operands.slice(1);
  }
  const plan = planEnter(req, ctx.sys ?? DEFAULT_SYS);
  return { action: 'run', spec: plan.spec, env: plan.env };
}

function selinuxEnabled(): boolean {
  try {
    return fs.statfsSync('/sys/fs/selinux').type === 0xf97cff8c;
  } catch {
    return false;
  }
}

/** `nsbox nsenter ...` (called by main.ts). */
export async function runNsenter(args: string[]): Promise<void> {
  const progName = 'nsbox nsenter';
  const parsed = parseNsenter(args, {
    uid: process.getuid?.() ?? 0,
    env: process.env,
    progName,
    version: VERSION,
    selinux: selinuxEnabled(),
  });
  if (parsed.action === 'exit') {
    if (parsed.stdout) process.stdout.write(parsed.stdout);
    if (parsed.stderr) process.stderr.write(parsed.stderr);
    process.exitCode = parsed.status;
    return;
  }
  // A deliberate difference from util-linux: the child forked for a pid namespace dies with us
  // (SIGKILL), where util-linux nsenter's would outlive a SIGKILLed nsenter as an orphan.
  const spec: EnterSpec = parsed.spec.fork ? { ...parsed.spec, killChildSignal: constants.signals.SIGKILL } : parsed.spec;
  await runCliHelper(progName, spec, encodeEnterSpec, parsed.env);
}
