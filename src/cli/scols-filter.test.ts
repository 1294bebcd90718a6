/**
 * The filter language of libsmartcols (scols-filter(5)), as `lsns -Q` uses it. Expected
 * behaviour from util-linux's libsmartcols/src/filter-scanner.l, filter-parser.y,
 * filter-expr.c and filter-param.c (no util-linux here has -Q: 2.38.1).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FilterApplyError, formatG, parseFilter, posixEre, type FilterLine } from './scols-filter.js';

/** lsns's columns: NS NPROCS PID PPID UID PNS ONS are numbers, the rest strings. */
const NUMBER_COLUMNS = new Set(['NS', 'NPROCS', 'PID', 'PPID', 'UID', 'PNS', 'ONS']);

function line(cells: Record<string, string | null>): FilterLine {
  return {
    cell: (h) => {
      const k = Object.keys(cells).find((c) => c.toLowerCase() === h.toLowerCase());
      if (k === undefined) throw new Error(`no column ${h}`);
      return cells[k]!;
    },
    type: (h) => (NUMBER_COLUMNS.has(h.toUpperCase()) ? 'number' : 'string'),
  };
}

const UTS = line({ NS: '4026532177', TYPE: 'uts', NPROCS: '3', PID: '10811', USER: 'root', COMMAND: 'unshare --uts sh', NSFS: null, NETNSID: null });
const PERSIST = line({ NS: '4026532250', TYPE: 'uts', NPROCS: '0', PID: null, USER: 'root', COMMAND: null, NSFS: '/tmp/myuts', NETNSID: null });
const NET = line({ NS: '4026532178', TYPE: 'net', NPROCS: '0', PID: null, USER: 'root', COMMAND: null, NSFS: '/run/netns/a', NETNSID: '7' });

function match(expr: string, l: FilterLine): boolean {
  const f = parseFilter(expr);
  assert.ok(f.ok, `${expr}: ${f.ok ? '' : f.message}`);
  return f.filter.matches(l);
}

function parseError(expr: string): string {
  const f = parseFilter(expr);
  assert.ok(!f.ok, `${expr} parsed`);
  return f.message;
}

describe('scols filter: operators', () => {
  it('== != < <= > >= on numbers and their word forms (lower and upper case)', () => {
    assert.equal(match('NS == 4026532177', UTS), true);
    assert.equal(match('NS eq 4026532177', UTS), true);
    assert.equal(match('NS EQ 4026532177', UTS), true);
    assert.equal(match('NPROCS != 3', UTS), false);
    assert.equal(match('NPROCS ne 3', UTS), false);
    assert.equal(match('NPROCS < 4 && NPROCS lt 4 && NPROCS LT 4', UTS), true);
    assert.equal(match('NPROCS <= 3 && NPROCS le 3 && NPROCS LE 3', UTS), true);
    assert.equal(match('NPROCS > 2 && NPROCS gt 2 && NPROCS GT 2', UTS), true);
    assert.equal(match('NPROCS >= 3 && NPROCS ge 3 && NPROCS GE 3', UTS), true);
    assert.equal(match('NPROCS > 3', UTS), false);
  });
  it('&& and or AND ||, OR, ! not NOT', () => {
    assert.equal(match('TYPE == "uts" && NPROCS == 3', UTS), true);
    assert.equal(match('TYPE == "uts" and NPROCS == 0', UTS), false);
    assert.equal(match('TYPE == "net" AND NPROCS == 3', UTS), false);
    assert.equal(match('TYPE == "net" || NPROCS == 3', UTS), true);
    assert.equal(match('TYPE == "net" or NPROCS == 0', UTS), false);
    assert.equal(match('TYPE == "net" OR TYPE == "uts"', UTS), true);
    assert.equal(match('!(TYPE == "net")', UTS), true);
    assert.equal(match('not TYPE == "uts"', UTS), true); // (not TYPE) == "uts": false == false, as booleans
    assert.equal(match('NOT (TYPE == "uts")', UTS), false);
  });
  it('precedence: && and || share one level, left to right; ! binds to its operand', () => {
    // (true || false) && false = false; a C-like precedence would give true.
    assert.equal(match('true || false && false', UTS), false);
    assert.equal(match('false && false || true', UTS), true);
    assert.equal(match('true || (false && false)', UTS), true);
    // !NPROCS == 0: (!NPROCS) == 0 -> false == 0 (as boolean) -> true
    assert.equal(match('!NPROCS == 0', UTS), true);
    assert.equal(match('!(NPROCS == 0)', UTS), true);
    // ((!TYPE) == "net") && ...: a boolean comparison, "net" as a boolean is false, !TYPE too.
    assert.equal(match('! TYPE == "net" && NPROCS == 3', UTS), true);
  });
  it('comparisons chain left to right, the left result a boolean', () => {
    assert.equal(match('NPROCS == 3 == true', UTS), true);
    assert.equal(match('NPROCS == 3 == 1', UTS), true);
    assert.equal(match('NPROCS == 3 == 0', UTS), false);
  });
  it('=~ and !~: POSIX extended regular expressions, unanchored', () => {
    assert.equal(match('COMMAND =~ "uts"', UTS), true);
    assert.equal(match('COMMAND =~ "^unshare --(uts|net) sh$"', UTS), true);
    assert.equal(match('COMMAND !~ "^sh"', UTS), true);
    assert.equal(match('TYPE =~ "^[[:alpha:]]{3}$"', UTS), true);
    assert.equal(match('TYPE =~ "^[[:digit:]]+$"', UTS), false);
    // a number column compared with a string: as a string
    assert.equal(match('NS =~ "^40265321"', UTS), true);
    // an empty cell matches as ""
    assert.equal(match('COMMAND =~ "^$"', PERSIST), true);
    assert.equal(match('COMMAND !~ "."', PERSIST), true);
  });
  it('parentheses group', () => {
    assert.equal(match('(TYPE == "uts" || TYPE == "net") && (NPROCS == 0)', PERSIST), true);
    assert.equal(match('((((NPROCS == 0))))', PERSIST), true);
  });
});

