/**
 * The editing verbs of `nsbox profile NAME ...` as pure functions: each takes a profile and the
 * verb's arguments and returns a new profile (the input is never modified), or throws a
 * `usage` ProfileError naming what is wrong, in which case nothing changes.
 *
 * `unshare` follows FlatImage's fim-unshare exactly: comma-separated options (several arguments
 * are accepted too), `add` merges, `set` replaces, `del` removes, `clear` empties, `list` is one
 * lowercase name per line in alphabetical order (FlatImage prints a std::set<std::string>, i.e.
 * sorted by name); `all` is every option and cannot be combined with others; names are matched
 * case-insensitively (FlatImage upper-cases them); an unknown name (`none` included) is an error.
 * One deliberate difference: FlatImage's `del all` enables everything (its set_all(true) runs for
 * del too); here `del all` removes everything, as the word says.
 */
import { resolve as resolvePath } from 'node:path';
import { PROFILE_UNSHARE_OPTIONS, type BindMode, type Profile, type ProfileUnshareOption } from './types.js';
import { ProfileError, sortUnshare, validEnvKey } from './validate.js';

function usage(message: string): never {
  throw new ProfileError('usage', message);
}

function clone(p: Profile): Profile {
  const out: Profile = { version: p.version, unshare: [...p.unshare], env: { ...p.env }, binds: p.binds.map((b) => ({ ...b })) };
  if (p.hostname !== undefined) out.hostname = p.hostname;
  if (p.cwd !== undefined) out.cwd = p.cwd;
  if (p.rootfs !== undefined) out.rootfs = p.rootfs;
  if (p.command !== undefined) out.command = [...p.command];
  if (p.time !== undefined) out.time = { ...p.time };
  return out;
}

// ---------------------------------------------------------------------------------------------
// unshare
// ---------------------------------------------------------------------------------------------

/**
 * Parse unshare options: each argument is a comma-separated list. Returns every option for
 * `all`. Throws on an empty list, an unknown name (naming it and listing the valid ones) or `all`
 * combined with anything else.
 */
export function parseUnshareOptions(args: readonly string[], verb = 'add'): ProfileUnshareOption[] {
  const tokens = args.flatMap((a) => a.split(','));
  if (args.length === 0) usage(`unshare ${verb}: no options given (valid: all, ${PROFILE_UNSHARE_OPTIONS.join(', ')})`);
  const out = new Set<ProfileUnshareOption>();
  let all = false;
  for (const raw of tokens) {
    const t = raw.trim().toLowerCase();
    if (t === 'all') {
      all = true;
      continue;
    }
    if (!(PROFILE_UNSHARE_OPTIONS as readonly string[]).includes(t)) {
      usage(`unshare ${verb}: invalid unshare option '${raw}' (valid: all, ${PROFILE_UNSHARE_OPTIONS.join(', ')})`);
    }
    out.add(t as ProfileUnshareOption);
  }
  if (all) {
    if (out.size > 0) usage(`unshare ${verb}: option 'all' should not be used with others`);
    return sortUnshare(PROFILE_UNSHARE_OPTIONS);
  }
  return sortUnshare(out);
}

/** `unshare add OPTS`: enable the options, keep the others. */
export function unshareAdd(p: Profile, args: readonly string[]): Profile {
  const opts = parseUnshareOptions(args, 'add');
  const out = clone(p);
  out.unshare = sortUnshare([...p.unshare, ...opts]);
  return out;
}

/** `unshare del OPTS`: disable the options, keep the others (`del all` clears). */
export function unshareDel(p: Profile, args: readonly string[]): Profile {
  const opts = new Set(parseUnshareOptions(args, 'del'));
  const out = clone(p);
  out.unshare = p.unshare.filter((o) => !opts.has(o));
  return out;
}

/** `unshare set OPTS`: exactly these options. */
export function unshareSet(p: Profile, args: readonly string[]): Profile {
  const opts = parseUnshareOptions(args, 'set');
  const out = clone(p);
  out.unshare = opts;
  return out;
}

/** `unshare clear`: no option (the program shares every namespace with nsbox). */
export function unshareClear(p: Profile): Profile {
  const out = clone(p);
  out.unshare = [];
  return out;
}

/** `unshare list`: one lowercase name per line, alphabetical (FlatImage's order). */
export function unshareList(p: Profile): string[] {
  return sortUnshare(p.unshare);
}

// ---------------------------------------------------------------------------------------------
// env
// ---------------------------------------------------------------------------------------------

