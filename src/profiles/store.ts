/**
 * The profile store: one pretty JSON file per profile, `<dir>/<name>.json`, in the directory
 * given by `--profile-dir`/`dir`, else `$NSBOX_PROFILE_DIR`, else `$XDG_CONFIG_HOME/nsbox/profiles`,
 * else `~/.config/nsbox/profiles` (created 0700 on the first write).
 *
 * Guarantees:
 * - Atomic writes: a temporary file in the same directory (O_EXCL, mode 0600) is written,
 *   fsync'ed and renamed over the profile, then the directory is fsync'ed. A crash leaves the old
 *   or the new file, never a broken one; a temporary file a crash leaves behind is removed by the
 *   next write (under the lock no one else can be writing one). Any failure removes our
 *   temporary file and leaves the old profile as it was.
 * - Serialised writes: every read-modify-write (edit, save, copy, delete) holds the store's lock
 *   file `<dir>/.lock`, so concurrent edits from any number of processes never lose an update.
 *   Reads need no lock (a rename is atomic). Node has no flock(2), so the lock is a file created
 *   with O_EXCL holding its owner (pid, the process start time and the pid namespace, plus a
 *   random nonce); waiters retry with a growing, jittered back-off up to a bounded wait
 *   (`lockTimeoutMs`, `$NSBOX_PROFILE_LOCK_TIMEOUT_MS`, default 10 s), then fail with an error
 *   naming the lock file and its owner.
 * - Stale locks: a lock whose owner is dead (no such pid, or a different process with that pid:
 *   the start time differs) is broken. Breaking is serialised by a second O_EXCL file,
 *   `<dir>/.lock.break`: under it the breaker re-reads the lock and removes it only if it is
 *   still the very file (same inode, same content) it found stale, so two waiters can never both
 *   break a lock, nor break a live one. (Only if a breaker is killed inside those few system
 *   calls is its `.lock.break` itself stale; it is then moved aside and checked the same way.) A
 *   lock taken in another pid namespace cannot be judged and is waited for.
 * - A corrupt file or one with a newer `version` is reported with its path and never
 *   overwritten (edits, saves and copies onto it refuse); `delete` still removes it.
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { readStat } from '../proc.js';
import { emptyProfile, type Profile } from './types.js';
import { ProfileError, parseProfileText, serializeProfile, validateProfile, validateProfileName } from './validate.js';

export interface ProfileStoreOptions {
  /** The profile directory (`--profile-dir`); overrides the environment. */
  dir?: string;
  /** The environment the directory is resolved from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the store's lock, in ms (default `$NSBOX_PROFILE_LOCK_TIMEOUT_MS` or 10000). */
  lockTimeoutMs?: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
/** A lock file without a complete owner record that is older than this is stale (its creator died between create and write). */
const PARTIAL_LOCK_STALE_MS = 5_000;

/** The profile directory, in the documented order of precedence. */
export function resolveProfileDir(o: ProfileStoreOptions = {}): string {
  if (o.dir !== undefined && o.dir !== '') return resolve(o.dir);
  const env = o.env ?? process.env;
  const explicit = env.NSBOX_PROFILE_DIR;
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG base directory spec: a relative path is invalid and ignored.
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'nsbox', 'profiles');
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  return join(home, '.config', 'nsbox', 'profiles');
}

/** The file of profile `name` (validated). */
export function profilePath(name: string, o: ProfileStoreOptions = {}): string {
  validateProfileName(name);
  return join(resolveProfileDir(o), `${name}.json`);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** `EACCES: permission denied, open '/x'` → `permission denied`. */
function errnoText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(msg);
  return m ? m[1]! : msg;
}

function ioError(what: string, path: string, e: unknown): ProfileError {
  const code = errnoCode(e);
  return new ProfileError('io', `${what} ${path}: ${errnoText(e)}`, { path, ...(code !== undefined ? { code } : {}), cause: e });
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** Read and validate a profile file; undefined when it does not exist. */
function readProfileAt(path: string): { profile: Profile; text: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw ioError('cannot read profile file', path, e);
  }
  return { profile: parseProfileText(text, path), text };
}

function notFound(name: string, path: string): ProfileError {
  return new ProfileError('not-found', `profile '${name}' does not exist (no ${path})`, { path });
}

/** Load profile `name`; a `not-found` ProfileError when it does not exist. No lock is needed. */
export async function loadProfile(name: string, o: ProfileStoreOptions = {}): Promise<Profile> {
  const path = profilePath(name, o);
  const r = readProfileAt(path);
  if (!r) throw notFound(name, path);
  return r.profile;
}

