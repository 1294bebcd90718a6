/**
 * `getoptLong()`: glibc `getopt_long(3)` reproduced for our command-line front ends (unshare,
 * nsenter, lsns), with no dependency.
 *
 * What it reproduces:
 * - the optstring: `x` flag, `x:` required argument, `x::` optional argument (only when attached:
 *   `-xVALUE`); a leading `+` stops at the first non-option (REQUIRE_ORDER), a leading `-` returns
 *   non-options in place (RETURN_IN_ORDER), otherwise non-options are permuted to the end (PERMUTE,
 *   or REQUIRE_ORDER when `posixlyCorrect` is set); a `:` after that prefix is accepted and
 *   ignored (we never print anything ourselves);
 * - grouped short options (`-fpr`), a required argument attached or in the next element
 *   (`-R/x`, `-R /x`, `-fR /x`), whatever the next element looks like;
 * - `--` ends the options; a lone `-` is a non-option;
 * - long options: `--name`, `--name=value`; a required argument may also be the next element; an
 *   optional one only comes with `=`; an unambiguous prefix selects an option, an exact name always
 *   wins, and prefixes that reach options differing in argument kind or value are ambiguous;
 * - glibc's diagnostics, word for word, without the `argv[0]: ` prefix.
 *
 * Unlike the C function it returns everything at once: the options in order, then the operands.
 * It stops at the first error (util-linux exits there) and reports it with the options parsed so
 * far, so the caller can still act on those first, as the C loop would have.
 */

export type ArgKind = 'none' | 'required' | 'optional';

export interface LongOption {
  /** The name without dashes, e.g. `mount-proc`. */
  name: string;
  hasArg: ArgKind;
  /** What the caller sees in `GetoptOption.opt`: the short letter it stands for, or any key. */
  val: string;
}

/** `opt` of an operand returned in place when the optstring starts with `-` (glibc returns 1). */
export const NONOPTION = '\u0001';

export interface GetoptOption {
  /** The short option letter, or the `val` of the long option. */
  opt: string;
  /** The argument; undefined when there is none (an optional argument that was not given). */
  arg: string | undefined;
  /** The long option name when it was given as one (the full name, even if abbreviated). */
  long?: string;
}

export type GetoptErrorKind = 'invalid' | 'unrecognized' | 'ambiguous' | 'needs-argument' | 'no-argument';

export interface GetoptError {
  kind: GetoptErrorKind;
  /** glibc's message without the program prefix, e.g. `invalid option -- 'x'`. */
  message: string;
  /** glibc's `optopt`: the offending short letter, the long option's val, or '' (unknown long option). */
  optopt: string;
}

export interface GetoptResult {
  options: GetoptOption[];
  /** Non-option arguments, in order (after the options in PERMUTE mode; the tail in REQUIRE_ORDER). */
  operands: string[];
  /** Set when parsing stopped at an error; `options` then holds what came before it. */
  error?: GetoptError;
}

export interface GetoptConfig {
  /** Behave as if POSIXLY_CORRECT were set: stop at the first non-option even without `+`. */
  posixlyCorrect?: boolean;
}

type Ordering = 'permute' | 'require' | 'return-in-order';

interface ShortSpec {
  hasArg: ArgKind;
}

function parseShortopts(shortopts: string, config: GetoptConfig): { ordering: Ordering; shorts: Map<string, ShortSpec> } {
  let s = shortopts;
  let ordering: Ordering = config.posixlyCorrect ? 'require' : 'permute';
  if (s.startsWith('-')) {
    ordering = 'return-in-order';
    s = s.slice(1);
  } else if (s.startsWith('+')) {
    ordering = 'require';
    s = s.slice(1);
  }
  if (s.startsWith(':')) s = s.slice(1);
  const shorts = new Map<string, ShortSpec>();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ':' || c === ';') continue;
    let hasArg: ArgKind = 'none';
    if (s[i + 1] === ':') {
      hasArg = s[i + 2] === ':' ? 'optional' : 'required';
      i += hasArg === 'optional' ? 2 : 1;
    }
    if (!shorts.has(c)) shorts.set(c, { hasArg });
  }
  return { ordering, shorts };
}

function isNonOption(arg: string): boolean {
  return !arg.startsWith('-') || arg === '-';
}

type LongOutcome = { option: GetoptOption; consumedNext: boolean } | { error: GetoptError };

