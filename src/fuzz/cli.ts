/**
 * A seeded mutation fuzzer for the command-line parsers (no dependency, no namespace created):
 * `nsbox unshare`, `nsenter`, `lsns`, `run --rootfs`, `profile ...` and profile files.
 *
 * Argument vectors come from each command's option table (every option in its short, long,
 * abbreviated, `=value` and separate-value forms) mixed with junk: empty strings, `=`, `--`,
 * lone dashes, huge and negative numbers, unicode, long strings, and random edits. Each is run
 * through the real parser, in-process, and these properties are checked:
 *
 *  - the parser returns or throws only its own usage/validation error class; nothing else;
 *  - a rejection is exit status 1, nothing on stdout, and one line on stderr naming the
 *    problem (plus util-linux's "Try '... --help'" hint line where util-linux prints one, and
 *    plus the line breaks the arguments themselves hold, echoed back);
 *  - an accepted command line encodes (encodeSpec / encodeEnterSpec) without an error, and the
 *    helper's C decoders, built into the test-only driver fuzz/spec_check.c, accept the result;
 *  - a profile file that validates serializes and validates again to the same profile.
 *
 *   node dist/fuzz/cli.js --cases N [--seed N] [--checker build/fuzz/bin/spec_check]
 *
 * prints failures (at most 20, each with the arguments that reproduce it) and one JSON summary
 * line last; exits 1 if anything failed. `scripts/fuzz.mjs` runs it; so does src/test/fuzz.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LONGOPTS as UNSHARE_LONGOPTS, SHORTOPTS as UNSHARE_SHORTOPTS, parseUnshare } from '../cli/unshare.js';
import { LONGOPTS as NSENTER_LONGOPTS, SHORTOPTS as NSENTER_SHORTOPTS, parseNsenter } from '../cli/nsenter.js';
import { parseLsns } from '../cli/lsns.js';
import { parseRootfsArgs, RootfsUsageError } from '../cli/run-rootfs.js';
import { profileCommand } from '../cli/profile.js';
import type { LongOption } from '../cli/getopt.js';
import type { EnterSys } from '../enterplan.js';
import { encodeSpec } from '../spec.js';
import { encodeEnterSpec } from '../enterspec.js';
import { buildSpec, SandboxOptionError } from '../options.js';
import { containerOptions } from '../container.js';
import { IdMapError } from '../idmap.js';
import { ProfileError, parseProfileText, serializeProfile } from '../profiles/validate.js';
import { profileToOptions } from '../profiles/run.js';

export interface CliFuzzOptions {
  cases: number;
  seed: number;
  /** The spec_check driver; without it accepted specs are only encoded, not decoded by C. */
  checker?: string;
  /** Stop collecting failure reports after this many (default 20). */
  maxReports?: number;
}

export interface CliFuzzSummary {
  cases: number;
  accepted: number;
  rejected: number;
  /** Accepted specs the C decoders checked. */
  checked: number;
  failures: number;
  seed: number;
  /** The first failures, each with what reproduces it. */
  reports: string[];
}

// ---------------------------------------------------------------------------------------------
// Random numbers and values
// ---------------------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough, and the same sequence for the same seed everywhere. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const JUNK: readonly string[] = [
  '', ' ', '=', '==', '-', '--', '---', '-=', '--=', ':', '::', ',', ',,', '.', '..', '/', '//', '/.', '/..',
  '0', '1', '2', '3', '-1', '+1', ' 1', '1 ', '01', '0x10', '1e3', '1.5', '64', '65', '255', '256',
  '2147483647', '2147483648', '4294967294', '4294967295', '4294967296', '9223372036854775807',
  '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '18446744073709551615',
  '18446744073709551616', '99999999999999999999999999', 'NaN', 'Infinity', '-0', '1k', '1m', '1g', '1t',
  'SIGKILL', 'KILL', 'kill', 'SIGTERM', 'TERM', 'SIGRTMIN', 'SIGRTMAX+1', 'SIGBOGUS', '9',
  '/tmp', '/proc', '/proc/self/ns/net', '/proc/1/ns/mnt', '/nonexistent', 'relative', './x', '/tmp/a:b', '/a,b', '/a=b',
  '0:0:1', '0:1000:1', '1000:0:1', '0:100000:65536', '1:2', '1:2:3:4', '0:4294967295:1', '0:0:0', '0:0:4294967296',
  'auto', 'all', 'subids', 'private', 'slave', 'shared', 'unchanged', 'allow', 'deny', 'root', 'nobody',
  'user', 'ipc', 'pid', 'net', 'uts', 'cgroup', 'mount', 'mnt', 'time', 'all,user', 'mount,pid', 'USER', ' user ',
  'ro', 'rw', 'dev', 'tmpfs', 'K=V', '=V', 'K=', 'PATH=/bin', '$HOME', '${HOME}', '${', '$', '~',
  'ü', 'é/ö', '日本語', '\u{1F600}', '\u200B', '\uFEFF', '\u00A0', 'a\tb', 'a\nb', '\\', '\'', '"', '`', '*', '?',
  'NAME', 'ns', 'type', 'pid,ns', '+NS', 'NS,,TYPE', 'json', 'owner', 'parent', 'process',
  'true', 'sh', '-c', 'echo', 'sleep',
];

