/**
 * Shared utilities of the integration tests: running `nsbox unshare` and util-linux
 * `/usr/bin/unshare` (as root or as the unprivileged user `nsboxtest`), normalising their
 * output so the two can be compared, temporary directories that clean up after themselves,
 * leak checks (processes, zombies, mounts, fds) and the skip policy.
 *
 * Nothing here imports the implementation: the tests only ever talk to the CLI, as a user would.
 */
import * as cp from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { constants as osConstants, tmpdir as osTmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { allPids, readStat } from '../proc.js';

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/** The repository root (this file is dist/test/harness.js once compiled). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The compiled CLI entry point. */
/** The CLI as installed (`bin` in package.json): the bundled dist/nsbox.cjs. */
export const NSBOX_CLI = join(REPO_ROOT, 'dist', 'nsbox.cjs');
/** The native helper the CLI starts. */
export const NSBOX_HELPER = process.env.NSBOX_HELPER && process.env.NSBOX_HELPER !== '' ? process.env.NSBOX_HELPER : join(REPO_ROOT, 'build', 'nsbox-helper');
/** util-linux unshare(1) as installed (2.38.1 on Debian 12). */
export const UTIL_UNSHARE = '/usr/bin/unshare';
/** setpriv(1), which switches to the test user (absolute: a test may set its own PATH). */
const SETPRIV = fs.existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : 'setpriv';
/** The unprivileged user the rootless scenarios run as. */
export const TEST_USER = 'nsboxtest';
/** Prefix of every temporary directory this test process creates (the pid makes it ours). */
const TMP_PREFIX = `nsbox-test-${process.pid}-`;

export const IS_ROOT = process.geteuid?.() === 0;
export const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** Whether the CLI and the helper have been built (the tests are written before they exist). */
export function nsboxBuilt(): { ok: boolean; missing: string[] } {
  const missing: string[] = [];
  if (!fs.existsSync(NSBOX_CLI)) missing.push(NSBOX_CLI);
  try {
    fs.accessSync(NSBOX_HELPER, fs.constants.X_OK);
  } catch {
    missing.push(NSBOX_HELPER);
  }
  return { ok: missing.length === 0, missing };
}

// ---------------------------------------------------------------------------------------------
// Skip policy
// ---------------------------------------------------------------------------------------------

/** The subset of node:test's TestContext the policy needs. */
export interface SkipContext {
  skip(message?: string): void;
}

/**
 * If `available` is false: skip the test with `reason` (which names the missing capability),
 * except in CI (`$CI` set), where a missing capability is a failure, never a silent skip.
 * Returns `available`, so callers write `if (!requireCapability(t, ok, '...')) return;`.
 */
export function requireCapability(t: SkipContext, available: boolean, reason: string): boolean {
  if (available) return true;
  if (IN_CI) assert.fail(`required capability unavailable in CI: ${reason}`);
  t.skip(reason);
  return false;
}

/** Root (CAP_SYS_ADMIN in the initial namespaces) is needed by most scenarios. */
export function requireRoot(t: SkipContext): boolean {
  return requireCapability(t, IS_ROOT, 'needs root (CAP_SYS_ADMIN, CAP_SETUID) in the initial user namespace');
}

/** util-linux unshare must be installed to compare against. */
export function requireUtilUnshare(t: SkipContext): boolean {
  return requireCapability(t, fs.existsSync(UTIL_UNSHARE), `needs util-linux ${UTIL_UNSHARE} to compare with`);
}

// ---------------------------------------------------------------------------------------------
// The unprivileged test user
// ---------------------------------------------------------------------------------------------

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** First /etc/subuid range of the user. */
  subuid: { start: number; count: number };
  subgid: { start: number; count: number };
}

let testUserCache: TestUser | string | undefined;

