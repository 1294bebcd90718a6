/**
 * The output of util-linux's libsmartcols, as lsns uses it: a table of columns (widths from the
 * data, right-aligned numbers, tree art, truncation to the terminal), raw output (one space
 * between cells, blanks and non-printable bytes as `\xHH`) and JSON (libsmartcols's layout:
 * 3-space indentation, `},{` between objects, empty cells as `null`).
 *
 * Only what lsns needs: absolute width hints, the TRUNC/RIGHT/TREE/WRAP flags, one custom
 * wrap (newline-separated chunks, NSFS) and no groups, colours, filters or maxout.
 */

export interface ScolsColumn {
  readonly name: string;
  /** Absolute width hint (util-linux's whint; 0 for none). */
  readonly whint: number;
  readonly right?: boolean;
  readonly trunc?: boolean;
  readonly tree?: boolean;
  /** Multi-line cell: chunks separated by newlines (libsmartcols's wrapnl functions). */
  readonly wrapNewline?: boolean;
  readonly json: 'number' | 'string';
}

export interface ScolsLine {
  readonly cells: readonly string[];
  readonly parent: ScolsLine | undefined;
  readonly children: ScolsLine[];
}

export interface ScolsOptions {
  readonly format: 'human' | 'raw' | 'json';
  readonly noHeadings: boolean;
  /** The JSON table name (`namespaces`). */
  readonly name: string;
  /** Terminal width when stdout is a terminal; undefined otherwise (nothing is truncated). */
  readonly termWidth: number | undefined;
  /** UTF-8 locale: box-drawing tree art and multibyte text shown as is. */
  readonly utf8: boolean;
}

export class ScolsTable {
  readonly lines: ScolsLine[] = [];
  constructor(readonly columns: readonly ScolsColumn[]) {}

  addLine(cells: readonly string[], parent?: ScolsLine): ScolsLine {
    const line: ScolsLine = { cells, parent, children: [] };
    this.lines.push(line);
    parent?.children.push(line);
    return line;
  }

  get isTree(): boolean {
    return this.columns.some((c) => c.tree);
  }

  /** Lines in output order: roots in insertion order, each followed by its subtree. */
  ordered(): ScolsLine[] {
    if (!this.isTree) return [...this.lines];
    const out: ScolsLine[] = [];
    const walk = (l: ScolsLine): void => {
      out.push(l);
      l.children.forEach(walk);
    };
    this.lines.filter((l) => !l.parent).forEach(walk);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding and width
// ---------------------------------------------------------------------------------------------

function hex(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/**
 * mbs_safe_encode(): control characters (and, outside UTF-8, every non-ASCII byte) as `\xHH`,
 * a `\` that starts `\x` too, so that the output cannot be mistaken for an encoded byte.
 * `safe` characters (a newline in NSFS) are kept. Returns the text and its width in cells.
 */
export function safeEncode(s: string, utf8: boolean, safe = ''): { text: string; width: number } {
  let text = '';
  let width = 0;
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const cp = ch.codePointAt(0)!;
    if (safe.includes(ch)) {
      text += ch;
      continue;
    }
    if ((ch === '\\' && chars[i + 1] === 'x') || cp < 0x20 || cp === 0x7f) {
      text += hex(cp);
      width += 4;
    } else if (cp >= 0x80 && !utf8) {
      for (const b of Buffer.from(ch, 'utf8')) text += hex(b);
      width += 4 * Buffer.byteLength(ch, 'utf8');
    } else if (cp >= 0x80 && cp < 0xa0) {
      text += hex(cp);
      width += 4;
    } else {
      text += ch;
      width += 1;
    }
  }
  return { text, width };
}

/** fputs_nonblank(): raw output escapes blanks, `\`, and every non-printable byte. */
export function rawEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x20 || b === 0x09 || b === 0x5c || b < 0x20 || b >= 0x7f) out += hex(b);
    else out += String.fromCharCode(b);
  }
  return out;
}

/** JSON string as util-linux's fputs_quoted_json() writes it. */
export function jsonQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20) out += ch;
    else if (ch === '\b') out += '\\b';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\r') out += '\\r';
    else out += `\\u00${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** The first `width` cells of an encoded text (mbs_truncate()). */
function truncate(text: string, width: number): string {
  return [...text].slice(0, width).join('');
}

function cellWidth(text: string): number {
  return [...text].length;
}

// ---------------------------------------------------------------------------------------------
// Tree art
// ---------------------------------------------------------------------------------------------

interface Symbols {
  branch: string;
  vert: string;
  right: string;
}

const UTF8_SYMBOLS: Symbols = { branch: '\u251c\u2500', vert: '\u2502 ', right: '\u2514\u2500' };
const ASCII_SYMBOLS: Symbols = { branch: '|-', vert: '| ', right: '`-' };

