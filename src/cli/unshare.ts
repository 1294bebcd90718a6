/**
 * `nsbox unshare`: the command line of util-linux `unshare(1)` (HEAD), parsed into a
 * `SandboxSpec`. Every option, implication, default and error message follows
 * `sys-utils/unshare.c`; the native helper then executes the spec in util-linux's order.
 *
 * Besides parsing, this settles what util-linux decides at run time from data that is already
 * known here: which process writes each id map, the default shell, the environment the program
 * gets, and the few run-time errors that follow from the options alone (`--setgroups=allow` with
 * a self-written gid map, empty paths).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NAMESPACE_KINDS, type IdMapSpec, type NamespaceKind, type Propagation, type SandboxSpec } from '../spec.js';
import { OPTION_KINDS, type NamespaceSet, NS_OPTION_LETTERS } from '../namespaces.js';
import { buildSpec, DEFAULT_MAP_FILES, SandboxOptionError, type MapFiles, type MapSource, type SandboxOptions } from '../options.js';
import { scanU32List, strerror, ulStrtos64, ulStrtou64 } from '../libc.js';
import {
  IdMapError,
  mapIdInward,
  NO_ID,
  parseMapRange,
  type MapRange,
} from '../idmap.js';
import { signalNumber, signameToSignum } from '../signals.js';
import { defaultShell, loginShellArgv0, lookupGroupId, lookupUserId } from '../users.js';
import { getoptLong, usageErrorExit, versionExit, type ExitAction, type LongOption } from './getopt.js';

/** Files the parser reads (those of buildSpec, plus one); tests point them elsewhere. */
export interface UnshareFiles extends MapFiles {
  /** The id an unmapped uid shows as inside a user namespace. */
  overflowuid: string;
}

export const DEFAULT_FILES: Readonly<UnshareFiles> = { ...DEFAULT_MAP_FILES, overflowuid: '/proc/sys/kernel/overflowuid' };

export interface UnshareContext {
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  env: Record<string, string | undefined>;
  /** Printed before every message, e.g. `nsbox unshare`. */
  progName: string;
  version: string;
  files?: Partial<UnshareFiles>;
}

export type UnshareParse =
  | { action: 'run'; spec: SandboxSpec; env: Record<string, string> }
  | ExitAction;

/** util-linux `_PATH_PROC_BINFMT_MISC`. */
export const BINFMT_MISC_DIR = '/proc/sys/fs/binfmt_misc';

export const SHORTOPTS = '+fhVmuinpCTUrR:w:S:G:cl:';

/** util-linux's `longopts[]`, in its order (which is the order glibc lists ambiguous matches in). */
export const LONGOPTS: readonly LongOption[] = [
  { name: 'help', hasArg: 'none', val: 'h' },
  { name: 'version', hasArg: 'none', val: 'V' },
  { name: 'mount', hasArg: 'optional', val: 'm' },
  { name: 'uts', hasArg: 'optional', val: 'u' },
  { name: 'ipc', hasArg: 'optional', val: 'i' },
  { name: 'net', hasArg: 'optional', val: 'n' },
  { name: 'pid', hasArg: 'optional', val: 'p' },
  { name: 'user', hasArg: 'optional', val: 'U' },
  { name: 'cgroup', hasArg: 'optional', val: 'C' },
  { name: 'time', hasArg: 'optional', val: 'T' },
  { name: 'fork', hasArg: 'none', val: 'f' },
  { name: 'kill-child', hasArg: 'optional', val: 'kill-child' },
  { name: 'forward-signals', hasArg: 'none', val: 'forward-signals' },
  { name: 'mount-proc', hasArg: 'optional', val: 'mount-proc' },
  { name: 'mount-binfmt', hasArg: 'optional', val: 'mount-binfmt' },
  { name: 'map-user', hasArg: 'required', val: 'map-user' },
  { name: 'map-users', hasArg: 'required', val: 'map-users' },
  { name: 'map-group', hasArg: 'required', val: 'map-group' },
  { name: 'map-groups', hasArg: 'required', val: 'map-groups' },
  { name: 'map-root-user', hasArg: 'none', val: 'r' },
  { name: 'map-current-user', hasArg: 'none', val: 'c' },
  { name: 'map-auto', hasArg: 'none', val: 'map-auto' },
  { name: 'map-subids', hasArg: 'none', val: 'map-subids' },
  { name: 'owner', hasArg: 'required', val: 'owner' },
  { name: 'propagation', hasArg: 'required', val: 'propagation' },
  { name: 'setgroups', hasArg: 'required', val: 'setgroups' },
  { name: 'keep-caps', hasArg: 'none', val: 'keep-caps' },
  { name: 'setuid', hasArg: 'required', val: 'S' },
  { name: 'setgid', hasArg: 'required', val: 'G' },
  { name: 'root', hasArg: 'required', val: 'R' },
  { name: 'wd', hasArg: 'required', val: 'w' },
  { name: 'monotonic', hasArg: 'required', val: 'monotonic' },
  { name: 'boottime', hasArg: 'required', val: 'boottime' },
  { name: 'load-interp', hasArg: 'required', val: 'l' },
  { name: 'clear-env', hasArg: 'none', val: 'clear-env' },
  { name: 'whitelist-env', hasArg: 'required', val: 'whitelist-env' },
];


