#!/usr/bin/env node
/**
 * Runs whole test files with the ASan/UBSan helper (scripts/build-sanitized.mjs) instead of the
 * real one: $NSBOX_HELPER points at build/sanitized/nsbox-helper, the sanitizers halt on the
 * first error and write their reports to a scratch directory, which must stay empty.
 *
 *   npm run test:sanitized [-- <test file substring>...]
 *
 * Without arguments: the files that run real sandboxes of every kind (listed below). Needs
 * `npm run build` first. Exits 1 if a test failed or a sanitizer reported anything.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_FILES = [
  'test/unshare-options.test',
  'test/unshare-errors.test',
  'test/nsenter.test',
  'test/nsenter-library.test',
  'test/lsns.test',
  'test/run.test',
  'test/profile.test',
  'test/rootfs.test',
  'test/rootfs-options.test',
  'test/library-rootless.test',
  'test/sanitized.test',
];
const files = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_FILES;

const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-sanitized.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (built.status !== 0) process.exit(1);
const helper = join(root, 'build', 'sanitized', 'nsbox-helper');

const logs = mkdtempSync(join(tmpdir(), 'nsbox-sanitizer-logs-'));
chmodSync(logs, 0o1777); // the helper may report as any user
const sym = existsSync('/usr/lib/llvm-14/bin/llvm-symbolizer') ? ':external_symbolizer_path=/usr/lib/llvm-14/bin/llvm-symbolizer' : '';
const env = {
  ...process.env,
  NSBOX_HELPER: helper,
  // No leak check: the helper execs or _exits right after decoding, by design.
  ASAN_OPTIONS: `halt_on_error=1:detect_leaks=0:exitcode=86:log_path=${logs}/asan${sym}`,
  UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=${logs}/ubsan${sym}`,
};
console.log(`test:sanitized: NSBOX_HELPER=${helper}, reports to ${logs}; files: ${files.join(' ')}`);
const started = Date.now();
const r = spawnSync(process.execPath, [join(root, 'scripts', 'run-tests.mjs'), ...files], { env, stdio: 'inherit', cwd: root });
const reports = readdirSync(logs);
for (const f of reports) console.log(`\n==== sanitizer report ${f}\n${readFileSync(join(logs, f), 'utf8')}`);
rmSync(logs, { recursive: true, force: true });
console.log(
  `test:sanitized: tests ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status})`}, ${reports.length} sanitizer report(s), ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(r.status === 0 && reports.length === 0 ? 0 : 1);
