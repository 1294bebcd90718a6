/**
 * `nsbox lsns`: util-linux `lsns(8)` (HEAD) in TypeScript. Options, columns, defaults, trees,
 * messages and exit statuses are util-linux's; the output is libsmartcols's (./scols.ts).
 * `-Q/--filter` is libsmartcols's filter language (./scols-filter.ts), applied to each line.
 */
import { getoptLong, usageErrorExit, versionExit, type ExitAction, type LongOption } from './getopt.js';
import { ScolsTable, printTable, type ScolsColumn, type ScolsLine } from './scols.js';
import { FilterApplyError, parseFilter, type FilterLine, type ScolsFilter } from './scols-filter.js';
import { LSNS_TYPES, LsnsError, isLsnsType, readCommand, scanNamespaces, userName, type LsnsNamespace, type LsnsProcess, type LsnsType, type ScanResult } from '../lsns.js';
import { VERSION } from '../version.js';

const PROG = 'nsbox lsns';

interface ColInfo {
  readonly name: string;
  readonly whint: number;
  readonly right?: boolean;
  readonly trunc?: boolean;
  readonly wrap?: boolean;
  readonly json: 'number' | 'string';
  readonly help: string;
}

/** The 13 columns, in util-linux's order (`--output-all`, `-H`). */
export const COLUMNS: readonly ColInfo[] = [
  { name: 'NS', whint: 10, right: true, json: 'number', help: 'namespace identifier (inode number)' },
  { name: 'TYPE', whint: 5, json: 'string', help: 'kind of namespace' },
  { name: 'PATH', whint: 0, json: 'string', help: 'path to the namespace' },
  { name: 'NPROCS', whint: 5, right: true, json: 'number', help: 'number of processes in the namespace' },
  { name: 'PID', whint: 5, right: true, json: 'number', help: 'lowest PID in the namespace' },
  { name: 'PPID', whint: 5, right: true, json: 'number', help: 'PPID of the PID' },
  { name: 'COMMAND', whint: 0, trunc: true, json: 'string', help: 'command line of the PID' },
  { name: 'UID', whint: 0, right: true, json: 'number', help: 'UID of the PID' },
  { name: 'USER', whint: 0, json: 'string', help: 'username of the PID' },
  { name: 'NETNSID', whint: 0, right: true, json: 'string', help: 'namespace ID as used by network subsystem' },
  { name: 'NSFS', whint: 0, wrap: true, json: 'string', help: 'nsfs mountpoint (usually used network subsystem)' },
  { name: 'PNS', whint: 10, right: true, json: 'number', help: 'parent namespace identifier (inode number)' },
  { name: 'ONS', whint: 10, right: true, json: 'number', help: 'owner namespace identifier (inode number)' },
];

const col = (name: string): number => COLUMNS.findIndex((c) => c.name === name);
/** util-linux's `columns[ARRAY_SIZE(infos) * 2]`. */
const MAX_COLUMNS = COLUMNS.length * 2;

const LONGOPTS: readonly LongOption[] = [
  { name: 'json', hasArg: 'none', val: 'J' },
  { name: 'task', hasArg: 'required', val: 'p' },
  { name: 'help', hasArg: 'none', val: 'h' },
  { name: 'output', hasArg: 'required', val: 'o' },
  { name: 'output-all', hasArg: 'none', val: 'output-all' },
  { name: 'persistent', hasArg: 'none', val: 'P' },
  { name: 'filter', hasArg: 'required', val: 'Q' },
  { name: 'notruncate', hasArg: 'none', val: 'u' },
  { name: 'version', hasArg: 'none', val: 'V' },
  { name: 'noheadings', hasArg: 'none', val: 'n' },
  { name: 'nowrap', hasArg: 'none', val: 'W' },
  { name: 'list', hasArg: 'none', val: 'l' },
  { name: 'raw', hasArg: 'none', val: 'r' },
  { name: 'type', hasArg: 'required', val: 't' },
  { name: 'tree', hasArg: 'optional', val: 'T' },
  { name: 'list-columns', hasArg: 'none', val: 'H' },
];

