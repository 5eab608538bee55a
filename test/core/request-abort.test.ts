import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestAbort, signalOf } from '../../src/http/request-abort.js';

test('RequestAbort: the signal made before the abort fires once, with the first reason', () => {
  const abort = new RequestAbort();
  const signal = abort.signal;
  assert.equal(abort.signal, signal, 'one signal per request');
  const seen: unknown[] = [];
  signal.addEventListener('abort', () => seen.push(signal.reason));
  abort.abort('first');
  abort.abort('second');
  assert.deepEqual(seen, ['first']);
  assert.equal(abort.aborted, true);
  assert.equal(abort.reason, 'first');
});

test('RequestAbort: aborted before anyone asked, the signal made afterwards is aborted with the kept reason', () => {
  const abort = new RequestAbort();
  assert.equal(abort.aborted, false);
  assert.equal(abort.reason, undefined);
  const reason = new Error('gone');
  abort.abort(reason);
  abort.abort(new Error('later'));
  assert.equal(abort.aborted, true);
  const signal = abort.signal;
  assert.ok(signal instanceof AbortSignal);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
});

test('signalOf: a RequestAbort gives its signal, an AbortSignal itself', () => {
  const abort = new RequestAbort();
  assert.equal(signalOf(abort), abort.signal);
  const plain = new AbortController().signal;
  assert.equal(signalOf(plain), plain);
});