describe('scols filter: operands', () => {
  it('strings in double or single quotes, trimmed, no escapes', () => {
    assert.equal(match("TYPE == 'uts'", UTS), true);
    assert.equal(match('TYPE == "  uts  "', UTS), true);
    assert.equal(match(`USER == 'root' && TYPE == "uts"`, UTS), true);
    assert.equal(match(`TYPE == "it's"`, UTS), false);
  });
  it('column names are case-insensitive', () => {
    assert.equal(match('type == "uts" && Nprocs == 3 && ns == 4026532177', UTS), true);
  });
  it('numbers: integers, floats (the comparison goes float), size suffixes', () => {
    assert.equal(match('NPROCS == 3.0', UTS), true);
    assert.equal(match('NPROCS > 2.5', UTS), true);
    assert.equal(match('NPROCS < 3.5 && 1 == 1.0', UTS), true);
    assert.equal(match('1K == 1024 && 1KiB == 1024 && 2M == 2097152 && 1E == 1152921504606846976', UTS), true);
  });
  it('numbers beyond 2^53 compare exactly (u64)', () => {
    const big = line({ NS: '18446744073709551615', TYPE: 'x' });
    assert.equal(match('NS == 18446744073709551615', big), true);
    assert.equal(match('NS == 18446744073709551614', big), false);
    // strtoumax saturates
    assert.equal(match('NS == 99999999999999999999999', big), true);
  });
  it('a number column against a string compares as strings; a string column against a number as numbers', () => {
    assert.equal(match('NS == "4026532177"', UTS), true);
    assert.equal(match('NETNSID == 7', NET), true);
    assert.equal(match("NETNSID == '7'", NET), true);
  });
  it('true, TRUE, false, FALSE; a bare operand is a boolean', () => {
    assert.equal(match('true', UTS), true);
    assert.equal(match('TRUE && !FALSE', UTS), true);
    assert.equal(match('false', UTS), false);
    assert.equal(match('NSFS', PERSIST), true);
    assert.equal(match('NSFS', UTS), false);
    assert.equal(match('NPROCS', PERSIST), false);
    assert.equal(match('NPROCS', UTS), true);
    assert.equal(match('"x" && 1 && !0 && !""', UTS), true);
  });
  it('empty cells: false in every numeric comparison, "less than everything" as strings', () => {
    assert.equal(match('PID == 0', PERSIST), false);
    assert.equal(match('PID != 0', PERSIST), false);
    assert.equal(match('PID > 0 || PID < 1', PERSIST), false);
    assert.equal(match('COMMAND == ""', PERSIST), false);
    assert.equal(match('COMMAND != ""', PERSIST), true);
    assert.equal(match('COMMAND < "a"', PERSIST), true);
    // an empty number cell compared with a string: cast from its (zero) value
    assert.equal(match('PID == "0"', PERSIST), true);
    assert.equal(match('NETNSID == 0', UTS), false);
  });
  it('an empty expression passes everything', () => {
    assert.equal(match('', UTS), true);
  });
  it('a string that is not a number, compared as a number, fails the evaluation (EINVAL)', () => {
    const f = parseFilter('TYPE == 5');
    assert.ok(f.ok);
    assert.throws(() => f.filter.matches(UTS), (e: unknown) => e instanceof FilterApplyError && e.message === 'Invalid argument');
  });
  it('holders() lists the columns used, every occurrence, in order', () => {
    const f = parseFilter('NS == 1 && (TYPE == "net" || NS == 2) && !nsfs');
    assert.ok(f.ok);
    assert.deepEqual(f.filter.holders(), ['NS', 'TYPE', 'NS', 'nsfs']);
  });
});

