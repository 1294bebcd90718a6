/**
 * `nsbox rootfs import TARBALL DIR`: extract a root filesystem tarball (such as Alpine's
 * minirootfs) into DIR, rootless, with node-tar (the npm `tar` package, v7).
 *
 * - Compression: gzip or none (detected from the content). xz and bzip2 are refused with a clear
 *   message: no well-kept npm package decompresses them; pipe through `xz -dc` and import `-`.
 * - Device nodes and fifos are skipped and reported: an ordinary user may not create them, and
 *   a container gets its /dev from the runtime anyway.
 * - Ownership: as root, the tarball's owners are kept; as an ordinary user everything belongs to
 *   the caller (inside a user namespace that maps the caller to root, files then look root-owned).
 * - Permissions are kept (the umask is not applied); setuid/setgid bits are dropped when not root.
 * - Safety: entries with an absolute path or a `..` component (and hard links to such targets)
 *   are refused and reported; node-tar also refuses to write through symbolic links.
 *   Symbolic links are kept as they are (absolute targets are fine: they resolve inside the
 *   container).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';

export class RootfsImportError extends Error {
  override name = 'RootfsImportError';
}

export interface ImportProgress {
  /** Compressed bytes read so far. */
  bytesRead: number;
  /** Size of the tarball in bytes, when known (not for a pipe). */
  totalBytes: number | undefined;
  /** Entries seen so far. */
  entries: number;
}

export interface ImportOptions {
  /** Called as entries are extracted (at most every 100 ms, and once at the end). */
  onProgress?: (p: ImportProgress) => void;
  /** Extract into a non-empty directory (default: refuse). */
  force?: boolean;
  /** Keep the tarball's owners (default: when running as root). */
  preserveOwner?: boolean;
}

export interface ImportResult {
  entries: number;
  bytesRead: number;
  /** Device nodes and fifos not created, by path in the tarball. */
  skippedNodes: string[];
  /** Entries refused because their path (or hard link target) would leave DIR. */
  unsafe: string[];
  /** Entries whose setuid/setgid bits were dropped (not root). */
  setidDropped: string[];
  /** Other problems node-tar reported (not fatal). */
  warnings: string[];
}

/** Refuses paths that are absolute or have a `..` component. */
function unsafePath(p: string): boolean {
  if (p.startsWith('/')) return true;
  return p.split('/').some((c) => c === '..');
}

async function sniff(file: string): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function compressionProblem(head: Buffer): string | undefined {
  if (head.length >= 6 && head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return undefined;
}

/**
 * Extract `tarball` (a path, or `-` for standard input) into `dir` (created if missing).
 * Rejects with a RootfsImportError for a non-empty `dir` (unless `force`), an unsupported
 * compression or a damaged archive.
 */
export async function importRootfs(tarball: string, dir: string, options: ImportOptions = {}): Promise<ImportResult> {
  const root = process.geteuid?.() === 0;
  const preserveOwner = options.preserveOwner ?? root;
  let totalBytes: number | undefined;
  if (tarball !== '-') {
    let st: fs.Stats;
    try {
      st = fs.statSync(tarball);
    } catch (e) {
      throw new RootfsImportError(`cannot read ${tarball}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!st.isFile()) throw new RootfsImportError(`${tarball} is not a regular file`);
    totalBytes = st.size;
    const kind = compressionProblem(await sniff(tarball));
    if (kind) {
      throw new RootfsImportError(
        `${tarball} is ${kind}-compressed, which nsbox cannot read (gzip and plain tar only); decompress it first, e.g. '${kind === 'bzip2' ? 'bzip2' : kind} -dc ${tarball} | nsbox rootfs import - DIR'`,
      );
    }
  }
  let created: string | undefined;
  try {
    created = fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new RootfsImportError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return await extractInto(tarball, dir, options, { root, preserveOwner, totalBytes });
  } catch (e) {
    // A failed import leaves nothing behind: the directories it created go (an existing one stays).
    if (created !== undefined) fs.rmSync(created, { recursive: true, force: true });
    throw e;
  }
}

async function extractInto(
  tarball: string,
  dir: string,
  options: ImportOptions,
  { root, preserveOwner, totalBytes }: { root: boolean; preserveOwner: boolean; totalBytes: number | undefined },
): Promise<ImportResult> {
  if (!fs.statSync(dir).isDirectory()) throw new RootfsImportError(`${dir} is not a directory`);
  if (!options.force && fs.readdirSync(dir).length > 0) throw new RootfsImportError(`${dir} is not empty (use --force to extract into it anyway)`);

  const result: ImportResult = { entries: 0, bytesRead: 0, skippedNodes: [], unsafe: [], setidDropped: [], warnings: [] };
  // node-tar makes absolute symlink targets relative (to DIR's parent dirs they are wrong):
  // they are put back after extraction, when no entry can be written through them any more.
  const absoluteLinks: { path: string; target: string }[] = [];
  let lastReport = 0;
  const report = (force: boolean): void => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < 100) return;
    lastReport = now;
    options.onProgress({ bytesRead: result.bytesRead, totalBytes, entries: result.entries });
  };

  const extract = tar.x({
    cwd: dir,
    preserveOwner,
    processUmask: 0,
    // Keep going past damaged entries only as warnings node-tar itself deems recoverable.
    strict: false,
    filter: (path: string, entry: tar.ReadEntry | fs.Stats) => {
      if (!('type' in entry)) return true;
      result.entries++;
      report(false);
      const type = entry.type;
      if (type === 'CharacterDevice' || type === 'BlockDevice' || type === 'FIFO') {
        result.skippedNodes.push(path);
        return false;
      }
      if (unsafePath(path) || (type === 'Link' && entry.linkpath !== undefined && unsafePath(entry.linkpath))) {
        result.unsafe.push(path);
        return false;
      }
      if (type === 'SymbolicLink' && entry.linkpath?.startsWith('/')) absoluteLinks.push({ path, target: entry.linkpath });
      if (!root && entry.mode !== undefined && (entry.mode & 0o6000) !== 0) {
        entry.mode &= ~0o6000;
        result.setidDropped.push(path);
      }
      return true;
    },
    onwarn: (code: string, message: string | Error) => {
      if (code === 'TAR_ENTRY_INFO' && String(message).startsWith('stripping / from absolute linkpath')) return;
      result.warnings.push(`${code}: ${message instanceof Error ? message.message : message}`);
    },
  });
  const input = tarball === '-' ? process.stdin : fs.createReadStream(tarball);
  input.on('data', (chunk: Buffer | string) => {
    result.bytesRead += chunk.length;
    report(false);
  });
  try {
    await pipeline(input, extract);
  } catch (e) {
    throw new RootfsImportError(`cannot extract ${tarball === '-' ? 'standard input' : tarball}: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const l of absoluteLinks) {
    const p = join(dir, l.path);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue; // replaced by a later entry, or not created
    }
    if (!st.isSymbolicLink()) continue;
    fs.unlinkSync(p);
    fs.symlinkSync(l.target, p);
    if (preserveOwner) fs.lchownSync(p, st.uid, st.gid);
  }
  report(true);
  return result;
}