function junk(r: Rng): string {
  switch (r.int(8)) {
    case 0:
      return 'x'.repeat(r.pick([63, 64, 65, 128, 129, 255, 256, 4097, 70000]));
    case 1:
      return String(r.int(2 ** 31) * (r.chance(0.2) ? -1 : 1));
    case 2:
      return `/${Array.from({ length: 1 + r.int(4) }, () => r.pick(['a', 'b', '..', '.', 'x:y', 'ü', ' '])).join('/')}`;
    default:
      return r.pick(JUNK);
  }
}

/** Random edits: insert, delete, duplicate, truncate, case, dashes, `=`. No NUL: argv has none. */
function mutate(r: Rng, s: string): string {
  const chars = [...s];
  switch (r.int(9)) {
    case 0:
      chars.splice(r.int(chars.length + 1), 0, r.pick(['=', '-', ':', ',', '/', ' ', 'x', '0', '9', 'é', '\n']));
      break;
    case 1:
      if (chars.length) chars.splice(r.int(chars.length), 1);
      break;
    case 2:
      return s + s;
    case 3:
      return chars.slice(0, r.int(chars.length + 1)).join('');
    case 4:
      return s.toUpperCase();
    case 5:
      return `-${s}`;
    case 6:
      return `${s}=`;
    case 7:
      return `${s}=${junk(r)}`;
    default:
      return junk(r);
  }
  return chars.join('');
}

interface OptionTable {
  shorts: { letter: string; hasArg: 'none' | 'required' | 'optional' }[];
  longs: readonly LongOption[];
}

function shortsOf(optstring: string): OptionTable['shorts'] {
  const out: OptionTable['shorts'] = [];
  const s = optstring.replace(/^[+-]/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ':') continue;
    const hasArg = s[i + 1] === ':' ? (s[i + 2] === ':' ? 'optional' : 'required') : 'none';
    out.push({ letter: c, hasArg });
  }
  return out;
}

/** One option in one of its spellings, with or without a value. */
function optionTokens(r: Rng, t: OptionTable): string[] {
  if (t.shorts.length && r.chance(0.35)) {
    const o = r.pick(t.shorts);
    if (o.hasArg === 'none') {
      // A group of flags, maybe ending with one that takes an argument.
      const group = [o.letter, ...Array.from({ length: r.int(3) }, () => r.pick(t.shorts).letter)].join('');
      return r.chance(0.2) ? [`-${group}`, junk(r)] : [`-${group}`];
    }
    if (r.chance(0.5)) return [`-${o.letter}${junk(r)}`];
    return [`-${o.letter}`, junk(r)];
  }
  const o = r.pick(t.longs);
  let name = o.name;
  if (r.chance(0.15)) name = name.slice(0, 1 + r.int(name.length));
  if (o.hasArg === 'none') return r.chance(0.1) ? [`--${name}=${junk(r)}`] : [`--${name}`];
  if (o.hasArg === 'optional') return r.chance(0.5) ? [`--${name}`] : [`--${name}=${junk(r)}`];
  return r.chance(0.5) ? [`--${name}=${junk(r)}`] : [`--${name}`, junk(r)];
}

