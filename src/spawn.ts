/**
 * The library: `spawn()` is `child_process.spawn` with namespace options. The namespace work is
 * done by the native helper (Node is multithreaded, so `unshare(CLONE_NEWUSER)` cannot run in
 * it); Node's own spawn gives stdio, exit events, kill, AbortSignal and timeouts for free.
 */
import * as cp from 'node:child_process';
import type { Readable } from 'node:stream';
import { HelperExitError, NamespaceError } from './errors.js';
import { helperPath } from './helper.js';
import { ReportDecoder, type DroppedNamespace, type HelperReport } from './report.js';
import { buildSpec, type SandboxOptions } from './options.js';
import { encodeSpec, type SandboxSpec } from './spec.js';

export type { SandboxOptions } from './options.js';
export type { DroppedNamespace } from './report.js';

export interface SpawnOptions extends cp.SpawnOptions, SandboxOptions {}

/** What is known once the program has been exec'd inside its namespaces. */
export interface SandboxInfo {
  /** The program's pid as seen from here (differs from `child.pid` when the helper forks). */
  pid: number;
  /** Inode of each namespace the program is in, by /proc/PID/ns name (`uts`, `pid_for_children`, ...). */
  namespaces: Record<string, number>;
  /** `tryNamespaces` the kernel refused and that were left out (also emitted as 'namespace-dropped'). */
  dropped: DroppedNamespace[];
}

export interface SandboxedChildProcess<S = SandboxSpec> extends cp.ChildProcess {
  /** Resolves once the program runs; rejects with a NamespaceError if a setup step failed. */
  readonly ready: Promise<SandboxInfo>;
  /** The program's pid, once the helper has reported it. */
  sandboxPid: number | undefined;
  /** Namespace inodes, once reported. */
  namespaces: Record<string, number> | undefined;
  /** The spec the helper executed (a `SandboxSpec`, or an `EnterSpec` for `enter()`). */
  readonly spec: S;
}

/** What every helper spec has: the fd limit the helper applies (set by spawnHelper()). */
export interface HelperSpec {
  keepFds: number;
}

/** Encodes a spec as the helper's argv, given the report fd (docs/PROTOCOL.md). */
export type HelperEncoder<S> = (spec: S, reportFd: number) => string[];

type StdioEntry = NonNullable<Exclude<cp.StdioOptions, string>>[number];

/** Normalise Node's stdio option to an array of at least 3 entries, as child_process does. */
function stdioArray(stdio: cp.StdioOptions | undefined): StdioEntry[] {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  const out: StdioEntry[] = [...stdio];
  while (out.length < 3) out.push('pipe');
  return out.map((s) => (s === null || s === undefined ? 'pipe' : s));
}

/** Signals the helper forwards by default: every catchable one a program may want to see. */
const LIBRARY_FORWARDED: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGWINCH', 'SIGCONT'];

/** Library defaults: the safe ones (the sandbox dies with us, signals reach the program). */
function libraryDefaults(options: SpawnOptions): SandboxOptions {
  return {
    // A pid namespace applies to children only: fork so the program is its pid 1.
    fork: Boolean(options.pid || options.persist?.pid),
    killChild: 'SIGKILL',
    forwardSignals: LIBRARY_FORWARDED,
    // The library owns the program's terminal: no TIOCSTI into the caller's (CVE-2017-5226).
    newSession: true,
    ...options,
  };
}

/**
 * Start `file` with `args` inside new namespaces. Returns a `ChildProcess` (its `pid` is the
 * helper's; the program's is `sandboxPid`/`ready`). Setup failures are emitted as `'error'`
 * with a `NamespaceError`, like `child_process.spawn` does for a missing program.
 */
export function spawn(file: string, args: readonly string[] = [], options: SpawnOptions = {}): SandboxedChildProcess {
  // `shell`, as child_process does it: the command line goes to `sh -c` (or the given shell).
  if (options.shell) {
    const shell = typeof options.shell === 'string' ? options.shell : '/bin/sh';
    return spawn(shell, ['-c', [file, ...args].join(' ')], { ...options, shell: false });
  }
  const spec = buildSpec(file, args, libraryDefaults(options), { parentPid: process.pid });
  return spawnSpec(spec, options);
}

/** Run an already built spec (the CLI's entry point; also for callers that build specs). */
export function spawnSpec(spec: SandboxSpec, options: cp.SpawnOptions = {}): SandboxedChildProcess {
  return spawnHelper(spec, encodeSpec, options);
}

/**
 * Start the helper on any spec of the protocol (unshare mode, enter mode): the report fd goes
 * after the caller's stdio, every fd from it up is close-on-exec in the helper, and the status
 * lines become `ready`, `sandboxPid` and `'error'`.
 */
