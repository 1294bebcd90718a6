/**
 * The short CI run of the hostile-input fuzzers (scripts/fuzz.mjs): each libFuzzer target for a
 * few seconds from the committed seed corpus, and the TS command-line fuzzer for a few thousand
 * cases checked against the C decoders. No crash, no failed property. Needs clang with the
 * libFuzzer and sanitizer runtimes (clang-14 and libclang-rt-14-dev, installed by .ci/run): a
 * missing toolchain skips here and fails in CI.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, removeTmpdir, requireCapability, tmpdir } from './harness.js';
import { fuzzCli } from '../fuzz/cli.js';

function clangWithFuzzer(): boolean {
  for (const cc of [process.env.FUZZ_CC, 'clang-14', 'clang'].filter((c): c is string => Boolean(c))) {
    const r = spawnSync(cc, ['-print-file-name=libclang_rt.fuzzer-x86_64.a'], { encoding: 'utf8' });
    if (r.status === 0) {
      const probe = spawnSync(cc, ['-fsanitize=fuzzer,address,undefined', '-x', 'c', '-', '-o', '/dev/null'], {
        input: 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n',
        encoding: 'utf8',
      });
      if (probe.status === 0) return true;
    }
  }
  return false;
}

describe('fuzz: short run (CI)', () => {
  it('every libFuzzer target runs 4 s and the TS fuzzer 3000 cases without a crash', { timeout: 120_000 }, (t) => {
    if (!requireCapability(t, clangWithFuzzer(), 'needs clang with libFuzzer and ASan/UBSan (clang-14, libclang-rt-14-dev)')) return;
    const work = tmpdir();
    try {
      const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'fuzz.mjs'), '--seconds', '4', '--ts-cases', '3000', '--seed', '1', '--work', work], {
        encoding: 'utf8',
        timeout: 110_000,
      });
      const out = `${r.stdout}${r.stderr}`;
      assert.equal(r.status, 0, out);
      for (const target of ['spec', 'enter_spec', 'nsinfo_spec']) {
        const m = new RegExp(`fuzz: ${target}\\s+(\\d+) execs .* crashes 0\\n`).exec(out);
        assert.ok(m, `no figures for ${target}:\n${out}`);
        assert.ok(Number(m[1]) > 1000, `${target}: only ${m[1]} executions:\n${out}`);
      }
      assert.match(out, /fuzz: ts: 3000 cases .* failures 0\n/);
      assert.match(out, /^fuzz: ok: 3 C target runs \(libfuzzer\), \d+ execs, /m);
    } finally {
      removeTmpdir(work);
    }
  });

  it('the TS fuzzer alone, another seed, in-process (without the C judge)', async () => {
    const s = await fuzzCli({ cases: 3000, seed: 20261125 });
    assert.deepEqual(s.reports, []);
    assert.equal(s.failures, 0);
    assert.ok(s.accepted > 100 && s.rejected > 100, JSON.stringify(s));
  });
});
