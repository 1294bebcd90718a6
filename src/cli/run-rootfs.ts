/**
 * `nsbox run --rootfs DIR [options] [--] program [args]`: a container from a root filesystem
 * (src/container.ts has the defaults). Exit status as `nsbox run NAME`: the program's, 128+n
 * when it was killed, 1 for nsbox's own errors, 126/127 when the program cannot be executed.
 */
import { containerOptions, type ContainerChoices } from '../container.js';
import { IdMapError } from '../idmap.js';
import { buildSpec, SandboxOptionError, type ContainerMount } from '../options.js';
import { encodeSpec } from '../spec.js';
import { runCliHelper, type CliAttachment } from './run.js';

const PROG = 'nsbox run';

export const ROOTFS_USAGE = `Usage:
 ${PROG} --rootfs DIR [options] [--] <program> [<argument>...]

Run a program in a container whose root is DIR: new mount, pid, uts and ipc namespaces (and a
user namespace when not root, mapping you to root inside), pivot_root into DIR, a fresh /proc,
a minimal /dev, /sys read-only, /tmp as tmpfs, an init as pid 1.

Options:
 --rootfs DIR           the root file system (required)
 --ro                   the root is read-only
 --overlay[=DIR]        writes go to a tmpfs (or to DIR); DIR itself is never modified
 --bind SRC DST         bind SRC (host) on DST (inside), read-write
 --ro-bind SRC DST      the same, read-only
 --tmpfs DST[:SIZE]     a tmpfs on DST (SIZE in bytes, or with k, m, g)
 --env K=V              set an environment variable (repeatable)
 --cwd DIR              working directory inside (default /)
 --uid N, --gid N       ids of the program inside (default 0 with a user namespace)
 --net                  an isolated network namespace with only the loopback up
                        (default: the host's network, its resolv.conf and hosts bound in)
 --net=user             an isolated network namespace with outbound access through
                        pasta or slirp4netns
 --hostname NAME        hostname inside (default: from DIR's name)
 --no-new-session       keep the terminal as the program's controlling terminal (job
                        control; the program can then inject input into it: SECURITY.md)
 --new-session          the default: a new session, without a controlling terminal
 -h, --help             display this help

Example:
 ${PROG} --rootfs ./rootfs --overlay -- /bin/sh
`;

export class RootfsUsageError extends Error {}

/** `--new-session` / `--no-new-session`: for `nsbox run NAME` (before NAME) and `nsbox run --rootfs`. */
export function sessionFlag(a: string): boolean | undefined {
  if (a === '--new-session') return true;
  if (a === '--no-new-session') return false;
  return undefined;
}