export function spawnHelper<S extends HelperSpec>(spec: S, encode: HelperEncoder<S>, options: cp.SpawnOptions = {}): SandboxedChildProcess<S> {
  const stdio = stdioArray(options.stdio);
  const reportFd = stdio.length;
  stdio.push('pipe');
  const fullSpec: S = { ...spec, keepFds: reportFd };
  const child = cp.spawn(helperPath(), encode(fullSpec, reportFd), {
    ...pickSpawnOptions(options),
    stdio,
    argv0: 'nsbox-helper',
  }) as SandboxedChildProcess<S>;
  Object.defineProperty(child, 'spec', { value: fullSpec, enumerable: true });
  child.sandboxPid = undefined;
  child.namespaces = undefined;

  const reportStream = child.stdio[reportFd] as Readable | null | undefined;
  const ready = new Promise<SandboxInfo>((resolve, reject) => {
    if (!reportStream) {
      child.once('error', reject);
      return;
    }
    const decoder = new ReportDecoder();
    let droppedSeen = 0;
    reportStream.setEncoding('utf8');
    reportStream.on('data', (chunk: string) => {
      decoder.push(chunk);
      const r = decoder.report;
      if (r.pid !== undefined && child.sandboxPid === undefined) child.sandboxPid = r.pid;
      // As soon as they are known (before the program runs): a try namespace left out.
      while (droppedSeen < r.dropped.length) child.emit('namespace-dropped', r.dropped[droppedSeen++]);
    });
    reportStream.on('error', () => undefined);
    reportStream.once('close', () => settle(decoder.end(), child, resolve, reject));
  });
  ready.catch(() => undefined);
  Object.defineProperty(child, 'ready', { value: ready, enumerable: true });
  return child;
}

function settle<S>(
  report: HelperReport,
  child: SandboxedChildProcess<S>,
  resolve: (info: SandboxInfo) => void,
  reject: (err: Error) => void,
): void {
  child.namespaces = report.namespaces;
  if (report.failure) {
    const err = new NamespaceError(report.failure);
    reject(err);
    child.emit('error', err);
  } else if (report.malformed !== undefined) {
    // Not a helper speaking our protocol (a version mismatch or a bug).
    reject(new Error(`nsbox: unexpected status line from the helper: ${JSON.stringify(report.malformed)}`));
  } else if (report.pid === undefined || (forks(child.spec) && !report.execConfirmed)) {
    // The helper ended during setup without an `E` line: killed, or gone on its own (in fork
    // mode: the forking parent, before it confirmed the exec with `X`). Say which, once its
    // status is known (the report fd may close just before the 'exit' event).
    const died = (): void => reject(new HelperExitError(child.exitCode, child.signalCode));
    if (child.exitCode !== null || child.signalCode !== null) died();
    else child.once('exit', died);
  } else {
    const info: SandboxInfo = { pid: report.pid, namespaces: report.namespaces, dropped: report.dropped };
    resolve(info);
    child.emit('ready', info);
  }
}

/** Whether the helper forks (the forking parent then confirms the program's exec with `X`). */
function forks(spec: unknown): boolean {
  return typeof spec === 'object' && spec !== null && (spec as { fork?: unknown }).fork === true;
}

/** Node spawn options that apply to the helper process as they would to the program. */
function pickSpawnOptions(o: cp.SpawnOptions): cp.SpawnOptions {
  const out: cp.SpawnOptions = {};
  if (o.cwd !== undefined) out.cwd = o.cwd;
  if (o.env !== undefined) out.env = o.env;
  if (o.detached !== undefined) out.detached = o.detached;
  if (o.uid !== undefined) out.uid = o.uid;
  if (o.gid !== undefined) out.gid = o.gid;
  if (o.signal !== undefined) out.signal = o.signal;
  if (o.timeout !== undefined) out.timeout = o.timeout;
  if (o.killSignal !== undefined) out.killSignal = o.killSignal;
  if (o.serialization !== undefined) out.serialization = o.serialization;
  if (o.windowsHide !== undefined) out.windowsHide = o.windowsHide;
  return out;
}

export interface RunOptions extends SpawnOptions {
  /** Written to the program's stdin, which is then closed. */
  input?: string | Uint8Array;
  /** Decode stdout/stderr with this encoding (default utf8); `buffer` keeps Buffers. */
  encoding?: BufferEncoding | 'buffer';
}

export interface RunResult<T extends string | Buffer = string> {
  /** Exit code, or null when the program died by a signal. */
  exitCode: number | null;
  /** The signal that ended it, or null. */
  signal: NodeJS.Signals | null;
  stdout: T;
  stderr: T;
  pid: number;
  namespaces: Record<string, number>;
}

/**
 * Run to completion and collect the output. Resolves whatever the exit status; rejects with a
 * `NamespaceError` when the sandbox could not be set up (including a missing program).
 */
export function run(file: string, args?: readonly string[], options?: RunOptions & { encoding?: BufferEncoding }): Promise<RunResult<string>>;
export function run(file: string, args: readonly string[], options: RunOptions & { encoding: 'buffer' }): Promise<RunResult<Buffer>>;
export function run(file: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult<string | Buffer>> {
  const { input, encoding = 'utf8', ...rest } = options;
  const child = spawn(file, args, { stdio: [input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...rest });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  if (input !== undefined) child.stdin?.end(input);
  const decode = (bufs: Buffer[]): string | Buffer => (encoding === 'buffer' ? Buffer.concat(bufs) : Buffer.concat(bufs).toString(encoding));
  return new Promise((resolve, reject) => {
    let setupError: Error | undefined;
    child.on('error', (e) => {
      setupError ??= e;
    });
    child.on('close', (exitCode, signal) => {
      child.ready.then(
        (info) =>
          setupError
            ? reject(setupError)
            : resolve({ exitCode, signal, stdout: decode(out), stderr: decode(err), pid: info.pid, namespaces: info.namespaces }),
        (e: Error) => reject(e),
      );
    });
  });
}