const PROPAGATIONS: readonly Propagation[] = ['slave', 'private', 'shared', 'unchanged'];

/** The usage text, modelled on util-linux's usage() (same wording and layout). */
export function usageText(progName: string): string {
  const helpLine = (opt: string, text: string): string => `${opt.padEnd(27)}${text}\n`;
  return (
    '\nUsage:\n' +
    ` ${progName} [options] [<program> [<argument>...]]\n` +
    '\n' +
    'Run a program with some namespaces unshared from the parent.\n' +
    '\nOptions:\n' +
    ' -m, --mount[=<file>]      unshare mounts namespace\n' +
    ' -u, --uts[=<file>]        unshare UTS namespace (hostname etc)\n' +
    ' -i, --ipc[=<file>]        unshare System V IPC namespace\n' +
    ' -n, --net[=<file>]        unshare network namespace\n' +
    ' -p, --pid[=<file>]        unshare pid namespace\n' +
    ' -U, --user[=<file>]       unshare user namespace\n' +
    ' -C, --cgroup[=<file>]     unshare cgroup namespace\n' +
    ' -T, --time[=<file>]       unshare time namespace\n' +
    '\n' +
    ' --mount-proc[=<dir>]      mount proc filesystem first (implies --mount)\n' +
    ' --mount-binfmt[=<dir>]    mount binfmt filesystem first (implies --user and --mount)\n' +
    ' -l, --load-interp <file>  load binfmt definition in the namespace (implies --mount-binfmt)\n' +
    ' --propagation slave|shared|private|unchanged\n' +
    '                           modify mount propagation in mount namespace\n' +
    ' -R, --root <dir>          run the command with root directory set to <dir>\n' +
    ' -w, --wd <dir>            change working directory to <dir>\n' +
    '\n' +
    ' -S, --setuid <uid>        set uid in entered namespace\n' +
    ' -G, --setgid <gid>        set gid in entered namespace\n' +
    ' --map-user <uid>|<name>   map current user to uid (implies --user)\n' +
    ' --map-group <gid>|<name>  map current group to gid (implies --user)\n' +
    ' -r, --map-root-user       map current user to root (implies --user)\n' +
    ' -c, --map-current-user    map current user to itself (implies --user)\n' +
    ' --map-auto                map users and groups automatically (implies --user)\n' +
    ' --map-subids              map the first block of user IDs owned by euid (implies --user)\n' +
    ' --map-users <inneruid>:<outeruid>:<count>\n' +
    '                           map count users from outeruid to inneruid (implies --user)\n' +
    ' --map-groups <innergid>:<outergid>:<count>\n' +
    '                           map count groups from outergid to innergid (implies --user)\n' +
    ' --owner <uid>:<gid>       set the user namespace owner (implies --user)\n' +
    '\n' +
    ' -f, --fork                fork before launching <program>\n' +
    ' --kill-child[=<signame>]  when dying, kill the forked child (implies --fork)\n' +
    '                             defaults to SIGKILL\n' +
    ' --forward-signals         forward SIGTERM and SIGINT to child (implies --fork)\n' +
    '\n' +
    ' --setgroups allow|deny    control the setgroups syscall in user namespaces\n' +
    ' --keep-caps               retain capabilities granted in user namespaces\n' +
    '\n' +
    ' --monotonic <offset>      set clock monotonic offset (seconds) in time namespaces\n' +
    ' --boottime <offset>       set clock boottime offset (seconds) in time namespaces\n' +
    ' --clear-env               do not inherit environment variables from the calling process\n' +
    ' --whitelist-env <list>    clear environment except for specified variables\n' +
    '\n' +
    helpLine(' -h, --help', 'display this help') +
    helpLine(' -V, --version', 'display version') +
    '\nFor more details see unshare(1).\n'
  );
}