function helpLine(opt: string, text: string): string {
  return `${opt.padEnd(24)}${text}\n`;
}

export const USAGE =
  `\nUsage:\n ${PROG} [options] [<namespace>]\n\nList system namespaces.\n\nOptions:\n` +
  helpLine(' -J, --json', 'use JSON output format') +
  helpLine(' -l, --list', 'use list format output') +
  helpLine(' -n, --noheadings', "don't print headings") +
  helpLine(' -o, --output <list>', 'define which output columns to use') +
  helpLine('     --output-all', 'output all columns') +
  helpLine(' -P, --persistent', 'namespaces without processes') +
  helpLine(' -p, --task <pid>', 'print process namespaces') +
  helpLine(' -Q, --filter <expr>', 'apply display filter') +
  helpLine(' -r, --raw', 'use the raw output format') +
  helpLine(' -u, --notruncate', "don't truncate text in columns") +
  helpLine(' -W, --nowrap', "don't use multi-line representation") +
  helpLine(' -t, --type <name>', 'namespace type (mnt, net, ipc, user, pid, uts, cgroup, time)') +
  helpLine(' -T, --tree[=<rel>]', 'use tree format (parent, owner, or process)') +
  '\n' +
  helpLine(' -H, --list-columns', 'list the available columns') +
  '\n' +
  helpLine(' -h, --help', 'display this help') +
  helpLine(' -V, --version', 'display version') +
  '\nFor more details see lsns(8).\n';

export type Tree = 'none' | 'process' | 'owner' | 'parent';

/** What the command line asks for. */
export interface LsnsRequest {
  readonly json: boolean;
  readonly raw: boolean;
  readonly noHeadings: boolean;
  readonly noTrunc: boolean;
  readonly noWrap: boolean;
  readonly persistent: boolean;
  readonly pid: number;
  readonly ns: number;
  readonly types: readonly LsnsType[];
  readonly tree: Tree;
  /** Column indexes into COLUMNS. */
  readonly columns: readonly number[];
  /** `-Q/--filter` (the last one given). */
  readonly filter?: ScolsFilter | undefined;
}

export type LsnsParse =
  | { action: 'run'; request: LsnsRequest }
  | ExitAction;

class Fail extends Error {}

/** strtos32_or_err / strtou64_or_err: the whole argument must be a number in range. */
function parseNumber(arg: string, max: bigint, signed: boolean, what: string): number {
  const m = /^\s*([+-]?)(\d+)$/.exec(arg);
  if (!m || (m[1] === '-' && !signed)) throw new Fail(`${what}: '${arg}'`);
  const v = BigInt(m[2]!) * (m[1] === '-' ? -1n : 1n);
  if (v > max || v < -max - 1n) throw new Fail(`${what}: '${arg}'`);
  return Number(v);
}

/**
 * string_add_to_idarray(): `+LIST` appends, `LIST` replaces. Unknown names print util-linux's
 * message, which shows the list from the unknown name to its end; an empty item fails silently.
 */
export function parseColumnList(list: string, current: readonly number[]): { columns: number[] } | { error: string } {
  const add = list.startsWith('+');
  const text = add ? list.slice(1) : list;
  const out = add ? [...current] : [];
  if (text === '') return { error: '' };
  let begin = -1;
  for (let p = 0; p < text.length; p++) {
    if (out.length >= MAX_COLUMNS) return { error: '' };
    if (begin < 0) begin = p;
    let end = -1;
    if (text[p] === ',') end = p;
    if (p + 1 === text.length) end = p + 1;
    if (end < 0) continue;
    if (end <= begin) return { error: '' };
    const name = text.slice(begin, end);
    const id = COLUMNS.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
    if (id < 0) return { error: `unknown column: ${text.slice(begin)}` };
    out.push(id);
    begin = -1;
  }
  return { columns: out };
}

