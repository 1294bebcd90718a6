/**
 * The few C-library behaviours the util-linux front ends depend on, reproduced exactly:
 * `strtoul`/`strtoimax`-style number scanning, `sscanf("%u")`, util-linux's `ul_strtou64`/
 * `ul_strtos64`, and glibc's `strerror` texts. Everything works on JS strings (argv elements,
 * file lines); `BigInt` keeps 64-bit arithmetic exact.
 */

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** C `isspace()` in the C locale. */
export function isCSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

interface Scanned {
  /** The value as written (sign applied), unbounded. */
  value: bigint;
  negative: boolean;
  /** Index just past the number; 0 when no digits were found (like `endptr == str`). */
  end: number;
}

/** The part shared by strtol & co. (base 10): blanks, an optional sign, digits. */
function scanDecimal(s: string, start = 0): Scanned {
  let i = start;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  const digitsStart = i;
  while (isDigit(s[i])) i++;
  if (i === digitsStart) return { value: 0n, negative: false, end: start };
  const magnitude = BigInt(s.slice(digitsStart, i));
  return { value: negative ? -magnitude : magnitude, negative, end: i };
}

export interface StrtoResult {
  value: bigint;
  /** Index just past the number (start index when nothing was converted). */
  end: number;
  /** errno would be ERANGE. */
  erange: boolean;
}

/** C `strtoul`/`strtoumax` with base 10 on an LP64 system. Negative input wraps, like C. */
export function strtoul(s: string, start = 0): StrtoResult {
  const r = scanDecimal(s, start);
  const magnitude = r.negative ? -r.value : r.value;
  if (magnitude > UINT64_MAX) return { value: UINT64_MAX, end: r.end, erange: true };
  const value = r.negative ? (UINT64_MAX + 1n - magnitude) & UINT64_MAX : magnitude;
  return { value, end: r.end, erange: false };
}

/** C `strtol`/`strtoimax` with base 10 on an LP64 system (clamped, ERANGE on overflow). */
export function strtol(s: string, start = 0): StrtoResult {
  const r = scanDecimal(s, start);
  if (r.value > INT64_MAX) return { value: INT64_MAX, end: r.end, erange: true };
  if (r.value < INT64_MIN) return { value: INT64_MIN, end: r.end, erange: true };
  return { value: r.value, end: r.end, erange: false };
}

export type NumParse = { ok: true; value: bigint } | { ok: false; errno: 'EINVAL' | 'ERANGE' };

/** util-linux `ul_strtou64(str, &num, 10)`: whole string, negative numbers refused with ERANGE. */
export function ulStrtou64(s: string): NumParse {
  if (s === '') return { ok: false, errno: 'EINVAL' };
  const signed = strtol(s);
  if (signed.value < 0n) return { ok: false, errno: 'ERANGE' };
  const r = strtoul(s);
  if (r.erange) return { ok: false, errno: 'ERANGE' };
  if (r.end === 0 || r.end !== s.length) return { ok: false, errno: 'EINVAL' };
  return { ok: true, value: r.value };
}

/** util-linux `ul_strtos64(str, &num, 10)`. */
export function ulStrtos64(s: string): NumParse {
  if (s === '') return { ok: false, errno: 'EINVAL' };
  const r = strtol(s);
  if (r.erange) return { ok: false, errno: 'ERANGE' };
  if (r.end === 0 || r.end !== s.length) return { ok: false, errno: 'EINVAL' };
  return { ok: true, value: r.value };
}

/**
 * glibc `sscanf` `%u` at `start`: skips blanks, needs at least one digit after an optional sign,
 * converts with strtoul and stores the low 32 bits (so `-1` gives 4294967295). Returns
 * undefined when the conversion fails.
 */
export function scanU32(s: string, start: number): { value: number; end: number } | undefined {
  let i = start;
  while (isCSpace(s[i])) i++;
  let j = i;
  if (s[j] === '+' || s[j] === '-') j++;
  if (!isDigit(s[j])) return undefined;
  const r = strtoul(s, i);
  return { value: Number(r.value & 0xffffffffn), end: r.end };
}

/**
 * `sscanf(s, fmt)` for formats made only of `%u` conversions and literal separators, e.g.
 * `"%u:%u:%u"`, followed by a `%n` check that the whole string was consumed. Returns the values,
 * or undefined when fewer conversions succeeded or characters are left over.
 */
export function scanU32List(s: string, separators: readonly string[]): number[] | undefined {
  const out: number[] = [];
  let pos = 0;
  for (let k = 0; k <= separators.length; k++) {
    const r = scanU32(s, pos);
    if (!r) return undefined;
    out.push(r.value);
    pos = r.end;
    const sep = separators[k];
    if (sep !== undefined) {
      if (!s.startsWith(sep, pos)) return undefined;
      pos += sep.length;
    }
  }
  return pos === s.length ? out : undefined;
}

const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor',
  ECHILD: 'No child processes',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  EPIPE: 'Broken pipe',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ELOOP: 'Too many levels of symbolic links',
  EOVERFLOW: 'Value too large for defined data type',
  EUSERS: 'Too many users',
  EOPNOTSUPP: 'Operation not supported',
  ESTALE: 'Stale file handle',
};

/** glibc `strerror()` text for an errno name such as `ENOENT`. */
export function strerror(code: string): string {
  return STRERROR[code] ?? `Unknown error ${code}`;
}

/** The errno name of a Node system error (`err.code`), or EIO for anything else. */
export function errnoCode(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return 'EIO';
}
