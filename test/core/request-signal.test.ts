import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { listenForAbort, RequestAbortController, RequestSignal, stopListeningForAbort } from '../../src/providers/transport/request-abort.js';

test('a request signal aborts once, with the reason given or an AbortError', () => {
  const controller = new RequestAbortController();
  const signal = controller.signal;
  assert.equal(signal.aborted, false);
  assert.doesNotThrow(() => signal.throwIfAborted());
  const reason = new Error('client disconnected');
  controller.abort(reason);
  controller.abort(new Error('second'));
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
  assert.throws(() => signal.throwIfAborted(), reason);

  const plain = new RequestSignal();
  plain.abort(undefined);
  assert.equal((plain.reason as DOMException).name, 'AbortError');
});

test('EventTarget listeners: functions and objects, once, duplicates ignored, removable; onabort and emitter listeners too', () => {
  const signal = new RequestSignal();
  const calls: string[] = [];
  const repeated = (event: Event) => calls.push(`fn:${event.type}`);
  const object = { handleEvent: (event: Event) => calls.push(`object:${event.type}`) };
  const removed = () => calls.push('removed');
  signal.addEventListener('abort', repeated);
  signal.addEventListener('abort', repeated);
  signal.addEventListener('abort', object, { once: true });
  signal.addEventListener('abort', removed);
  signal.removeEventListener('abort', removed);
  signal.addEventListener('other', () => calls.push('other'));
  signal.onabort = () => calls.push('onabort');
  const emitterListener = () => calls.push('emitter');
  listenForAbort(signal, emitterListener);
  const stopped = () => calls.push('stopped');
  listenForAbort(signal, stopped);
  stopListeningForAbort(signal, stopped);
  signal.abort(new Error('x'));
  assert.deepEqual(calls, ['onabort', 'fn:abort', 'object:abort', 'emitter']);
  assert.equal(signal.listenerCount('abort'), 1, 'once listeners are gone, the plain one stays');
});

test("Node's own abortable APIs accept a request signal", async () => {
  const controller = new RequestAbortController();
  const sleeping = sleep(60_000, undefined, { signal: controller.signal as AbortSignal });
  const waiting = once(new (await import('node:events')).EventEmitter(), 'never', { signal: controller.signal as AbortSignal });
  controller.abort(new Error('stop'));
  await assert.rejects(sleeping, { name: 'AbortError' });
  await assert.rejects(waiting, { name: 'AbortError' });
  assert.equal(controller.signal.listenerCount('abort'), 0, 'their listeners are removed');
});