function argVector(r: Rng, t: OptionTable, program: () => string[]): string[] {
  const out: string[] = [];
  const n = r.int(7);
  for (let i = 0; i < n; i++) out.push(...optionTokens(r, t));
  if (r.chance(0.1)) out.splice(r.int(out.length + 1), 0, junk(r));
  if (r.chance(0.3) && out.length) {
    const i = r.int(out.length);
    out[i] = mutate(r, out[i]!);
  }
  if (r.chance(0.1)) out.push('--');
  if (r.chance(0.75)) out.push(...program());
  return out;
}

const programs = (r: Rng) => (): string[] => r.pick([['true'], ['sh', '-c', 'exit 0'], ['/bin/echo', 'a b'], [junk(r)], [''], ['--', 'true'], []]);

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const TRY_HINT = /^Try '.*--help' for more information\.$/;

/** What a rejection must look like. Returns the problem, or undefined. */
function checkRejection(args: readonly string[], prog: string, status: number, stdout: string, stderr: string, hint: 'allowed' | 'never'): string | undefined {
  if (status !== 1) return `exit status ${status} (expected 1)`;
  if (stdout !== '') return `stdout not empty: ${JSON.stringify(stdout.slice(0, 200))}`;
  if (!stderr.endsWith('\n')) return `stderr does not end with a newline: ${JSON.stringify(stderr.slice(0, 200))}`;
  const lines = stderr.slice(0, -1).split('\n');
  if (hint === 'allowed' && lines.length > 1 && TRY_HINT.test(lines[lines.length - 1]!)) lines.pop();
  // A value holding line breaks is echoed back with them (util-linux does the same).
  const echoed = args.reduce((n, a) => n + (a.split('\n').length - 1), 0);
  if (lines.length < 1 || lines.length > 1 + echoed) return `${lines.length} lines on stderr: ${JSON.stringify(stderr.slice(0, 300))}`;
  if (!lines[0]!.startsWith(`${prog}: `) || lines[0]!.length <= prog.length + 2) return `stderr does not name the problem: ${JSON.stringify(stderr.slice(0, 300))}`;
  if (/\n\s+at /.test(stderr)) return 'a stack trace on stderr';
  return undefined;
}

function oneLineMessage(e: Error, args: readonly string[]): string | undefined {
  const echoed = args.reduce((n, a) => n + (a.split('\n').length - 1), 0);
  const lines = e.message.split('\n').length;
  if (e.message === '') return `${e.name} with an empty message`;
  if (lines > 1 + echoed) return `${e.name}: a ${lines}-line message: ${JSON.stringify(e.message.slice(0, 300))}`;
  return undefined;
}

function fakeSys(): EnterSys {
  const enoent = (path: string): Error => Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: 'ENOENT' });
  return {
    stat(path) {
      if (/^\/proc\/42\/?$/.test(path)) return { ino: 5n, uid: 1000, gid: 100 };
      if (/^\/proc\/(self|42)\/ns\/\w+$/.test(path)) return { ino: path.includes('42') ? 9n : 1n, uid: 0, gid: 0 };
      throw enoent(path);
    },
    readFile(path) {
      if (path === '/proc/42/environ') return Buffer.from('A=1\0PATH=/bin\0');
      if (path === '/proc/42/cgroup') return Buffer.from('0::/user.slice/x.scope\n');
      throw enoent(path);
    },
    statfsType: () => 0x63677270,
    kernelRelease: () => '6.1.0',
    passwdFile: '/nonexistent/passwd',
  };
}

/** open(2) of a file named on the command line: only the empty path fails (ENOENT), as it would. */
function fakeOpen(path: string): void {
  if (path === '') throw Object.assign(new Error("ENOENT: no such file or directory, open ''"), { code: 'ENOENT', errno: -2, syscall: 'open', path });
}

type Outcome = { kind: 'accepted'; encoded?: string[] } | { kind: 'rejected' } | { kind: 'failed'; why: string };

function unexpected(e: unknown): Outcome {
  const text = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  return { kind: 'failed', why: `unexpected exception ${text.split('\n').slice(0, 4).join(' | ')}` };
}

