import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addSingleMapRange,
  IdMapError,
  mapIdInward,
  NO_ID,
  parseMapRange,
  readKernelMap,
  readSubidRange,
} from './idmap.js';

const dir = mkdtempSync(join(tmpdir(), 'nsbox-idmap-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const passwd = join(dir, 'passwd');
writeFileSync(passwd, 'root:x:0:0::/root:/bin/bash\ntuser:x:1001:1001::/home/tuser:/bin/sh\nother:x:1003:1003::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const line = (r: { inner: number; outer: number; count: number }): string => `${r.inner} ${r.outer} ${r.count}`;
const err = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof IdMapError);
    return e.message;
  }
  assert.fail('no error');
};

test('get_map_range: colon form is inner:outer:count, comma form outer,inner,count', () => {
  assert.deepEqual(parseMapRange('0:100000:65536'), { inner: 0, outer: 100000, count: 65536 });
  assert.deepEqual(parseMapRange('100000,0,65536'), { inner: 0, outer: 100000, count: 65536 });
  assert.deepEqual(parseMapRange(' 1: 2: 3'), { inner: 1, outer: 2, count: 3 });
  assert.deepEqual(parseMapRange('-1:5:1'), { inner: NO_ID, outer: 5, count: 1 });
  for (const bad of ['1:2', 'a:b:c', '0,1,2,3', '0,1', '1:2:3 ', '1:2,3', '']) {
    assert.equal(err(() => parseMapRange(bad)), `invalid mapping '${bad}'`);
  }
});

test('add_single_map_range: the reference results', () => {
  // --map-users=0:100000:65536 --map-current-user as uid 1001
  assert.deepEqual(addSingleMapRange([parseMapRange('0:100000:65536')], 1001, 1001).map(line), ['1001 1001 1', '0 100000 1001', '1002 101001 64534']);
  // --map-auto -r (auto: inner still NO_ID)
  assert.deepEqual(addSingleMapRange([{ inner: NO_ID, outer: 100000, count: 65536 }], 1001, 0).map(line), ['0 1001 1', '1 100000 65536']);
  // --map-users=1001:100000:65536 --map-root-user
  assert.deepEqual(addSingleMapRange([parseMapRange('1001:100000:65536')], 1001, 0).map(line), ['0 1001 1', '1001 100000 65536']);
});

test('add_single_map_range without a single id keeps ranges, resolves auto, keeps the given order', () => {
  // util-linux list order: the last given first
  const chain = [parseMapRange('10:20:5'), { inner: NO_ID, outer: 100000, count: 65536 }];
  assert.deepEqual(addSingleMapRange(chain, 1001, NO_ID).map(line), ['0 100000 65536', '10 20 5']);
  assert.deepEqual(addSingleMapRange(chain, 1001, -1).map(line), ['0 100000 65536', '10 20 5']);
  // empty ranges vanish
  assert.deepEqual(addSingleMapRange([parseMapRange('0:1:0')], 5, NO_ID), []);
});

test('add_single_map_range: a single id inside both sides splits into lo/mid/hi', () => {
  // --map-users=0:0:100 with the single 50 -> 60
  assert.deepEqual(addSingleMapRange([parseMapRange('0:0:100')], 60, 50).map(line), ['50 60 1', '0 0 50', '51 50 10', '61 61 39']);
  // identical single inside a pass-through range
  assert.deepEqual(addSingleMapRange([parseMapRange('0:0:4294967295')], 0, 0).map(line), ['0 0 1', '1 1 4294967294']);
});

test('add_single_map_range with several ranges', () => {
  // --map-users=0:100000:1000 --map-users=1000:200000:1000 -c as 1001: chain is [second, first]
  const chain = [parseMapRange('1000:200000:1000'), parseMapRange('0:100000:1000')];
  assert.deepEqual(addSingleMapRange(chain, 1001, 1001).map(line), ['1001 1001 1', '0 100000 1000', '1000 200000 1', '1002 200001 998']);
  // the overlap test is inclusive at the top (inner <= map.inner + count): 1001 still costs 0:100000:1001 an id
  assert.deepEqual(addSingleMapRange([parseMapRange('0:100000:1001')], 1001, 1001).map(line), ['1001 1001 1', '0 100000 1000']);
});

test('read_subid_range: the first line matching the name or the uid', () => {
  const subuid = file('subuid', 'other:1:2\n# junk line\nnocolon\n1001:300000:10\ntuser:100000:65536\n');
  assert.deepEqual(readSubidRange(subuid, 1001, false, passwd), { inner: NO_ID, outer: 300000, count: 10 });
  assert.deepEqual(readSubidRange(subuid, 1001, true, passwd), { inner: 300000, outer: 300000, count: 10 });
  const byName = file('subuid2', 'tuser:100000:65536');
  assert.deepEqual(readSubidRange(byName, 1001, false, passwd), { inner: NO_ID, outer: 100000, count: 65536 });
  // lines without the second colon are skipped
  assert.deepEqual(readSubidRange(file('subuid3', 'tuser:5\ntuser:7:8\n'), 1001, true, passwd), { inner: 7, outer: 7, count: 8 });
  // util-linux compares strtoul(name) with the uid: for root every non-numeric name matches
  assert.deepEqual(readSubidRange(byName, 0, false, passwd), { inner: NO_ID, outer: 100000, count: 65536 });
});

test('read_subid_range errors', () => {
  const subuid = file('subuid4', 'tuser:100000:65536\n');
  assert.equal(err(() => readSubidRange(subuid, 1003, false, passwd)), `no line matching user "other" in ${subuid}`);
  assert.equal(err(() => readSubidRange(subuid, 4242, false, passwd)), "you (user 4242) don't exist.");
  const missing = join(dir, 'nope');
  assert.equal(err(() => readSubidRange(missing, 1001, false, passwd)), `could not open '${missing}': No such file or directory`);
  const bad = file('subuid5', 'tuser:abc:65536\n');
  assert.equal(err(() => readSubidRange(bad, 1001, false, passwd)), "failed to parse subid map: 'abc'");
  const bad2 = file('subuid6', 'tuser:1:2:3\n');
  assert.equal(err(() => readSubidRange(bad2, 1001, false, passwd)), "failed to parse subid map: '2:3'");
  const bad3 = file('subuid7', 'tuser:1:-2\n');
  assert.equal(err(() => readSubidRange(bad3, 1001, false, passwd)), "failed to parse subid map: '-2': Numerical result out of range");
  const d = join(dir, 'adir');
  mkdirSync(d);
  assert.equal(err(() => readSubidRange(d, 1001, false, passwd)), `no line matching user "tuser" in ${d}`);
});

test('read_kernel_map: pass-through ranges in file order', () => {
  const m = file('uid_map', '         0          0 4294967295\n');
  assert.deepEqual(readKernelMap(m), [{ inner: 0, outer: 0, count: 4294967295 }]);
  const m2 = file('uid_map2', '         0       1001          1\n         1     100000      65536\ngarbage\n');
  assert.deepEqual(readKernelMap(m2).map(line), ['0 0 1', '1 1 65536']);
  const missing = join(dir, 'nomap');
  assert.equal(err(() => readKernelMap(missing)), `could not open '${missing}': No such file or directory`);
});

test('mapIdInward', () => {
  const ranges = [{ inner: 0, outer: 1001, count: 1 }, { inner: 1, outer: 100000, count: 65536 }];
  assert.equal(mapIdInward(ranges, 1001), 0);
  assert.equal(mapIdInward(ranges, 100001), 2);
  assert.equal(mapIdInward(ranges, 5), undefined);
});
