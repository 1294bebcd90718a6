/**
 * libsmartcols's filter language (scols-filter(5), util-linux 2.40+), as `lsns -Q/--filter` uses
 * it: a recursive-descent parser and an evaluator written after libsmartcols's
 * `filter-scanner.l`, `filter-parser.y`, `filter-expr.c` and `filter-param.c`.
 *
 * - Tokens: `(` `)`; `and AND &&`, `or OR ||`, `! not NOT`; `eq EQ ==`, `ne NE !=`, `le LE <=`,
 *   `lt LT <`, `ge GE >=`, `gt GT >`, `=~`, `!~`; `true TRUE false FALSE`; numbers (`123`,
 *   `1.5`, `4K` / `4KiB`: powers of 1024 up to Y); strings in `"..."` or `'...'` (no escapes,
 *   no newline; the text between the quotes is trimmed); holders (column names):
 *   `[a-zA-Z][a-zA-Z_.%:/-0-9]*`. Blanks and newlines separate; any other character is
 *   "echoed" (flex's default rule copies it to stdout) and otherwise ignored.
 * - Grammar (bison precedences): `&&` and `||` share the lowest level, left-associative (so
 *   `a || b && c` is `(a || b) && c`); the comparisons and `!` share the next level, left-
 *   associative (`!a == b` is `(!a) == b`); parentheses group.
 * - Types: a holder takes its column's type (a JSON number column is an unsigned 64-bit
 *   integer, anything else a string); a comparison converts both sides to one type: theirs when
 *   they agree, else the non-holder's (the left one when both or neither are holders), float
 *   over integer. Comparisons with an empty cell are false for numbers, floats and booleans;
 *   strings compare byte-wise and an empty cell sorts before everything (so `COMMAND != ""`
 *   is true for a namespace without processes). A bare operand is true when non-empty and
 *   non-zero. `=~`/`!~` take a string literal on the right, compiled as a POSIX extended
 *   regular expression when the expression is parsed.
 */

export type FilterType = 'string' | 'u64' | 'float' | 'boolean';

/** The value of an operand (libsmartcols's `struct filter_param` data). */
interface Value {
  type: FilterType;
  /** No data (an empty cell). */
  empty: boolean;
  str: string | null;
  num: bigint;
  fnum: number;
  bool: boolean;
}

type CmpOp = 'EQ' | 'NE' | 'LT' | 'LE' | 'GT' | 'GE' | 'REG' | 'NREG';

type FilterNode =
  | { readonly kind: 'param'; readonly holder: undefined; readonly value: Value }
  | { readonly kind: 'param'; readonly holder: string }
  | { readonly kind: 'logic'; readonly op: 'AND' | 'OR'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | { readonly kind: 'cmp'; readonly op: CmpOp; readonly left: FilterNode; readonly right: FilterNode; readonly re?: RegExp };

/** A failure while evaluating (libsmartcols returns an errno; lsns then exits). */
export class FilterApplyError extends Error {}

const ERANGE = 'Numerical result out of range';
const EINVAL = 'Invalid argument';

const U64_MAX = (1n << 64n) - 1n;

function literal(type: FilterType, data: { str?: string; num?: bigint; fnum?: number; bool?: boolean }): Value {
  return { type, empty: false, str: data.str ?? null, num: data.num ?? 0n, fnum: data.fnum ?? 0, bool: data.bool ?? false };
}

/** param_set_data() for strings: strip the quotes the data starts with, trim blanks. */
function stringData(s: string): string {
  let t = s;
  if (t.startsWith('"') || t.startsWith("'")) t = t.endsWith(t[0]!) && t.length > 1 ? t.slice(1, -1) : t.slice(1);
  return t.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}

/** ul_strtou64(str, 10): the whole string, no sign but '+', in range. */
function strToU64(s: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s);
  if (!m) throw new FilterApplyError(EINVAL);
  const v = BigInt(m[2]!);
  if (m[1] === '-' && v !== 0n) throw new FilterApplyError(ERANGE);
  if (v > U64_MAX) throw new FilterApplyError(ERANGE);
  return v;
}

