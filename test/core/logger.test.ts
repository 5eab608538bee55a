import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/lib/logger.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const written: string[] = [];
  const logger = createLogger({ level, write: (text) => written.push(text) });
  const lines = () => {
    logger.flush();
    return written.join('').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { logger, lines };
}

test('each event is one JSON line with time, level, message and the fields', () => {
  const { logger, lines } = capture();
  logger.info('request', { request_id: 'r-1', status: 200, latency_ms: 1.25, stream: false, provider: undefined });
  logger.warn('no fields');
  const [first, second] = lines();
  assert.equal(first!.level, 'info');
  assert.equal(first!.msg, 'request');
  assert.ok(!Number.isNaN(Date.parse(String(first!.time))));
  assert.deepEqual({ ...first, time: undefined }, { time: undefined, level: 'info', msg: 'request', request_id: 'r-1', status: 200, latency_ms: 1.25, stream: false });
  assert.deepEqual(Object.keys(second!), ['time', 'level', 'msg']);
});

test('errors keep their name, message and code, nested too; bigints become text; quotes stay escaped', () => {
  const { logger, lines } = capture();
  const failure = Object.assign(new TypeError('bad "thing"'), { code: 'E_BAD' });
  logger.error('failed', { error: failure, context: { cause: new Error('inner') }, amount: 12n });
  const [line] = lines();
  const error = line!.error as Record<string, unknown>;
  assert.equal(error.name, 'TypeError');
  assert.equal(error.message, 'bad "thing"');
  assert.equal(error.code, 'E_BAD');
  assert.equal(((line!.context as Record<string, unknown>).cause as Record<string, unknown>).message, 'inner');
  assert.equal(line!.amount, '12');
});

test('events below the level are dropped', () => {
  const { logger, lines } = capture('warn');
  logger.info('quiet');
  logger.debug('quieter');
  logger.error('loud');
  assert.deepEqual(lines().map((line) => line.msg), ['loud']);
});

test('with coalesceMs, lines are gathered and written in one call once the interval is over, or as soon as 512 are waiting', (context) => {
  context.mock.timers.enable({ apis: ['setTimeout'] });
  const writes: string[] = [];
  const logger = createLogger({ level: 'info', coalesceMs: 10, write: (text) => writes.push(text) });
  logger.info('one');
  logger.info('two');
  context.mock.timers.tick(9);
  assert.equal(writes.length, 0);
  context.mock.timers.tick(1);
  assert.equal(writes.length, 1);
  assert.deepEqual(writes[0]!.trim().split('\n').map((line) => JSON.parse(line).msg), ['one', 'two']);

  for (let index = 0; index < 512; index++) logger.info(`line ${index}`);
  assert.equal(writes.length, 2, 'a full buffer is written without waiting');
  assert.equal(writes[1]!.trim().split('\n').length, 512);
});

test('with coalesceMs, long lines are written as soon as 64 KiB of them are waiting, whatever their number', (context) => {
  context.mock.timers.enable({ apis: ['setTimeout'] });
  const writes: string[] = [];
  const logger = createLogger({ level: 'info', coalesceMs: 10, write: (text) => writes.push(text) });
  const long = 'x'.repeat(10_000);
  for (let index = 0; index < 6; index++) logger.info(long);
  assert.equal(writes.length, 0, 'about 60 KB still waits for the interval');
  logger.info(long);
  assert.equal(writes.length, 1, 'past 64 KiB the lines are written at once');
  assert.equal(writes[0]!.trim().split('\n').length, 7);
  logger.info('after');
  context.mock.timers.tick(10);
  assert.deepEqual(writes.slice(1).map((text) => JSON.parse(text).msg), ['after']);
});

test('a log output that stops reading holds at most the backlog: later lines are dropped, counted, and reported once it catches up', () => {
  const received: string[] = [];
  const pending: (() => void)[] = [];
  // A stream whose reader has stalled: nothing it accepts is done until `pending` is run.
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      pending.push(done);
    },
  });
  const logger = createLogger({ level: 'info', stream, maxBacklogBytes: 1000 });
  for (let index = 0; index < 40; index++) {
    logger.info('line', { index, padding: 'x'.repeat(60) });
    logger.flush();
  }
  assert.ok(stream.writableLength >= 1000 && stream.writableLength < 1200, `backlog ${stream.writableLength}`);
  while (pending.length > 0) pending.shift()!();
  const accepted = received.join('').split('\n').filter((line) => line.length > 0).length;
  assert.ok(accepted > 5 && accepted < 40, `accepted ${accepted}`);

  logger.info('after');
  logger.flush();
  while (pending.length > 0) pending.shift()!();
  const lines = received.join('').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>);
  const report = lines[accepted]!;
  assert.deepEqual([report.level, report.msg, report.lines], ['warn', 'log lines dropped', 40 - accepted]);
  assert.equal(lines[accepted + 1]!.msg, 'after');
  assert.equal(lines.length, accepted + 2);
});