function getent(db: string, key: string): string[] | undefined {
  const r = cp.spawnSync('getent', [db, key], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.trim().split('\n')[0]?.split(':');
}

function subidRange(file: string, user: TestUser | { name: string; uid: number }): { start: number; count: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [who, start, count] = line.split(':');
    if (who === user.name || who === String(user.uid)) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The test user, created on first use (we are root on dev machines and in CI). Returns a string
 * (the reason) when the user does not exist and cannot be created, or has no subordinate ids.
 */
export function testUser(): TestUser | string {
  if (testUserCache !== undefined) return testUserCache;
  let pw = getent('passwd', TEST_USER);
  if (!pw && IS_ROOT) {
    // Several test files may race to create it: retry while /etc/passwd is locked.
    for (let i = 0; i < 20 && !pw; i++) {
      cp.spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', TEST_USER], { stdio: 'ignore' });
      pw = getent('passwd', TEST_USER);
      if (!pw) sleepSync(100);
    }
  }
  if (!pw) {
    testUserCache = `needs the user ${TEST_USER} (cannot create it: not root or useradd failed)`;
    return testUserCache;
  }
  const base = { name: TEST_USER, uid: Number(pw[2]), gid: Number(pw[3]), home: pw[5] ?? '/', shell: pw[6] || '/bin/sh' };
  const subuid = subidRange('/etc/subuid', base);
  const subgid = subidRange('/etc/subgid', { name: TEST_USER, uid: base.gid });
  if (!subuid || !subgid) {
    testUserCache = `needs /etc/subuid and /etc/subgid ranges for ${TEST_USER}`;
    return testUserCache;
  }
  testUserCache = { ...base, subuid, subgid };
  return testUserCache;
}

let userEnvProblem: string | null | undefined;

/**
 * What keeps the test user from running the scenarios, once per process: node must be
 * executable by it, and unprivileged user namespaces must be enabled (Ubuntu's
 * kernel.apparmor_restrict_unprivileged_userns, Debian's kernel.unprivileged_userns_clone).
 */
function userEnvironmentProblem(user: TestUser): string | null {
  if (userEnvProblem !== undefined) return userEnvProblem;
  const as = (argv: string[]): cp.SpawnSyncReturns<string> =>
    cp.spawnSync(SETPRIV, [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...argv], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: user.home },
      cwd: '/',
    });
  userEnvProblem = null;
  if (as([process.execPath, '-e', '0']).status !== 0) {
    userEnvProblem = `${TEST_USER} cannot execute node at ${process.execPath} (install node system-wide)`;
  } else if (fs.existsSync(UTIL_UNSHARE)) {
    const r = as([UTIL_UNSHARE, '--user', '--map-root-user', '/bin/true']);
    if (r.status !== 0) userEnvProblem = `unprivileged user namespaces are unavailable to ${TEST_USER}: ${r.stderr.trim()}`;
  }
  return userEnvProblem;
}

/**
 * The test user's account (for its ids and names in root scenarios), or skip (fail in CI).
 * `runAs`: the scenario also runs programs as that user, which needs more (see below).
 */
export function requireTestUser(t: SkipContext, o: { runAs?: boolean } = { runAs: true }): TestUser | undefined {
  const u = testUser();
  if (typeof u === 'string') {
    requireCapability(t, false, u);
    return undefined;
  }
  if (!o.runAs) return u;
  if (!requireCapability(t, IS_ROOT, `needs root to switch to ${TEST_USER} with setpriv`)) return undefined;
  const problem = userEnvironmentProblem(u);
  if (!requireCapability(t, problem === null, problem ?? '')) return undefined;
  return u;
}

// ---------------------------------------------------------------------------------------------
// A copy of the package the test user can read
// ---------------------------------------------------------------------------------------------

let userCliCache: { cli: string; helper: string } | undefined;

