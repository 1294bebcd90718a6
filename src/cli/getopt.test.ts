import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getoptLong, NONOPTION, tryHelp, type GetoptResult, type LongOption } from './getopt.js';

// unshare's tables (a subset is enough for the parser rules; the full one is tested in unshare.test.ts).
const SHORT = '+fhVmuinpCTUrR:w:S:G:cl:';
const LONG: LongOption[] = [
  { name: 'help', hasArg: 'none', val: 'h' },
  { name: 'mount', hasArg: 'optional', val: 'm' },
  { name: 'uts', hasArg: 'optional', val: 'u' },
  { name: 'pid', hasArg: 'optional', val: 'p' },
  { name: 'fork', hasArg: 'none', val: 'f' },
  { name: 'kill-child', hasArg: 'optional', val: 'kill-child' },
  { name: 'mount-proc', hasArg: 'optional', val: 'mount-proc' },
  { name: 'mount-binfmt', hasArg: 'optional', val: 'mount-binfmt' },
  { name: 'map-user', hasArg: 'required', val: 'map-user' },
  { name: 'map-users', hasArg: 'required', val: 'map-users' },
  { name: 'map-group', hasArg: 'required', val: 'map-group' },
  { name: 'map-groups', hasArg: 'required', val: 'map-groups' },
  { name: 'map-root-user', hasArg: 'none', val: 'r' },
  { name: 'root', hasArg: 'required', val: 'R' },
  { name: 'monotonic', hasArg: 'required', val: 'monotonic' },
];

const parse = (argv: string[], short = SHORT, long = LONG): GetoptResult => getoptLong(argv, short, long);
const opts = (r: GetoptResult): Array<[string, string | undefined]> => r.options.map((o) => [o.opt, o.arg]);

test('grouped short flags, then -- ends the options', () => {
  const r = parse(['-fpr', '--', 'cmd', '-x']);
  assert.deepEqual(opts(r), [['f', undefined], ['p', undefined], ['r', undefined]]);
  assert.deepEqual(r.operands, ['cmd', '-x']);
  assert.equal(r.error, undefined);
});

test('leading + stops at the first non-option', () => {
  const r = parse(['-u', 'sh', '-c', 'echo $#', '-u', 'x']);
  assert.deepEqual(opts(r), [['u', undefined]]);
  assert.deepEqual(r.operands, ['sh', '-c', 'echo $#', '-u', 'x']);
  assert.deepEqual(parse(['-f', 'sh', '-c', 'echo']).operands, ['sh', '-c', 'echo']);
});

test('a lone - is a non-option', () => {
  assert.deepEqual(parse(['-f', '-', 'x']).operands, ['-', 'x']);
});

test('optional long argument only with =', () => {
  const r = parse(['--mount=/m', '--pid', 'cmd']);
  assert.deepEqual(opts(r), [['m', '/m'], ['p', undefined]]);
  assert.deepEqual(r.operands, ['cmd']);
  const r2 = parse(['--mount', 'ls', '-l']);
  assert.deepEqual(opts(r2), [['m', undefined]]);
  assert.deepEqual(r2.operands, ['ls', '-l']);
  assert.deepEqual(opts(parse(['--mount=', 'x'])), [['m', '']]);
  assert.deepEqual(opts(parse(['--kill-child=SIGTERM', 'sh'])), [['kill-child', 'SIGTERM']]);
  assert.deepEqual(parse(['--kill-child', 'TERM']).operands, ['TERM']);
});

test('required long argument with = or as the next element (whatever it looks like)', () => {
  assert.deepEqual(opts(parse(['--map-user', '1000', 'id'])), [['map-user', '1000']]);
  assert.deepEqual(opts(parse(['--map-user=1000', 'id'])), [['map-user', '1000']]);
  assert.deepEqual(opts(parse(['--root', '--fork'])), [['R', '--fork']]);
  assert.deepEqual(opts(parse(['--monotonic', '-5'])), [['monotonic', '-5']]);
  assert.deepEqual(opts(parse(['--map-user='])), [['map-user', '']]);
});

