/** `nsbox rootfs <subcommand>`: preparing root filesystems for `nsbox run --rootfs`. */
import { importRootfs, RootfsImportError, type ImportProgress } from '../rootfs/import.js';

const USAGE = `Usage:
 nsbox rootfs import [--force] <tarball> <directory>

Extract a root filesystem tarball (gzip-compressed or plain; '-' reads standard input) into
<directory>, created if missing. Device nodes and fifos are skipped and reported; setuid and
setgid bits are dropped unless run as root; as root the tarball's owners are kept, otherwise
the files belong to the caller. Entries that would land outside <directory> are refused.

Options:
 -f, --force    extract into a non-empty directory
 -h, --help     display this help

Exit status: 0 on success, 2 if entries were refused as unsafe, 1 on error.
`;

function human(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function list(names: string[]): string {
  const first = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${first}, ...` : first;
}

/** A usage error: one line naming the problem, then the usual hint (the usage is one --help away). */
function usageError(prog: string, message: string): void {
  process.stderr.write(`${prog}: ${message}\nTry 'nsbox rootfs --help' for more information.\n`);
  process.exitCode = 1;
}

export async function runRootfsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === '-h' || sub === '--help') {
    process.stdout.write(USAGE);
    return;
  }
  if (sub === undefined) return usageError('nsbox rootfs', "missing subcommand (valid: import)");
  if (sub !== 'import') return usageError('nsbox rootfs', `unknown subcommand '${sub}' (valid: import)`);
  let force = false;
  const operands: string[] = [];
  let noMoreOptions = false;
  for (const a of rest) {
    if (!noMoreOptions && a === '--') noMoreOptions = true;
    else if (!noMoreOptions && (a === '-f' || a === '--force')) force = true;
    else if (!noMoreOptions && (a === '-h' || a === '--help')) {
      process.stdout.write(USAGE);
      return;
    } else if (!noMoreOptions && a.startsWith('-') && a !== '-') return usageError('nsbox rootfs import', `unrecognized option '${a}'`);
    else operands.push(a);
  }
  const [tarball, dir] = operands;
  if (tarball === undefined || dir === undefined || operands.length !== 2) return usageError('nsbox rootfs import', 'expected a tarball and a directory');
  // Progress only on a terminal: a line rewritten in place.
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const onProgress = tty
    ? (p: ImportProgress): void => {
        const pct = p.totalBytes ? ` (${Math.floor((100 * p.bytesRead) / p.totalBytes)}%)` : '';
        process.stderr.write(`\r\x1b[Kimporting: ${p.entries} entries, ${human(p.bytesRead)}${p.totalBytes ? ` of ${human(p.totalBytes)}` : ''}${pct}`);
        shown = true;
      }
    : undefined;
  try {
    const r = await importRootfs(tarball, dir, { force, ...(onProgress ? { onProgress } : {}) });
    if (shown) process.stderr.write('\n');
    if (r.skippedNodes.length) process.stderr.write(`nsbox rootfs import: skipped ${r.skippedNodes.length} device node(s) and fifo(s): ${list(r.skippedNodes)}\n`);
    if (r.setidDropped.length) process.stderr.write(`nsbox rootfs import: dropped setuid/setgid bits of ${r.setidDropped.length} file(s) (not root): ${list(r.setidDropped)}\n`);
    for (const w of r.warnings.slice(0, 5)) process.stderr.write(`nsbox rootfs import: warning: ${w}\n`);
    if (r.unsafe.length) {
      process.stderr.write(`nsbox rootfs import: refused ${r.unsafe.length} entr${r.unsafe.length === 1 ? 'y' : 'ies'} outside the directory: ${list(r.unsafe)}\n`);
      process.exitCode = 2;
    }
  } catch (e) {
    if (shown) process.stderr.write('\n');
    if (e instanceof RootfsImportError) {
      process.stderr.write(`nsbox rootfs import: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