/** `-H`: the column list (xcolumn_list_table: HOLDER, TYPE, DESCRIPTION, no headings). */
function listColumns(raw: boolean, json: boolean): string {
  const t = new ScolsTable([
    { name: 'HOLDER', whint: 0, right: true, json: 'string' },
    { name: 'TYPE', whint: 0, json: 'string' },
    { name: 'DESCRIPTION', whint: 0, json: 'string' },
  ]);
  for (const c of COLUMNS) t.addLine([c.name, c.json === 'number' ? '<integer>' : '<string>', c.help]);
  return printTable(t, { format: json ? 'json' : raw ? 'raw' : 'human', noHeadings: true, name: 'lsns-columns', termWidth: undefined, utf8: isUtf8() });
}

/** Parses `nsbox lsns` arguments as util-linux's main() does, in the same order. */
export function parseLsns(argv: readonly string[]): LsnsParse {
  const g = getoptLong(argv, 'JlPp:o:nruhVt:T::WQ:H', LONGOPTS);
  let json = false;
  let raw = false;
  let noHeadings = false;
  let noTrunc = false;
  let noWrap = false;
  let persistent = false;
  let forceList = false;
  let pid = 0;
  let tree: Tree = 'none';
  let outarg: string | undefined;
  let filter: ScolsFilter | undefined;
  let columns: number[] = [];
  const types = new Set<LsnsType>();
  // err_exclusive_options(): the first option of a group seen, per group. util-linux's third
  // group { 'l', 'T' } is not in ASCII order, so its check never fires: -l -T is accepted.
  const excl: [string, string][] = [
    ['J', 'r'],
    ['P', 'p'],
  ];
  const exclSeen: (string | undefined)[] = [undefined, undefined];
  const longName = (o: string): string => LONGOPTS.find((l) => l.val === o)!.name;
  try {
    for (const o of g.options) {
      excl.forEach((group, i) => {
        if (!group.includes(o.opt)) return;
        const seen = exclSeen[i];
        if (seen === undefined) exclSeen[i] = o.opt;
        else if (seen !== o.opt) throw new Fail(`options --${longName(seen)} and --${longName(o.opt)} cannot be combined`);
      });
      switch (o.opt) {
        case 'J':
          json = true;
          break;
        case 'l':
          forceList = true;
          break;
        case 'o':
          outarg = o.arg!;
          break;
        case 'output-all':
          columns = COLUMNS.map((_c, i) => i);
          break;
        case 'P':
          persistent = true;
          break;
        case 'p':
          pid = parseNumber(o.arg!, 2147483647n, true, 'invalid PID argument');
          break;
        case 'n':
          noHeadings = true;
          break;
        case 'r':
          raw = noWrap = true;
          break;
        case 'u':
          noTrunc = true;
          break;
        case 't':
          if (!isLsnsType(o.arg!)) throw new Fail(`unknown namespace type: ${o.arg!}`);
          types.add(o.arg);
          break;
        case 'W':
          noWrap = true;
          break;
        case 'T': {
          tree = 'owner';
          if (o.arg !== undefined) {
            const a = o.arg.startsWith('=') ? o.arg.slice(1) : o.arg;
            if (a === 'parent') tree = 'parent';
            else if (a === 'process') tree = 'process';
            else if (a !== 'owner') throw new Fail(`unknown tree type: ${a}`);
          }
          break;
        }
        case 'Q': {
          // new_filter(): errx(EXIT_FAILURE, _("failed to parse \"%s\": %s"), query,
          // scols_filter_get_errmsg(f)). Characters the scanner matches to no rule are skipped;
          // upstream's flex default rule also echoes them to stdout, which nsbox does not (a
          // bad expression must not put junk into the output a script reads).
          const f = parseFilter(o.arg!);
          if (!f.ok) return { action: 'exit', status: 1, stdout: '', stderr: `${PROG}: failed to parse "${o.arg!}": ${f.message}\n` };
          filter = f.filter;
          break;
        }
        case 'H':
          return { action: 'exit', status: 0, stdout: listColumns(raw, json), stderr: '' };
        case 'h':
          return { action: 'exit', status: 0, stdout: USAGE, stderr: '' };
        case 'V':
          return versionExit(PROG, VERSION);
      }
    }
    if (g.error) return usageErrorExit(PROG, g.error.message);

    let ns = 0;
    if (g.operands.length > 0) {
      if (pid) throw new Fail('--task is mutually exclusive with <namespace>');
      ns = parseNumber(g.operands[0]!, 18446744073709551615n, false, 'invalid namespace argument');
      if (tree === 'none' && !forceList) tree = 'process';
      if (columns.length === 0) columns = ['PID', 'PPID', 'USER', 'COMMAND'].map(col);
    }
    if (columns.length === 0) {
      columns = ['NS', 'TYPE', 'NPROCS', 'PID', 'USER'].map(col);
      if (types.has('net')) columns.push(col('NETNSID'), col('NSFS'));
      columns.push(col('COMMAND'));
      if (tree === 'none' && !forceList) tree = 'process';
    }
    if (outarg !== undefined) {
      const r = parseColumnList(outarg, columns);
      if ('error' in r) return { action: 'exit', status: 1, stdout: '', stderr: r.error ? `${PROG}: ${r.error}\n` : '' };
      columns = r.columns;
    }
    return {
      action: 'run',
      request: { json, raw, noHeadings, noTrunc, noWrap, persistent, pid, ns, types: [...types], tree, columns, filter },
    };
  } catch (e) {
    if (e instanceof Fail) return { action: 'exit', status: 1, stdout: '', stderr: `${PROG}: ${e.message}\n` };
    throw e;
  }
}

