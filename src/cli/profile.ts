/**
 * `nsbox profile`: edit the named, persistent isolation settings `nsbox run` uses.
 *
 *   nsbox profile [--profile-dir DIR] list
 *   nsbox profile [--profile-dir DIR] NAME <section> <verb> [ARGS...]
 *
 * Errors are one line, `nsbox profile: <message>`, exit status 1, and change nothing.
 */
import {
  bindAdd,
  bindClear,
  bindDel,
  bindList,
  commandClear,
  commandSet,
  commandShow,
  cwdClear,
  cwdSet,
  envAdd,
  envClear,
  envDel,
  envList,
  envSet,
  hostnameClear,
  hostnameSet,
  rootfsClear,
  rootfsSet,
  shellQuote,
  timeClear,
  timeList,
  timeSet,
  unshareAdd,
  unshareClear,
  unshareDel,
  unshareList,
  unshareSet,
} from '../profiles/edit.js';
import { copyProfile, deleteProfile, editProfile, listProfiles, loadProfile, profilePath, type ProfileStoreOptions } from '../profiles/store.js';
import { PROFILE_UNSHARE_OPTIONS, type Profile } from '../profiles/types.js';
import { ProfileError, serializeProfile, validateProfileName } from '../profiles/validate.js';

const PROG = 'nsbox profile';

export const PROFILE_USAGE = `Usage:
 ${PROG} [--profile-dir DIR] list
 ${PROG} [--profile-dir DIR] NAME <command> [arguments]

Edit named, persistent isolation settings (profiles) for 'nsbox run NAME'.
Editing commands create the profile when it does not exist.

Commands:
 unshare add|del|set OPTIONS   enable, disable, or set exactly these namespaces
                               (comma-separated: all, ${PROFILE_UNSHARE_OPTIONS.join(', ')};
                               'all' cannot be combined with others)
 unshare list|clear            print the namespaces (one per line, sorted) / remove them all
 env add|set KEY=VALUE...      add variables / set exactly these ($VAR is expanded by 'nsbox run')
 env del KEY...                remove variables
 env list|clear                print KEY=VALUE lines / remove them all
 bind add ro|rw|dev SRC DST    add a bind mount (read-only, read-write, with devices)
 bind del INDEX                remove the bind mount with this index (see 'bind list')
 bind list|clear               print the bind mounts by index (JSON) / remove them all
 hostname set NAME|clear|show  the hostname in the new UTS namespace
 cwd set DIR|clear|show        the program's working directory
 rootfs set DIR|clear|show     run as a container from this root file system
 command set PROGRAM [ARGS...] the default program of 'nsbox run NAME'
 command clear|show
 time set monotonic=N,boottime=N
                               clock offsets in seconds in the new time namespace
 time clear|list
 show [--json]                 print the whole profile (--json: the file's JSON)
 delete                        delete the profile
 copy [--force] NEW            copy the profile to NEW (--force: replace an existing NEW)

Options:
 --profile-dir DIR  the profile directory (default: $NSBOX_PROFILE_DIR,
                    else $XDG_CONFIG_HOME/nsbox/profiles, else ~/.config/nsbox/profiles)
 -h, --help         display this help

Examples:
 ${PROG} myapp unshare add ipc,pid
 ${PROG} myapp unshare set user,ipc,net
 ${PROG} myapp unshare list
`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

function noMore(what: string, rest: readonly string[]): void {
  if (rest.length > 0) fail(`${what}: unexpected argument '${rest[0]}'`);
}

function lines(ls: readonly string[]): string {
  return ls.map((l) => `${l}\n`).join('');
}

/** The whole profile, human readable. */
export function formatProfile(name: string, path: string, p: Profile): string {
  const out: string[] = [`profile:  ${name}`, `file:     ${path}`, `unshare:  ${p.unshare.length > 0 ? p.unshare.join(',') : '(none)'}`];
  const env = envList(p);
  out.push(`env:      ${env.length === 0 ? '(none)' : ''}`.trimEnd());
  for (const e of env) out.push(`  ${e}`);
  out.push(`binds:    ${p.binds.length === 0 ? '(none)' : ''}`.trimEnd());
  p.binds.forEach((b, i) => out.push(`  ${i}: ${b.mode} ${shellQuote(b.src)} -> ${shellQuote(b.dst)}`));
  out.push(`hostname: ${p.hostname ?? '(unset)'}`);
  out.push(`cwd:      ${p.cwd ?? '(unset)'}`);
  // Only when set: the listing of profiles without a rootfs stays as it was.
  if (p.rootfs !== undefined) out.push(`rootfs:   ${shellQuote(p.rootfs)}`);
  out.push(`command:  ${p.command ? p.command.map(shellQuote).join(' ') : '(unset)'}`);
  const t = timeList(p);
  out.push(`time:     ${t.length > 0 ? t.join(',') : '(unset)'}`);
  return lines(out);
}

type Edit = (p: Profile) => Profile;