function encodeOrFail(encode: () => string[]): Outcome {
  try {
    return { kind: 'accepted', encoded: encode() };
  } catch (e) {
    return { kind: 'failed', why: `accepted, but the encoder refused it: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const UNSHARE_TABLE: OptionTable = { shorts: shortsOf(UNSHARE_SHORTOPTS), longs: UNSHARE_LONGOPTS };
const NSENTER_TABLE: OptionTable = { shorts: shortsOf(NSENTER_SHORTOPTS), longs: NSENTER_LONGOPTS };
const LSNS_TABLE: OptionTable = {
  shorts: shortsOf('JlPp:o:nruhVt:T::WQ:H'),
  longs: ['json', 'list', 'persistent', 'task', 'output', 'output-all', 'filter', 'noheadings', 'notruncate', 'raw', 'nowrap', 'type', 'tree', 'help', 'version', 'list-columns'].map((name) => ({
    name,
    hasArg: ['task', 'output', 'type', 'filter'].includes(name) ? ('required' as const) : name === 'tree' ? ('optional' as const) : ('none' as const),
    val: name,
  })),
};
const ROOTFS_TABLE: OptionTable = {
  shorts: [{ letter: 'h', hasArg: 'none' }],
  longs: [
    ['rootfs', 'required'],
    ['ro', 'none'],
    ['overlay', 'optional'],
    ['bind', 'required'],
    ['ro-bind', 'required'],
    ['tmpfs', 'required'],
    ['env', 'required'],
    ['cwd', 'required'],
    ['uid', 'required'],
    ['gid', 'required'],
    ['net', 'optional'],
    ['hostname', 'required'],
    ['help', 'none'],
  ].map(([name, hasArg]) => ({ name: name!, hasArg: hasArg as LongOption['hasArg'], val: name! })),
};

function fuzzUnshare(r: Rng, args: string[]): Outcome {
  const uid = r.pick([0, 1000]);
  let p;
  try {
    p = parseUnshare(args, { uid, gid: uid, euid: uid, egid: uid, env: { PATH: '/usr/bin:/bin', HOME: '/root', SHELL: '/bin/sh' }, progName: 'nsbox unshare', version: '0' });
  } catch (e) {
    return unexpected(e);
  }
  if (p.action === 'exit') {
    if (p.status === 0) return p.stdout !== '' && p.stderr === '' ? { kind: 'rejected' } : { kind: 'failed', why: 'status 0 without output' };
    const why = checkRejection(args, 'nsbox unshare', p.status, p.stdout, p.stderr, 'allowed');
    return why ? { kind: 'failed', why } : { kind: 'rejected' };
  }
  const spec = p.spec;
  return encodeOrFail(() => encodeSpec(spec, 3));
}

function fuzzNsenter(r: Rng, args: string[]): Outcome {
  let p;
  try {
    p = parseNsenter(args, { uid: r.pick([0, 1000]), env: { PATH: '/bin', SHELL: '/bin/sh' }, progName: 'nsbox nsenter', version: '0', selinux: r.chance(0.1), sys: fakeSys(), checkOpen: fakeOpen });
  } catch (e) {
    return unexpected(e);
  }
  if (p.action === 'exit') {
    if (p.status === 0) return p.stdout !== '' ? { kind: 'rejected' } : { kind: 'failed', why: 'status 0 without output' };
    const why = checkRejection(args, 'nsbox nsenter', p.status, p.stdout, p.stderr, 'allowed');
    return why ? { kind: 'failed', why } : { kind: 'rejected' };
  }
  const spec = p.spec;
  return encodeOrFail(() => encodeEnterSpec(spec, 3));
}

function fuzzLsns(args: string[]): Outcome {
  let p;
  try {
    p = parseLsns(args);
  } catch (e) {
    return unexpected(e);
  }
  if (p.action === 'run') return { kind: 'accepted' };
  if (p.status === 0) return { kind: 'rejected' };
  // util-linux lsns fails silently on an empty item of a column list (`-o NS,`, `-o ''`), and
  // src/test/lsns.test.ts holds nsbox lsns to that: the one accepted exception to "one line".
  if (p.status === 1 && p.stdout === '' && p.stderr === '' && args.some((a) => /^(-[^-]*o|--o)/.test(a))) return { kind: 'rejected' };
  // lsns prints `lsns: ...`: nsbox lsns keeps util-linux's program name for its messages.
  const prog = p.stderr.startsWith('nsbox lsns: ') ? 'nsbox lsns' : 'lsns';
  // A -Q expression's characters no scanner rule matches go to stdout (flex's default rule
  // echoes them, as util-linux's does, even when a later option fails): the other accepted
  // exception.
  const echoable = args.join('');
  const stdout = args.some((a) => /^(-[^-]*Q|--f)/.test(a)) && [...p.stdout].every((c) => echoable.includes(c)) ? '' : p.stdout;
  const why = checkRejection(args, prog, p.status, stdout, p.stderr, 'allowed');
  return why ? { kind: 'failed', why } : { kind: 'rejected' };
}

function fuzzRootfsRun(r: Rng, args: string[]): Outcome {
  let parsed;
  try {
    parsed = parseRootfsArgs(args, { PATH: '/bin' });
  } catch (e) {
    if (e instanceof RootfsUsageError) {
      const why = oneLineMessage(e, args);
      return why ? { kind: 'failed', why } : { kind: 'rejected' };
    }
    return unexpected(e);
  }
  if (parsed === 'help') return { kind: 'rejected' };
  const p = parsed;
  let spec;
  try {
    const options = containerOptions(p.rootfs, { ...p.choices, callerUid: r.pick([0, 1000]), ...(p.userNet ? { net: true } : {}) });
    spec = buildSpec(p.program[0]!, p.program.slice(1), options, { parentPid: 4242, euid: 0, egid: 0, path: '/bin' });
  } catch (e) {
    if (e instanceof SandboxOptionError || e instanceof IdMapError) {
      const why = oneLineMessage(e, args);
      return why ? { kind: 'failed', why } : { kind: 'rejected' };
    }
    return unexpected(e);
  }
  return encodeOrFail(() => encodeSpec(spec, 3));
}

const PROFILE_SAMPLE = {
  version: 1,
  unshare: ['mount', 'pid', 'user'],
  env: { A: '1', HOME: '$HOME' },
  binds: [{ mode: 'ro', src: '/usr', dst: '/usr' }],
  hostname: 'box',
  cwd: '/',
  command: ['sh', '-c', 'true'],
  time: { monotonic: 10, boottime: -5 },
};

/** A profile file: the sample with values replaced, keys added or dropped, or text-level edits. */
function profileText(r: Rng): string {
  const p: Record<string, unknown> = JSON.parse(JSON.stringify(PROFILE_SAMPLE)) as Record<string, unknown>;
  const keys = [...Object.keys(PROFILE_SAMPLE), 'rootfs', 'extra', '__proto__', 'constructor'];
  const values: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53, 1e308, '', 'x', junk(r), [], [junk(r)], {}, { a: 1 }, ['user', 'user'], ['all'], [{ mode: 'rw', src: junk(r), dst: junk(r) }], { monotonic: junk(r) }, 'x'.repeat(100000)];
  const edits = 1 + r.int(3);
  for (let i = 0; i < edits; i++) {
    const k = r.pick(keys);
    if (r.chance(0.2)) delete p[k];
    else p[k] = r.pick(values);
  }
  let text = JSON.stringify(p, null, r.chance(0.5) ? 2 : 0);
  if (r.chance(0.25)) text = mutate(r, text);
  if (r.chance(0.05)) text = r.pick(['', '{', '[]', 'null', '1', '"x"', '\uFEFF{}', '{"version":1}']);
  return text;
}

function fuzzProfileText(r: Rng): { outcome: Outcome; args: string[] } {
  const text = profileText(r);
  const args = [text];
  let p;
  try {
    p = parseProfileText(text, 'fuzz.json');
  } catch (e) {
    if (e instanceof ProfileError) {
      const why = oneLineMessage(e, []);
      return { outcome: why ? { kind: 'failed', why } : { kind: 'rejected' }, args };
    }
    return { outcome: unexpected(e), args };
  }
  // Round trip: what validates serializes to something that validates to the same thing.
  try {
    const again = parseProfileText(serializeProfile(p), 'fuzz.json');
    if (JSON.stringify(again) !== JSON.stringify(p)) return { outcome: { kind: 'failed', why: 'profile does not round-trip through serializeProfile()' }, args };
  } catch (e) {
    return { outcome: { kind: 'failed', why: `a valid profile serializes to an invalid one: ${e instanceof Error ? e.message : String(e)}` }, args };
  }
  const uid = r.pick([0, 1000]);
  let spec;
  try {
    const o = profileToOptions(p, { env: { HOME: '/root', PATH: '/bin' }, uid });
    const argv = p.command ?? ['true'];
    spec = buildSpec(argv[0]!, argv.slice(1), o, { parentPid: 4242, euid: uid, egid: uid, path: '/bin' });
  } catch (e) {
    if (e instanceof SandboxOptionError || e instanceof IdMapError) {
      const why = oneLineMessage(e, []);
      return { outcome: why ? { kind: 'failed', why } : { kind: 'rejected' }, args };
    }
    return { outcome: unexpected(e), args };
  }
  const s = spec;
  return { outcome: encodeOrFail(() => encodeSpec(s, 3)), args };
}

const PROFILE_WORDS = ['unshare', 'env', 'bind', 'hostname', 'cwd', 'rootfs', 'command', 'time', 'show', 'delete', 'copy', 'list', 'add', 'del', 'set', 'clear', 'all', 'user', 'mount', 'pid', 'ro', 'rw', 'dev', 'monotonic', 'boottime', '--force', '--help', '--profile-dir'];

async function fuzzProfileCommand(r: Rng, dir: string): Promise<{ outcome: Outcome; args: string[] }> {
  const args: string[] = [];
  // Never a profile directory outside the scratch store: a relative one lands in it (the
  // fuzzer runs with the store as its working directory), an absolute one is the store.
  if (r.chance(0.1)) args.push(...r.pick([['--profile-dir'], ['--profile-dir', dir], [`--profile-dir=${dir}`], ['--profile-dir='], ['-x'], ['--bogus']]));
  args.push(r.pick(['box', 'box', 'new', 'list', junk(r), '.hidden', '-dash', 'a/b']));
  const n = r.int(5);
  for (let i = 0; i < n; i++) args.push(r.chance(0.6) ? r.pick(PROFILE_WORDS) : junk(r));
  if (r.chance(0.2) && args.length) args[r.int(args.length)] = mutate(r, args[r.int(args.length)]!);
  // Edits go to a scratch store; the output itself is not checked here (the CLI tests do that).
  const argv = args[0]!.startsWith('--profile-dir') ? args : ['--profile-dir', dir, ...args];
  try {
    await profileCommand(argv, () => undefined, { HOME: dir, PATH: '/bin' });
    return { outcome: { kind: 'accepted' }, args };
  } catch (e) {
    if (e instanceof Error && (e instanceof ProfileError || e.constructor.name === 'UsageError')) {
      const why = oneLineMessage(e, args);
      return { outcome: why ? { kind: 'failed', why } : { kind: 'rejected' }, args };
    }
    return { outcome: unexpected(e), args };
  }
}

// ---------------------------------------------------------------------------------------------
// The C decoders as the judge
// ---------------------------------------------------------------------------------------------

/** Runs spec_check once on every accepted spec; returns one verdict per spec ("ok" or "bad\t..."). */
function checkWithC(checker: string, specs: readonly string[][]): string[] {
  const parts: Buffer[] = [];
  for (const argv of specs) {
    parts.push(Buffer.from(`${argv.length}\n`));
    for (const a of argv) {
      const b = Buffer.from(a);
      parts.push(Buffer.from(`${b.length}\n`), b);
    }
  }
  const r = spawnSync(checker, [], { input: Buffer.concat(parts), maxBuffer: 256 << 20, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${checker} exited with ${r.status}: ${(r.stderr ?? '').slice(0, 2000)}`);
  const lines = r.stdout.split('\n');
  lines.pop();
  if (lines.length !== specs.length) throw new Error(`${checker} answered ${lines.length} times for ${specs.length} specs`);
  return lines;
}

export async function fuzzCli(o: CliFuzzOptions): Promise<CliFuzzSummary> {
  const r = new Rng(o.seed);
  const maxReports = o.maxReports ?? 20;
  const summary: CliFuzzSummary = { cases: 0, accepted: 0, rejected: 0, checked: 0, failures: 0, seed: o.seed, reports: [] };
  const report = (what: string, args: readonly string[], why: string): void => {
    summary.failures++;
    if (summary.reports.length < maxReports) summary.reports.push(`${what} ${JSON.stringify(args)}: ${why}`);
  };
  const encoded: { what: string; args: string[]; argv: string[] }[] = [];
  const store = mkdtempSync(join(tmpdir(), 'nsbox-fuzz-profiles-'));
  const cwd = process.cwd();
  // Whatever a fuzzed command line creates relative to the working directory goes to the store.
  process.chdir(store);
  try {
    writeFileSync(join(store, 'box.json'), JSON.stringify(PROFILE_SAMPLE));
    for (let i = 0; i < o.cases; i++) {
      const which = r.int(100);
      let what: string;
      let args: string[];
      let outcome: Outcome;
      if (which < 35) {
        what = 'unshare';
        args = argVector(r, UNSHARE_TABLE, programs(r));
        outcome = fuzzUnshare(r, args);
      } else if (which < 55) {
        what = 'nsenter';
        args = argVector(r, NSENTER_TABLE, programs(r));
        if (r.chance(0.6)) args.unshift('-t', r.pick(['42', '42', junk(r)]));
        outcome = fuzzNsenter(r, args);
      } else if (which < 65) {
        what = 'lsns';
        args = argVector(r, LSNS_TABLE, () => (r.chance(0.2) ? [junk(r)] : []));
        outcome = fuzzLsns(args);
      } else if (which < 77) {
        what = 'run --rootfs';
        args = argVector(r, ROOTFS_TABLE, programs(r));
        if (r.chance(0.7)) args.unshift('--rootfs', r.pick(['/srv/r', '/srv/r', junk(r)]));
        outcome = fuzzRootfsRun(r, args);
      } else if (which < 92) {
        what = 'profile file';
        ({ outcome, args } = fuzzProfileText(r));
      } else {
        what = 'profile';
        ({ outcome, args } = await fuzzProfileCommand(r, store));
      }
      summary.cases++;
      if (outcome.kind === 'failed') report(what, args, outcome.why);
      else if (outcome.kind === 'rejected') summary.rejected++;
      else {
        summary.accepted++;
        if (outcome.encoded) encoded.push({ what, args, argv: outcome.encoded });
      }
    }
  } finally {
    process.chdir(cwd);
    rmSync(store, { recursive: true, force: true });
  }
  if (o.checker && encoded.length) {
    const verdicts = checkWithC(
      o.checker,
      encoded.map((e) => e.argv),
    );
    verdicts.forEach((v, i) => {
      summary.checked++;
      if (v !== 'ok') report(encoded[i]!.what, encoded[i]!.args, `accepted and encoded, but the helper's decoder refuses it (${v}): ${JSON.stringify(encoded[i]!.argv)}`);
    });
  }
  return summary;
}

async function main(argv: readonly string[]): Promise<void> {
  let cases = 10000;
  let seed = Date.now() % 0x7fffffff;
  let checker: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    if (a === '--cases' && v !== undefined) cases = Number(argv[++i]);
    else if (a === '--seed' && v !== undefined) seed = Number(argv[++i]);
    else if (a === '--checker' && v !== undefined) checker = argv[++i];
    else {
      process.stderr.write(`fuzz-cli: unknown argument '${a}'\nusage: node dist/fuzz/cli.js [--cases N] [--seed N] [--checker PATH]\n`);
      process.exit(2);
    }
  }
  if (!Number.isSafeInteger(cases) || cases < 0 || !Number.isSafeInteger(seed)) {
    process.stderr.write('fuzz-cli: --cases and --seed take integers\n');
    process.exit(2);
  }
  const s = await fuzzCli({ cases, seed, ...(checker !== undefined ? { checker } : {}) });
  for (const line of s.reports) process.stdout.write(`FAIL ${line}\n`);
  process.stdout.write(`${JSON.stringify({ cases: s.cases, accepted: s.accepted, rejected: s.rejected, checked: s.checked, failures: s.failures, seed: s.seed })}\n`);
  process.exitCode = s.failures ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
