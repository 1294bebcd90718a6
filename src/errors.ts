/** Typed failure of a sandbox setup step, as reported by the helper before exec. */
import { constants } from 'node:os';
import type { HelperFailure } from './report.js';
import { STEP_SYSCALLS, stepExitStatus, stepMessage, type Step } from './steps.js';

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** Steps whose first argument is a filesystem path. */
const PATH_STEPS: ReadonlySet<Step> = new Set<Step>(['open', 'write', 'persist', 'chroot', 'chdir', 'mount', 'exec', 'unbind', 'bind-source', 'bind-dest', 'bind', 'bind-remount']);

export class NamespaceError extends Error {
  override readonly name = 'NamespaceError';
  /** The helper step that failed (docs/PROTOCOL.md §4, §5), e.g. `unshare`, `setns`, `exec`, `persist`. */
  readonly step: Step;
  /** The errno value (0 when the failure carries none, e.g. a failing newuidmap). */
  readonly errno: number;
  /** The errno name, e.g. `EPERM`; `undefined` when errno is 0. */
  readonly code: string | undefined;
  /** The system call behind the step. */
  readonly syscall: string;
  /** The path involved (mount target, directory, program), when there is one. */
  readonly path: string | undefined;
  /** Arguments of the step as the helper sent them. */
  readonly args: readonly string[];
  /** The exit status util-linux `unshare` would exit with (1, 126, 127 or a tool's status). */
  readonly exitStatus: number;

  constructor(failure: HelperFailure) {
    const text = stepMessage(failure.step, failure.args, failure.strerror, failure.errno);
    super(text !== '' ? text : defaultText(failure));
    this.step = failure.step;
    this.errno = failure.errno;
    this.code = failure.errno !== 0 ? ERRNO_NAMES.get(failure.errno) : undefined;
    this.syscall = STEP_SYSCALLS[failure.step];
    this.path = PATH_STEPS.has(failure.step) ? failure.args[failure.step === 'persist' || failure.step === 'bind' ? 1 : 0] : undefined;
    this.args = failure.args;
    this.exitStatus = stepExitStatus(failure.step, failure.errno, failure.args);
  }

  /** Whether util-linux prints anything for this failure (a failing newuidmap speaks for itself). */
  get silent(): boolean {
    return stepMessage(this.step, this.args, '', this.errno) === '';
  }
}

function defaultText(failure: HelperFailure): string {
  if (failure.step === 'idmap-status') return `${failure.args[0] ?? 'id-map tool'} exited with status ${failure.args[1] ?? '?'}`;
  return 'the sandbox parent died before the program started';
}

/**
 * The helper ended before the program started without saying why (no `E` line): it was killed
 * (by a signal from outside, the OOM killer, ...) or it exited on its own during setup.
 */
export class HelperExitError extends Error {
  override readonly name = 'HelperExitError';
  /** The signal that killed the helper, or null. */
  readonly signal: NodeJS.Signals | null;
  /** The helper's exit code, or null when killed. */
  readonly exitCode: number | null;

  constructor(exitCode: number | null, signal: NodeJS.Signals | null) {
    super(
      signal !== null
        ? `nsbox: the helper was killed by ${signal} during setup, before the program started`
        : `nsbox: the helper exited with status ${exitCode ?? '?'} during setup, before the program started`,
    );
    this.exitCode = exitCode;
    this.signal = signal;
  }
}