async function runProfileNamed(name: string, args: string[], store: ProfileStoreOptions, out: (s: string) => void): Promise<void> {
  validateProfileName(name);
  const [section, verb, ...rest] = args;
  const edit = async (f: Edit): Promise<void> => {
    await editProfile(name, f, store);
  };
  const read = (): Promise<Profile> => loadProfile(name, store);

  switch (section) {
    case undefined:
      return fail(`missing command after the profile name (try '${PROG} --help')`);
    case 'show': {
      const opts = args.slice(1);
      const json = opts.includes('--json');
      noMore('show', opts.filter((o) => o !== '--json'));
      const p = await read();
      out(json ? serializeProfile(p) : formatProfile(name, profilePath(name, store), p));
      return;
    }
    case 'delete':
      noMore('delete', args.slice(1));
      return deleteProfile(name, store);
    case 'copy': {
      const opts = args.slice(1);
      const force = opts.includes('--force');
      const names = opts.filter((o) => o !== '--force');
      if (names.length === 0) fail('copy: missing the name of the new profile');
      noMore('copy', names.slice(1));
      validateProfileName(names[0]!);
      return copyProfile(name, names[0]!, { ...store, force });
    }
    case 'unshare':
      switch (verb) {
        case 'add':
          return edit((p) => unshareAdd(p, rest));
        case 'del':
          return edit((p) => unshareDel(p, rest));
        case 'set':
          return edit((p) => unshareSet(p, rest));
        case 'clear':
          noMore('unshare clear', rest);
          return edit(unshareClear);
        case 'list':
          noMore('unshare list', rest);
          out(lines(unshareList(await read())));
          return;
        default:
          return badVerb('unshare', verb, ['add', 'del', 'set', 'list', 'clear']);
      }
    case 'env':
      switch (verb) {
        case 'add':
          return edit((p) => envAdd(p, rest));
        case 'set':
          return edit((p) => envSet(p, rest));
        case 'del':
          return edit((p) => envDel(p, rest));
        case 'clear':
          noMore('env clear', rest);
          return edit(envClear);
        case 'list':
          noMore('env list', rest);
          out(lines(envList(await read())));
          return;
        default:
          return badVerb('env', verb, ['add', 'set', 'del', 'list', 'clear']);
      }
    case 'bind':
      switch (verb) {
        case 'add':
          return edit((p) => bindAdd(p, rest));
        case 'del':
          return edit((p) => bindDel(p, rest));
        case 'clear':
          noMore('bind clear', rest);
          return edit(bindClear);
        case 'list':
          noMore('bind list', rest);
          out(bindList(await read()));
          return;
        default:
          return badVerb('bind', verb, ['add', 'del', 'list', 'clear']);
      }
    case 'hostname':
    case 'cwd':
    case 'rootfs': {
      const set = section === 'hostname' ? hostnameSet : section === 'cwd' ? cwdSet : (p: Profile, a: readonly string[]) => rootfsSet(p, a);
      const clear = section === 'hostname' ? hostnameClear : section === 'cwd' ? cwdClear : rootfsClear;
      switch (verb) {
        case 'set':
          return edit((p) => set(p, rest));
        case 'clear':
          noMore(`${section} clear`, rest);
          return edit(clear);
        case 'show': {
          noMore(`${section} show`, rest);
          const v = (await read())[section];
          if (v !== undefined) out(`${v}\n`);
          return;
        }
        default:
          return badVerb(section, verb, ['set', 'clear', 'show']);
      }
    }
    case 'command':
      switch (verb) {
        case 'set':
          return edit((p) => commandSet(p, rest));
        case 'clear':
          noMore('command clear', rest);
          return edit(commandClear);
        case 'show':
          noMore('command show', rest);
          out(commandShow(await read()));
          return;
        default:
          return badVerb('command', verb, ['set', 'clear', 'show']);
      }
    case 'time':
      switch (verb) {
        case 'set':
          return edit((p) => timeSet(p, rest));
        case 'clear':
          noMore('time clear', rest);
          return edit(timeClear);
        case 'list':
          noMore('time list', rest);
          out(lines(timeList(await read())));
          return;
        default:
          return badVerb('time', verb, ['set', 'clear', 'list']);
      }
    default:
      return fail(`unknown command '${section}' (valid: unshare, env, bind, hostname, cwd, rootfs, command, time, show, delete, copy)`);
  }
}

function badVerb(section: string, verb: string | undefined, valid: string[]): never {
  if (verb === undefined) fail(`${section}: missing operation (${valid.join(', ')})`);
  fail(`${section}: invalid operation '${verb}' (valid: ${valid.join(', ')})`);
}

/**
 * Run `nsbox profile ARGS`, writing to `out`; throws a ProfileError or a usage error (both with
 * a one-line message). Exported for the tests.
 */
export async function profileCommand(argv: readonly string[], out: (s: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const store: ProfileStoreOptions = { env };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      out(PROFILE_USAGE);
      return;
    }
    if (a === '--profile-dir') {
      const d = argv[++i];
      if (d === undefined || d === '') fail("option '--profile-dir' requires an argument");
      store.dir = d;
    } else if (a.startsWith('--profile-dir=')) {
      const d = a.slice('--profile-dir='.length);
      if (d === '') fail("option '--profile-dir' requires an argument");
      store.dir = d;
    } else if (a === '--') {
      i++;
      break;
    } else if (a.startsWith('-') && a !== '-') {
      fail(`unrecognized option '${a}' (try '${PROG} --help')`);
    } else {
      break;
    }
  }
  const rest = argv.slice(i);
  if (rest.length === 0) fail(`missing profile name or 'list' (try '${PROG} --help')`);
  if (rest[0] === 'list' && rest.length === 1) {
    out(lines(await listProfiles(store)));
    return;
  }
  await runProfileNamed(rest[0]!, rest.slice(1), store, out);
}

/** The `nsbox profile` entry point (main.ts). */
export async function runProfileCommand(args: string[]): Promise<void> {
  const chunks: string[] = [];
  try {
    await profileCommand(args, (s) => chunks.push(s));
    process.stdout.write(chunks.join(''));
  } catch (e) {
    // Usage errors and ProfileErrors; anything else (an unexpected system error) is reported
    // the same way: one line, exit 1.
    const message = e instanceof UsageError || e instanceof ProfileError || e instanceof Error ? e.message : String(e);
    process.stderr.write(`${PROG}: ${message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
