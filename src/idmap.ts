/**
 * Id-map building blocks of util-linux `unshare` (HEAD): parsing a `--map-users` range, reading a
 * subordinate id block from /etc/subuid or /etc/subgid, copying the current kernel map, and
 * merging a single `--map-user` id into a range list (`add_single_map_range`). All arithmetic is
 * that of C `unsigned int`, so the results match util-linux exactly, overflow included.
 *
 * Failures throw `IdMapError` whose message is util-linux's text (without the program name).
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { IdMapRange } from './spec.js';
import { errnoCode, scanU32, scanU32List, strerror, strtoul, ulStrtou64 } from './libc.js';
import { getpwuid, PASSWD_FILE } from './users.js';

export const SUBUID_FILE = '/etc/subuid';
export const SUBGID_FILE = '/etc/subgid';
export const PROC_UID_MAP = '/proc/self/uid_map';
export const PROC_GID_MAP = '/proc/self/gid_map';

/** (unsigned int) -1: "no id" in util-linux, and the `inner` marker of an `auto` range. */
export const NO_ID = 0xffffffff;

export class IdMapError extends Error {
  override name = 'IdMapError';
}

/** A range as util-linux keeps it before merging: `inner` may still be NO_ID (`auto`: becomes 0). */
export type MapRange = IdMapRange;

const u32 = (n: number): number => n >>> 0;

/**
 * util-linux `get_map_range()`: `inner:outer:count` or the legacy `outer,inner,count`, each field
 * read by `sscanf("%u")` (so blanks before a number, a sign and 32-bit wrap-around are accepted).
 */
export function parseMapRange(s: string): MapRange {
  const colon = scanU32List(s, [':', ':']);
  if (colon) return { inner: colon[0]!, outer: colon[1]!, count: colon[2]! };
  const comma = scanU32List(s, [',', ',']);
  if (comma) return { outer: comma[0]!, inner: comma[1]!, count: comma[2]! };
  throw new IdMapError(`invalid mapping '${s}'`);
}

