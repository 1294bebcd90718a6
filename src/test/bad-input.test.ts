/**
 * The bad-input corpus: every command line of corpus/bad-command-lines.txt, and every profile
 * file of corpus/bad-profiles/ (through `nsbox run NAME`, and through an editing command, which
 * must refuse to touch it), run through the real CLI. Each must:
 *
 *  - exit with status 1 (util-linux's status for usage and validation errors);
 *  - print nothing on stdout, and exactly one line on stderr naming the problem, prefixed by the
 *    command (`nsbox unshare: ...`). The hint line util-linux prints after getopt errors
 *    ("Try '... --help' for more information.") may follow it: nsbox unshare, nsenter and lsns
 *    are drop-in replacements and print it where util-linux does; run and rootfs print it too;
 *  - leave no trace: the scratch directory (the profile store, HOME, TMPDIR and every fixture)
 *    byte-for-byte as before (every entry's type, mode, owner, content, link target and, for
 *    files, mtime; not directories' mtimes: the store's lock file comes and goes), no mount
 *    under it, no process left behind.
 *
 * Exceptions kept out of the corpus, with the reason: `lsns -o ''` and `lsns -o NS,,X` exit 1
 * without a message because util-linux lsns does (src/test/lsns.test.ts compares them with it);
 * `rootfs import` exits 2 when it refused unsafe entries (a partial success, documented in its
 * usage), which is not bad input; a program that cannot be executed is exit 126/127 (util-linux's).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { HERE, NSBOX_CLI, descendants, mountinfo, runCommand, runNsboxCommand, tmpdir, useFileLeakCheck, type RunResult } from './harness.js';

useFileLeakCheck();

/** dist/test → src/test: the corpus is read from the sources, not copied by tsc. */
const CORPUS = join(HERE, '..', '..', 'src', 'test', 'corpus');

interface Case {
  line: number;
  text: string;
  argv: string[];
  expect: string | undefined;
  /** For the profile cases: the profile file. */
  file?: string;
}

/** Shell-like splitting: blanks separate words; '...' literal; "..." with \" and \\; \x escapes x. */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${s}`);
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && (s[j + 1] === '"' || s[j + 1] === '\\')) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new Error(`unterminated " in ${s}`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function readCorpus(dir: string): Case[] {
  const text = fs.readFileSync(join(CORPUS, 'bad-command-lines.txt'), 'utf8');
  const cases: Case[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const m = /^(.*?)(?:\s+#= (.*))?$/.exec(raw)!;
    const argv = shellWords(m[1]!).map((w) => w.replaceAll('$DIR', dir).replaceAll('$PID', String(process.pid)));
    cases.push({ line: i + 1, text: raw, argv, expect: m[2] });
  });
  return cases;
}

const BAD_PROFILES = fs
  .readdirSync(join(CORPUS, 'bad-profiles'))
  .filter((f) => f.endsWith('.json'))
  .sort();

