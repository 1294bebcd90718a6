import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errnoCode, scanU32, scanU32List, strerror, strtol, strtoul, ulStrtos64, ulStrtou64 } from './libc.js';

test('strtoul: blanks, sign, wrap-around, clamping, partial parses', () => {
  assert.deepEqual(strtoul(' 42x'), { value: 42n, end: 3, erange: false });
  assert.deepEqual(strtoul('-1'), { value: (1n << 64n) - 1n, end: 2, erange: false });
  assert.deepEqual(strtoul('tuser'), { value: 0n, end: 0, erange: false });
  assert.equal(strtoul('99999999999999999999999').erange, true);
  assert.equal(strtoul('99999999999999999999999').value, (1n << 64n) - 1n);
  assert.equal(strtoul('x', 0).end, 0);
});

test('strtol clamps to int64', () => {
  assert.deepEqual(strtol('-9223372036854775809'), { value: -(1n << 63n), end: 20, erange: true });
  assert.deepEqual(strtol('+7'), { value: 7n, end: 2, erange: false });
});

test('ul_strtou64: whole string, negatives refused', () => {
  assert.deepEqual(ulStrtou64('1001'), { ok: true, value: 1001n });
  assert.deepEqual(ulStrtou64(' 5'), { ok: true, value: 5n });
  assert.deepEqual(ulStrtou64('+5'), { ok: true, value: 5n });
  assert.deepEqual(ulStrtou64('-0'), { ok: true, value: 0n });
  assert.deepEqual(ulStrtou64(''), { ok: false, errno: 'EINVAL' });
  assert.deepEqual(ulStrtou64('abc'), { ok: false, errno: 'EINVAL' });
  assert.deepEqual(ulStrtou64('5 '), { ok: false, errno: 'EINVAL' });
  assert.deepEqual(ulStrtou64('-1'), { ok: false, errno: 'ERANGE' });
  assert.deepEqual(ulStrtou64('18446744073709551616'), { ok: false, errno: 'ERANGE' });
  assert.deepEqual(ulStrtou64('18446744073709551615'), { ok: true, value: (1n << 64n) - 1n });
});

test('ul_strtos64', () => {
  assert.deepEqual(ulStrtos64('-5'), { ok: true, value: -5n });
  assert.deepEqual(ulStrtos64('abc'), { ok: false, errno: 'EINVAL' });
  assert.deepEqual(ulStrtos64('9223372036854775808'), { ok: false, errno: 'ERANGE' });
  assert.deepEqual(ulStrtos64('-9223372036854775808'), { ok: true, value: -(1n << 63n) });
});

test('sscanf %u', () => {
  assert.deepEqual(scanU32(' -1', 0), { value: 0xffffffff, end: 3 });
  assert.deepEqual(scanU32('4294967296', 0), { value: 0, end: 10 });
  assert.equal(scanU32('-', 0), undefined);
  assert.equal(scanU32(':1', 0), undefined);
  assert.deepEqual(scanU32List('0:100000:65536', [':', ':']), [0, 100000, 65536]);
  assert.deepEqual(scanU32List(' 1: 2', [':']), [1, 2]);
  assert.equal(scanU32List('1:2', [':', ':']), undefined);
  assert.equal(scanU32List('1:2:3 ', [':', ':']), undefined);
  assert.equal(scanU32List('1:2:3:4', [':', ':']), undefined);
  assert.equal(scanU32List('1 :2', [':']), undefined);
});

test('strerror and errnoCode', () => {
  assert.equal(strerror('ENOENT'), 'No such file or directory');
  assert.equal(strerror('EINVAL'), 'Invalid argument');
  assert.equal(strerror('ERANGE'), 'Numerical result out of range');
  assert.equal(errnoCode({ code: 'EACCES' }), 'EACCES');
  assert.equal(errnoCode(new Error('x')), 'EIO');
});
