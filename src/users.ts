/**
 * User and group database look-ups, read straight from /etc/passwd and /etc/group (the glibc
 * `files` backend; NSS modules such as LDAP or systemd-userdb are not consulted), and the
 * util-linux rules built on them: `ul_getuserpw_str`/`ul_getgrp_str` (a name or a number) and
 * `ul_default_shell`.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { ulStrtou64 } from './libc.js';

export const PASSWD_FILE = '/etc/passwd';
export const GROUP_FILE = '/etc/group';
/** glibc `_PATH_BSHELL`. */
export const DEFAULT_SHELL = '/bin/sh';

export interface PasswdEntry {
  name: string;
  passwd: string;
  uid: number;
  gid: number;
  gecos: string;
  dir: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  passwd: string;
  gid: number;
  members: string[];
}

function parseId(field: string | undefined): number | undefined {
  if (field === undefined || !/^[0-9]+$/.test(field)) return undefined;
  const n = Number(field);
  return n <= 0xffffffff ? n : undefined;
}

/** Lines of a colon-separated database, without blank lines and `#` comments. */
function records(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    out.push(line.split(':'));
  }
  return out;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of records(text)) {
    const uid = parseId(f[2]);
    const gid = parseId(f[3]);
    const name = f[0];
    if (name === undefined || name === '' || uid === undefined || gid === undefined) continue;
    out.push({ name, passwd: f[1] ?? '', uid, gid, gecos: f[4] ?? '', dir: f[5] ?? '', shell: f[6] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of records(text)) {
    const gid = parseId(f[2]);
    const name = f[0];
    if (name === undefined || name === '' || gid === undefined) continue;
    const members = (f[3] ?? '').split(',').filter((m) => m !== '');
    out.push({ name, passwd: f[1] ?? '', gid, members });
  }
  return out;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** All entries of a passwd file; an unreadable file is an empty database. */
export function readPasswd(file = PASSWD_FILE): PasswdEntry[] {
  const text = readText(file);
  return text === undefined ? [] : parsePasswd(text);
}

export function readGroup(file = GROUP_FILE): GroupEntry[] {
  const text = readText(file);
  return text === undefined ? [] : parseGroup(text);
}

/** getpwnam(3): the first entry with that name. */
export function getpwnam(name: string, file = PASSWD_FILE): PasswdEntry | undefined {
  return readPasswd(file).find((e) => e.name === name);
}

/** getpwuid(3): the first entry with that uid. */
export function getpwuid(uid: number, file = PASSWD_FILE): PasswdEntry | undefined {
  return readPasswd(file).find((e) => e.uid === uid);
}

export function getgrnam(name: string, file = GROUP_FILE): GroupEntry | undefined {
  return readGroup(file).find((e) => e.name === name);
}

export function getgrgid(gid: number, file = GROUP_FILE): GroupEntry | undefined {
  return readGroup(file).find((e) => e.gid === gid);
}

/** The id, or the errno util-linux reports (`EINVAL` for an unknown name, `ERANGE` for a too big number). */
export type IdLookup = { ok: true; id: number } | { ok: false; errno: 'EINVAL' | 'ERANGE' };

/**
 * util-linux `ul_getuserpw_str()` as `unshare --map-user` uses it: a decimal number is taken as
 * the uid even if no such user exists (except (uid_t)-1, which then counts as unknown); anything
 * else is looked up as a user name.
 */
export function lookupUserId(str: string, file = PASSWD_FILE): IdLookup {
  return lookupId(str, (name) => getpwnam(name, file)?.uid, (id) => getpwuid(id, file) !== undefined);
}

/** util-linux `ul_getgrp_str()`, for `--map-group`. */
export function lookupGroupId(str: string, file = GROUP_FILE): IdLookup {
  return lookupId(str, (name) => getgrnam(name, file)?.gid, (id) => getgrgid(id, file) !== undefined);
}

function lookupId(str: string, byName: (name: string) => number | undefined, exists: (id: number) => boolean): IdLookup {
  const n = ulStrtou64(str);
  if (!n.ok && n.errno === 'ERANGE') return { ok: false, errno: 'ERANGE' };
  if (!n.ok) {
    const id = byName(str);
    return id === undefined ? { ok: false, errno: 'EINVAL' } : { ok: true, id };
  }
  if (n.value > 0xffffffffn) return { ok: false, errno: 'ERANGE' };
  const id = Number(n.value);
  // The caller fails only when the result is (uid_t)-1 and no entry was found.
  if (id === 0xffffffff && !exists(id)) return { ok: false, errno: 'EINVAL' };
  return { ok: true, id };
}

/**
 * util-linux HEAD `ul_default_shell()`: a non-empty `$SHELL` from `env`, else the passwd shell
 * of `uid`, else `/bin/sh`.
 */
export function defaultShell(env: Readonly<Record<string, string | undefined>>, uid: number, passwdFile = PASSWD_FILE): string {
  const fromEnv = env.SHELL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const pw = getpwuid(uid, passwdFile);
  if (pw && pw.shell !== '') return pw.shell;
  return DEFAULT_SHELL;
}

/** POSIX basename(3) (the libgen.h one util-linux's exec_shell() uses). */
export function basename(path: string): string {
  if (path === '') return '.';
  const stripped = path.replace(/\/+$/, '');
  if (stripped === '') return '/';
  return posix.basename(stripped);
}

/** argv[0] of a login shell, as util-linux `exec_shell()` builds it: `-` + basename. */
export function loginShellArgv0(shell: string): string {
  return `-${basename(shell)}`;
}
