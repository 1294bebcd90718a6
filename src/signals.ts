/**
 * Signal names and numbers the way util-linux (`lib/signames.c`) reads them: case-insensitive,
 * with or without a `SIG` prefix, plus real-time signals as `RTMIN+n`, `RTMAX-n` or `RTn`.
 * Numbers themselves are not names (`--kill-child=15` is refused). SIGRTMIN/SIGRTMAX are glibc's
 * values on Linux (34 and 64: glibc keeps 32 and 33 for itself).
 */
import { constants } from 'node:os';

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const SIGNALS: Readonly<Record<string, number | undefined>> = constants.signals;

/** util-linux's table order (which also decides the name printed for a number). */
const UL_NAMES: readonly string[] = [
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'IOT', 'EMT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2',
  'PIPE', 'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU',
  'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'POLL', 'INFO', 'LOST', 'PWR', 'UNUSED', 'SYS',
];

function numberOf(name: string): number | undefined {
  // glibc defines SIGCLD as SIGCHLD; Node does not list the alias.
  if (name === 'CLD') return SIGNALS.SIGCLD ?? SIGNALS.SIGCHLD;
  return SIGNALS[`SIG${name}`];
}

/** [name without SIG, number] for every classic signal this platform has, in util-linux order. */
export const SIGNAL_TABLE: ReadonlyArray<readonly [string, number]> = UL_NAMES.flatMap((name) => {
  const n = numberOf(name);
  return n === undefined ? [] : [[name, n] as const];
});

function startsWithIgnoreCase(s: string, prefix: string): boolean {
  return s.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
}

/** util-linux `rtsig_to_signum()`, given what follows `RT`. */
function rtsigToSignum(rest: string): number {
  let s = rest;
  let fromMax = false;
  if (startsWithIgnoreCase(s, 'min+')) s = s.slice(4);
  else if (startsWithIgnoreCase(s, 'max-')) {
    s = s.slice(4);
    fromMax = true;
  }
  const m = /^[0-9]+/.exec(s);
  if (!m) return -1;
  // strtol(): trailing characters are ignored; an overflowing long is an error; the long is then
  // stored in an int.
  const value = BigInt(m[0]);
  if (value > (1n << 63n) - 1n) return -1;
  const num = Number(BigInt.asIntN(32, value));
  if (num < 0) return -1;
  const signo = fromMax ? SIGRTMAX - num : SIGRTMIN + num;
  return signo < SIGRTMIN || signo > SIGRTMAX ? -1 : signo;
}

/**
 * util-linux `signame_to_signum()`: the signal number for a name such as `TERM`, `SIGTERM`,
 * `sigterm`, `RTMIN+1`, `SIGRTMAX-2`; -1 when the name is unknown (numbers are not accepted).
 */
export function signameToSignum(name: string): number {
  let s = name;
  if (startsWithIgnoreCase(s, 'sig')) s = s.slice(3);
  if (startsWithIgnoreCase(s, 'rt')) return rtsigToSignum(s.slice(2));
  const upper = s.toUpperCase();
  for (const [n, num] of SIGNAL_TABLE) if (n === upper) return num;
  return -1;
}

/**
 * The name (without `SIG`) of a signal number: the first util-linux name for a classic signal,
 * `RTMIN`, `RTMIN+n` or `RTMAX-n` for real-time ones (the shorter form, `RTMIN+n` on a tie, like
 * bash's `kill -l`). undefined for an unknown number.
 */
export function signumToSigname(signo: number): string | undefined {
  for (const [n, num] of SIGNAL_TABLE) if (num === signo) return n;
  if (!Number.isInteger(signo) || signo < SIGRTMIN || signo > SIGRTMAX) return undefined;
  if (signo === SIGRTMIN) return 'RTMIN';
  if (signo === SIGRTMAX) return 'RTMAX';
  const fromMin = signo - SIGRTMIN;
  const fromMax = SIGRTMAX - signo;
  return fromMin <= fromMax ? `RTMIN+${fromMin}` : `RTMAX-${fromMax}`;
}

/** The number of a classic signal by its full name, for building specs (`signal('SIGTERM')`). */
export function signalNumber(name: NodeJS.Signals): number {
  const n = SIGNALS[name];
  if (n === undefined) throw new RangeError(`unknown signal ${name}`);
  return n;
}
