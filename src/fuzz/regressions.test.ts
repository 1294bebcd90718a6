/** What the fuzzers found in the command-line parsers, as unit tests. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfileText, ProfileError } from '../profiles/validate.js';
import { parseRootfsArgs, RootfsUsageError } from '../cli/run-rootfs.js';

describe('fuzz regressions', () => {
  it('a profile file whose JSON error quotes line breaks still gives a one-line message', () => {
    for (const text of ['a\nb', '{\n  "version": 1,\n  "env":é {\n  }\n}', '{\n\n\n=']) {
      assert.throws(
        () => parseProfileText(text, '/p/x.json'),
        (e: unknown) => e instanceof ProfileError && e.kind === 'corrupt' && !e.message.includes('\n') && e.message.startsWith('/p/x.json: corrupt profile file (not valid JSON: '),
      );
    }
  });

  it('run --rootfs: an empty --rootfs or --cwd is a usage error (it was the current directory, or an encoder error)', () => {
    assert.throws(() => parseRootfsArgs(['--rootfs', '', 'true'], {}), new RootfsUsageError('--rootfs: empty path'));
    assert.throws(() => parseRootfsArgs(['--rootfs=', 'true'], {}), new RootfsUsageError('--rootfs: empty path'));
    assert.throws(() => parseRootfsArgs(['--rootfs', '/r', '--cwd=', 'true'], {}), new RootfsUsageError('--cwd: empty path'));
    assert.throws(() => parseRootfsArgs(['--rootfs', '/r', '--cwd', '', 'true'], {}), new RootfsUsageError('--cwd: empty path'));
  });
});