/** Whether profile `name` exists (as a file; it may still be corrupt). */
export async function profileExists(name: string, o: ProfileStoreOptions = {}): Promise<boolean> {
  return fs.existsSync(profilePath(name, o));
}

/** Load a profile file anywhere (e.g. one an application ships), validated. */
export async function loadProfileFile(path: string): Promise<Profile> {
  const r = readProfileAt(path);
  if (!r) throw new ProfileError('not-found', `profile file ${path} does not exist`, { path });
  return r.profile;
}

/** The names of the profiles in the store, sorted (an absent directory has none). */
export async function listProfiles(o: ProfileStoreOptions = {}): Promise<string[]> {
  const dir = resolveProfileDir(o);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw ioError('cannot read profile directory', dir, e);
  }
  const names: string[] = [];
  for (const e of entries) {
    if (!e.name.endsWith('.json') || e.isDirectory()) continue;
    const name = e.name.slice(0, -'.json'.length);
    try {
      validateProfileName(name);
    } catch {
      continue;
    }
    names.push(name);
  }
  return names.sort();
}

// ---------------------------------------------------------------------------------------------
// The lock
// ---------------------------------------------------------------------------------------------

interface LockOwner {
  pid: number;
  /** Field 22 of /proc/PID/stat (start time in clock ticks since boot): tells a reused pid apart. */
  start: string;
  /** readlink /proc/self/ns/pid: pids are only comparable within one pid namespace. */
  pidns: string;
  nonce: string;
}

function ownPidns(): string {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

function newOwner(): LockOwner {
  return { pid: process.pid, start: readStat(process.pid)?.starttime ?? '', pidns: ownPidns(), nonce: randomBytes(8).toString('hex') };
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (typeof o.pid !== 'number' || typeof o.start !== 'string' || typeof o.pidns !== 'string' || typeof o.nonce !== 'string') return undefined;
    return { pid: o.pid, start: o.start, pidns: o.pidns, nonce: o.nonce };
  } catch {
    return undefined;
  }
}

/** Whether the owner of a lock is certainly dead (false when it cannot be judged). */
function ownerDead(o: LockOwner): boolean {
  if (o.pidns !== ownPidns()) return false;
  if (!fs.existsSync('/proc/self/stat')) {
    // No /proc: only "no such process" can be known.
    try {
      process.kill(o.pid, 0);
      return false;
    } catch (e) {
      return errnoCode(e) === 'ESRCH';
    }
  }
  const start = readStat(o.pid)?.starttime;
  return start === undefined || (o.start !== '' && start !== o.start);
}

type LockState =
  | { kind: 'gone' }
  | { kind: 'live'; owner: LockOwner | undefined; foreign: boolean }
  | { kind: 'stale'; ident: string; owner: LockOwner | undefined };

/** Look at a lock file: its identity (inode + content) and whether its owner is gone. */
function inspectLock(path: string): LockState {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'gone' };
    throw ioError('cannot read lock file', path, e);
  }
  let text: string;
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
    text = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const ident = `${st.dev}:${st.ino}:${text}`;
  const owner = parseOwner(text);
  if (!owner) {
    // Created, owner record not written yet, or its creator died in between.
    if (Date.now() - st.mtimeMs > PARTIAL_LOCK_STALE_MS) return { kind: 'stale', ident, owner };
    return { kind: 'live', owner, foreign: false };
  }
  if (ownerDead(owner)) return { kind: 'stale', ident, owner };
  return { kind: 'live', owner, foreign: owner.pidns !== ownPidns() };
}

