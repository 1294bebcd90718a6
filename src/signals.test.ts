import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signalNumber, signameToSignum, signumToSigname, SIGRTMAX, SIGRTMIN } from './signals.js';

test('classic names, any case, with or without SIG', () => {
  assert.equal(signameToSignum('TERM'), 15);
  assert.equal(signameToSignum('SIGTERM'), 15);
  assert.equal(signameToSignum('sigterm'), 15);
  assert.equal(signameToSignum('SigKill'), 9);
  assert.equal(signameToSignum('usr1'), 10);
  assert.equal(signameToSignum('IOT'), 6);
  assert.equal(signameToSignum('CLD'), 17);
  assert.equal(signameToSignum('POLL'), 29);
  assert.equal(signameToSignum('PWR'), 30);
});

test('numbers and unknown names are refused', () => {
  assert.equal(signameToSignum('15'), -1);
  assert.equal(signameToSignum('SIG15'), -1);
  assert.equal(signameToSignum('SIGBOGUS'), -1);
  assert.equal(signameToSignum(''), -1);
  assert.equal(signameToSignum('SIG'), -1);
  assert.equal(signameToSignum('TERMX'), -1);
});

test('real-time signals', () => {
  assert.equal(SIGRTMIN, 34);
  assert.equal(SIGRTMAX, 64);
  assert.equal(signameToSignum('RTMIN+1'), 35);
  assert.equal(signameToSignum('SIGRTMIN+0'), 34);
  assert.equal(signameToSignum('rtmin+30'), 64);
  assert.equal(signameToSignum('RTMIN+31'), -1);
  assert.equal(signameToSignum('RTMAX-0'), 64);
  assert.equal(signameToSignum('sigrtmax-2'), 62);
  assert.equal(signameToSignum('RTMAX-31'), -1);
  assert.equal(signameToSignum('RT5'), 39);
  // like util-linux: a bare RTMIN is not a name, trailing characters are ignored
  assert.equal(signameToSignum('RTMIN'), -1);
  assert.equal(signameToSignum('RTMIN+1x'), 35);
  assert.equal(signameToSignum('RTMIN+-1'), -1);
  assert.equal(signameToSignum('RTMIN+99999999999999999999'), -1);
  // strtol's long stored in an int
  assert.equal(signameToSignum('RTMIN+4294967296'), 34);
});

test('number to name', () => {
  assert.equal(signumToSigname(15), 'TERM');
  assert.equal(signumToSigname(6), 'ABRT');
  assert.equal(signumToSigname(34), 'RTMIN');
  assert.equal(signumToSigname(35), 'RTMIN+1');
  assert.equal(signumToSigname(63), 'RTMAX-1');
  assert.equal(signumToSigname(64), 'RTMAX');
  assert.equal(signumToSigname(32), undefined);
  assert.equal(signumToSigname(65), undefined);
});

test('signalNumber', () => {
  assert.equal(signalNumber('SIGINT'), 2);
  assert.equal(signalNumber('SIGKILL'), 9);
});