function isLastChild(l: ScolsLine): boolean {
  const p = l.parent;
  return !p || p.children[p.children.length - 1] === l;
}

/** tree_ascii_art_to_buffer(): one "│ " or "  " per ancestor level below the root. */
function ancestorArt(l: ScolsLine | undefined, sym: Symbols): string {
  if (!l || !l.parent) return '';
  return ancestorArt(l.parent, sym) + (isLastChild(l) ? '  ' : sym.vert);
}

/** The tree column's prefix for a line. */
function lineArt(l: ScolsLine, sym: Symbols): string {
  if (!l.parent) return '';
  return ancestorArt(l.parent, sym) + (isLastChild(l) ? sym.right : sym.branch);
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

export function printTable(t: ScolsTable, o: ScolsOptions): string {
  if (o.format === 'json') return printJson(t, o);
  if (o.format === 'raw') return printRaw(t, o);
  return printHuman(t, o);
}

function printRaw(t: ScolsTable, o: ScolsOptions): string {
  const sym = o.utf8 ? UTF8_SYMBOLS : ASCII_SYMBOLS;
  const rows: string[] = [];
  if (!o.noHeadings && t.lines.length > 0) rows.push(t.columns.map((c) => rawEncode(c.name)).join(' '));
  for (const l of t.ordered()) {
    rows.push(t.columns.map((c, i) => rawEncode((c.tree ? lineArt(l, sym) : '') + (l.cells[i] ?? ''))).join(' '));
  }
  return rows.map((r) => `${r}\n`).join('');
}

/** ul_jsonwrt, the parts a table uses. */
class JsonWriter {
  out = '';
  private indent = 0;
  private afterClose = false;

  private name(name: string | undefined): void {
    if (this.afterClose) this.out += name !== undefined ? ',\n' : ',';
    if (name !== undefined || !this.afterClose) this.out += '   '.repeat(this.indent);
    if (name !== undefined) this.out += jsonQuote(name.toLowerCase());
  }

  open(name: string | undefined, kind: 'object' | 'array'): void {
    this.name(name);
    this.out += kind === 'object' ? (name !== undefined ? ': {\n' : '{\n') : name !== undefined ? ': [\n' : '[\n';
    this.indent++;
    this.afterClose = false;
  }

  close(kind: 'object' | 'array'): void {
    this.indent--;
    this.out += `\n${'   '.repeat(this.indent)}${kind === 'object' ? '}' : ']'}`;
    if (kind === 'object' && this.indent === 0) this.out += '\n';
    this.afterClose = true;
  }

  value(name: string, raw: string): void {
    this.name(name);
    this.out += `: ${raw}`;
    this.afterClose = true;
  }
}

function printJson(t: ScolsTable, o: ScolsOptions): string {
  const w = new JsonWriter();
  w.open(undefined, 'object');
  w.open(o.name, 'array');
  const values = (l: ScolsLine): void => {
    t.columns.forEach((c, i) => {
      const data = l.cells[i] ?? '';
      w.value(c.name, data === '' ? 'null' : c.json === 'number' ? data : jsonQuote(data));
    });
  };
  if (t.isTree) {
    const walk = (l: ScolsLine): void => {
      w.open(undefined, 'object');
      values(l);
      if (l.children.length > 0) {
        w.open('children', 'array');
        l.children.forEach(walk);
        w.close('array');
      }
      w.close('object');
    };
    t.lines.filter((l) => !l.parent).forEach(walk);
  } else {
    for (const l of t.lines) {
      w.open(undefined, 'object');
      values(l);
      w.close('object');
    }
  }
  w.close('array');
  w.close('object');
  return w.out;
}

interface Cell {
  /** Encoded text, tree art included; for wrapped cells, the chunks. */
  chunks: string[];
}

function humanCells(t: ScolsTable, o: ScolsOptions, sym: Symbols): Map<ScolsLine, Cell[]> {
  const cells = new Map<ScolsLine, Cell[]>();
  for (const l of t.lines) {
    cells.set(
      l,
      t.columns.map((c, i) => {
        const data = l.cells[i] ?? '';
        const enc = safeEncode(data, o.utf8, c.wrapNewline ? '\n' : '').text;
        const art = c.tree ? lineArt(l, sym) : '';
        const chunks = c.wrapNewline && enc !== '' ? enc.split('\n') : [enc];
        chunks[0] = art + chunks[0]!;
        return { chunks };
      }),
    );
  }
  return cells;
}

/** __scols_calculate() for absolute hints, without maxout, extremes or groups. */
function columnWidths(t: ScolsTable, cells: Map<ScolsLine, Cell[]>, o: ScolsOptions): { widths: number[]; mins: number[] } {
  const widths: number[] = [];
  const mins: number[] = [];
  t.columns.forEach((c, i) => {
    const min = Math.max(1, cellWidth(safeEncode(c.name, o.utf8).text));
    let w = 0;
    for (const l of t.lines) for (const ch of cells.get(l)![i]!.chunks) w = Math.max(w, cellWidth(ch));
    if (w < min) w = min;
    else if (c.whint >= 1 && w < c.whint && min < c.whint) w = c.whint;
    widths.push(w);
    mins.push(min);
  });
  if (o.termWidth === undefined) return { widths, mins };
  const term = o.termWidth;
  let total = widths.reduce((a, b) => a + b, 0) + widths.length - 1;
  const last = t.columns.length - 1;
  if (total < term) {
    // The last column gets the rest (it is never padded, but it is truncated to it).
    if (!t.columns[last]!.right) {
      widths[last]! += term - total;
      total = term;
    }
  }
  // Stage 2 of the reduction (stages 1 and 3 only touch relative hints): trim truncatable
  // columns one cell at a time, never below their header.
  while (total > term) {
    let changed = false;
    for (let i = 0; i < t.columns.length && total > term; i++) {
      const c = t.columns[i]!;
      if (!c.trunc || widths[i] === mins[i] || widths[i] === 0) continue;
      widths[i]!--;
      total--;
      changed = true;
    }
    if (!changed) break;
  }
  return { widths, mins };
}

function printHuman(t: ScolsTable, o: ScolsOptions): string {
  const sym = o.utf8 ? UTF8_SYMBOLS : ASCII_SYMBOLS;
  const cells = humanCells(t, o, sym);
  const { widths } = columnWidths(t, cells, o);
  const last = t.columns.length - 1;
  let out = '';

  /** print_data(): one cell, aligned, padded unless last, then the separator. */
  const cell = (text: string, i: number): string => {
    const c = t.columns[i]!;
    let width = widths[i]!;
    let len = cellWidth(text);
    let s = text;
    if (i === last && len < width && !c.right) width = len;
    if (len > width && c.trunc) {
      s = truncate(s, width);
      len = width;
    }
    let r = '';
    if (s !== '' && c.right && len < width) {
      r += ' '.repeat(width - len);
      len = width;
    }
    r += s;
    if (i === last) return r;
    if (len < width) r += ' '.repeat(width - len);
    // A cell wider than its column pushes the rest of the line to the next one.
    if (len > width && !c.trunc) return `${r}\n${padTo(i)}`;
    return `${r} `;
  };
  /** print_newline_padding(): empty cells up to and including column i. */
  const padTo = (i: number): string => {
    let r = '';
    for (let k = 0; k <= i; k++) r += k === last ? '' : `${' '.repeat(widths[k]!)} `;
    return r;
  };

  if (!o.noHeadings && t.lines.length > 0) {
    out += `${t.columns.map((c, i) => cell(safeEncode(c.name, o.utf8).text, i)).join('')}\n`;
  }
  for (const l of t.ordered()) {
    const row = cells.get(l)!;
    out += row.map((ce, i) => cell(ce.chunks[0]!, i)).join('');
    // Extra lines for multi-line cells; tree columns continue their art.
    const extra = Math.max(...row.map((ce) => ce.chunks.length)) - 1;
    for (let k = 1; k <= extra; k++) {
      out += '\n';
      out += row
        .map((ce, i) => {
          const chunk = ce.chunks[k];
          if (chunk !== undefined) return cell(chunk, i);
          let art = '';
          if (t.columns[i]!.tree) {
            art = ancestorArt(l, sym);
            if (l.children.length > 0 && row.some((x) => x.chunks.length > k)) art += sym.vert;
          }
          if (i === last) return art;
          return `${art}${' '.repeat(Math.max(0, widths[i]! - cellWidth(art)))} `;
        })
        .join('');
    }
    out += '\n';
  }
  return out;
}