/** The identity of a lock file right now, or undefined when it is gone. */
function lockIdent(path: string): string | undefined {
  try {
    const fd = fs.openSync(path, 'r');
    try {
      const st = fs.fstatSync(fd);
      return `${st.dev}:${st.ino}:${fs.readFileSync(fd, 'utf8')}`;
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** Create `path` with O_EXCL holding `text`; false if it exists. Other errors are thrown. */
function createExclusive(path: string, text: string, what: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx', 0o600);
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw ioError(what, path, e);
  }
  try {
    fs.writeSync(fd, text);
  } catch (e) {
    fs.closeSync(fd);
    try {
      fs.unlinkSync(path);
    } catch {
      /* nothing to undo */
    }
    throw ioError(what, path, e);
  }
  fs.closeSync(fd);
  return true;
}

/**
 * Remove the stale lock whose identity is `ident`, unless someone else is doing it. Serialised
 * by the break guard; under it the lock is removed only if it is still that very file.
 */
function breakStaleLock(lockPath: string, ident: string): void {
  const guard = `${lockPath}.break`;
  const me = newOwner();
  if (!createExclusive(guard, `${JSON.stringify(me)}\n`, 'cannot break stale lock')) {
    // Another waiter is breaking it, or died doing so.
    const g = inspectLock(guard);
    if (g.kind === 'stale') removeStaleGuard(guard, g.ident);
    return;
  }
  try {
    if (lockIdent(lockPath) === ident) fs.unlinkSync(lockPath);
  } finally {
    fs.unlinkSync(guard);
  }
}

/** A break guard whose owner died: move it aside, and put it back if it was not that one. */
function removeStaleGuard(guard: string, ident: string): void {
  const aside = `${guard}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(guard, aside);
  } catch {
    return; // someone else moved it
  }
  try {
    const st = fs.statSync(aside);
    const text = fs.readFileSync(aside, 'utf8');
    if (`${st.dev}:${st.ino}:${text}` !== ident) {
      try {
        fs.linkSync(aside, guard); // a live breaker's guard: restore it
      } catch {
        /* a new guard exists already */
      }
    }
  } finally {
    try {
      fs.unlinkSync(aside);
    } catch {
      /* already gone */
    }
  }
}

/** Locks this process holds (released at exit, whatever happens). */
const heldLocks = new Map<string, string>();
let exitHookInstalled = false;

function releaseLock(path: string): void {
  const text = heldLocks.get(path);
  heldLocks.delete(path);
  if (text === undefined) return;
  try {
    // Only ever remove our own lock file.
    if (fs.readFileSync(path, 'utf8') === text) fs.unlinkSync(path);
  } catch {
    /* gone already */
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function lockTimeout(o: ProfileStoreOptions): number {
  if (o.lockTimeoutMs !== undefined) return o.lockTimeoutMs;
  const env = (o.env ?? process.env).NSBOX_PROFILE_LOCK_TIMEOUT_MS;
  const n = env !== undefined && env !== '' ? Number(env) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_LOCK_TIMEOUT_MS;
}

async function acquireLock(dir: string, o: ProfileStoreOptions): Promise<string> {
  const path = join(dir, '.lock');
  const timeout = lockTimeout(o);
  const deadline = Date.now() + timeout;
  let backoff = 1;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of [...heldLocks.keys()]) releaseLock(p);
    });
  }
  for (;;) {
    const text = `${JSON.stringify(newOwner())}\n`;
    if (createExclusive(path, text, 'cannot lock profile directory: cannot create')) {
      heldLocks.set(path, text);
      return path;
    }
    const st = inspectLock(path);
    if (st.kind === 'gone') continue;
    if (st.kind === 'stale') {
      breakStaleLock(path, st.ident);
      await sleep(Math.random() * 2);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = st.owner ? `pid ${st.owner.pid}${st.foreign ? ' in another pid namespace' : ''}` : 'a process that has not written its pid yet';
      throw new ProfileError(
        'lock-timeout',
        `timed out after ${timeout} ms waiting for the lock ${path} (held by ${who}); if no nsbox is editing profiles, remove it`,
        { path },
      );
    }
    await sleep(Math.min(backoff * (0.5 + Math.random()), Math.max(0, deadline - Date.now())));
    backoff = Math.min(backoff * 1.5, 25);
  }
}

// ---------------------------------------------------------------------------------------------
// Atomic writes
// ---------------------------------------------------------------------------------------------

/**
 * A test-only hook: with `NSBOX_PROFILE_TEST_HOOK=pause-before-rename:FILE`, a write creates
 * FILE (holding the temporary file's path) once the temporary file is written and fsync'ed, then
 * blocks forever before the rename, so a test can kill the process at the worst moment.
 */
function testHookBeforeRename(tmp: string): void {
  const hook = process.env.NSBOX_PROFILE_TEST_HOOK;
  if (hook === undefined || !hook.startsWith('pause-before-rename:')) return;
  fs.writeFileSync(hook.slice('pause-before-rename:'.length), `${tmp}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0, 60_000);
}

function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError('cannot create profile directory', dir, e);
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Temporary files a killed writer left (only the lock holder writes them, so all are stale). */
function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith('.') && n.endsWith('.tmp')) {
      try {
        fs.unlinkSync(join(dir, n));
      } catch {
        /* gone */
      }
    }
  }
}