/** A UTF-8 locale (LC_ALL, else LC_CTYPE, else LANG), as nl_langinfo(CODESET) would say. */
export function isUtf8(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const v = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(v);
}

interface Render {
  readonly scan: ScanResult;
  readonly req: LsnsRequest;
}

/** fill_column(): one cell. */
function cellText(r: Render, ns: LsnsNamespace, proc: LsnsProcess | undefined, id: number): string {
  switch (COLUMNS[id]!.name) {
    case 'NS':
      return String(ns.id);
    case 'TYPE':
      return ns.type;
    case 'PATH':
      return proc ? `/proc/${proc.pid}/ns/${ns.type}` : '';
    case 'NPROCS':
      return String(ns.procs.length);
    case 'PID':
      return proc ? String(proc.pid) : '';
    case 'PPID':
      return proc ? String(proc.ppid) : '';
    case 'COMMAND':
      return proc ? (readCommand(proc.pid) ?? '') : '';
    case 'UID':
      return String(proc ? proc.uid : ns.uidFallback);
    case 'USER':
      return userName(proc ? proc.uid : ns.uidFallback);
    case 'NETNSID':
      // HEAD also shows it for a namespace without processes (tests/ts/lsns/
      // netnsid-for-persistent-namespaces: "NETNSID of a namespace where no process belongs to").
      if (ns.type !== 'net' || ns.netnsid === undefined) return '';
      return ns.netnsid >= 0 ? String(ns.netnsid) : ns.netnsid === -1 ? 'unassigned' : '';
    case 'NSFS': {
      const mounts = r.scan.nsfsMounts.get(`${ns.type}:[${ns.id}]`) ?? [];
      return [...new Set(mounts)].join(r.req.noWrap ? ',' : '\n');
    }
    case 'PNS':
      return String(ns.parentId);
    case 'ONS':
      return String(ns.ownerId);
    default:
      return '';
  }
}

function tableColumns(req: LsnsRequest): ScolsColumn[] {
  return req.columns.map((id) => {
    const c = COLUMNS[id]!;
    const nsTree = (req.tree === 'owner' || req.tree === 'parent') && c.name === 'NS';
    return {
      name: c.name,
      whint: c.whint,
      right: c.right === true && !nsTree,
      trunc: c.trunc === true && !req.noTrunc,
      tree: (req.tree === 'process' && c.name === 'COMMAND') || nsTree,
      wrapNewline: c.wrap === true && !req.noWrap,
      json: c.json,
    };
  });
}