test('short required argument attached or separate', () => {
  assert.deepEqual(opts(parse(['-R/root', 'sh'])), [['R', '/root']]);
  assert.deepEqual(opts(parse(['-R', '/root', 'sh'])), [['R', '/root']]);
  const r = parse(['-fR', '/root', 'sh']);
  assert.deepEqual(opts(r), [['f', undefined], ['R', '/root']]);
  assert.deepEqual(r.operands, ['sh']);
  assert.deepEqual(opts(parse(['-fR/x', '-p'])), [['f', undefined], ['R', '/x'], ['p', undefined]]);
  assert.deepEqual(opts(parse(['-R', '-f'])), [['R', '-f']]);
  assert.deepEqual(opts(parse(['-R', ''])), [['R', '']]);
});

test('namespace short options take no attached file', () => {
  const r = parse(['-u/tmp/ns/x', 'true']);
  assert.deepEqual(opts(r), [['u', undefined]]);
  assert.equal(r.error?.message, "invalid option -- '/'");
  assert.equal(r.error?.kind, 'invalid');
  assert.equal(r.error?.optopt, '/');
});

test('unknown options', () => {
  assert.equal(parse(['--bogus', 'true']).error?.message, "unrecognized option '--bogus'");
  assert.equal(parse(['--owner=1', 'true']).error?.message, "unrecognized option '--owner=1'");
  assert.equal(parse(['-x', 'true']).error?.message, "invalid option -- 'x'");
  assert.equal(parse(['-:']).error?.message, "invalid option -- ':'");
  assert.equal(parse(['-+']).error?.message, "invalid option -- '+'");
  assert.equal(parse(['---fork']).error?.message, "unrecognized option '---fork'");
});

test('options before an error are kept, the rest is not parsed', () => {
  const r = parse(['-f', '-px', '-u']);
  assert.deepEqual(opts(r), [['f', undefined], ['p', undefined]]);
  assert.equal(r.error?.message, "invalid option -- 'x'");
});

test('missing required arguments', () => {
  assert.equal(parse(['-R']).error?.message, "option requires an argument -- 'R'");
  assert.equal(parse(['-fR']).error?.message, "option requires an argument -- 'R'");
  assert.equal(parse(['-fR']).error?.kind, 'needs-argument');
  assert.equal(parse(['--root']).error?.message, "option '--root' requires an argument");
  assert.equal(parse(['--ro']).error?.message, "option '--root' requires an argument");
  assert.equal(parse(['--map-user']).error?.optopt, 'map-user');
});

test('an argument for an option that takes none', () => {
  const r = parse(['--fork=1']);
  assert.equal(r.error?.message, "option '--fork' doesn't allow an argument");
  assert.equal(r.error?.kind, 'no-argument');
  assert.equal(parse(['--fo=']).error?.message, "option '--fork' doesn't allow an argument");
});

test('unambiguous prefixes, exact names win, ambiguity lists every candidate', () => {
  assert.deepEqual(opts(parse(['--fo', '--h'])), [['f', undefined], ['h', undefined]]);
  assert.deepEqual(opts(parse(['--map-r'])), [['r', undefined]]);
  // exact match although it is also a prefix of map-users
  assert.deepEqual(opts(parse(['--map-user=5'])), [['map-user', '5']]);
  assert.deepEqual(opts(parse(['--mount'])), [['m', undefined]]);
  assert.equal(
    parse(['--ma']).error?.message,
    "option '--ma' is ambiguous; possibilities: '--map-user' '--map-users' '--map-group' '--map-groups' '--map-root-user'",
  );
  assert.equal(parse(['--mou']).error?.message, "option '--mou' is ambiguous; possibilities: '--mount' '--mount-proc' '--mount-binfmt'");
  // what was typed is echoed, =value included
  assert.equal(parse(['--map-g=1']).error?.message, "option '--map-g=1' is ambiguous; possibilities: '--map-group' '--map-groups'");
  assert.equal(parse(['--map-g=1']).error?.kind, 'ambiguous');
  assert.equal(parse(['--mount-']).error?.message, "option '--mount-' is ambiguous; possibilities: '--mount-proc' '--mount-binfmt'");
});

