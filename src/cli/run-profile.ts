/**
 * `nsbox run [--profile-dir DIR] NAME [--] [program [args]]`: run a program (default: the
 * profile's `command`) with a profile's isolation settings (src/profiles/run.ts has the
 * defaults). Exit status as bubblewrap's: the program's code, 128+n (by re-raising the signal)
 * when it was killed; 1 for nsbox's own errors, 126/127 when the program cannot be executed.
 */
import { buildSpec, SandboxOptionError } from '../options.js';
import { encodeSpec } from '../spec.js';
import { IdMapError } from '../idmap.js';
import { loadProfile } from '../profiles/store.js';
import { ProfileError } from '../profiles/validate.js';
import { profileToOptions } from '../profiles/run.js';
import { runCliHelper } from './run.js';
import { ROOTFS_USAGE, runRootfs, sessionFlag } from './run-rootfs.js';

const PROG = 'nsbox run';

export const RUN_USAGE = `Usage:
 ${PROG} [--profile-dir DIR] NAME [--] [<program> [<argument>...]]

Run a program with the isolation settings of profile NAME (see 'nsbox profile').
Without a program, the profile's command runs ('nsbox profile NAME command set ...').

Options:
 --profile-dir DIR  the profile directory (default: $NSBOX_PROFILE_DIR,
                    else $XDG_CONFIG_HOME/nsbox/profiles, else ~/.config/nsbox/profiles)
 --no-new-session   keep the terminal as the program's controlling terminal (job control;
                    the program can then inject input into it: see SECURITY.md)
 --new-session      the default: the program runs in a new session, without one
 -h, --help         display this help

Example:
 nsbox profile myapp unshare add ipc,pid
 ${PROG} myapp ps
`;

interface ParsedRun {
  dir: string | undefined;
  name: string;
  program: string[];
  newSession: boolean;
}

class UsageError extends Error {}

/** Options come before NAME; everything after NAME (and an optional `--`) is the program. */
function parseRunArgs(args: readonly string[]): ParsedRun | 'help' {
  let dir: string | undefined;
  let newSession = true;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-h' || a === '--help') return 'help';
    const session = sessionFlag(a);
    if (session !== undefined) {
      newSession = session;
      continue;
    }
    if (a === '--profile-dir') {
      if (i + 1 >= args.length) throw new UsageError(`option '--profile-dir' requires an argument`);
      dir = args[++i]!;
      continue;
    }
    if (a.startsWith('--profile-dir=')) {
      dir = a.slice('--profile-dir='.length);
      continue;
    }
    if (a.startsWith('-') && a !== '-') throw new UsageError(`unrecognized option '${a}'`);
    break;
  }
  const name = args[i];
  if (name === undefined) throw new UsageError('no profile name given');
  let rest = args.slice(i + 1);
  if (rest[0] === '--') rest = rest.slice(1);
  return { dir, name, program: rest, newSession };
}

function fail(message: string, usage = false): never {
  process.stderr.write(`${PROG}: ${message}\n`);
  if (usage) process.stderr.write(`Try '${PROG} --help' for more information.\n`);
  process.exit(1);
}

/** Any leading option but `--profile-dir`, `-h`/`--help` and `--` means a container from a rootfs. */
function isRootfsRun(args: readonly string[]): boolean {
  const a = args.find((x) => sessionFlag(x) === undefined);
  if (a === undefined || !a.startsWith('-') || a === '-' || a === '--') return false;
  return !(a === '-h' || a === '--help' || a === '--profile-dir' || a.startsWith('--profile-dir='));
}

export async function runProfileRun(args: string[]): Promise<void> {
  if (isRootfsRun(args)) return runRootfs(args);
  let parsed: ParsedRun | 'help';
  try {
    parsed = parseRunArgs(args);
  } catch (e) {
    if (e instanceof UsageError) fail(e.message, true);
    throw e;
  }
  if (parsed === 'help') {
    process.stdout.write(RUN_USAGE + '\n' + ROOTFS_USAGE);
    return;
  }
  const { dir, name, program, newSession } = parsed;
  let profile;
  try {
    profile = await loadProfile(name, dir !== undefined ? { dir } : {});
  } catch (e) {
    if (e instanceof ProfileError) fail(e.message);
    throw e;
  }
  const argv = program.length ? program : (profile.command ?? []);
  if (argv.length === 0) {
    fail(`profile '${name}' has no command and no program was given (set one with: nsbox profile ${name} command set PROGRAM [ARGS...])`);
  }
  const options = profileToOptions(profile, { env: process.env, uid: process.geteuid?.() ?? 0 });
  options.newSession = newSession;
  let spec;
  try {
    spec = buildSpec(argv[0]!, argv.slice(1), options, { parentPid: process.pid });
  } catch (e) {
    if (e instanceof SandboxOptionError || e instanceof IdMapError) fail(`profile '${name}': ${e.message}`);
    throw e;
  }
  await runCliHelper(PROG, spec, encodeSpec, options.env);
}
