/**
 * Decoder for the helper's status lines (docs/PROTOCOL.md §3). Fed chunk by chunk from the
 * report fd; EOF without an `E` line means the program was exec'd.
 */
import { isStep, type Step } from './steps.js';

export interface HelperFailure {
  step: Step;
  errno: number;
  strerror: string;
  args: string[];
}

/** A "try" namespace the kernel refused, left out of the sandbox (`D` line). */
export interface DroppedNamespace {
  kind: string;
  errno: number;
  strerror: string;
}

/** The one line said when a try namespace was left out. */
export function droppedNamespaceMessage(d: DroppedNamespace): string {
  return `${d.kind} namespace refused by the kernel (${d.strerror}), running without it`;
}

export interface HelperReport {
  /** The sandboxed program's pid as the caller sees it. */
  pid?: number;
  /** Namespace inode numbers by /proc/PID/ns entry name (`uts`, `pid_for_children`, ...). */
  namespaces: Record<string, number>;
  failure?: HelperFailure;
  /** Try namespaces left out because unshare(2) refused them, in the order reported. */
  dropped: DroppedNamespace[];
  /** Fork mode: the forking parent confirmed that its child reached exec (`X` line). */
  execConfirmed: boolean;
  /** A line that did not follow the protocol (a helper/TS version mismatch or a bug). */
  malformed?: string;
}

function unescape(field: string): string {
  return field.replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

export class ReportDecoder {
  readonly report: HelperReport = { namespaces: {}, dropped: [], execConfirmed: false };
  private pending = '';

  push(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.line(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
  }

  /** Call at EOF; a partial last line is a protocol violation. */
  end(): HelperReport {
    if (this.pending !== '') this.report.malformed ??= this.pending;
    this.pending = '';
    return this.report;
  }

  private line(text: string): void {
    const f = text.split('\t').map(unescape);
    const r = this.report;
    if (f[0] === 'P' && f.length === 2 && /^\d+$/.test(f[1]!)) {
      r.pid = Number(f[1]);
    } else if (f[0] === 'N' && f.length === 3 && /^\d+$/.test(f[2]!)) {
      r.namespaces[f[1]!] = Number(f[2]);
    } else if (f[0] === 'D' && f.length === 4 && /^\d+$/.test(f[2]!)) {
      r.dropped.push({ kind: f[1]!, errno: Number(f[2]), strerror: f[3]! });
    } else if (f[0] === 'X' && f.length === 1) {
      r.execConfirmed = true;
    } else if (f[0] === 'E' && f.length >= 4 && isStep(f[1]!) && /^\d+$/.test(f[2]!)) {
      r.failure ??= { step: f[1] as Step, errno: Number(f[2]), strerror: f[3]!, args: f.slice(4) };
    } else {
      r.malformed ??= text;
    }
  }
}