/** Replace `path` by a file holding `text`, atomically and durably (the lock must be held). */
function writeAtomic(dir: string, path: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.json.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  } catch (e) {
    throw ioError('cannot write profile: cannot create', tmp, e);
  }
  let stage = 'write';
  try {
    try {
      fs.writeFileSync(fd, text);
      stage = 'fsync';
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    testHookBeforeRename(tmp);
    stage = 'rename';
    fs.renameSync(tmp, path);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* never created or already renamed */
    }
    throw ioError(`cannot write profile (${stage}):`, path, e);
  }
  try {
    fsyncDir(dir);
  } catch (e) {
    throw ioError('profile written, but cannot fsync its directory', dir, e);
  }
}

/** Run `body` holding the store's lock (the directory is created first). */
async function withLock<T>(dir: string, o: ProfileStoreOptions, body: () => Promise<T> | T): Promise<T> {
  ensureDir(dir);
  const lock = await acquireLock(dir, o);
  try {
    removeStaleTemps(dir);
    return await body();
  } finally {
    releaseLock(lock);
  }
}

// ---------------------------------------------------------------------------------------------
// Editing
// ---------------------------------------------------------------------------------------------

export interface EditProfileOptions extends ProfileStoreOptions {
  /** Create the profile (empty) when it does not exist (default true). */
  create?: boolean;
}

/**
 * Locked read-modify-write of profile `name`: `edit` gets a copy of the current profile (an empty
 * one if it does not exist yet) and returns the new one (or modifies its argument and returns
 * nothing). The result is validated and written atomically; it is returned. A corrupt or
 * newer-version file is refused (ProfileError) and left as it is, as it is when `edit` throws.
 */
export async function editProfile(
  name: string,
  edit: (p: Profile) => Profile | void | Promise<Profile | void>,
  o: EditProfileOptions = {},
): Promise<Profile> {
  const path = profilePath(name, o);
  const dir = resolveProfileDir(o);
  return withLock(dir, o, async () => {
    // The atomic rename would replace a symbolic link by a file (its target untouched, a dangling
    // link turned into a new profile): never what was meant, so the link is left alone.
    if (isSymlink(path)) throw new ProfileError('io', `profile file ${path} is a symbolic link; nsbox only edits regular files`, { path });
    const cur = readProfileAt(path);
    if (!cur && o.create === false) throw notFound(name, path);
    const base = cur ? cur.profile : emptyProfile();
    const working = validateProfile(base);
    const result = await edit(working);
    const next = validateProfile(result ?? working);
    const text = serializeProfile(next);
    if (!cur || cur.text !== text) writeAtomic(dir, path, name, text);
    return next;
  });
}

function isSymlink(path: string): boolean {
  try {
    return fs.lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Save `profile` as `name` (validated; replaces the file atomically, under the lock). */
export async function saveProfile(name: string, profile: Profile, o: ProfileStoreOptions = {}): Promise<void> {
  const valid = validateProfile(profile);
  await editProfile(name, () => valid, o);
}

/** Delete profile `name` (a corrupt file too: deleting is explicit). */
export async function deleteProfile(name: string, o: ProfileStoreOptions = {}): Promise<void> {
  const path = profilePath(name, o);
  const dir = resolveProfileDir(o);
  if (!fs.existsSync(path)) throw notFound(name, path);
  await withLock(dir, o, () => {
    try {
      fs.unlinkSync(path);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(name, path);
      throw ioError('cannot delete profile', path, e);
    }
    fsyncDir(dir);
  });
}

export interface CopyProfileOptions extends ProfileStoreOptions {
  /** Replace an existing (valid) target. */
  force?: boolean;
}

/** Copy profile `from` to `to`; an existing `to` is an `exists` error unless `force`. */
export async function copyProfile(from: string, to: string, o: CopyProfileOptions = {}): Promise<void> {
  const src = profilePath(from, o);
  const dst = profilePath(to, o);
  const dir = resolveProfileDir(o);
  if (!fs.existsSync(src)) throw notFound(from, src);
  await withLock(dir, o, () => {
    const cur = readProfileAt(src);
    if (!cur) throw notFound(from, src);
    if (isSymlink(dst)) throw new ProfileError('io', `profile file ${dst} is a symbolic link; nsbox only edits regular files`, { path: dst });
    const existing = readProfileAt(dst); // throws on a corrupt or newer target: never overwritten
    if (existing && !o.force) throw new ProfileError('exists', `profile '${to}' already exists (${dst}); use --force to replace it`, { path: dst });
    if (from === to) return;
    writeAtomic(dir, dst, to, serializeProfile(cur.profile));
  });
}