test('prefixes of options with the same kind and value are not ambiguous (glibc)', () => {
  const long: LongOption[] = [
    { name: 'color', hasArg: 'optional', val: 'c' },
    { name: 'colour', hasArg: 'optional', val: 'c' },
    { name: 'columns', hasArg: 'required', val: 'C' },
  ];
  assert.deepEqual(opts(parse(['--colo=x'], 'cC:', long)), [['c', 'x']]);
  assert.equal(parse(['--col'], 'cC:', long).error?.message, "option '--col' is ambiguous; possibilities: '--color' '--columns'");
  // glibc compares every candidate with the first one only
  const long2: LongOption[] = [
    { name: 'one', hasArg: 'none', val: '1' },
    { name: 'one-one', hasArg: 'none', val: '3' },
    { name: 'onto', hasArg: 'none', val: '5' },
  ];
  assert.equal(parse(['--on'], '135', long2).error?.message, "option '--on' is ambiguous; possibilities: '--one' '--one-one' '--onto'");
});

test('an empty long name matches every option', () => {
  const long: LongOption[] = [
    { name: 'aa', hasArg: 'none', val: 'a' },
    { name: 'bb', hasArg: 'none', val: 'b' },
  ];
  assert.equal(parse(['--=x'], 'ab', long).error?.message, "option '--=x' is ambiguous; possibilities: '--aa' '--bb'");
});

test('the long name reported is the full one', () => {
  const r = parse(['--map-ro']);
  assert.equal(r.options[0]?.long, 'map-root-user');
  assert.equal(parse(['-r']).options[0]?.long, undefined);
});

test('optional short arguments (nsenter style) only when attached', () => {
  const short = '+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W::ecFZ';
  const long: LongOption[] = [{ name: 'mount', hasArg: 'optional', val: 'm' }];
  assert.deepEqual(opts(parse(['-u/proc/self/ns/uts', 'hostname'], short, long)), [['u', '/proc/self/ns/uts']]);
  const r = parse(['-W', '/tmp'], short, long);
  assert.deepEqual(opts(r), [['W', undefined]]);
  assert.deepEqual(r.operands, ['/tmp']);
  assert.deepEqual(opts(parse(['-amu', 'x'], short, long)), [['a', undefined], ['m', 'u']]);
  assert.deepEqual(opts(parse(['-t', '1', '-m'], short, long)), [['t', '1'], ['m', undefined]]);
  assert.equal(parse(['-t'], short, long).error?.message, "option requires an argument -- 't'");
});

test('PERMUTE ordering (no +): non-options move after the options', () => {
  const r = getoptLong(['a', '-f', 'b', '-R', 'x', 'c', '--', '-u', 'd'], 'fuR:', []);
  assert.deepEqual(opts(r), [['f', undefined], ['R', 'x']]);
  assert.deepEqual(r.operands, ['a', 'b', 'c', '-u', 'd']);
  const p = getoptLong(['a', '-f'], 'f', [], { posixlyCorrect: true });
  assert.deepEqual(opts(p), []);
  assert.deepEqual(p.operands, ['a', '-f']);
});

test('RETURN_IN_ORDER (leading -): non-options come back in place', () => {
  const r = getoptLong(['a', '-f', 'b'], '-f', []);
  assert.deepEqual(opts(r), [[NONOPTION, 'a'], ['f', undefined], [NONOPTION, 'b']]);
  assert.deepEqual(r.operands, []);
});

test('a leading : in the optstring (after +) is not an option', () => {
  const r = getoptLong(['-a', '-:'], '+:a', []);
  assert.deepEqual(opts(r), [['a', undefined]]);
  assert.equal(r.error?.message, "invalid option -- ':'");
});

test('no arguments at all', () => {
  const r = parse([]);
  assert.deepEqual(r.options, []);
  assert.deepEqual(r.operands, []);
  assert.equal(r.error, undefined);
});

test('tryHelp', () => {
  assert.equal(tryHelp('nsbox unshare'), "Try 'nsbox unshare --help' for more information.");
});