/** ul_strtold(): strtold over the whole string. */
function strToFloat(s: string): number {
  const t = s.trim();
  if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)$/i.test(t)) throw new FilterApplyError(EINVAL);
  const v = /^[+-]?inf/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : /nan/i.test(t) ? Number.NaN : Number(t);
  if (!Number.isFinite(v) && !/inf|nan/i.test(t)) throw new FilterApplyError(ERANGE);
  return v;
}

/** printf("%Lg"). */
export function formatG(v: number): string {
  if (Number.isNaN(v)) return v < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Number(v.toExponential(5).split('e')[1]);
  if (exp < -4 || exp >= 6) {
    const [mant, e] = v.toExponential(5).split('e') as [string, string];
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const n = Math.abs(Number(e));
    return `${m}e${Number(e) < 0 ? '-' : '+'}${String(n).padStart(2, '0')}`;
  }
  const f = v.toFixed(Math.max(0, 5 - exp));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}

/** cast_param(): converts in place (an empty value stays empty). */
function cast(v: Value, type: FilterType): void {
  if (v.type === type) return;
  switch (v.type) {
    case 'string': {
      const s = v.str;
      v.str = null;
      if (type === 'u64') v.num = s === null ? 0n : strToU64(s);
      else if (type === 'float') v.fnum = s === null ? 0 : strToFloat(s);
      else v.bool = s !== null && s !== '' && (s.toLowerCase() === '1' || s.toLowerCase() === 'true' || /^[yY]/.test(s));
      break;
    }
    case 'u64':
      if (type === 'string') v.str = v.num.toString();
      else if (type === 'float') v.fnum = Number(v.num);
      else v.bool = v.num > 0n;
      break;
    case 'float':
      if (type === 'string') v.str = formatG(v.fnum);
      else if (type === 'u64') v.num = Number.isFinite(v.fnum) ? BigInt.asUintN(64, BigInt(Math.trunc(v.fnum))) : 0n;
      else v.bool = v.fnum > 0;
      break;
    case 'boolean':
      if (type === 'string') v.str = v.bool ? 'true' : 'false';
      else if (type === 'u64') v.num = v.bool ? 1n : 0n;
      else v.fnum = v.bool ? 1 : 0;
      break;
  }
  v.type = type;
}

/** copy_param(): a copy made for a cast. The union's data is copied, so only an empty string stays empty. */
function copyForCast(v: Value): Value {
  return { ...v, empty: v.type === 'string' ? v.str === null : false };
}