describe('scols filter: errors (bison: "syntax error, unexpected X", T_ removed)', () => {
  it('syntax errors name the unexpected token', () => {
    assert.equal(parseError('NS =='), 'syntax error, unexpected end of file');
    assert.equal(parseError('NS 1'), 'syntax error, unexpected NUMBER');
    assert.equal(parseError('NS == == 1'), 'syntax error, unexpected EQ');
    assert.equal(parseError('(NS == 1'), 'syntax error, unexpected end of file');
    assert.equal(parseError('NS == 1)'), "syntax error, unexpected ')'");
    assert.equal(parseError('&& NS'), 'syntax error, unexpected AND');
    assert.equal(parseError('NS == "a" "b"'), 'syntax error, unexpected STRING');
    assert.equal(parseError('NS == 1 TYPE'), 'syntax error, unexpected HOLDER');
    assert.equal(parseError('NS == 1.5 2.5'), 'syntax error, unexpected FLOAT');
    assert.equal(parseError('()'), "syntax error, unexpected ')'");
  });
  it('a lone quote is a token the grammar does not know', () => {
    assert.equal(parseError("TYPE == 'uts"), 'syntax error, unexpected invalid token');
  });
  it('keywords need the whole word: "andx" is a column name', () => {
    assert.equal(parseError('NS andx 1'), 'syntax error, unexpected HOLDER');
  });
  it('a size too large for 64 bits', () => {
    assert.equal(parseError('NS == 16E'), '"16E" token error: Numerical result out of range');
    assert.equal(parseError('NS == 1Z'), '"1Z" token error: Numerical result out of range');
  });
  it('a bad regular expression: regerror()', () => {
    assert.equal(parseError('COMMAND =~ "("'), 'Unmatched ( or \\(');
    assert.equal(parseError('COMMAND =~ "[a"'), 'Unmatched [, [^, [:, [., or [=');
    assert.equal(parseError('COMMAND =~ "*a"'), 'Invalid preceding regular expression');
    assert.equal(parseError('COMMAND =~ "[[:nope:]]"'), 'Invalid character class name');
    assert.equal(parseError('COMMAND =~ "a\\\\"'.replace('\\\\', '\\')), 'Trailing backslash');
  });
  it('nesting: bison\'s stack limit (10000) is "memory exhausted"; deep but legal nesting works', () => {
    assert.equal(match(`${'('.repeat(500)}NPROCS == 3${')'.repeat(500)}`, UTS), true);
    assert.equal(match(`${'!'.repeat(9001)}NPROCS`, UTS), false);
    assert.equal(parseError(`${'!'.repeat(10000)}NPROCS`), 'memory exhausted');
    assert.equal(parseError(`${'('.repeat(20000)}1${')'.repeat(20000)}`), 'memory exhausted');
  });
  it('the right side of =~ must be a string', () => {
    assert.equal(parseError('COMMAND =~ TYPE'), '(null)');
  });
  it('characters no scanner rule matches are echoed (flex) and skipped', () => {
    const f = parseFilter('NS == 1 ,$');
    assert.ok(f.ok);
    assert.equal(f.echo, ',$');
    const g = parseFilter('NS = 1');
    assert.ok(!g.ok);
    assert.equal(g.echo, '=');
    assert.equal(g.message, 'syntax error, unexpected NUMBER');
  });
});

describe('scols filter: helpers', () => {
  it('formatG is printf %g', () => {
    assert.equal(formatG(1.5), '1.5');
    assert.equal(formatG(100000), '100000');
    assert.equal(formatG(1000000), '1e+06');
    assert.equal(formatG(0.0001), '0.0001');
    assert.equal(formatG(0.00001), '1e-05');
    assert.equal(formatG(3.14159265), '3.14159');
    assert.equal(formatG(0), '0');
  });
  it('posixEre: bracket expressions keep backslashes literal; ) alone is literal', () => {
    assert.equal(posixEre('[\\]').test('\\'), true);
    assert.equal(posixEre('a)').test('a)'), true);
    assert.equal(posixEre('[]a]').test(']'), true);
    assert.equal(posixEre('x{2,}').test('xx'), true);
  });
});