/** Everything under `dir`: type, mode, owner, size, mtime, content hash, link target. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string): void => {
    const st = fs.lstatSync(p, { bigint: true });
    // A directory's mtime is left out: the profile store's lock file comes and goes in it.
    let what = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? '' : `${st.size} ${st.mtimeNs}`}`;
    if (st.isSymbolicLink()) what += ` -> ${fs.readlinkSync(p)}`;
    else if (st.isFile()) what += ` ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    out.set(p, what);
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(join(p, e));
  };
  walk(dir);
  return out;
}

function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const d: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) d.push(`${b.has(k) ? 'changed' : 'removed'}: ${k}`);
  for (const k of b.keys()) if (!a.has(k)) d.push(`new: ${k}`);
  return d;
}

const HINT = /^Try '.*--help' for more information\.$/;

function checkResult(c: Case, r: RunResult): string[] {
  const problems: string[] = [];
  if (r.code !== 1) problems.push(`exit ${r.code ?? r.signal} (expected 1)`);
  if (r.stdout !== '') problems.push(`stdout: ${JSON.stringify(r.stdout.slice(0, 300))}`);
  if (r.timedOut) problems.push('timed out');
  if (r.pipesHeldOpen) problems.push('stdout/stderr held open after the exit');
  const lines = r.stderr.endsWith('\n') ? r.stderr.slice(0, -1).split('\n') : [r.stderr];
  if (!r.stderr.endsWith('\n')) problems.push('stderr does not end with a newline');
  if (lines.length === 2 && HINT.test(lines[1]!)) lines.pop();
  if (lines.length !== 1) problems.push(`${lines.length} lines on stderr`);
  const first = lines[0] ?? '';
  if (!/^nsbox( [a-z]+)*: \S/.test(first)) problems.push('the error line does not start with the command');
  if (c.expect !== undefined && !first.includes(c.expect)) problems.push(`the error line does not contain ${JSON.stringify(c.expect)}`);
  if (problems.length) problems.push(`stderr: ${JSON.stringify(r.stderr.slice(0, 500))}`);
  return problems;
}

interface Fixture {
  dir: string;
  env: Record<string, string>;
}

function makeFixture(): Fixture {
  const dir = tmpdir();
  const profiles = join(dir, 'profiles');
  fs.mkdirSync(profiles);
  fs.writeFileSync(join(profiles, 'good.json'), `${JSON.stringify({ version: 1, unshare: ['ipc'], command: ['true'] }, null, 2)}\n`);
  fs.writeFileSync(join(profiles, 'noprogram.json'), `${JSON.stringify({ version: 1, unshare: ['ipc'] }, null, 2)}\n`);
  for (const f of BAD_PROFILES) fs.copyFileSync(join(CORPUS, 'bad-profiles', f), join(profiles, f));
  // Symlinked profile files: dangling, a loop, to a corrupt file outside the store; a directory.
  fs.symlinkSync(join(dir, 'nonexistent-target.json'), join(profiles, 'dangling.json'));
  fs.symlinkSync('loop.json', join(profiles, 'loop.json'));
  fs.writeFileSync(join(dir, 'outside-bad.json'), '{ "version": 1, "unshare": ');
  fs.symlinkSync('../outside-bad.json', join(profiles, 'linkbad.json'));
  fs.mkdirSync(join(profiles, 'isdir.json'));
  fs.mkdirSync(join(dir, 'nonempty'));
  fs.writeFileSync(join(dir, 'nonempty', 'file'), 'x');
  fs.writeFileSync(join(dir, 'garbage.tar.gz'), Buffer.from(Array.from({ length: 4096 }, (_v, i) => (i * 7919 + 13) & 0xff)));
  fs.mkdirSync(join(dir, 'rootfs'));
  fs.mkdirSync(join(dir, 'home'));
  fs.mkdirSync(join(dir, 'tmp'));
  return { dir, env: { NSBOX_PROFILE_DIR: profiles, HOME: join(dir, 'home'), TMPDIR: join(dir, 'tmp'), XDG_CONFIG_HOME: join(dir, 'home', '.config') } };
}

/** Runs the cases a few at a time; side effects are checked per batch (none is allowed anyway). */
async function runCases(fx: Fixture, cases: Case[]): Promise<string[]> {
  const failures: string[] = [];
  const mountsUnder = (): string[] =>
    mountinfo()
      .filter((m) => m.mountpoint === fx.dir || m.mountpoint.startsWith(`${fx.dir}/`))
      .map((m) => `${m.mountpoint} (${m.fstype})`);
  const BATCH = 4;
  for (let i = 0; i < cases.length; i += BATCH) {
    const batch = cases.slice(i, i + BATCH);
    const before = snapshot(fx.dir);
    const opts = { env: fx.env, cwd: fx.dir, timeout: 15_000 };
    // `nsbox` with no command at all: runNsboxCommand always passes one, so run it directly.
    const results = await Promise.all(batch.map((c) => (c.argv.length ? runNsboxCommand(c.argv[0]!, c.argv.slice(1), opts) : runCommand([process.execPath, NSBOX_CLI], opts))));
    batch.forEach((c, j) => {
      const problems = checkResult(c, results[j]!);
      if (problems.length) failures.push(`${c.file ?? `line ${c.line}`}: ${c.text.trim() || '(no arguments)'}\n    ${problems.join('\n    ')}`);
    });
    const changed = diffSnapshots(before, snapshot(fx.dir));
    const mounts = mountsUnder();
    const procs = descendants();
    const where = batch.map((c) => c.file ?? `line ${c.line}`).join(', ');
    if (changed.length) failures.push(`side effect of one of ${where}:\n    ${changed.join('\n    ')}`);
    if (mounts.length) failures.push(`mounts left by one of ${where}: ${mounts.join(', ')}`);
    if (procs.length) failures.push(`processes left by one of ${where}: ${procs.map((p) => `${p.pid} ${p.comm}`).join(', ')}`);
  }
  return failures;
}

describe('bad input: exit 1, one line, no side effect', () => {
  let fx: Fixture;
  before(() => {
    fx = makeFixture();
  });

  it('the corpus is big enough (at least 100 command lines, 40 profile files)', () => {
    const cases = readCorpus('/DIR');
    assert.ok(cases.length >= 100, `${cases.length} command lines`);
    assert.ok(BAD_PROFILES.length >= 40, `${BAD_PROFILES.length} profile files`);
    const commands = new Set(cases.map((c) => (c.argv[0] === 'run' && c.argv[1] === '--rootfs' ? 'run --rootfs' : c.argv[0] === 'rootfs' ? 'rootfs import' : c.argv[0])));
    for (const c of ['unshare', 'nsenter', 'lsns', 'run', 'run --rootfs', 'profile', 'rootfs import']) assert.ok(commands.has(c), `no bad command line for ${c}`);
  });

  it('every bad command line', { timeout: 300_000 }, async () => {
    const failures = await runCases(fx, readCorpus(fx.dir));
    assert.deepEqual(failures, [], `${failures.length} failures:\n${failures.join('\n')}`);
  });

  it('every bad profile file, through `nsbox run NAME` and an editing command', { timeout: 300_000 }, async () => {
    const cases: Case[] = [];
    for (const f of BAD_PROFILES) {
      const name = f.replace(/\.json$/, '');
      cases.push({ line: 0, text: `run ${name}`, argv: ['run', name], expect: undefined, file: f });
      // run-*: valid files whose settings only fail at run time; an edit would succeed.
      if (!name.startsWith('run-')) cases.push({ line: 0, text: `profile ${name} unshare add pid`, argv: ['profile', name, 'unshare', 'add', 'pid'], expect: undefined, file: f });
    }
    const failures = await runCases(fx, cases);
    assert.deepEqual(failures, [], `${failures.length} failures:\n${failures.join('\n')}`);
  });
});

describe('bad input found by the fuzzers', () => {
  it('nsenter with an empty program name fails at exec as util-linux does (127), not as an invalid spec', async () => {
    const fx = makeFixture();
    const r = await runNsboxCommand('nsenter', ['-t', String(process.pid), '-u', ''], { env: fx.env });
    assert.equal(r.code, 127, r.stderr);
    assert.equal(r.stderr, 'nsbox nsenter: failed to execute : No such file or directory\n');
  });
});