export interface ParsedRootfsRun {
  rootfs: string;
  choices: ContainerChoices;
  env: Record<string, string>;
  userNet: boolean;
  program: string[];
  newSession: boolean;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `DST[:SIZE]`: the last ':' separates a size when what follows it is one. */
export function parseTmpfsArg(arg: string): ContainerMount {
  const m = /^(.*):(\d+)([kmg]?)$/i.exec(arg);
  if (!m) {
    if (!arg.startsWith('/')) throw new RootfsUsageError(`--tmpfs: '${arg}' is not an absolute path`);
    return { type: 'tmpfs', dst: arg };
  }
  const dst = m[1]!;
  const size = Number(m[2]) * SIZE_UNITS[m[3]!.toLowerCase()]!;
  if (!dst.startsWith('/')) throw new RootfsUsageError(`--tmpfs: '${dst}' is not an absolute path`);
  if (!Number.isSafeInteger(size)) throw new RootfsUsageError(`--tmpfs: size too large in '${arg}'`);
  return { type: 'tmpfs', dst, size };
}

function parseId(v: string, opt: string): number {
  if (!/^\d+$/.test(v) || Number(v) >= 0xffffffff) throw new RootfsUsageError(`${opt}: invalid id '${v}'`);
  return Number(v);
}

/** An empty path would quietly mean the current directory (or fail deep in the encoder). */
function nonEmpty(v: string, opt: string): string {
  if (v === '') throw new RootfsUsageError(`${opt}: empty path`);
  return v;
}

/** Options until the first non-option (or `--`); the rest is the program. */
export function parseRootfsArgs(args: readonly string[], baseEnv: Readonly<Record<string, string | undefined>>): ParsedRootfsRun | 'help' {
  const choices: ContainerChoices = {};
  const mounts: ContainerMount[] = [];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
  let rootfs: string | undefined;
  let userNet = false;
  let newSession = true;
  let i = 0;
  const value = (opt: string): string => {
    if (i + 1 >= args.length) throw new RootfsUsageError(`option '${opt}' requires an argument`);
    return args[++i]!;
  };
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const arg = (): string => inline ?? value(name);
    const session = sessionFlag(a);
    if (session !== undefined) {
      newSession = session;
      continue;
    }
    switch (name) {
      case '-h':
      case '--help':
        return 'help';
      case '--rootfs':
        rootfs = nonEmpty(arg(), name);
        break;
      case '--ro':
        choices.readOnly = true;
        break;
      case '--overlay':
        choices.overlay = inline ?? true;
        break;
      case '--bind':
      case '--ro-bind': {
        if (inline !== undefined) throw new RootfsUsageError(`option '${name}' takes two arguments: SRC DST`);
        const src = value(name);
        const dst = value(name);
        mounts.push({ type: name === '--bind' ? 'bind' : 'ro-bind', src, dst });
        break;
      }
      case '--tmpfs':
        mounts.push(parseTmpfsArg(arg()));
        break;
      case '--env': {
        const kv = arg();
        const k = kv.indexOf('=');
        if (k <= 0) throw new RootfsUsageError(`--env: expected K=V, got '${kv}'`);
        env[kv.slice(0, k)] = kv.slice(k + 1);
        break;
      }
      case '--cwd':
        choices.cwd = nonEmpty(arg(), name);
        break;
      case '--uid':
        choices.uid = parseId(arg(), '--uid');
        break;
      case '--gid':
        choices.gid = parseId(arg(), '--gid');
        break;
      case '--net':
        if (inline === undefined) choices.net = true;
        else if (inline === 'user') userNet = true;
        else throw new RootfsUsageError(`--net: unknown mode '${inline}' (--net or --net=user)`);
        break;
      case '--hostname':
        choices.hostname = arg();
        break;
      default:
        throw new RootfsUsageError(`unrecognized option '${a}'`);
    }
  }
  if (rootfs === undefined) throw new RootfsUsageError('no --rootfs given');
  const program = args.slice(i);
  if (program.length === 0) throw new RootfsUsageError('no program given');
  if (mounts.length) choices.mounts = mounts;
  return { rootfs, choices, env, userNet, program, newSession };
}

/** `--net=user`: the other engineer's pasta/slirp4netns starter, loaded only when asked for. */
async function userNetAttachment(): Promise<CliAttachment> {
  const { findUserNetTool, startUserNet } = await import('../netuser.js');
  // Say it before anything runs when neither tool is installed.
  findUserNetTool();
  return (pid) => startUserNet(pid);
}

function fail(message: string, usage = false): never {
  process.stderr.write(`${PROG}: ${message}\n`);
  if (usage) process.stderr.write(`Try '${PROG} --help' for more information.\n`);
  process.exit(1);
}

export async function runRootfs(args: readonly string[]): Promise<void> {
  let parsed: ParsedRootfsRun | 'help';
  try {
    parsed = parseRootfsArgs(args, process.env);
  } catch (e) {
    if (e instanceof RootfsUsageError) fail(e.message, true);
    throw e;
  }
  if (parsed === 'help') {
    process.stdout.write(ROOTFS_USAGE);
    return;
  }
  const { rootfs, choices, env, userNet, program, newSession } = parsed;
  let spec;
  let attach: CliAttachment | undefined;
  try {
    if (userNet) attach = await userNetAttachment();
    const options = containerOptions(rootfs, userNet ? { ...choices, net: true } : choices);
    // The user network's nameservers are the host's: keep its resolv.conf and hosts too.
    if (userNet) {
      const shared = containerOptions(rootfs, { ...choices, net: false }).mounts ?? [];
      options.mounts = shared;
    }
    options.newSession = newSession;
    spec = buildSpec(program[0]!, program.slice(1), options, { parentPid: process.pid });
  } catch (e) {
    if (e instanceof SandboxOptionError || e instanceof IdMapError) fail(e.message);
    if (e instanceof Error && e.name === 'UserNetError') fail(e.message);
    throw e;
  }
  await runCliHelper(PROG, spec, encodeSpec, env, attach);
}
