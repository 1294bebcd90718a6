import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS, buildTable, isUtf8, parseColumnList, parseLsns, type LsnsRequest } from './lsns.js';
import { ScolsTable, jsonQuote, printTable, rawEncode, safeEncode, type ScolsOptions } from './scols.js';
import { FilterApplyError, parseFilter, type ScolsFilter } from './scols-filter.js';
import { parseNsInfo, parseNsfsMounts, parseProcStat, type LsnsNamespace, type LsnsProcess, type ScanResult } from '../lsns.js';

const ids = (...names: string[]): number[] => names.map((n) => COLUMNS.findIndex((c) => c.name === n));

function request(argv: string[]): LsnsRequest {
  const p = parseLsns(argv);
  assert.equal(p.action, 'run', p.action === 'run' ? undefined : JSON.stringify(p));
  return (p as { request: LsnsRequest }).request;
}

describe('parseLsns', () => {
  it('defaults: NS TYPE NPROCS PID USER COMMAND, process tree; -t net adds NETNSID NSFS', () => {
    assert.deepEqual(request([]).columns, ids('NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'COMMAND'));
    assert.equal(request([]).tree, 'process');
    assert.equal(request(['-l']).tree, 'none');
    assert.deepEqual(request(['-t', 'net']).columns, ids('NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'NETNSID', 'NSFS', 'COMMAND'));
    assert.deepEqual(request(['-t', 'net', '-t', 'uts']).types, ['net', 'uts']);
  });
  it('a namespace id: PID PPID USER COMMAND', () => {
    const r = request(['4026531837']);
    assert.deepEqual(r.columns, ids('PID', 'PPID', 'USER', 'COMMAND'));
    assert.equal(r.ns, 4026531837);
    assert.equal(r.tree, 'process');
  });
  it('-o replaces, -o +LIST appends, --output-all', () => {
    assert.deepEqual(request(['-o', 'ns,type']).columns, ids('NS', 'TYPE'));
    assert.deepEqual(request(['-o', '+PATH']).columns, [...ids('NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'COMMAND'), ...ids('PATH')]);
    assert.equal(request(['--output-all']).columns.length, 13);
    assert.deepEqual(parseColumnList('BOGUS,NS', []), { error: 'unknown column: BOGUS,NS' });
    assert.deepEqual(parseColumnList('NS,', []), { error: 'unknown column: NS,' });
    assert.deepEqual(parseColumnList('', []), { error: '' });
  });
  it('-T variants, and -l -T accepted as util-linux accepts it', () => {
    assert.equal(request(['-T']).tree, 'owner');
    assert.equal(request(['--tree=parent']).tree, 'parent');
    assert.equal(request(['-Tprocess']).tree, 'process');
    assert.equal(request(['-T=parent']).tree, 'parent');
    assert.equal(request(['-l', '-T']).tree, 'owner');
  });
  it('errors', () => {
    const err = (argv: string[]): string => {
      const p = parseLsns(argv);
      assert.equal(p.action, 'exit');
      return (p as { stderr: string }).stderr;
    };
    assert.equal(err(['-t', 'bogus']), 'nsbox lsns: unknown namespace type: bogus\n');
    assert.equal(err(['-p', 'abc']), "nsbox lsns: invalid PID argument: 'abc'\n");
    assert.equal(err(['-P', '-p', '1']), 'nsbox lsns: options --persistent and --task cannot be combined\n');
    assert.equal(err(['-r', '--json']), 'nsbox lsns: options --raw and --json cannot be combined\n');
    assert.equal(err(['-p', '1', '42']), 'nsbox lsns: --task is mutually exclusive with <namespace>\n');
    assert.equal(err(['x']), "nsbox lsns: invalid namespace argument: 'x'\n");
    assert.equal(err(['--tree=x']), 'nsbox lsns: unknown tree type: x\n');
    assert.equal(err(['-Q', 'NS ==']), 'nsbox lsns: failed to parse "NS ==": syntax error, unexpected end of file\n');
    assert.equal(err(['--filter=(NS']), 'nsbox lsns: failed to parse "(NS": syntax error, unexpected end of file\n');
    // In order: a bad filter before -h fails, after it -h wins.
    assert.equal(err(['-Q', ')', '-h']), 'nsbox lsns: failed to parse ")": syntax error, unexpected \')\'\n');
    assert.equal(parseLsns(['-h', '-Q', ')']).action, 'exit');
    assert.equal((parseLsns(['-h', '-Q', ')']) as { status: number }).status, 0);
  });
  it('-Q/--filter: the last one counts; -h shows it', () => {
    const r = request(['-Q', 'NS == 1', '--filter', 'TYPE == "net"']);
    assert.deepEqual(r.filter?.holders(), ['TYPE']);
    assert.match((parseLsns(['-h']) as { stdout: string }).stdout, /\n -Q, --filter <expr> {4}apply display filter\n/);
  });
});

describe('scols', () => {
  const human: ScolsOptions = { format: 'human', noHeadings: false, name: 't', termWidth: undefined, utf8: true };
  it('widths: data or header, hint only between them; right alignment; no padding after the last column', () => {
    const t = new ScolsTable([
      { name: 'NS', whint: 10, right: true, json: 'number' },
      { name: 'TYPE', whint: 5, json: 'string' },
      { name: 'PID', whint: 5, right: true, json: 'number' },
      { name: 'COMMAND', whint: 0, trunc: true, json: 'string' },
    ]);
    t.addLine(['4026531838', 'uts', '2', 'kthreadd']);
    t.addLine(['4026532177', 'cgroup', '10811', '']);
    assert.equal(printTable(t, human), '        NS TYPE     PID COMMAND\n4026531838 uts        2 kthreadd\n4026532177 cgroup 10811 \n');
  });
  it('tree art, raw escaping, JSON layout', () => {
    const t = new ScolsTable([
      { name: 'PID', whint: 5, right: true, json: 'number' },
      { name: 'COMMAND', whint: 0, tree: true, json: 'string' },
    ]);
    const a = t.addLine(['1', 'a b']);
    const b = t.addLine(['2', 'b'], a);
    t.addLine(['3', 'c'], b);
    t.addLine(['4', 'd'], a);
    assert.equal(printTable(t, human), 'PID COMMAND\n  1 a b\n  2 ├─b\n  3 │ └─c\n  4 └─d\n');
    assert.equal(printTable(t, { ...human, utf8: false }).split('\n')[3], '  3 | `-c');
    assert.equal(printTable(t, { ...human, format: 'raw' }).split('\n')[1], '1 a\\x20b');
    assert.equal(printTable(t, { ...human, format: 'raw' }).split('\n')[2], '2 \\xe2\\x94\\x9c\\xe2\\x94\\x80b');
    const j = printTable(t, { ...human, format: 'json' });
    assert.deepEqual(JSON.parse(j), { t: [{ pid: 1, command: 'a b', children: [{ pid: 2, command: 'b', children: [{ pid: 3, command: 'c' }] }, { pid: 4, command: 'd' }] }] });
    assert.match(j, /^\{\n {3}"t": \[\n {6}\{\n {9}"pid": 1,\n/);
  });
  it('JSON: null for empty cells, "},{" between objects; an empty table', () => {
    const t = new ScolsTable([{ name: 'NS', whint: 10, right: true, json: 'number' }, { name: 'NSFS', whint: 0, json: 'string' }]);
    t.addLine(['1', '']);
    t.addLine(['2', '/x']);
    assert.equal(printTable(t, { ...human, format: 'json' }), '{\n   "t": [\n      {\n         "ns": 1,\n         "nsfs": null\n      },{\n         "ns": 2,\n         "nsfs": "/x"\n      }\n   ]\n}\n');
    assert.equal(printTable(new ScolsTable(t.columns), { ...human, format: 'json' }), '{\n   "t": [\n\n   ]\n}\n');
    assert.equal(printTable(new ScolsTable(t.columns), human), '');
  });
  it('multi-line NSFS cells and truncation to the terminal', () => {
    const t = new ScolsTable([{ name: 'NS', whint: 10, right: true, json: 'number' }, { name: 'NSFS', whint: 0, wrapNewline: true, json: 'string' }, { name: 'COMMAND', whint: 0, trunc: true, json: 'string' }]);
    t.addLine(['1', '/a\n/bb', 'sleep 30']);
    assert.equal(printTable(t, human), 'NS NSFS COMMAND\n 1 /a   sleep 30\n   /bb  \n');
    // COMMAND is cut down to the terminal, never below its header's width.
    assert.equal(printTable(t, { ...human, termWidth: 15 }), 'NS NSFS COMMAND\n 1 /a   sleep 3\n   /bb  \n');
    assert.equal(printTable(t, { ...human, termWidth: 10 }), 'NS NSFS COMMAND\n 1 /a   sleep 3\n   /bb  \n');
  });
  it('encoders', () => {
    assert.deepEqual(safeEncode('a\u0001\\x', true), { text: 'a\\x01\\x5cx', width: 10 });
    assert.equal(safeEncode('é', false).text, '\\xc3\\xa9');
    assert.equal(rawEncode('a\\b\tc'), 'a\\x5cb\\x09c');
    assert.equal(jsonQuote('"\n\u0001'), '"\\"\\n\\u0001"');
    assert.equal(isUtf8({ LANG: 'C.UTF-8' }), true);
    assert.equal(isUtf8({ LC_ALL: 'C', LANG: 'en_US.UTF-8' }), false);
  });
});

describe('lsns model', () => {
  it('parses /proc/PID/stat, mountinfo nsfs entries and nsinfo lines', () => {
    assert.deepEqual(parseProcStat('42 (a) b) S 7 42 42'), { pid: 42, ppid: 7 });
    const m = parseNsfsMounts('600 30 0:4 uts:[4026532177] /tmp/my\\040ns rw - nsfs nsfs rw\n601 30 0:4 / /x rw - tmpfs t rw\n');
    assert.deepEqual([...m], [['uts:[4026532177]', ['/tmp/my ns']]]);
    const i = parseNsInfo('I\t/a\\tb\t5\t0\nR\t5\tuser\t4\t4\t1000\t0\t-\t-\nR\t6\tnet\t-\t5\t-\t0\t-\t-1\n');
    assert.deepEqual(i.paths.get('/a\tb'), { ino: 5, errno: 0 });
    assert.equal(i.namespaces.get(5)!.uid, 1000);
    assert.equal(i.namespaces.get(6)!.netnsid, -1);
  });
  it('builds the owner tree and the process tree as lsns does', () => {
    const p1: LsnsProcess = { pid: 1, ppid: 0, uid: 0, ns: new Map([['user', 10], ['uts', 11]]), parent: undefined };
    const p2: LsnsProcess = { pid: 5, ppid: 1, uid: 0, ns: new Map([['user', 10], ['uts', 12]]), parent: p1 };
    const ns = (id: number, type: 'user' | 'uts', procs: LsnsProcess[], ownerId: number): LsnsNamespace => ({ id, type, procs, proc: procs[0], openPath: undefined, parentId: 0, ownerId, uidFallback: 0, netnsid: undefined });
    const namespaces = [ns(10, 'user', [p1, p2], 0), ns(11, 'uts', [p1], 10), ns(12, 'uts', [p2], 10)];
    const scan: ScanResult = { processes: [p1, p2], namespaces, byId: new Map(namespaces.map((n) => [n.id, n])), nsfsMounts: new Map(), warnings: [] };
    const req = (tree: LsnsRequest['tree']): LsnsRequest => ({ json: false, raw: true, noHeadings: true, noTrunc: false, noWrap: true, persistent: false, pid: 0, ns: 0, types: [], tree, columns: ids('NS', 'PID') });
    const opts: ScolsOptions = { format: 'raw', noHeadings: true, name: 'n', termWidth: undefined, utf8: false };
    assert.equal(printTable(buildTable(scan, req('owner')), opts), '10 1\n|-11 1\n`-12 5\n');
    // Process tree: pid 5's line goes under the last line of its parent (the uts 11 line).
    const t = buildTable(scan, { ...req('process'), columns: ids('NS', 'COMMAND') });
    assert.equal(t.lines[2]!.parent, t.lines[1]);
    // -Q: a line the filter drops is not a parent: its children move up (as scols_table_remove_line
    // leaves the outline unset); columns it uses need not be output.
    const f = (expr: string): ScolsFilter => {
      const p = parseFilter(expr);
      assert.ok(p.ok);
      return p.filter;
    };
    assert.equal(printTable(buildTable(scan, { ...req('owner'), filter: f('TYPE == "uts"') }), opts), '11 1\n12 5\n');
    assert.equal(printTable(buildTable(scan, { ...req('owner'), filter: f('NS != 11') }), opts), '10 1\n`-12 5\n');
    assert.equal(printTable(buildTable(scan, { ...req('none'), filter: f('PID >= 5 || ONS == 0') }), opts), '10 1\n12 5\n');
    // lsns <namespace>: the filter's columns are never bound there (upstream): evaluation fails.
    assert.throws(() => buildTable(scan, { ...req('process'), ns: 10, filter: f('PID == 1') }), FilterApplyError);
    assert.equal(printTable(buildTable(scan, { ...req('process'), ns: 10, filter: f('false') }), opts), '');
  });
});
