/** Reading /proc: the process list and `/proc/PID/stat`, which several parts of nsbox need. */
import { readFileSync, readdirSync } from 'node:fs';

/** The fields of `/proc/PID/stat` nsbox uses. */
export interface ProcStat {
  pid: number;
  /** The command name (field 2), without its parentheses. */
  comm: string;
  /** One letter: R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot (field 22): tells a reused pid apart. */
  starttime: string;
}

/** `/proc/PID/stat`: the fields after the command name follow its last ')' (the name may hold one). */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number.parseInt(text, 10);
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number.parseInt(fields[1] ?? '', 10);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state: fields[0] ?? '?', ppid, starttime: fields[19] ?? '' };
}

/** A process's stat, or undefined when it is gone (or unreadable). */
export function readStat(pid: number, proc = '/proc'): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`${proc}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every pid in `proc`, in ascending order. */
export function allPids(proc = '/proc'): number[] {
  return readdirSync(proc)
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .sort((a, b) => a - b);
}