/** glibc `process_long_option()` for `--<body>`; `next` is the following argv element, if any. */
function processLong(body: string, next: string | undefined, longopts: readonly LongOption[]): LongOutcome {
  const eq = body.indexOf('=');
  const name = eq < 0 ? body : body.slice(0, eq);
  const value = eq < 0 ? undefined : body.slice(eq + 1);

  let found: LongOption | undefined = longopts.find((o) => o.name === name);
  if (!found) {
    const ambiguous = new Set<number>();
    let firstIndex = -1;
    longopts.forEach((o, i) => {
      if (!o.name.startsWith(name)) return;
      if (firstIndex < 0) {
        firstIndex = i;
        return;
      }
      const first = longopts[firstIndex]!;
      if (first.hasArg !== o.hasArg || first.val !== o.val) {
        ambiguous.add(firstIndex);
        ambiguous.add(i);
      }
    });
    if (ambiguous.size > 0) {
      const possibilities = longopts
        .filter((_o, i) => ambiguous.has(i))
        .map((o) => ` '--${o.name}'`)
        .join('');
      return { error: { kind: 'ambiguous', message: `option '--${body}' is ambiguous; possibilities:${possibilities}`, optopt: '' } };
    }
    if (firstIndex >= 0) found = longopts[firstIndex];
  }
  if (!found) return { error: { kind: 'unrecognized', message: `unrecognized option '--${body}'`, optopt: '' } };

  if (value !== undefined) {
    if (found.hasArg === 'none') {
      return { error: { kind: 'no-argument', message: `option '--${found.name}' doesn't allow an argument`, optopt: found.val } };
    }
    return { option: { opt: found.val, arg: value, long: found.name }, consumedNext: false };
  }
  if (found.hasArg === 'required') {
    if (next === undefined) {
      return { error: { kind: 'needs-argument', message: `option '--${found.name}' requires an argument`, optopt: found.val } };
    }
    return { option: { opt: found.val, arg: next, long: found.name }, consumedNext: true };
  }
  return { option: { opt: found.val, arg: undefined, long: found.name }, consumedNext: false };
}

/**
 * Parse `argv` (the arguments, without the program name) like glibc `getopt_long()` called in a
 * loop until it returns -1, then collect the operands.
 */
export function getoptLong(
  argv: readonly string[],
  shortopts: string,
  longopts: readonly LongOption[] = [],
  config: GetoptConfig = {},
): GetoptResult {
  const { ordering, shorts } = parseShortopts(shortopts, config);
  const options: GetoptOption[] = [];
  const skipped: string[] = [];
  const done = (rest: readonly string[], error?: GetoptError): GetoptResult => {
    const result: GetoptResult = { options, operands: [...skipped, ...rest] };
    if (error) result.error = error;
    return result;
  };

  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === '--') return done(argv.slice(i + 1));
    if (isNonOption(arg)) {
      if (ordering === 'require') return done(argv.slice(i));
      if (ordering === 'return-in-order') options.push({ opt: NONOPTION, arg });
      else skipped.push(arg);
      i++;
      continue;
    }

    if (arg.startsWith('--')) {
      const r = processLong(arg.slice(2), argv[i + 1], longopts);
      if ('error' in r) return done(argv.slice(i + 1), r.error);
      options.push(r.option);
      i += r.consumedNext ? 2 : 1;
      continue;
    }

    // A group of short options.
    let j = 1;
    i++;
    while (j < arg.length) {
      const c = arg[j]!;
      j++;
      const spec = shorts.get(c);
      if (!spec) return done(argv.slice(i), { kind: 'invalid', message: `invalid option -- '${c}'`, optopt: c });
      if (spec.hasArg === 'none') {
        options.push({ opt: c, arg: undefined });
        continue;
      }
      const attached = arg.slice(j);
      if (spec.hasArg === 'optional') {
        options.push({ opt: c, arg: attached !== '' ? attached : undefined });
        break;
      }
      if (attached !== '') {
        options.push({ opt: c, arg: attached });
        break;
      }
      const next = argv[i];
      if (next === undefined) {
        return done([], { kind: 'needs-argument', message: `option requires an argument -- '${c}'`, optopt: c });
      }
      options.push({ opt: c, arg: next });
      i++;
      break;
    }
  }
  return done([]);
}

/** glibc's hint line that util-linux prints after a usage error (`errtryhelp()`). */
export function tryHelp(progName: string): string {
  return `Try '${progName} --help' for more information.`;
}

/** What a util-linux-style command does instead of running: print, and exit with a status. */
export interface ExitAction {
  action: 'exit';
  status: number;
  stdout: string;
  stderr: string;
}

/** `-V`: util-linux's `print_version()` line, with nsbox's version. */
export function versionExit(progName: string, version: string): ExitAction {
  return { action: 'exit', status: 0, stdout: `${progName} from nsbox ${version}\n`, stderr: '' };
}

/** A getopt error: the message and the hint line, exit 1 (util-linux's `errtryhelp()`). */
export function usageErrorExit(progName: string, message: string): ExitAction {
  return { action: 'exit', status: 1, stdout: '', stderr: `${progName}: ${message}\n${tryHelp(progName)}\n` };
}