/** `fopen(file, "r")` + read everything; a directory opens but reads as nothing. */
function readWhole(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new IdMapError(`could not open '${file}': ${strerror(errnoCode(e))}`);
  }
  try {
    return readFileSync(fd, 'utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/** The lines as getline() returns them, without the newline. */
function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** util-linux `strtoul_or_err(s, "failed to parse subid map")` stored in an unsigned int. */
function subidNumber(s: string): number {
  const r = ulStrtou64(s);
  if (!r.ok) {
    const suffix = r.errno === 'ERANGE' ? `: ${strerror('ERANGE')}` : '';
    throw new IdMapError(`failed to parse subid map: '${s}'${suffix}`);
  }
  return Number(r.value & 0xffffffffn);
}

/**
 * util-linux `read_subid_range()`: the first line of `file` (`/etc/subuid` or `/etc/subgid`)
 * whose first field is the name of user `uid` or, read by `strtoul`, equals `uid`. With
 * `identity` the block maps onto itself; otherwise `inner` is NO_ID (the block starts at 0
 * once merged by `addSingleMapRange`).
 */
export function readSubidRange(file: string, uid: number, identity: boolean, passwdFile = PASSWD_FILE): MapRange {
  const pw = getpwuid(uid, passwdFile);
  if (!pw) throw new IdMapError(`you (user ${uid}) don't exist.`);
  const text = readWhole(file);
  for (const line of lines(text)) {
    const c1 = line.indexOf(':');
    if (c1 < 0) continue;
    const owner = line.slice(0, c1);
    if (owner !== pw.name && strtoul(owner).value !== BigInt(pw.uid)) continue;
    const rest = line.slice(c1 + 1);
    const c2 = rest.indexOf(':');
    if (c2 < 0) continue;
    const outer = subidNumber(rest.slice(0, c2));
    const count = subidNumber(rest.slice(c2 + 1));
    return { inner: identity ? outer : NO_ID, outer, count };
  }
  throw new IdMapError(`no line matching user "${pw.name}" in ${file}`);
}

/**
 * util-linux `read_kernel_map()` (`--map-users=all`): every line of the current uid_map/gid_map
 * as a pass-through range (`start start count`), in file order.
 */
export function readKernelMap(file: string): MapRange[] {
  const out: MapRange[] = [];
  for (const line of lines(readWhole(file))) {
    const start = scanU32(line, 0);
    if (!start) continue;
    const skipped = scanU32(line, start.end);
    if (!skipped) continue;
    const count = scanU32(line, skipped.end);
    if (!count) continue;
    out.push({ inner: start.value, outer: start.value, count: count.value });
  }
  return out;
}

/**
 * util-linux `add_single_map_range()`: put the single mapping `inner` → `outer` (count 1) first,
 * and cut it out of every range. A range that the single id overlaps, inside or outside, loses
 * its topmost id and is split into up to three pieces (lo, mid, hi) around the hole. With
 * `inner` = NO_ID (or any negative number) there is no single mapping and the ranges only get
 * their `auto` inner ids resolved. Pieces that end up empty are dropped.
 *
 * `chain` is in util-linux's list order: every `--map-users` prepends, so the range given last
 * comes first (and `all` prepends each kernel line in turn). The result is util-linux's final
 * list, i.e. the single mapping, then the pieces in the order the ranges were given.
 */
export function addSingleMapRange(chain: readonly MapRange[], outerIn: number, innerIn: number): IdMapRange[] {
  const inner = innerIn < 0 ? NO_ID : u32(innerIn);
  const outer = inner === NO_ID ? NO_ID : u32(outerIn);
  const out: IdMapRange[] = [];
  if (inner !== NO_ID) out.push({ inner, outer, count: 1 });
  // Each processed range prepends its pieces to the new list: walk the chain backwards and append.
  for (let k = chain.length - 1; k >= 0; k--) {
    const map = { ...chain[k]! };
    if (map.inner === NO_ID) map.inner = 0;
    else if (
      inner !== NO_ID &&
      ((outer >= map.outer && outer <= u32(map.outer + map.count)) || (inner >= map.inner && inner <= u32(map.inner + map.count)))
    )
      map.count = u32(map.count - 1);

    const outerOffset = Math.min(outer > map.outer ? u32(outer - map.outer) : 0, map.count);
    const innerOffset = Math.min(inner > map.inner ? u32(inner - map.inner) : 0, map.count);

    const lo = { outer: map.outer, inner: map.inner, count: Math.min(innerOffset, outerOffset) };

    let midOuter = u32(lo.outer + lo.count);
    if (midOuter === outer) midOuter = u32(midOuter + 1);
    let midInner = u32(lo.inner + lo.count);
    if (midInner === inner) midInner = u32(midInner + 1);
    const mid = { outer: midOuter, inner: midInner, count: Math.abs(outerOffset - innerOffset) };

    let hiOuter = u32(mid.outer + mid.count);
    if (hiOuter === outer) hiOuter = u32(hiOuter + 1);
    let hiInner = u32(mid.inner + mid.count);
    if (hiInner === inner) hiInner = u32(hiInner + 1);
    const hi = { outer: hiOuter, inner: hiInner, count: u32(map.count - lo.count - mid.count) };

    for (const piece of [lo, mid, hi]) if (piece.count) out.push({ inner: piece.inner, outer: piece.outer, count: piece.count });
  }
  return out;
}

/** The id a process with id `outer` in the parent namespace has under `ranges` (kernel rules), or undefined. */
export function mapIdInward(ranges: readonly IdMapRange[], outer: number): number | undefined {
  for (const r of ranges) if (outer >= r.outer && outer - r.outer < r.count) return r.inner + (outer - r.outer);
  return undefined;
}