function parseAssignments(args: readonly string[], verb: string): [string, string][] {
  if (args.length === 0) usage(`env ${verb}: no KEY=VALUE given`);
  return args.map((a) => {
    const eq = a.indexOf('=');
    if (eq < 0) usage(`env ${verb}: expected KEY=VALUE, got '${a}'`);
    const key = a.slice(0, eq);
    const value = a.slice(eq + 1);
    if (!validEnvKey(key)) usage(`env ${verb}: invalid variable name '${key}'`);
    if (value.includes('\0')) usage(`env ${verb}: the value of ${key} contains NUL`);
    return [key, value];
  });
}

/** `env add KEY=VALUE...`: set these variables, keep the others. `$VAR` stays literal (expanded by `nsbox run`). */
export function envAdd(p: Profile, args: readonly string[]): Profile {
  const pairs = parseAssignments(args, 'add');
  const out = clone(p);
  for (const [k, v] of pairs) out.env[k] = v;
  return out;
}

/** `env set KEY=VALUE...`: exactly these variables. */
export function envSet(p: Profile, args: readonly string[]): Profile {
  const pairs = parseAssignments(args, 'set');
  const out = clone(p);
  out.env = {};
  for (const [k, v] of pairs) out.env[k] = v;
  return out;
}

/** `env del KEY...`: remove these variables (a missing one is not an error, as in FlatImage). */
export function envDel(p: Profile, args: readonly string[]): Profile {
  if (args.length === 0) usage('env del: no KEY given');
  const out = clone(p);
  for (const a of args) {
    // `KEY=...` is accepted too (what `env list` prints).
    const key = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (!validEnvKey(key)) usage(`env del: invalid variable name '${key}'`);
    delete out.env[key];
  }
  return out;
}

/** `env clear`: no variables. */
export function envClear(p: Profile): Profile {
  const out = clone(p);
  out.env = {};
  return out;
}

/** `env list`: `KEY=VALUE` lines, sorted by name. */
export function envList(p: Profile): string[] {
  return Object.keys(p.env)
    .sort()
    .map((k) => `${k}=${p.env[k]}`);
}

// ---------------------------------------------------------------------------------------------
// bind
// ---------------------------------------------------------------------------------------------

/** `bind add ro|rw|dev SRC DST`: append a bind mount (`$VAR` in SRC/DST expanded by `nsbox run`). */
export function bindAdd(p: Profile, args: readonly string[]): Profile {
  if (args.length !== 3) usage(`bind add: expected ro|rw|dev SRC DST, got ${args.length} argument${args.length === 1 ? '' : 's'}`);
  const [mode, src, dst] = args as [string, string, string];
  if (mode !== 'ro' && mode !== 'rw' && mode !== 'dev') usage(`bind add: invalid bind type '${mode}' (valid: ro, rw, dev)`);
  if (src === '' || dst === '') usage('bind add: SRC and DST must not be empty');
  if (src.includes('\0') || dst.includes('\0')) usage('bind add: SRC and DST must not contain NUL');
  const out = clone(p);
  out.binds.push({ mode: mode as BindMode, src, dst });
  return out;
}

/** `bind del INDEX`: remove the bind at INDEX (as `bind list` numbers them); the later ones move up. */
export function bindDel(p: Profile, args: readonly string[]): Profile {
  if (args.length !== 1) usage('bind del: expected one INDEX');
  const s = args[0]!;
  if (!/^\d+$/.test(s)) usage(`bind del: invalid index '${s}'`);
  const i = Number(s);
  if (i >= p.binds.length) usage(`bind del: no bind with index ${s} (${p.binds.length === 0 ? 'there are none' : `0..${p.binds.length - 1}`})`);
  const out = clone(p);
  out.binds.splice(i, 1);
  return out;
}

/** `bind clear`: no bind mounts. */
export function bindClear(p: Profile): Profile {
  const out = clone(p);
  out.binds = [];
  return out;
}

/**
 * `bind list`: FlatImage's fim-bind list format, a JSON object keyed by index with `dst`, `src`,
 * `type` (empty output when there are none).
 */