/** The column a filter holder names (column_name_to_id(): case-insensitive), or -1. */
export function holderColumn(name: string): number {
  return COLUMNS.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
}

/**
 * What the filter sees of one line: the cells (empty ones as no data, as fill_column() leaves
 * them), computed whether or not the column is output. For `lsns <namespace>`,
 * show_namespace_processes() never binds the filter's holders to columns (init_scols_filter()
 * runs only in show_namespaces()), so libsmartcols's fetch_holder_data() fails with -EINVAL as
 * soon as a holder is evaluated, and lsns exits with "failed to apply filter".
 */
function filterLine(r: Render, ns: LsnsNamespace, proc: LsnsProcess | undefined, unbound: boolean): FilterLine {
  const id = (holder: string): number => {
    const i = holderColumn(holder);
    if (unbound || i < 0) throw new FilterApplyError('Invalid argument');
    return i;
  };
  return {
    cell: (holder) => {
      const text = cellText(r, ns, proc, id(holder));
      return text === '' ? null : text;
    },
    type: (holder) => COLUMNS[id(holder)]!.json,
  };
}

/** Builds the table as lsns's show_namespaces() / show_namespace_processes() do. */
export function buildTable(scan: ScanResult, req: LsnsRequest): ScolsTable {
  const t = new ScolsTable(tableColumns(req));
  const r: Render = { scan, req };
  const procLine = new Map<LsnsProcess, ScolsLine>();
  const nsLine = new Map<LsnsNamespace, ScolsLine>();
  const related = (ns: LsnsNamespace, rel: 'parent' | 'owner'): LsnsNamespace | undefined => {
    // connect_namespaces(): only user and pid namespaces have parents.
    if (rel === 'parent' && ns.type !== 'user' && ns.type !== 'pid') return undefined;
    const id = rel === 'parent' ? ns.parentId : ns.ownerId;
    const other = id === 0 || id === ns.id ? undefined : scan.byId.get(id);
    return other;
  };
  const addLine = (ns: LsnsNamespace, proc: LsnsProcess | undefined): void => {
    if (req.filter && !req.filter.matches(filterLine(r, ns, proc, req.ns !== 0))) return;
    let parent: ScolsLine | undefined;
    const lineOf = (n: LsnsNamespace | undefined): ScolsLine | undefined => (n ? nsLine.get(n) : undefined);
    if (req.tree === 'process' && proc?.parent) parent = procLine.get(proc.parent);
    else if (req.tree === 'parent') parent = lineOf(related(ns, 'parent'));
    else if (req.tree === 'owner') parent = lineOf(related(ns, 'owner'));
    const line = t.addLine(
      req.columns.map((id) => cellText(r, ns, proc, id)),
      parent,
    );
    if (req.tree === 'owner' || req.tree === 'parent') nsLine.set(ns, line);
    else if (proc) procLine.set(proc, line);
  };

  if (req.ns !== 0) {
    const ns = scan.byId.get(req.ns);
    if (!ns) throw new LsnsError(`not found namespace: ${req.ns}`, 1);
    const showProcess = (p: LsnsProcess): void => {
      if (req.tree === 'process' && p.parent && !procLine.has(p.parent) && p.parent.ns.get(ns.type) === p.ns.get(ns.type)) showProcess(p.parent);
      addLine(ns, p);
    };
    for (const p of ns.procs) if (!procLine.has(p)) showProcess(p);
    return t;
  }

  const showNamespace = (ns: LsnsNamespace): void => {
    if (req.tree === 'owner') {
      const o = related(ns, 'owner');
      if (o && !nsLine.has(o)) showNamespace(o);
    } else if (req.tree === 'parent') {
      const p = related(ns, 'parent');
      const o = related(ns, 'owner');
      if (p) {
        if (!nsLine.has(p)) showNamespace(p);
      } else if (o && !nsLine.has(o)) showNamespace(o);
    }
    addLine(ns, ns.proc);
  };
  for (const ns of scan.namespaces) {
    if (req.pid !== 0 && !ns.procs.some((p) => p.pid === req.pid)) continue;
    if (req.persistent && ns.procs.length !== 0) continue;
    if (!nsLine.has(ns)) showNamespace(ns);
  }
  return t;
}

