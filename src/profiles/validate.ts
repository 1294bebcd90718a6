/**
 * Profiles as data: names, validation of a parsed file (or any value an application hands us),
 * and the one canonical JSON form every write uses.
 */
import {
  PROFILE_UNSHARE_OPTIONS,
  PROFILE_VERSION,
  type BindMode,
  type Profile,
  type ProfileBind,
  type ProfileUnshareOption,
} from './types.js';

export type ProfileErrorKind =
  /** A profile name that cannot be a file name of the store. */
  | 'bad-name'
  /** The profile does not exist (show, list verbs, delete, copy source). */
  | 'not-found'
  /** The copy target exists (and --force was not given). */
  | 'exists'
  /** The file is not JSON or not a valid profile. Never overwritten. */
  | 'corrupt'
  /** The file has a newer `version` than this nsbox knows. Never overwritten. */
  | 'newer-version'
  /** An editing verb's arguments are wrong (unknown option, `all` combined, missing argument...). */
  | 'usage'
  /** The lock could not be taken in time. */
  | 'lock-timeout'
  /** Reading or writing the store failed (permissions, full disk...). */
  | 'io';

/** Every failure of the profile store and the editing verbs. The message is one line. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  readonly kind: ProfileErrorKind;
  /** The file involved, when there is one. */
  readonly path: string | undefined;
  /** The errno name of an I/O failure (`EACCES`, `ENOSPC`...). */
  readonly code: string | undefined;

  constructor(kind: ProfileErrorKind, message: string, o: { path?: string; code?: string; cause?: unknown } = {}) {
    super(message, o.cause !== undefined ? { cause: o.cause } : undefined);
    this.kind = kind;
    this.path = o.path;
    this.code = o.code;
  }
}

/** The longest profile name (the file name, its temporary sibling and `.json` stay far below NAME_MAX). */
export const PROFILE_NAME_MAX = 128;

/**
 * Throw a `bad-name` ProfileError unless `name` can name a profile: not empty, at most
 * PROFILE_NAME_MAX characters, no `/`, no NUL or other control character, not starting with `.`
 * (which also rules out `.` and `..`; the store's own files start with a dot) or `-` (it would
 * read as an option).
 */
export function validateProfileName(name: string): void {
  const bad = (why: string): never => {
    throw new ProfileError('bad-name', `invalid profile name ${JSON.stringify(name)}: ${why}`);
  };
  if (typeof name !== 'string' || name === '') bad('empty');
  if (name.length > PROFILE_NAME_MAX) bad(`longer than ${PROFILE_NAME_MAX} characters`);
  if (name.includes('/')) bad("contains '/'");
  if (name === '.' || name === '..') bad('not a file name');
  if (name.startsWith('.')) bad("starts with '.'");
  if (name.startsWith('-')) bad("starts with '-'");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) bad('contains a control character');
}

const BIND_MODES: readonly BindMode[] = ['ro', 'rw', 'dev'];
const PROFILE_KEYS = new Set(['version', 'unshare', 'env', 'binds', 'hostname', 'cwd', 'rootfs', 'command', 'time']);