/** A util-linux errx()/err() exit: the message without the program name. */
class Fail extends Error {
  constructor(message: string, readonly status = 1) {
    super(message);
  }
}

/** util-linux `str2unum_or_err()`-based parsers: `<what>: '<str>'`, plus strerror for ERANGE. */
function numberError(what: string, str: string, errno: 'EINVAL' | 'ERANGE'): Fail {
  return new Fail(`${what}: '${str}'${errno === 'ERANGE' ? `: ${strerror('ERANGE')}` : ''}`);
}

/** `-S`/`-G`: strtoul_or_err(). Ids the kernel cannot take ((uid_t)-1 and above) are refused as out of range. */
function parseSetId(str: string, what: string): number {
  const r = ulStrtou64(str);
  if (!r.ok) throw numberError(what, str, r.errno);
  if (r.value >= 0xffffffffn) throw numberError(what, str, 'ERANGE');
  return Number(r.value);
}

/** `--monotonic`/`--boottime`: strtos64_or_err(). */
function parseOffset(str: string, what: string): bigint {
  const r = ulStrtos64(str);
  if (!r.ok) throw numberError(what, str, r.errno);
  return r.value;
}

/** `--owner`: `sscanf(arg, "%u:%u%n")` consuming the whole argument. */
function parseOwner(str: string): { uid: number; gid: number } {
  const v = scanU32List(str, [':']);
  if (!v) throw new Fail('failed to parse owner');
  return { uid: v[0]!, gid: v[1]! };
}

/** `--map-users`/`--map-groups` with an explicit range. (uid_t)-1 outside is refused here: no kernel takes it. */
function parseRangeArg(str: string): MapRange {
  const r = parseMapRange(str);
  if (r.outer === NO_ID) throw new Fail(`invalid mapping '${str}'`);
  return r;
}

function readOverflowId(file: string): number {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : 65534;
  } catch {
    return 65534;
  }
}

/** Parse `nsbox unshare` arguments (without the program name). */
export function parseUnshare(args: string[], ctx: UnshareContext): UnshareParse {
  try {
    return parse(args, ctx);
  } catch (e) {
    if (e instanceof Fail) return { action: 'exit', status: e.status, stdout: '', stderr: `${ctx.progName}: ${e.message}\n` };
    if (e instanceof IdMapError || e instanceof SandboxOptionError) return { action: 'exit', status: 1, stdout: '', stderr: `${ctx.progName}: ${e.message}\n` };
    throw e;
  }
}