function userCanRead(user: TestUser, paths: string[]): boolean {
  const script = paths.map((p) => `test -r '${p.replace(/'/g, `'\\''`)}'`).join(' && ');
  const r = cp.spawnSync(SETPRIV, [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', '/bin/sh', '-c', script], {
    stdio: 'ignore',
    env: { PATH: '/usr/bin:/bin' },
  });
  return r.status === 0;
}

/**
 * The CLI path the test user runs. CI may clone the repository somewhere that user cannot
 * read; then (once per test process) dist/, build/ and package.json are copied to a
 * world-readable temporary directory, removed at exit. `NSBOX_TEST_FORCE_COPY=1` forces the copy
 * (to test this path).
 */
export function userCli(user: TestUser): { cli: string; helper: string } {
  if (userCliCache) return userCliCache;
  const force = process.env.NSBOX_TEST_FORCE_COPY === '1';
  if (!force && userCanRead(user, [NSBOX_CLI, NSBOX_HELPER, join(REPO_ROOT, 'package.json')])) {
    userCliCache = { cli: NSBOX_CLI, helper: NSBOX_HELPER };
    return userCliCache;
  }
  userCliCache = copyPackageForUser();
  return userCliCache;
}

/**
 * Copy dist/, build/ and package.json to a new world-readable directory under /tmp (removed
 * when the process exits). Returns the CLI and helper paths of the copy.
 */
export function copyPackageForUser(): { cli: string; helper: string; dir: string } {
  const dir = fs.mkdtempSync(join(osTmpdir(), `nsbox-test-pkg-${process.pid}-`));
  userCopyDirs.push(dir);
  fs.chmodSync(dir, 0o755);
  fs.cpSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  fs.mkdirSync(join(dir, 'build'), { recursive: true });
  const helperCopy = join(dir, 'build', 'nsbox-helper');
  if (fs.existsSync(NSBOX_HELPER)) fs.copyFileSync(NSBOX_HELPER, helperCopy);
  if (fs.existsSync(join(REPO_ROOT, 'build'))) {
    for (const e of fs.readdirSync(join(REPO_ROOT, 'build'))) {
      const src = join(REPO_ROOT, 'build', e);
      if (e !== 'nsbox-helper' && fs.statSync(src).isFile()) fs.copyFileSync(src, join(dir, 'build', e));
    }
  }
  fs.copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  const chmodAll = (p: string): void => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o755);
      for (const e of fs.readdirSync(p)) chmodAll(join(p, e));
    } else {
      fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
    }
  };
  chmodAll(dir);
  if (fs.existsSync(helperCopy)) fs.chmodSync(helperCopy, 0o755);
  return { cli: join(dir, 'dist', 'nsbox.cjs'), helper: helperCopy, dir };
}

const userCopyDirs: string[] = [];
process.once('exit', () => {
  for (const d of userCopyDirs) fs.rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Running the two implementations
// ---------------------------------------------------------------------------------------------

export type Impl = 'nsbox' | 'util';

export interface RunOptions {
  /** Added to the base environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Replace the base environment entirely (the token of `scope` is still added). */
  cleanEnv?: boolean;
  /** Written to stdin, which is then closed (stdin is /dev/null otherwise). */
  input?: string;
  /** Kill (SIGKILL) after this many ms; `timedOut` is then set. Default 20 s. */
  timeout?: number;
  /** Run as the unprivileged test user (through setpriv). */
  asUser?: boolean;
  /** Working directory (default: `/` as the test user, the test process's otherwise). */
  cwd?: string;
  /** The leak scope of the scenario: its token goes into the environment. */
  scope?: LeakScope;
  /** How long to wait for stdout/stderr to close once the process has exited (ms, default 2000). */
  closeGraceMs?: number;
  /** Pass /dev/null open as this extra fd (> 2) to the process, as a shell's `N</dev/null` would. */
  extraFd?: number;
  /** nsbox only: run this CLI (and helper) instead of the default ones. */
  cli?: { cli: string; helper: string };
}

export interface RunResult {
  impl: Impl | 'cmd';
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  timedOut: boolean;
  /** stdout/stderr were still held open (by a leftover process) after the exit. */
  pipesHeldOpen: boolean;
  ms: number;
}

export interface Running {
  readonly impl: Impl | 'cmd';
  readonly pid: number;
  readonly child: cp.ChildProcess;
  /** Resolves at the 'exit' event. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout/stderr are closed (or the close grace ran out) after the exit. */
  readonly result: Promise<RunResult>;
  kill(sig?: NodeJS.Signals): void;
}

function baseEnv(user: TestUser | undefined): Record<string, string> {
  if (user) {
    return { PATH: '/usr/bin:/bin', HOME: user.home, USER: user.name, LOGNAME: user.name, LC_ALL: 'C', LANG: 'C' };
  }
  return { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', LC_ALL: 'C', LANG: 'C' };
}

function mergeEnv(base: Record<string, string>, extra: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Start any command (argv[0] looked up in PATH) with the harness options. */
export function startCommand(argv: readonly string[], opts: RunOptions = {}, impl: Impl | 'cmd' = 'cmd', argv0?: string): Running {
  let user: TestUser | undefined;
  if (opts.asUser) {
    const u = testUser();
    if (typeof u === 'string') throw new Error(u);
    user = u;
  }
  let env = mergeEnv(opts.cleanEnv ? {} : baseEnv(user), opts.env);
  if (opts.scope) env = { ...env, ...opts.scope.env };
  if (!user && process.env.NSBOX_HELPER && env.NSBOX_HELPER === undefined && !opts.cleanEnv) env.NSBOX_HELPER = process.env.NSBOX_HELPER;
  let file = argv[0]!;
  let args = argv.slice(1);
  if (user) {
    args = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...argv];
    file = SETPRIV;
  }
  const t0 = Date.now();
  const stdio: cp.StdioOptions = [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  let extraFd: number | undefined;
  if (opts.extraFd !== undefined) {
    extraFd = fs.openSync('/dev/null', 'r');
    while (stdio.length < opts.extraFd) stdio.push('ignore');
    stdio.push(extraFd);
  }
  let child: cp.ChildProcess;
  try {
    child = cp.spawn(file, args, {
      env,
      cwd: opts.cwd ?? (user ? '/' : process.cwd()),
      stdio,
      ...(argv0 !== undefined && !user ? { argv0 } : {}),
    });
  } finally {
    if (extraFd !== undefined) fs.closeSync(extraFd);
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  if (opts.input !== undefined) {
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeout ?? 20_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => {
      err.push(Buffer.from(`harness: spawn failed: ${e.message}\n`));
      resolve({ code: null, signal: null });
    });
  });
  const closed = new Promise<void>((resolve) => {
    let n = 0;
    const one = (): void => {
      if (++n === 2) resolve();
    };
    child.stdout!.once('close', one);
    child.stderr!.once('close', one);
  });
  const result = (async (): Promise<RunResult> => {
    const st = await exited;
    clearTimeout(timer);
    let pipesHeldOpen = false;
    await Promise.race([
      closed,
      new Promise<void>((resolve) =>
        setTimeout(() => {
          pipesHeldOpen = true;
          resolve();
        }, opts.closeGraceMs ?? 2000).unref(),
      ),
    ]);
    if (pipesHeldOpen) {
      child.stdout!.destroy();
      child.stderr!.destroy();
    }
    return {
      impl,
      code: st.code,
      signal: st.signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      pid: child.pid ?? -1,
      timedOut,
      pipesHeldOpen,
      ms: Date.now() - t0,
    };
  })();
  return {
    impl,
    pid: child.pid ?? -1,
    child,
    exited,
    result,
    kill: (sig: NodeJS.Signals = 'SIGTERM') => {
      try {
        if (child.pid) process.kill(child.pid, sig);
      } catch {
        /* already gone */
      }
    },
  };
}

/** Start `nsbox unshare ARGS` (node dist/cli/main.js unshare ...). */
export function startNsbox(args: readonly string[], opts: RunOptions = {}): Running {
  return startNsboxCommand('unshare', args, opts);
}

/** Start `nsbox <command> ARGS` for any command (`nsenter`, `lsns`, ...). */
export function startNsboxCommand(command: string, args: readonly string[], opts: RunOptions = {}): Running {
  let cli = NSBOX_CLI;
  const env = { ...(opts.env ?? {}) };
  if (opts.cli) {
    cli = opts.cli.cli;
    env.NSBOX_HELPER ??= opts.cli.helper;
  } else if (opts.asUser) {
    const u = testUser();
    if (typeof u === 'string') throw new Error(u);
    const c = userCli(u);
    cli = c.cli;
    if (c.helper !== NSBOX_HELPER || process.env.NSBOX_HELPER) env.NSBOX_HELPER ??= c.helper;
  }
  return startCommand([process.execPath, cli, command, ...args], { ...opts, env }, 'nsbox');
}

/** Run `nsbox <command> ARGS` to completion. */
export function runNsboxCommand(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return startNsboxCommand(command, args, opts).result;
}

/** Start util-linux `unshare ARGS`, with argv[0] `unshare` so getopt messages read `unshare: `. */
export function startUtil(args: readonly string[], opts: RunOptions = {}): Running {
  // As the test user argv[0] is the full path (setpriv execs it as given; PATH may be a test's
  // own); getopt then prints `/usr/bin/unshare: `, which normalise() maps to `unshare: `.
  return startCommand([UTIL_UNSHARE, ...args], opts, 'util', 'unshare');
}

export function start(impl: Impl, args: readonly string[], opts: RunOptions = {}): Running {
  return impl === 'nsbox' ? startNsbox(args, opts) : startUtil(args, opts);
}

export function runNsbox(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return startNsbox(args, opts).result;
}

export function runUtil(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return startUtil(args, opts).result;
}

export function run(impl: Impl, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return start(impl, args, opts).result;
}

/** Run an auxiliary command (nsenter, findmnt, mount...) with the same options. */
export function runCommand(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return startCommand(argv, opts).result;
}

/** Synchronous helper for fixtures: run a command as root, throw on failure. */
export function sh(script: string): string {
  const r = cp.spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { ...baseEnv(undefined) } });
  if (r.status !== 0) throw new Error(`fixture command failed (${r.status}): ${script}\n${r.stderr}`);
  return r.stdout;
}

/** The shell convention: 128+n for a signal. */
export function shellStatus(r: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (r.signal) return 128 + (osConstants.signals[r.signal] ?? 0);
  return r.code ?? -1;
}

/** A one-line description of a result for assertion messages. */
export function describeResult(r: RunResult): string {
  return (
    `[${r.impl}] status=${shellStatus(r)}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}` +
    `${r.pipesHeldOpen ? ' PIPES HELD OPEN' : ''}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}--------------`
  );
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/**
 * Make the output of the two implementations comparable:
 * - the program prefix: `nsbox unshare: ` and `/usr/bin/unshare: ` (getopt prints argv[0]
 *   verbatim) become `unshare: `; the `Try '... --help'` line becomes util-linux's;
 * - pids in `/proc/PID/...` and `pid=N` become `PID`;
 * - namespace inodes (`uts:[4026532177]`, `[4026532177]`) become `[INODE]`.
 */
export function normalise(text: string): string {
  return text
    .replace(/^(?:nsbox unshare|\/usr\/bin\/unshare|unshare): /gm, 'unshare: ')
    .replace(/^Try '(?:nsbox unshare|\/usr\/bin\/unshare|unshare) --help' for more information\.$/gm, "Try 'unshare --help' for more information.")
    .replace(/\/proc\/\d+\//g, '/proc/PID/')
    .replace(/\bpid=\d+/g, 'pid=PID')
    .replace(/\[\d{6,}\]/g, '[INODE]');
}

/** Collapse runs of blanks and trim lines (for /proc/self/uid_map style columns). */
export function squeeze(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// /proc readers
// ---------------------------------------------------------------------------------------------

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  cmdline: string;
  starttime: string;
}

export function readProc(pid: number): ProcInfo | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    /* gone */
  }
  return { ...stat, cmdline };
}

export { allPids };

function environHas(pid: number, needle: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle);
  } catch {
    return false;
  }
}

/** Processes whose environment holds `NSBOX_TEST_TOKEN=<token>`. */
export function processesWithToken(token: string): ProcInfo[] {
  return processesWithEnv(`NSBOX_TEST_TOKEN=${token}`);
}

/** Processes whose environment holds the variable assignment `name=value`. */
export function processesWithEnv(assignment: string): ProcInfo[] {
  const needle = `${assignment}\0`;
  const out: ProcInfo[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    if (!environHas(pid, needle)) continue;
    const p = readProc(pid);
    if (p) out.push(p);
  }
  return out;
}

/** Every descendant of `root`. */
export function descendants(root: number = process.pid): ProcInfo[] {
  const procs = allPids()
    .map(readProc)
    .filter((p): p is ProcInfo => p !== undefined);
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const l = byParent.get(p.ppid) ?? [];
    l.push(p);
    byParent.set(p.ppid, l);
  }
  const out: ProcInfo[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    for (const c of byParent.get(pid) ?? []) {
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

/**
 * Processes of the helper that nobody owns any more: cmdline or comm `nsbox-helper`, alive, and
 * a parent that is init or gone. (A helper is always the child of a node process or of another
 * helper.) A helper *zombie* reparented to init is init's to reap, not a leak.
 */
export function orphanedHelpers(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const pid of allPids()) {
    const p = readProc(pid);
    if (!p || p.state === 'Z') continue;
    if (!p.cmdline.includes('nsbox-helper') && p.comm !== 'nsbox-helper') continue;
    if (p.ppid <= 1 || !fs.existsSync(`/proc/${p.ppid}`)) out.push(p);
  }
  return out;
}

export interface MountInfo {
  id: number;
  mountpoint: string;
  fstype: string;
  source: string;
  optional: string;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function mountinfo(pid: number | 'self' = 'self'): MountInfo[] {
  const text = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    const f = left!.split(' ');
    const r = (right ?? '').split(' ');
    out.push({ id: Number(f[0]), mountpoint: unescapeMount(f[4] ?? ''), fstype: r[0] ?? '', source: unescapeMount(r[1] ?? ''), optional: f.slice(6).join(' ') });
  }
  return out;
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

export function fdTable(): Map<string, string> {
  const m = new Map<string, string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      m.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      /* the fd of the readdir itself */
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Leak checks
// ---------------------------------------------------------------------------------------------

export interface LeakSnapshot {
  token: string | undefined;
  dirs: string[];
  /** key `pid/starttime` → description */
  procs: Map<string, string>;
  zombies: Map<string, string>;
  /** mounts under the watched directories, and nsfs mounts anywhere under them */
  mounts: Set<string>;
  /** fd → target of this test process; undefined when other scenarios run concurrently */
  fds: Map<string, string> | undefined;
}

const procKey = (p: ProcInfo): string => `${p.pid}/${p.starttime}`;
const procDesc = (p: ProcInfo): string => {
  const parent = p.ppid === process.pid ? 'this test process' : (readProc(p.ppid)?.comm ?? 'gone');
  return `pid ${p.pid} ppid ${p.ppid} (${parent}) state ${p.state} comm ${p.comm} cmdline ${JSON.stringify(p.cmdline)}`;
};

let warm: Promise<void> | undefined;
/**
 * Node opens /dev/null once, lazily, for the first 'ignore' stdio of an async spawn and keeps it
 * open: do one spawn before any fd snapshot so that fd does not look like a leak.
 */
export function warmUp(): Promise<void> {
  warm ??= new Promise<void>((resolve) => {
    const c = cp.spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.on('close', () => resolve());
    c.on('error', () => resolve());
  });
  return warm;
}

/** All directories created by this test process (tmpdir()), for the file-level check. */
const ownDirs = new Set<string>();
let activeScopes = 0;
let scopeGeneration = 0;

export interface SnapshotOptions {
  token?: string;
  dirs?: string[];
  /** Include the fds of this test process (only meaningful when nothing else runs). */
  fds?: boolean;
  /** Include every descendant of this test process. */
  descendants?: boolean;
}

export function snapshotLeaks(o: SnapshotOptions = {}): LeakSnapshot {
  const dirs = o.dirs ?? [...ownDirs];
  const procs = new Map<string, string>();
  const zombies = new Map<string, string>();
  // One pass over /proc.
  const all = allPids()
    .map(readProc)
    .filter((p): p is ProcInfo => p !== undefined);
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const needle = o.token ? `NSBOX_TEST_TOKEN=${o.token}\0` : undefined;
  const tokenPids = new Set<number>();
  const helperPids = new Set<number>();
  for (const p of all) {
    if (p.state === 'Z') continue;
    const isHelper = p.comm === 'nsbox-helper' || p.cmdline.includes('nsbox-helper');
    if (isHelper) helperPids.add(p.pid);
    if (needle && p.pid !== process.pid && environHas(p.pid, needle)) {
      tokenPids.add(p.pid);
      procs.set(procKey(p), procDesc(p));
    } else if (isHelper && (p.ppid <= 1 || !byPid.has(p.ppid))) {
      // A helper whose parent is init or gone: nobody owns it any more.
      procs.set(procKey(p), procDesc(p));
    }
  }
  if (o.descendants) for (const p of descendants()) (p.state === 'Z' ? zombies : procs).set(procKey(p), procDesc(p));
  // Zombies do not show their environment: catch them by their parent instead (one of ours that
  // does not reap them). Zombies reparented to init are init's to reap.
  for (const p of all) {
    if (p.state === 'Z' && (tokenPids.has(p.ppid) || p.ppid === process.pid || helperPids.has(p.ppid))) zombies.set(procKey(p), procDesc(p));
  }
  const mounts = new Set<string>();
  for (const m of mountinfo()) {
    if (dirs.some((d) => under(m.mountpoint, d))) mounts.add(`${m.mountpoint} (${m.fstype} ${m.source})`);
  }
  return { token: o.token, dirs, procs, zombies, mounts, fds: o.fds ? fdTable() : undefined };
}

function diffLeaks(before: LeakSnapshot, after: LeakSnapshot): Map<string, string> {
  const problems = new Map<string, string>();
  for (const [k, d] of after.procs) if (!before.procs.has(k)) problems.set(`p:${k}`, `process left behind: ${d}`);
  for (const [k, d] of after.zombies) if (!before.zombies.has(k)) problems.set(`z:${k}`, `zombie left behind: ${d}`);
  for (const m of after.mounts) if (!before.mounts.has(m)) problems.set(`m:${m}`, `mount left behind: ${m}`);
  if (before.fds && after.fds) {
    for (const [fd, target] of after.fds) {
      if (before.fds.get(fd) !== target) problems.set(`f:${fd}:${target}`, `fd left open in the test process: ${fd} -> ${target}`);
    }
  }
  return problems;
}

/**
 * Assert that nothing appeared since `before`: processes, zombies, mounts, fds. Polls for up to
 * `settleMs` while things are still exiting. Only what persists from the first poll to the last
 * counts: other scenarios running concurrently make short-lived zombies (children about to be
 * reaped) all the time, but a leak is there all along.
 */
export async function assertNoLeaks(before: LeakSnapshot, settleMs = 3000): Promise<void> {
  const deadline = Date.now() + settleMs;
  let first: Map<string, string> | undefined;
  let persisting: string[] = [];
  for (;;) {
    const after = snapshotLeaks({ token: before.token, dirs: before.dirs, fds: before.fds !== undefined, descendants: false });
    const now = diffLeaks(before, after);
    first ??= now;
    persisting = [...now].filter(([k]) => first!.has(k)).map(([, d]) => d);
    if (persisting.length === 0 || Date.now() > deadline) break;
    await delay(50);
  }
  assert.deepEqual(persisting, [], `leaks:\n${persisting.join('\n')}`);
}

/** Kill every process carrying the token (cleanup after a failed scenario). */
export function killToken(token: string): void {
  for (const p of processesWithToken(token)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * One scenario's leak scope: a token in the environment of everything it starts, its temporary
 * directories, and the snapshot taken at the start. `check()` asserts nothing is left behind;
 * `dispose()` cleans up whatever is (kills token processes, unmounts, removes directories).
 */
export class LeakScope {
  readonly token = randomBytes(8).toString('hex');
  readonly dirs: string[] = [];
  /** Mount points the scenario set up on purpose (not leaks; removed by dispose()). */
  readonly fixtureMounts = new Set<string>();
  private before: LeakSnapshot | undefined;
  private generation = 0;

  static async begin(): Promise<LeakScope> {
    await warmUp();
    const s = new LeakScope();
    activeScopes++;
    scopeGeneration++;
    s.generation = scopeGeneration;
    s.before = snapshotLeaks({ token: s.token, dirs: [], fds: activeScopes === 1 });
    return s;
  }

  get env(): Record<string, string> {
    return { NSBOX_TEST_TOKEN: this.token };
  }

  /** A temporary directory of this scope (mode 0755, or 0777 when `writableByUser`). */
  tmpdir(o: { writableByUser?: boolean } = {}): string {
    const d = makeTmpdir();
    if (o.writableByUser) fs.chmodSync(d, 0o777);
    this.dirs.push(d);
    return d;
  }

  /** Register a mount the scenario made on purpose (a fixture); check() ignores it. */
  addFixtureMount(mountpoint: string): void {
    this.fixtureMounts.add(mountpoint);
  }

  /** Assert that nothing this scenario started or mounted is left. */
  async check(settleMs = 3000): Promise<void> {
    const before = this.before!;
    // fds are only attributable when no other scenario ran meanwhile.
    const exclusive = activeScopes === 1 && scopeGeneration === this.generation && before.fds !== undefined;
    const fixtures = new Set<string>();
    for (const m of mountinfo()) if (this.fixtureMounts.has(m.mountpoint)) fixtures.add(`${m.mountpoint} (${m.fstype} ${m.source})`);
    await assertNoLeaks({ ...before, mounts: new Set([...before.mounts, ...fixtures]), dirs: [...this.dirs], fds: exclusive ? before.fds : undefined }, settleMs);
  }

  /** Replace this scope's directories with `DIR` (for comparing transcripts). */
  anonymise(text: string): string {
    let out = text;
    for (const d of this.dirs) out = out.split(d).join('DIR');
    return out;
  }

  dispose(): void {
    activeScopes--;
    killToken(this.token);
    for (const d of this.dirs) removeTmpdir(d);
  }
}

/** Run `body` in a leak scope: check for leaks at the end, always clean up. */
export async function withScope<T>(body: (scope: LeakScope) => Promise<T>): Promise<T> {
  const scope = await LeakScope.begin();
  try {
    const r = await body(scope);
    await scope.check();
    return r;
  } finally {
    scope.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------------------------

function makeTmpdir(): string {
  const d = fs.mkdtempSync(join(osTmpdir(), TMP_PREFIX));
  fs.chmodSync(d, 0o755);
  ownDirs.add(d);
  return d;
}

/** Unmount everything under `dir` (deepest first, nsfs binds included), then remove it. */
export function removeTmpdir(dir: string): void {
  for (let round = 0; round < 5; round++) {
    const inside = mountinfo()
      .filter((m) => under(m.mountpoint, dir))
      .sort((a, b) => b.mountpoint.length - a.mountpoint.length || b.id - a.id);
    if (inside.length === 0) break;
    for (const m of inside) cp.spawnSync('umount', ['-l', m.mountpoint], { stdio: 'ignore' });
  }
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* something is still mounted: the file-level check reports it */
  }
  ownDirs.delete(dir);
}

/** A temporary directory that is cleaned up (unmounting first) when the process exits. */
export function tmpdir(): string {
  return makeTmpdir();
}

process.once('exit', () => {
  for (const d of [...ownDirs]) removeTmpdir(d);
});


/**
 * File-level leak check, for `before()`/`after()`: everything under this process's temporary
 * directories, orphaned helpers, descendants of this process and our fds. Call `begin` in
 * `before()` (after a warm-up spawn so that libuv's lazily created fds exist) and `end` in `after()`.
 */
export async function fileLeakCheck(): Promise<{ end(): Promise<void> }> {
  await warmUp();
  await runCommand(['true']);
  const before = snapshotLeaks({ fds: true, descendants: true, dirs: [join(osTmpdir(), TMP_PREFIX)] });
  return {
    async end() {
      // Temporary directories are gone by now; anything mounted under the prefix is a leak.
      const deadline = Date.now() + 3000;
      let problems: string[] = [];
      for (;;) {
        const after = snapshotLeaks({ fds: true, descendants: true, dirs: [join(osTmpdir(), TMP_PREFIX)] });
        // dirs use a prefix, not a directory: compare by string prefix.
        after.mounts = new Set(
          mountinfo()
            .filter((m) => m.mountpoint.startsWith(join(osTmpdir(), TMP_PREFIX)))
            .map((m) => `${m.mountpoint} (${m.fstype} ${m.source})`),
        );
        problems = [...diffLeaks(before, after).values()];
        if (problems.length === 0 || Date.now() > deadline) break;
        await delay(50);
      }
      assert.deepEqual(problems, [], `leaks at the end of the file:\n${problems.join('\n')}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `cond` every 20 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(cond: () => T | undefined | false | null, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Wait until a process of the scope with this comm exists; returns it. */
export function waitForProcess(scope: LeakScope, comm: string, timeoutMs = 10_000): Promise<ProcInfo> {
  return waitFor(() => processesWithToken(scope.token).find((p) => p.comm === comm && p.state !== 'Z'), timeoutMs, `a '${comm}' process`);
}

/** Wait until a file exists and holds a complete line; returns its trimmed content. */
export function waitForFile(path: string, timeoutMs = 10_000): Promise<string> {
  return waitFor(
    () => {
      try {
        const s = fs.readFileSync(path, 'utf8');
        return s.endsWith('\n') ? s.trim() : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
    path,
  );
}

/** Whether a pid is alive (a zombie counts as dead). */
export function alive(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

/** Our own namespace links, by /proc/self/ns entry name. */
export function ownNamespaces(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync('/proc/self/ns')) out[e] = fs.readlinkSync(`/proc/self/ns/${e}`);
  return out;
}

/** The ns entries checked by the namespace scenarios (readlink /proc/self/ns/...). */
export const NS_ENTRIES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts'] as const;

/**
 * Turn `ls -l /proc/self/ns/` output into `name=same|new|unreadable` lines relative to this
 * test process (inode numbers differ between runs; only "same or not" is comparable). An entry
 * whose link cannot be read (pid_for_children of a pid ns nobody has entered yet) is `unreadable`.
 */
export function nsSameOrNew(lsOutput: string): string {
  const own = ownNamespaces();
  const seen = new Map<string, string>();
  for (const l of lsOutput.split('\n')) {
    const m = / (\w+)(?: -> (\S+))?$/.exec(l);
    if (m && (NS_ENTRIES as readonly string[]).includes(m[1]!)) seen.set(m[1]!, m[2] ?? '');
  }
  if (seen.size === 0) return `unexpected ls output: ${JSON.stringify(lsOutput)}\n`;
  return NS_ENTRIES.map((n) => {
    const v = seen.get(n);
    return `${n}=${v === undefined ? 'missing' : v === '' ? 'unreadable' : v === own[n] ? 'same' : 'new'}`;
  }).join('\n') + '\n';
}

/** The command listing the program's namespaces (one process, no fork: fine in a fresh pid ns). */
export const READLINK_NS = ['ls', '-l', '--quoting-style=literal', '/proc/self/ns/'];

/** `name=new` for the given entries, `name=same` for the others (the expected nsSameOrNew output). */
export function nsExpect(...newOnes: string[]): string {
  return NS_ENTRIES.map((n) => `${n}=${newOnes.includes(n) ? 'new' : 'same'}`).join('\n') + '\n';
}

export const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * The file-level set-up every suite shares: create the test user before anything runs
 * concurrently, and wrap the file in `fileLeakCheck()`.
 */
export function useFileLeakCheck(): void {
  let check: { end(): Promise<void> } | undefined;
  before(async () => {
    testUser();
    check = await fileLeakCheck();
  });
  after(async () => {
    await check?.end();
  });
}

/** Debian's busybox-static: the one binary the rootfs tests put in a container. */
export const BUSYBOX = '/bin/busybox';

export function requireBusybox(t: SkipContext): boolean {
  return requireCapability(t, fs.existsSync(BUSYBOX), `needs ${BUSYBOX} (Debian package busybox-static)`);
}

/**
 * The README's recipe: busybox and one relative link per applet (`busybox --install -s DIR`
 * would write absolute links to the host's path), plus the mount points and the files the
 * shared network binds on. `owner`: the tree is chowned to that user (rootless runs).
 */
export function buildBusyboxRootfs(dir: string, o: { owner?: { uid: number; gid: number } | undefined } = {}): void {
  fs.mkdirSync(join(dir, 'bin'), { recursive: true });
  fs.copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  fs.chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const list = cp.spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`busybox --list: ${list.stderr}`);
  for (const applet of list.stdout.split('\n').filter((a) => a && a !== 'busybox')) fs.symlinkSync('busybox', join(dir, 'bin', applet));
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc', 'root']) fs.mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  fs.writeFileSync(join(dir, 'etc', 'hosts'), '');
  fs.writeFileSync(join(dir, 'etc', 'resolv.conf'), '');
  fs.writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  if (o.owner) {
    const r = cp.spawnSync('chown', ['-hR', `${o.owner.uid}:${o.owner.gid}`, dir]);
    if (r.status !== 0) throw new Error(`chown: ${String(r.stderr)}`);
  }
}

/** Every path, mode, owner, link target and content hash under `dir`: equal trees, equal strings. */
export function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    const p = join(dir, rel);
    const st = fs.lstatSync(p);
    h.update(`${rel}\0${st.mode}\0${st.uid}:${st.gid}\0`);
    if (st.isSymbolicLink()) h.update(fs.readlinkSync(p));
    else if (st.isFile()) h.update(fs.readFileSync(p));
    else if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(join(rel, e));
    h.update('\n');
  };
  walk('.');
  return h.digest('hex');
}