function terminalWidth(): number | undefined {
  if (!process.stdout.isTTY) return undefined;
  const cols = process.stdout.columns;
  if (cols && cols > 0) return cols;
  const env = Number.parseInt(process.env.COLUMNS ?? '', 10);
  return env > 0 ? env : 80;
}

/** Runs a parsed request: the output text, warnings for stderr, and the exit status. */
export function runRequest(req: LsnsRequest): { stdout: string; stderr: string; status: number } {
  // Columns the filter uses are computed even when not output (init_scols_filter() adds them
  // as hidden columns).
  const filterCols = req.filter && req.ns === 0 ? req.filter.holders().map(holderColumn) : [];
  const has = (name: string): boolean => req.columns.includes(col(name)) || filterCols.includes(col(name));
  let scan: ScanResult;
  try {
    scan = scanNamespaces({
      types: req.types.length > 0 ? req.types : LSNS_TYPES,
      relations: has('PNS') || has('ONS') || req.tree === 'owner' || req.tree === 'parent',
      ghosts: req.tree === 'owner' || req.tree === 'parent',
      netnsid: has('NETNSID'),
    });
  } catch (e) {
    if (e instanceof LsnsError) return { stdout: '', stderr: `${PROG}: ${e.message}\n`, status: e.status };
    throw e;
  }
  let stderr = scan.warnings.map((w) => `${PROG}: ${w}\n`).join('');
  if (req.filter && req.ns === 0) {
    // init_scols_filter(): every unknown column is reported, once per occurrence
    // (column_name_to_id()'s warnx), then errx(EXIT_FAILURE, _("failed to initialize filter")).
    const unknown = req.filter.holders().filter((h) => holderColumn(h) < 0);
    if (unknown.length > 0) {
      stderr += unknown.map((h) => `${PROG}: unknown column: ${h}\n`).join('');
      return { stdout: '', stderr: `${stderr}${PROG}: failed to initialize filter\n`, status: 1 };
    }
  }
  let table: ScolsTable;
  try {
    table = buildTable(scan, req);
  } catch (e) {
    if (e instanceof LsnsError) return { stdout: '', stderr: `${stderr}${PROG}: ${e.message}\n`, status: e.status };
    // scols_line_apply_filter() failed: err(EXIT_FAILURE, _("failed to apply filter")), with
    // errno's text (EINVAL from libsmartcols, ERANGE from a number out of range).
    if (e instanceof FilterApplyError) return { stdout: '', stderr: `${stderr}${PROG}: failed to apply filter: ${e.message}\n`, status: 1 };
    throw e;
  }
  const stdout = printTable(table, {
    format: req.json ? 'json' : req.raw ? 'raw' : 'human',
    noHeadings: req.noHeadings,
    name: 'namespaces',
    termWidth: req.json || req.raw ? undefined : terminalWidth(),
    utf8: isUtf8(),
  });
  return { stdout, stderr, status: 0 };
}

export async function runLsns(argv: readonly string[]): Promise<void> {
  const parsed = parseLsns(argv);
  if (parsed.action === 'exit') {
    if (parsed.stdout) process.stdout.write(parsed.stdout);
    if (parsed.stderr) process.stderr.write(parsed.stderr);
    process.exitCode = parsed.status;
    return;
  }
  const r = runRequest(parsed.request);
  if (r.stderr) process.stderr.write(r.stderr);
  if (r.stdout) process.stdout.write(r.stdout);
  process.exitCode = r.status;
}