function parse(args: string[], ctx: UnshareContext): UnshareParse {
  const files: UnshareFiles = { ...DEFAULT_FILES, ...ctx.files };
  const g = getoptLong(args, SHORTOPTS, LONGOPTS);

  const namespaces = new Set<NamespaceKind>();
  const persist: Partial<Record<NamespaceKind, string>> = {};
  let fork = false;
  let forwardSignals = false;
  let killChildSignal = 0;
  let mapuser = NO_ID;
  let mapgroup = NO_ID;
  let owneruser = NO_ID;
  let ownergroup = NO_ID;
  // Map sources in the order given; buildSpec() expands and merges them as util-linux does.
  const userSources: MapSource[] = [];
  const groupSources: MapSource[] = [];
  let procmnt: string | undefined;
  let binfmtMnt: string | undefined;
  let newinterp: string | undefined;
  let propagation: Propagation = 'private';
  let setgroups: 'allow' | 'deny' | undefined;
  let keepCaps = false;
  let setuid: number | undefined;
  let setgid: number | undefined;
  let newroot: string | undefined;
  let newdir: string | undefined;
  let monotonic: bigint | undefined;
  let boottime: bigint | undefined;
  let clearEnv = false;
  let whitelist: Map<string, string> | undefined;

  for (const { opt, arg } of g.options) {
    const kind = NS_OPTION_LETTERS[opt];
    if (kind !== undefined) {
      namespaces.add(kind);
      if (arg !== undefined) persist[kind] = arg;
      continue;
    }
    switch (opt) {
      case 'f':
        fork = true;
        break;
      case 'mount-proc':
        namespaces.add('mnt');
        procmnt = arg ?? '/proc';
        break;
      case 'mount-binfmt':
        namespaces.add('mnt');
        namespaces.add('user');
        binfmtMnt = arg;
        if (binfmtMnt === undefined) {
          procmnt ??= '/proc';
          binfmtMnt = BINFMT_MISC_DIR;
        }
        break;
      case 'map-user': {
        namespaces.add('user');
        const r = lookupUserId(arg!, files.passwd);
        if (!r.ok) throw new Fail(`failed to parse uid '${arg!}': ${strerror(r.errno)}`);
        mapuser = r.id;
        break;
      }
      case 'map-group': {
        namespaces.add('user');
        const r = lookupGroupId(arg!, files.group);
        if (!r.ok) throw new Fail(`failed to parse gid '${arg!}': ${strerror(r.errno)}`);
        mapgroup = r.id;
        break;
      }
      case 'r':
        namespaces.add('user');
        mapuser = 0;
        mapgroup = 0;
        break;
      case 'c':
        namespaces.add('user');
        mapuser = ctx.euid;
        mapgroup = ctx.egid;
        break;
      case 'map-users':
        namespaces.add('user');
        userSources.push(arg === 'auto' || arg === 'subids' || arg === 'all' ? arg : parseRangeArg(arg!));
        break;
      case 'map-groups':
        namespaces.add('user');
        groupSources.push(arg === 'auto' || arg === 'subids' || arg === 'all' ? arg : parseRangeArg(arg!));
        break;
      case 'map-auto':
        namespaces.add('user');
        userSources.push('auto');
        groupSources.push('auto');
        break;
      case 'map-subids':
        namespaces.add('user');
        userSources.push('subids');
        groupSources.push('subids');
        break;
      case 'owner': {
        namespaces.add('user');
        const o = parseOwner(arg!);
        owneruser = o.uid;
        ownergroup = o.gid;
        break;
      }
      case 'setgroups':
        if (arg !== 'allow' && arg !== 'deny') throw new Fail(`unsupported --setgroups argument '${arg!}'`);
        setgroups = arg;
        break;
      case 'propagation': {
        const p = PROPAGATIONS.find((x) => x === arg);
        if (p === undefined) throw new Fail(`unsupported propagation mode: ${arg!}`);
        propagation = p;
        break;
      }
      case 'kill-child':
        fork = true;
        if (arg !== undefined) {
          const signo = signameToSignum(arg);
          if (signo < 0) throw new Fail(`unknown signal: ${arg}`);
          killChildSignal = signo;
        } else {
          killChildSignal = signalNumber('SIGKILL');
        }
        break;
      case 'keep-caps':
        keepCaps = true;
        break;
      case 'forward-signals':
        fork = true;
        forwardSignals = true;
        break;
      case 'S':
        setuid = parseSetId(arg!, 'failed to parse uid');
        break;
      case 'G':
        setgid = parseSetId(arg!, 'failed to parse gid');
        break;
      case 'R':
        newroot = arg!;
        break;
      case 'w':
        newdir = arg!;
        break;
      case 'monotonic':
        monotonic = parseOffset(arg!, 'failed to parse monotonic offset');
        break;
      case 'boottime':
        boottime = parseOffset(arg!, 'failed to parse boottime offset');
        break;
      case 'l':
        namespaces.add('mnt');
        namespaces.add('user');
        if (binfmtMnt === undefined) {
          procmnt ??= '/proc';
          binfmtMnt = BINFMT_MISC_DIR;
        }
        newinterp = arg!;
        break;
      case 'clear-env':
        clearEnv = true;
        break;
      case 'whitelist-env':
        whitelist ??= new Map();
        for (const name of arg!.split(',')) {
          // getenv() of each listed name that is set; a name holding '=' can never be set.
          if (name === '' || name.includes('=')) continue;
          const value = ctx.env[name];
          if (value !== undefined) whitelist.set(name, value);
        }
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

  // The owner is applied with setgroups/setgid/setuid, each only when its id was given.
  let owner: { uid: number; gid: number } | undefined;
  if (owneruser !== NO_ID || ownergroup !== NO_ID) {
    if (owneruser === NO_ID || ownergroup === NO_ID) throw new Fail('failed to parse owner');
    owner = { uid: owneruser, gid: ownergroup };
  }

  // Run-time failures that follow from the options alone, in util-linux's order.
  for (const kind of NAMESPACE_KINDS) {
    if (persist[kind] === '') {
      const file = kind === 'pid' ? 'pid_for_children' : kind === 'time' ? 'time_for_children' : kind;
      throw new Fail(`mount /proc/self/ns/${file} on  failed: ${strerror('ENOENT')}`);
    }
  }
  if (newroot === '') throw new Fail(`cannot change root directory to '': ${strerror('ENOENT')}`);
  if (newdir === '') throw new Fail(`cannot change directory to : ${strerror('ENOENT')}`);
  if (procmnt === '') throw new Fail(`mount  failed: ${strerror('ENOENT')}`);
  if (binfmtMnt === '') throw new Fail(`mount  failed: ${strerror('ENOENT')}`);

  // The program's environment.
  let env: Record<string, string>;
  if (whitelist) env = Object.fromEntries(whitelist);
  else if (clearEnv) env = {};
  else {
    env = {};
    for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
  }

  // The same options the library takes; buildSpec() settles maps, implications and conflicts.
  const byKind = Object.fromEntries(OPTION_KINDS.map(([opt, kind]) => [kind, opt])) as Record<NamespaceKind, keyof NamespaceSet>;
  const options: SandboxOptions = {
    persist: {},
    fork,
    killChild: killChildSignal || false,
    forwardSignals: fork && forwardSignals ? ['SIGTERM', 'SIGINT'] : false,
    blockSignals: fork && !forwardSignals ? ['SIGINT', 'SIGTERM'] : [],
    // The CLI runner arms the parent-death signal itself (src/cli/run.ts).
    dieWithParent: false,
    propagation,
    keepCaps,
    mapUsers: userSources,
    mapGroups: groupSources,
  };
  for (const kind of namespaces) options[byKind[kind]] = true;
  for (const [kind, target] of Object.entries(persist) as [NamespaceKind, string][]) options.persist![byKind[kind]] = target;
  if (mapuser !== NO_ID) options.mapUser = mapuser;
  if (mapgroup !== NO_ID) options.mapGroup = mapgroup;
  if (owner) options.owner = owner;
  if (procmnt !== undefined) options.mountProc = procmnt;
  if (binfmtMnt !== undefined) options.mountBinfmt = binfmtMnt;
  if (newinterp !== undefined) options.loadInterp = newinterp;
  if (newroot !== undefined) options.root = newroot;
  if (newdir !== undefined) options.wd = newdir;
  if (setuid !== undefined) options.setuid = setuid;
  if (setgid !== undefined) options.setgid = setgid;
  if (setgroups) options.setgroups = setgroups;
  if (monotonic !== undefined || boottime !== undefined) options.timeOffsets = { monotonic, boottime };

  // The program: the first operand, or the default shell as a login shell (chosen below, once
  // the uid the program will run as is known).
  const operands = g.operands;
  const spec = buildSpec(operands[0] ?? '', operands.slice(1), options, {
    parentPid: 0,
    euid: ctx.euid,
    egid: ctx.egid,
    path: ctx.env.PATH,
    files,
  });
  if (operands.length === 0) {
    const uid = uidAtExec(ctx, files, namespaces.has('user'), owner, spec.uidMap, setuid);
    const passwd = newroot === undefined ? files.passwd : join(resolve(newroot), files.passwd);
    spec.file = defaultShell(env, uid, passwd);
    spec.argv = [loginShellArgv0(spec.file)];
  }
  return { action: 'run', spec, env };
}

/**
 * getuid() as the program's process sees it when util-linux execs the default shell: after
 * `--owner`, inside the new user namespace (unmapped → overflowuid), after `-S`.
 */
function uidAtExec(
  ctx: UnshareContext,
  files: UnshareFiles,
  newUserNs: boolean,
  owner: { uid: number; gid: number } | undefined,
  uidMap: IdMapSpec | undefined,
  setuid: number | undefined,
): number {
  if (setuid !== undefined) return setuid;
  let kuid = ctx.uid;
  if (owner && ctx.euid === 0) kuid = owner.uid;
  if (!newUserNs) return kuid;
  const inner = uidMap ? mapIdInward(uidMap.ranges, kuid) : undefined;
  return inner ?? readOverflowId(files.overflowuid);
}