export function bindList(p: Profile): string {
  if (p.binds.length === 0) return '';
  const o: Record<string, { dst: string; src: string; type: BindMode }> = {};
  p.binds.forEach((b, i) => {
    o[String(i)] = { dst: b.dst, src: b.src, type: b.mode };
  });
  return `${JSON.stringify(o, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// hostname, cwd, command
// ---------------------------------------------------------------------------------------------

/** `hostname set NAME`: the hostname inside the new UTS namespace (1 to 64 bytes). */
export function hostnameSet(p: Profile, args: readonly string[]): Profile {
  if (args.length !== 1) usage('hostname set: expected one NAME');
  const name = args[0]!;
  if (name === '' || Buffer.byteLength(name) > 64 || name.includes('\0')) usage(`hostname set: invalid hostname '${name}' (1 to 64 bytes)`);
  const out = clone(p);
  out.hostname = name;
  return out;
}

export function hostnameClear(p: Profile): Profile {
  const out = clone(p);
  delete out.hostname;
  return out;
}

/**
 * `rootfs set DIR`: run the profile as a container from DIR. A relative DIR is made absolute
 * now (against the caller's directory), unless it holds a `$VAR`, expanded at run time.
 */
export function rootfsSet(p: Profile, args: readonly string[], cwd: string = process.cwd()): Profile {
  if (args.length !== 1) usage('rootfs set: expected one DIR');
  const dir = args[0]!;
  if (dir === '' || dir.includes('\0')) usage('rootfs set: DIR must not be empty');
  const out = clone(p);
  out.rootfs = dir.startsWith('/') || dir.includes('$') ? dir : resolvePath(cwd, dir);
  return out;
}

export function rootfsClear(p: Profile): Profile {
  const out = clone(p);
  delete out.rootfs;
  return out;
}

/** `cwd set DIR`: the program's working directory (`$VAR` expanded by `nsbox run`). */
export function cwdSet(p: Profile, args: readonly string[]): Profile {
  if (args.length !== 1) usage('cwd set: expected one DIR');
  const dir = args[0]!;
  if (dir === '' || dir.includes('\0')) usage('cwd set: DIR must not be empty');
  const out = clone(p);
  out.cwd = dir;
  return out;
}

export function cwdClear(p: Profile): Profile {
  const out = clone(p);
  delete out.cwd;
  return out;
}

/** `command set PROGRAM [ARGS...]`: the default program (FlatImage's fim-boot). */
export function commandSet(p: Profile, args: readonly string[]): Profile {
  if (args.length === 0 || args[0] === '') usage('command set: expected PROGRAM [ARGS...]');
  if (args.some((a) => a.includes('\0'))) usage('command set: arguments must not contain NUL');
  const out = clone(p);
  out.command = [...args];
  return out;
}

export function commandClear(p: Profile): Profile {
  const out = clone(p);
  delete out.command;
  return out;
}

/** Quote an argument for display the way a POSIX shell would read it back. */
export function shellQuote(a: string): string {
  if (a !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(a)) return a;
  return `'${a.replace(/'/g, `'\\''`)}'`;
}

/** `command show`: the command as one shell-quoted line (nothing when unset). */
export function commandShow(p: Profile): string {
  return p.command === undefined ? '' : `${p.command.map(shellQuote).join(' ')}\n`;
}

// ---------------------------------------------------------------------------------------------
// time
// ---------------------------------------------------------------------------------------------

/**
 * `time set monotonic=N,boottime=N`: the offsets (integer seconds, may be negative) of the
 * clocks in the new time namespace. Comma-separated or as several arguments; replaces both
 * offsets (a clock not named gets none).
 */
export function timeSet(p: Profile, args: readonly string[]): Profile {
  const tokens = args.flatMap((a) => a.split(',')).filter((t) => t !== '');
  if (tokens.length === 0) usage('time set: expected monotonic=N and/or boottime=N');
  const time: { monotonic?: number; boottime?: number } = {};
  for (const t of tokens) {
    const m = /^(monotonic|boottime)=([+-]?\d+)$/.exec(t.trim());
    if (!m) {
      const clock = t.split('=')[0]!;
      if (clock !== 'monotonic' && clock !== 'boottime') usage(`time set: invalid clock '${clock}' (valid: monotonic, boottime)`);
      usage(`time set: invalid offset '${t}' (expected ${clock}=SECONDS, an integer)`);
    }
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) usage(`time set: offset out of range '${t}'`);
    time[m[1] as 'monotonic' | 'boottime'] = n;
  }
  const out = clone(p);
  out.time = time;
  return out;
}

export function timeClear(p: Profile): Profile {
  const out = clone(p);
  delete out.time;
  return out;
}

/** `time list`: `monotonic=N` and `boottime=N` lines, for the offsets that are set. */
export function timeList(p: Profile): string[] {
  const out: string[] = [];
  if (p.time?.monotonic !== undefined) out.push(`monotonic=${p.time.monotonic}`);
  if (p.time?.boottime !== undefined) out.push(`boottime=${p.time.boottime}`);
  return out;
}