/** strcmp() on UTF-8 bytes; a missing string sorts first. */
function xstrcmp(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function order<T>(op: CmpOp, a: T, b: T, cmp: (x: T, y: T) => number): boolean {
  const c = cmp(a, b);
  switch (op) {
    case 'EQ':
      return c === 0;
    case 'NE':
      return c !== 0;
    case 'LT':
      return c < 0;
    case 'LE':
      return c <= 0;
    case 'GT':
      return c > 0;
    case 'GE':
      return c >= 0;
    default:
      throw new FilterApplyError(EINVAL);
  }
}

function compare(op: CmpOp, l: Value, r: Value, re: RegExp | undefined): boolean {
  if (l.type === 'string') {
    if (op === 'REG' || op === 'NREG') {
      if (!re) throw new FilterApplyError(EINVAL);
      return re.test(l.str ?? '') === (op === 'REG');
    }
    return order(op, l.str, r.str, xstrcmp);
  }
  if (op === 'REG' || op === 'NREG') throw new FilterApplyError(EINVAL);
  if (l.empty || r.empty) return false;
  if (l.type === 'u64') return order(op, l.num, r.num, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // float: NaN compares like C (every relation false but !=).
  if (l.type === 'float') return op === 'NE' ? l.fnum !== r.fnum : order(op, l.fnum, r.fnum, (a, b) => (a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.NaN));
  return order(op, Number(l.bool), Number(r.bool), (a, b) => a - b);
}

/** What a line offers the filter: a column's data (null for an empty cell) and its type. */
export interface FilterLine {
  /** The cell of that holder's column (already known to exist); null when empty. */
  cell(holder: string): string | null;
  /** The column's type: 'number' for JSON number columns (u64), else 'string'. */
  type(holder: string): 'number' | 'string';
}

/** A parsed filter. */
export class ScolsFilter {
  constructor(private readonly root: FilterNode | undefined) {}

  /**
   * Column names the expression refers to, once per occurrence, in the order they appear
   * (scols_filter_next_holder() walks every holder parameter, in creation order).
   */
  holders(): string[] {
    const out: string[] = [];
    const walk = (n: FilterNode | undefined): void => {
      if (!n) return;
      if (n.kind === 'param') {
        if (n.holder !== undefined) out.push(n.holder);
      } else if (n.kind === 'not') {
        let o = n.operand;
        while (o.kind === 'not') o = o.operand;
        walk(o);
      }
      else {
        walk(n.left);
        walk(n.right);
      }
    };
    walk(this.root);
    return out;
  }

  /** scols_line_apply_filter(): whether the line passes (an empty filter passes everything). */
  matches(line: FilterLine): boolean {
    try {
      return this.evaluate(line);
    } catch (e) {
      if (e instanceof RangeError) throw new FilterApplyError('Cannot allocate memory');
      throw e;
    }
  }

  private evaluate(line: FilterLine): boolean {
    if (!this.root) return true;
    const fetched = new Map<string, Value>();
    const holderValue = (name: string): Value => {
      let v = fetched.get(name);
      if (!v) {
        const data = line.cell(name);
        const type: FilterType = line.type(name) === 'number' ? 'u64' : 'string';
        v = data === null ? { type: 'string', empty: true, str: null, num: 0n, fnum: 0, bool: false } : literal('string', { str: stringData(data) });
        cast(v, type);
        fetched.set(name, v);
      }
      return v;
    };
    const typeOf = (n: FilterNode): FilterType => {
      if (n.kind !== 'param') return 'boolean';
      if (n.holder !== undefined) return line.type(n.holder) === 'number' ? 'u64' : 'string';
      return n.value.type;
    };
    const isHolder = (n: FilterNode): boolean => n.kind === 'param' && n.holder !== undefined;
    const castNode = (n: FilterNode, type: FilterType): Value => {
      let v: Value;
      if (n.kind === 'param') v = n.holder !== undefined ? holderValue(n.holder) : n.value;
      else v = literal('boolean', { bool: evalNode(n) });
      if (v.type === type) return v;
      const c = copyForCast(v);
      cast(c, type);
      return c;
    };
    const evalNode = (n: FilterNode): boolean => {
      switch (n.kind) {
        case 'param': {
          const v = n.holder !== undefined ? holderValue(n.holder) : n.value;
          if (v.empty) return false;
          if (v.type === 'string') return v.str !== null && v.str !== '';
          if (v.type === 'u64') return v.num !== 0n;
          if (v.type === 'float') return v.fnum !== 0;
          return v.bool;
        }
        case 'logic': {
          const l = evalNode(n.left);
          if (n.op === 'AND') return l ? evalNode(n.right) : false;
          return l ? true : evalNode(n.right);
        }
        case 'not': {
          let neg = true;
          let o = n.operand;
          for (; o.kind === 'not'; o = o.operand) neg = !neg;
          return neg !== evalNode(o);
        }
        case 'cmp': {
          // guess_expr_datatype()
          const lt = typeOf(n.left);
          const rt = typeOf(n.right);
          let type = lt;
          if (lt !== rt) {
            const lh = isHolder(n.left);
            const rh = isHolder(n.right);
            type = lh && !rh ? rt : lt;
            if (type === 'u64' && (lt === 'float' || rt === 'float')) type = 'float';
          }
          const l = castNode(n.left, type);
          const r = castNode(n.right, type);
          return compare(n.op, l, r, n.re);
        }
      }
    };
    return evalNode(this.root);
  }
}

// ---------------------------------------------------------------------------------------------
// Scanner and parser.

type TokKind =
  | 'AND'
  | 'OR'
  | 'NEG'
  | CmpOp
  | 'TRUE'
  | 'FALSE'
  | 'NUMBER'
  | 'FLOAT'
  | 'HOLDER'
  | 'STRING'
  | 'INVALID_NUMBER'
  | '('
  | ')'
  | 'QUOTE'
  | 'EOF';

interface Token {
  readonly kind: TokKind;
  readonly text: string;
  readonly num?: bigint;
  readonly fnum?: number;
}

const KEYWORDS: Readonly<Record<string, TokKind>> = {
  and: 'AND', AND: 'AND', or: 'OR', OR: 'OR', not: 'NEG', NOT: 'NEG',
  eq: 'EQ', EQ: 'EQ', ne: 'NE', NE: 'NE', le: 'LE', LE: 'LE', lt: 'LT', LT: 'LT',
  ge: 'GE', GE: 'GE', gt: 'GT', GT: 'GT', true: 'TRUE', TRUE: 'TRUE', false: 'FALSE', FALSE: 'FALSE',
};

const SYMBOLS: readonly [string, TokKind][] = [
  ['&&', 'AND'], ['||', 'OR'], ['==', 'EQ'], ['!=', 'NE'], ['<=', 'LE'], ['>=', 'GE'], ['=~', 'REG'], ['!~', 'NREG'],
  ['<', 'LT'], ['>', 'GT'], ['!', 'NEG'], ['(', '('], [')', ')'], ["'", 'QUOTE'],
];

const SIZE_SUFFIX = 'KMGTPEZY';

class ParseError extends Error {}

class Scanner {
  private pos = 0;
  /** Characters no rule matches: flex's default rule copies them to stdout. */
  echo = '';
  /** The last message yyerror() was given by the scanner (a bad number). */
  lexError: string | undefined;
  constructor(private readonly src: string) {}

  next(): Token {
    const s = this.src;
    for (;;) {
      while (this.pos < s.length && ' \t\n'.includes(s[this.pos]!)) this.pos++;
      if (this.pos >= s.length) return { kind: 'EOF', text: '' };
      const rest = s.slice(this.pos);
      // flex takes the longest match; among equals, the first rule (keywords before holders).
      const cands: Token[] = [];
      for (const [sym, kind] of SYMBOLS) if (rest.startsWith(sym)) cands.push({ kind, text: sym });
      const id = /^[a-zA-Z][a-zA-Z_.%:/\-0-9]*/.exec(rest);
      if (id) {
        const kw = KEYWORDS[id[0]];
        // A keyword rule matches only the keyword itself; the holder rule may match longer.
        for (const k of Object.keys(KEYWORDS)) if (rest.startsWith(k)) cands.push({ kind: KEYWORDS[k]!, text: k });
        cands.push({ kind: kw ?? 'HOLDER', text: id[0] });
      }
      const fl = /^\d+\.\d+/.exec(rest);
      if (fl) cands.push({ kind: 'FLOAT', text: fl[0], fnum: Number(fl[0]) });
      const sz = /^\d+[KMGTPEZY](iB)?/.exec(rest);
      if (sz) cands.push(this.sizeToken(sz[0]));
      const int = /^\d+/.exec(rest);
      if (int) {
        // strtoumax() saturates; the (int64_t) cast keeps the bits.
        const v = BigInt(int[0]);
        cands.push({ kind: 'NUMBER', text: int[0], num: v > U64_MAX ? U64_MAX : v });
      }
      const str = /^("[^"\n]*"|'[^'\n]*')/.exec(rest);
      if (str) cands.push({ kind: 'STRING', text: str[0] });
      if (cands.length === 0) {
        this.echo += s[this.pos];
        this.pos++;
        continue;
      }
      let best = cands[0]!;
      for (const c of cands) if (c.text.length > best.text.length) best = c;
      this.pos += best.text.length;
      if (best.kind === 'INVALID_NUMBER') this.lexError = `"${best.text}" token error: ${ERANGE}`;
      return best;
    }
  }

  private sizeToken(text: string): Token {
    const m = /^(\d+)([KMGTPEZY])/.exec(text)!;
    const v = BigInt(m[1]!) * (1n << (10n * BigInt(SIZE_SUFFIX.indexOf(m[2]!) + 1)));
    if (v > U64_MAX) return { kind: 'INVALID_NUMBER', text };
    return { kind: 'NUMBER', text, num: v };
  }
}

/** bison's name of a token in "syntax error, unexpected X" (its T_ prefix removed by yyerror). */
function tokenName(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return 'end of file';
    case '(':
      return "'('";
    case ')':
      return "')'";
    case 'QUOTE':
      return 'invalid token';
    default:
      return t.kind;
  }
}

const CMP_OPS: ReadonlySet<TokKind> = new Set<TokKind>(['EQ', 'NE', 'LT', 'LE', 'GT', 'GE', 'REG', 'NREG']);

class Parser {
  private look: Token | undefined;
  constructor(private readonly sc: Scanner) {}

  private peek(): Token {
    this.look ??= this.sc.next();
    return this.look;
  }
  private take(): Token {
    const t = this.peek();
    this.look = undefined;
    return t;
  }
  private unexpected(t: Token): never {
    throw new ParseError(`syntax error, unexpected ${tokenName(t)}`);
  }

  parse(): FilterNode {
    const e = this.logic();
    const t = this.peek();
    if (t.kind !== 'EOF') this.unexpected(t);
    return e;
  }

  /** expr (AND|OR) expr: one level, left-associative. */
  private logic(): FilterNode {
    let left = this.cmp();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'AND' && t.kind !== 'OR') return left;
      this.take();
      left = { kind: 'logic', op: t.kind, left, right: this.cmp() };
    }
  }

  /** expr OP expr and ! expr: one level above, left-associative. */
  private cmp(): FilterNode {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (!CMP_OPS.has(t.kind)) return left;
      this.take();
      const op = t.kind as CmpOp;
      const right = this.unary();
      if (op === 'REG' || op === 'NREG') {
        left = { kind: 'cmp', op, left, right, re: compileRegex(right) };
      } else left = { kind: 'cmp', op, left, right };
    }
  }

  private unary(): FilterNode {
    let nots = 0;
    while (this.peek().kind === 'NEG') {
      this.take();
      this.push();
      nots++;
    }
    let e = this.primary();
    this.depth -= nots;
    for (; nots > 0; nots--) e = { kind: 'not', operand: e };
    return e;
  }

  /** bison's stack: YYMAXDEPTH (10000) entries, then "memory exhausted". */
  private depth = 0;
  private push(): void {
    if (++this.depth >= 10000) throw new ParseError('memory exhausted');
  }

  private primary(): FilterNode {
    const t = this.take();
    switch (t.kind) {
      case '(': {
        this.push();
        const e = this.logic();
        const c = this.take();
        if (c.kind !== ')') this.unexpected(c);
        this.depth--;
        return e;
      }
      case 'NUMBER':
        return { kind: 'param', holder: undefined, value: literal('u64', { num: t.num! }) };
      case 'FLOAT':
        return { kind: 'param', holder: undefined, value: literal('float', { fnum: t.fnum! }) };
      case 'STRING':
        return { kind: 'param', holder: undefined, value: literal('string', { str: stringData(t.text) }) };
      case 'TRUE':
      case 'FALSE':
        return { kind: 'param', holder: undefined, value: literal('boolean', { bool: t.kind === 'TRUE' }) };
      case 'HOLDER':
        return { kind: 'param', holder: t.text };
      case 'INVALID_NUMBER':
        // YYERROR: the scanner's message stands.
        throw new ParseError(this.sc.lexError ?? '(null)');
      default:
        return this.unexpected(t);
    }
  }
}