/** Whether `key` can be an environment variable name of a profile (non-empty, no `=`, no NUL). */
export function validEnvKey(key: string): boolean {
  return key !== '' && !key.includes('=') && !key.includes('\0');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sorted, without duplicates (the order `unshare list` prints). */
export function sortUnshare(opts: Iterable<ProfileUnshareOption>): ProfileUnshareOption[] {
  return [...new Set(opts)].sort();
}

/**
 * Check any value (a parsed profile file, an object an application built) and return it as a
 * Profile: missing `unshare`/`env`/`binds` become empty, `unshare` is sorted and deduplicated.
 * Throws a ProfileError: `newer-version` when `version` is a number above PROFILE_VERSION,
 * `corrupt` for anything else that is wrong (naming the field); `source` (a file path) is put in
 * front of the message and in `path`.
 */
export function validateProfile(value: unknown, source?: string): Profile {
  const where = source !== undefined ? `${source}: ` : '';
  const fail = (why: string): never => {
    throw new ProfileError('corrupt', `${where}invalid profile: ${why}`, source !== undefined ? { path: source } : {});
  };
  if (!isRecord(value)) return fail('not a JSON object');
  const version = value.version;
  if (typeof version === 'number' && Number.isInteger(version) && version > PROFILE_VERSION) {
    throw new ProfileError(
      'newer-version',
      `${where}profile format version ${version} is newer than this nsbox supports (${PROFILE_VERSION}); not touching it`,
      source !== undefined ? { path: source } : {},
    );
  }
  if (version !== PROFILE_VERSION) fail(`"version" must be ${PROFILE_VERSION}, found ${JSON.stringify(version)}`);
  for (const k of Object.keys(value)) if (!PROFILE_KEYS.has(k)) fail(`unknown field ${JSON.stringify(k)}`);

  const unshare: ProfileUnshareOption[] = [];
  if (value.unshare !== undefined) {
    if (!Array.isArray(value.unshare)) fail('"unshare" must be an array');
    for (const o of value.unshare as unknown[]) {
      if (typeof o !== 'string' || !(PROFILE_UNSHARE_OPTIONS as readonly string[]).includes(o)) {
        fail(`"unshare": unknown option ${JSON.stringify(o)} (valid: ${PROFILE_UNSHARE_OPTIONS.join(', ')})`);
      }
      unshare.push(o as ProfileUnshareOption);
    }
  }

  const env: Record<string, string> = {};
  if (value.env !== undefined) {
    if (!isRecord(value.env)) fail('"env" must be an object of strings');
    for (const [k, v] of Object.entries(value.env as Record<string, unknown>)) {
      if (!validEnvKey(k)) fail(`"env": invalid variable name ${JSON.stringify(k)}`);
      if (typeof v !== 'string' || v.includes('\0')) fail(`"env": the value of ${k} must be a string without NUL`);
      env[k] = v as string;
    }
  }

  const binds: ProfileBind[] = [];
  if (value.binds !== undefined) {
    if (!Array.isArray(value.binds)) fail('"binds" must be an array');
    (value.binds as unknown[]).forEach((b, i) => {
      if (!isRecord(b)) return fail(`"binds"[${i}] must be an object`);
      for (const k of Object.keys(b)) if (k !== 'mode' && k !== 'src' && k !== 'dst') fail(`"binds"[${i}]: unknown field ${JSON.stringify(k)}`);
      if (typeof b.mode !== 'string' || !(BIND_MODES as readonly string[]).includes(b.mode)) fail(`"binds"[${i}].mode must be one of ${BIND_MODES.join(', ')}`);
      for (const k of ['src', 'dst'] as const) {
        const p = b[k];
        if (typeof p !== 'string' || p === '' || p.includes('\0')) fail(`"binds"[${i}].${k} must be a non-empty string`);
      }
      binds.push({ mode: b.mode as BindMode, src: b.src as string, dst: b.dst as string });
      return undefined;
    });
  }

  const out: Profile = { version: PROFILE_VERSION, unshare: sortUnshare(unshare), env, binds };
  const str = (k: 'hostname' | 'cwd' | 'rootfs'): void => {
    const v = value[k];
    if (v === undefined) return;
    if (typeof v !== 'string' || v === '' || v.includes('\0')) fail(`"${k}" must be a non-empty string`);
    out[k] = v as string;
  };
  str('hostname');
  str('cwd');
  str('rootfs');
  if (value.command !== undefined) {
    const c = value.command;
    if (!Array.isArray(c) || c.length === 0 || !c.every((a) => typeof a === 'string' && !a.includes('\0')) || c[0] === '') {
      fail('"command" must be a non-empty array of strings (the program first)');
    }
    out.command = [...(c as string[])];
  }
  if (value.time !== undefined) {
    if (!isRecord(value.time)) fail('"time" must be an object');
    const t = value.time as Record<string, unknown>;
    const time: { monotonic?: number; boottime?: number } = {};
    for (const [k, v] of Object.entries(t)) {
      if (k !== 'monotonic' && k !== 'boottime') fail(`"time": unknown clock ${JSON.stringify(k)} (valid: monotonic, boottime)`);
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(`"time".${k} must be an integer number of seconds`);
      time[k as 'monotonic' | 'boottime'] = v as number;
    }
    if (time.monotonic !== undefined || time.boottime !== undefined) out.time = time;
  }
  return out;
}

/** Parse a profile file's text (`source` is its path, for the messages). */
export function parseProfileText(text: string, source?: string): Profile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the error, line breaks included: keep the message one line.
    const why = (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : ' '));
    throw new ProfileError('corrupt', `${source !== undefined ? `${source}: ` : ''}corrupt profile file (not valid JSON: ${why})`, source !== undefined ? { path: source } : {});
  }
  return validateProfile(value, source);
}

/**
 * The canonical file form: pretty JSON (2 spaces, trailing newline), fields in a fixed order,
 * `env` sorted by name, optional fields only when set.
 */
export function serializeProfile(p: Profile): string {
  const v = validateProfile(p);
  const env: Record<string, string> = {};
  for (const k of Object.keys(v.env).sort()) env[k] = v.env[k]!;
  const out: Record<string, unknown> = { version: v.version, unshare: v.unshare, env, binds: v.binds.map((b) => ({ mode: b.mode, src: b.src, dst: b.dst })) };
  if (v.hostname !== undefined) out.hostname = v.hostname;
  if (v.cwd !== undefined) out.cwd = v.cwd;
  if (v.rootfs !== undefined) out.rootfs = v.rootfs;
  if (v.command !== undefined) out.command = v.command;
  if (v.time !== undefined) {
    const t: Record<string, number> = {};
    if (v.time.monotonic !== undefined) t.monotonic = v.time.monotonic;
    if (v.time.boottime !== undefined) t.boottime = v.time.boottime;
    out.time = t;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}