/**
 * filter_compile_param(): regcomp(REG_EXTENDED | REG_NOSUB) of the right operand's string.
 * Anything but a string there has no string to compile: bison's YYERROR without a message
 * (lsns prints "(null)").
 */
function compileRegex(n: FilterNode): RegExp {
  if (n.kind !== 'param' || n.holder !== undefined || n.value.type !== 'string' || n.value.str === null) throw new ParseError('(null)');
  return posixEre(n.value.str);
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', print: ' -~', graph: '!-~', cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f',
};

/** A POSIX extended regular expression as a JavaScript one (glibc's messages for what fails). */
export function posixEre(src: string): RegExp {
  let out = '';
  let depth = 0;
  let i = 0;
  let atomBefore = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      if (i + 1 >= src.length) throw new ParseError('Trailing backslash');
      const d = src[i + 1]!;
      // GNU escapes \w \W \s \S \b \B keep their meaning; \< \> are word edges; others are literal.
      if ('wWsSbB'.includes(d)) out += `\\${d}`;
      else if (d === '<' || d === '>') out += '\\b';
      else if (/[1-9]/.test(d)) throw new ParseError('Invalid back reference');
      else out += /[a-zA-Z0-9]/.test(d) ? d : `\\${d}`;
      i += 2;
      atomBefore = true;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (src[j] === '^') {
        cls += '^';
        j++;
      }
      if (src[j] === ']') {
        cls += '\\]';
        j++;
      }
      for (;;) {
        if (j >= src.length) throw new ParseError('Unmatched [, [^, [:, [., or [=');
        const e = src[j]!;
        if (e === ']') break;
        if (e === '[' && (src[j + 1] === ':' || src[j + 1] === '.' || src[j + 1] === '=')) {
          const kind = src[j + 1]!;
          const end = src.indexOf(`${kind}]`, j + 2);
          if (end < 0) throw new ParseError('Unmatched [, [^, [:, [., or [=');
          const name = src.slice(j + 2, end);
          if (kind === ':') {
            const m = POSIX_CLASSES[name];
            if (m === undefined) throw new ParseError('Invalid character class name');
            cls += m;
          } else cls += name.replace(/[\\\]^-]/g, (x) => `\\${x}`);
          j = end + 2;
          continue;
        }
        cls += e === '\\' || e === '[' ? `\\${e}` : e;
        j++;
      }
      out += `[${cls}]`;
      i = j + 1;
      atomBefore = true;
      continue;
    }
    if (c === '(') {
      depth++;
      out += '(?:';
      i++;
      atomBefore = false;
      continue;
    }
    if (c === ')') {
      if (depth === 0) out += '\\)';
      else {
        depth--;
        out += ')';
      }
      i++;
      atomBefore = true;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (!atomBefore) throw new ParseError('Invalid preceding regular expression');
      out += c;
      i++;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d*)(,(\d*))?\}/.exec(src.slice(i));
      if (!m) throw new ParseError('Unmatched \\{');
      if (!atomBefore) throw new ParseError('Invalid preceding regular expression');
      if (m[1] === '' && m[2] === undefined) throw new ParseError('Invalid content of \\{\\}');
      if (m[3] !== undefined && m[3] !== '' && Number(m[3]) < Number(m[1] || '0')) throw new ParseError('Invalid content of \\{\\}');
      out += m[1] === '' ? `{0${m[2] ?? ''}}` : m[0];
      i += m[0].length;
      continue;
    }
    if (c === '|') {
      atomBefore = false;
      out += c;
      i++;
      continue;
    }
    if (c === '^' || c === '$') {
      out += c;
      i++;
      atomBefore = c === '$';
      continue;
    }
    out += c === '/' ? '\\/' : c;
    atomBefore = true;
    i++;
  }
  if (depth > 0) throw new ParseError('Unmatched ( or \\(');
  try {
    return new RegExp(out);
  } catch {
    throw new ParseError('Invalid regular expression');
  }
}

/** The outcome of parsing: a filter, or libsmartcols's message; `echo` is what flex echoed to stdout. */
export type FilterParse = { ok: true; filter: ScolsFilter; echo: string } | { ok: false; message: string; echo: string };

/** scols_filter_parse_string(): an empty expression is a filter that passes everything. */
export function parseFilter(text: string): FilterParse {
  if (text === '') return { ok: true, filter: new ScolsFilter(undefined), echo: '' };
  const sc = new Scanner(text);
  try {
    const root = new Parser(sc).parse();
    return { ok: true, filter: new ScolsFilter(root), echo: sc.echo };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, message: e.message, echo: sc.echo };
    // Nesting deeper than JavaScript's stack allows (some thousands of parentheses): what bison
    // reports past its own limit.
    if (e instanceof RangeError) return { ok: false, message: 'memory exhausted', echo: sc.echo };
    throw e;
  }
}
