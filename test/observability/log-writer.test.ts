import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogQuery } from '../../src/observability/log/log-filter.js';
import { LogWriter, MAX_BATCH_CONTENT, MAX_WRITE_ATTEMPTS } from '../../src/observability/log/log-writer.js';
import { MemoryLogStore } from '../../src/observability/log/memory-log-store.js';
import { capContent, REDACTED, redactSecrets } from '../../src/observability/log/redact.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { scheduleRetention } from '../../src/observability/log/retention.js';
import { createLogger } from '../../src/lib/logger.js';
import { record } from './log-store-suite.js';

const silent = createLogger({ level: 'silent' });
const ALL: LogQuery = { filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 1000, offset: 0 };

/** A memory store whose inserts wait, after `hold()`, until `open()` (and fail while `failures` lasts), recording each batch tried. */
class GatedStore extends MemoryLogStore {
  readonly batches: number[] = [];
  failures = 0;
  /** The error thrown while `failures` lasts. */
  failure: () => Error = () => new Error('disk full');
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.gate = undefined;
  }

  override async insert(records: readonly RequestRecord[]): Promise<void> {
    await this.gate;
    this.batches.push(records.length);
    if (this.failures > 0) {
      this.failures--;
      throw this.failure();
    }
    await super.insert(records);
  }
}

function withContent(id: string): RequestRecord {
  return record({ request_id: id, request_content: `{"q":"${id}"}`, response_content: `answer ${id}` });
}

function writer(store: GatedStore, queueSize: number, batchSize: number, drops: Record<string, number>, logger = silent): LogWriter {
  return new LogWriter({ store, logger, queueSize, batchSize, flushIntervalMs: 3_600_000, onDrop: (what, count) => (drops[what] = (drops[what] ?? 0) + count) });
}

test('records are written in batches of batch_size, in order', async () => {
  const store = new GatedStore();
  const log = writer(store, 100, 2, {});
  log.enqueue(['a', 'b', 'c', 'd', 'e'].map((id) => record({ request_id: id })));
  await log.flush();
  assert.deepEqual(store.batches, [2, 2, 1]);
  assert.deepEqual((await store.query(ALL)).logs.map((entry) => entry.request_id), ['a', 'b', 'c', 'd', 'e']);
  await log.close();
});

test('a full queue sheds content past half, then whole records, counting both, and never waits', async () => {
  const store = new GatedStore();
  store.hold();
  const drops: Record<string, number> = {};
  const log = writer(store, 4, 100, drops);
  log.enqueue(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map(withContent));
  assert.equal(log.pending, 4);
  assert.deepEqual(drops, { content: 2, record: 2 });
  store.open();
  await log.flush();
  const stored = (await store.query(ALL)).logs;
  assert.deepEqual(
    stored.map((entry) => [entry.request_id, entry.request_content !== null, entry.response_content !== null]),
    [
      ['r1', true, true],
      ['r2', true, true],
      ['r3', false, false],
      ['r4', false, false],
    ],
  );
  // Once drained, records keep their content again.
  log.enqueue([withContent('r7')]);
  await log.flush();
  assert.equal((await store.query({ ...ALL, filter: { requestId: 'r7' } })).logs[0]!.request_content, '{"q":"r7"}');
  assert.deepEqual(drops, { content: 2, record: 2 });
  await log.close();
});

test('a batch the store fails to take is kept and written with the next flush, before newer records; nothing is dropped', async () => {
  const store = new GatedStore();
  const lines: string[] = [];
  const logger = createLogger({ level: 'warn', write: (text) => lines.push(text) });
  const drops: Record<string, number> = {};
  const log = writer(store, 100, 2, drops, logger);
  store.failures = 1;
  log.enqueue(['a', 'b', 'c'].map((id) => record({ request_id: id })));
  await log.flush();
  // The store is down: the batch after the failed one is not tried either.
  assert.deepEqual(store.batches, [2]);
  assert.equal(log.pending, 3);
  log.enqueue([record({ request_id: 'd' })]);
  await log.flush();
  assert.deepEqual(store.batches, [2, 2, 2]);
  assert.deepEqual((await store.query(ALL)).logs.map((entry) => entry.request_id), ['a', 'b', 'c', 'd']);
  assert.deepEqual(drops, {});
  logger.flush();
  assert.match(lines.join(''), /"level":"warn","msg":"request log write failed; the batch is kept and written again with the next flush","records":2,"attempt":1/);
  await log.close();
});

test(`a batch that fails ${MAX_WRITE_ATTEMPTS} times is dropped, counted and logged, and later batches still land`, async () => {
  const store = new GatedStore();
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', write: (text) => lines.push(text) });
  const drops: Record<string, number> = {};
  const log = writer(store, 100, 2, drops, logger);
  store.failures = MAX_WRITE_ATTEMPTS;
  log.enqueue(['a', 'b', 'c'].map((id) => record({ request_id: id })));
  for (let flush = 0; flush < MAX_WRITE_ATTEMPTS; flush++) await log.flush();
  logger.flush();
  assert.deepEqual(drops, { record: 2 });
  assert.deepEqual((await store.query(ALL)).logs.map((entry) => entry.request_id), ['c']);
  assert.match(lines.join(''), new RegExp(`request log write failed; records dropped.*"records":2,"attempts":${MAX_WRITE_ATTEMPTS}`));
  assert.equal(log.pending, 0);
  await log.close();
});

test('while the store is unreachable (connection refused, PostgreSQL restarting) batches are kept past their tries and land once it is back; /ready says so meanwhile', async () => {
  const store = new GatedStore();
  const drops: Record<string, number> = {};
  const log = writer(store, 100, 2, drops);
  store.failures = MAX_WRITE_ATTEMPTS * 3;
  store.failure = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  log.enqueue(['a', 'b', 'c'].map((id) => record({ request_id: id })));
  for (let flush = 0; flush < MAX_WRITE_ATTEMPTS * 3; flush++) {
    await log.flush();
    assert.throws(() => log.check(), /request log: the store is failing \(connect ECONNREFUSED 127\.0\.0\.1:5432\); 3 records are kept/);
  }
  assert.equal(log.pending, 3);
  await log.flush();
  assert.deepEqual((await store.query(ALL)).logs.map((entry) => entry.request_id), ['a', 'b', 'c']);
  assert.deepEqual(drops, {});
  log.check();
  await log.close();
});

test('while a failed batch waits, a full queue does not hurry its next try, and the queue counts it against queue_size', async () => {
  const store = new GatedStore();
  const drops: Record<string, number> = {};
  const log = writer(store, 6, 2, drops);
  store.failures = 1;
  log.enqueue(['a', 'b'].map(withContent));
  // A full batch is written at once (setImmediate), and fails.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(store.batches, [2]);
  log.enqueue(['c', 'd', 'e', 'f', 'g'].map(withContent));
  await new Promise((resolve) => setTimeout(resolve, 20));
  // No try without a flush: still the one failed attempt.
  assert.deepEqual(store.batches, [2]);
  // The kept two count: c keeps its content, d, e and f (at half of six and past it) lose theirs, g is dropped.
  assert.equal(log.pending, 6);
  assert.deepEqual(drops, { content: 3, record: 1 });
  await log.flush();
  assert.deepEqual(
    (await store.query(ALL)).logs.map((entry) => [entry.request_id, entry.request_content !== null]),
    [
      ['a', true],
      ['b', true],
      ['c', true],
      ['d', false],
      ['e', false],
      ['f', false],
    ],
  );
  await log.close();
});

test("at close a failing store gets the batch's remaining tries; what is still unwritten is dropped, counted and logged", async () => {
  const store = new GatedStore();
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', write: (text) => lines.push(text) });
  const drops: Record<string, number> = {};
  const log = writer(store, 100, 2, drops, logger);
  store.failures = 100;
  log.enqueue(['a', 'b', 'c'].map((id) => record({ request_id: id })));
  await log.close();
  logger.flush();
  // The first batch (of two) was tried its three times before it was dropped; the second (of one) too, or as often as close allowed.
  assert.equal(store.batches.filter((size) => size === 2).length, MAX_WRITE_ATTEMPTS);
  assert.ok(store.batches.includes(1));
  assert.equal(log.pending, 0);
  assert.deepEqual(drops, { record: 3 });
  assert.match(lines.join(''), /records dropped/);
});

test('batches also end once their bodies reach MAX_BATCH_CONTENT, so long prompts never make one huge batch; a larger record goes alone', async () => {
  const store = new GatedStore();
  const log = writer(store, 1000, 100, {});
  const quarter = 'x'.repeat(MAX_BATCH_CONTENT / 4);
  const records = Array.from({ length: 10 }, (_, index) => record({ request_id: `long-${index}`, request_content: quarter, response_content: null }));
  records.push(record({ request_id: 'huge', request_content: 'y'.repeat(MAX_BATCH_CONTENT + 1), response_content: null }), record({ request_id: 'small' }));
  log.enqueue(records);
  await log.flush();
  assert.deepEqual(store.batches, [4, 4, 2, 1, 1]);
  assert.equal((await store.query(ALL)).total, 12);
  await log.close();
});

test('a full batch is written without waiting for the flush interval', async () => {
  const store = new GatedStore();
  const log = writer(store, 100, 3, {});
  const written = new Promise<void>((resolve) => {
    const insert = store.insert.bind(store);
    store.insert = async (records) => {
      await insert(records);
      resolve();
    };
  });
  log.enqueue(['a', 'b', 'c'].map((id) => record({ request_id: id })));
  await written;
  assert.deepEqual(store.batches, [3]);
  await log.close();
});

test('after close, records are ignored rather than queued', async () => {
  const store = new GatedStore();
  const log = writer(store, 100, 10, {});
  log.enqueue([record({ request_id: 'before' })]);
  await log.close();
  log.enqueue([record({ request_id: 'after' })]);
  assert.equal(log.pending, 0);
  assert.deepEqual((await store.query(ALL)).logs.map((entry) => entry.request_id), ['before']);
});

test('retention sweeps on its interval and deletes only records older than the cut-off', async () => {
  const now = Date.parse('2025-03-31T00:00:00Z');
  const store = new MemoryLogStore();
  await store.insert([
    record({ request_id: 'old', timestamp: '2025-03-01T00:00:00.000Z' }),
    record({ request_id: 'edge', timestamp: '2025-03-24T00:00:00.000Z' }),
    record({ request_id: 'new', timestamp: '2025-03-30T00:00:00.000Z' }),
  ]);
  let stop = () => {};
  // The retention timers are unref'd (they never hold the gateway open): keep this test's process alive meanwhile.
  const keepAlive = setInterval(() => {}, 60_000);
  const line = await new Promise<Record<string, unknown>>((resolve) => {
    const logger = createLogger({ level: 'info', write: (text) => resolve(JSON.parse(text.split('\n')[0]!) as Record<string, unknown>) });
    stop = scheduleRetention(store, 7, logger, 5, () => now);
  });
  stop();
  clearInterval(keepAlive);
  assert.equal(line.msg, 'request log retention');
  assert.equal(line.deleted, 1);
  assert.equal(line.retention_days, 7);
  assert.deepEqual((await store.query(ALL)).logs.map((entry) => entry.request_id), ['edge', 'new']);
});

test('retention_days 0 keeps everything and schedules nothing', async () => {
  const store = new MemoryLogStore();
  await store.insert([record({ request_id: 'ancient', timestamp: '2000-01-01T00:00:00.000Z' })]);
  const stop = scheduleRetention(store, 0, silent, 1, () => Date.now());
  stop();
  assert.equal((await store.query(ALL)).total, 1);
});

test('secrets are redacted from logged content', () => {
  const cases: [string, string][] = [
    [`my key is ${'sk-proj-'}abcdefghijklmnop1234 ok`, `my key is ${REDACTED} ok`], // made up; split for secret scanners
    ['anthropic sk-ant-api03-abcdefghijklmnopqrstu', `anthropic ${REDACTED}`],
    ['google AIzaSyA1234567890abcdefghijklmnopqrstu', `google ${REDACTED}`],
    [`aws ${'AKIA'}ABCDEFGHIJKLMNOP here`, `aws ${REDACTED} here`], // made up; split for secret scanners
    ['Authorization: Bearer abcdef0123456789xyz', `Authorization: ${REDACTED}`],
    ['{"api_key":"plain-value","other":"kept"}', `{"api_key":"${REDACTED}","other":"kept"}`],
    ['{"password": "hunter2"}', `{"password":"${REDACTED}"}`],
    [`-----BEGIN RSA ${'PRIVATE KEY'}-----\nMIIB\n-----END RSA ${'PRIVATE KEY'}-----`, REDACTED], // made up; split for secret scanners
    ['nothing secret about a sketch of a skate', 'nothing secret about a sketch of a skate'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
});

test('content is capped to max bytes of UTF-8 without splitting a character, after redaction', () => {
  assert.equal(capContent('short', 100), 'short');
  assert.equal(capContent('abcdefghij', 4), 'abcd…[truncated]');
  // "é" is two bytes: a cut through it drops the half character.
  assert.equal(capContent('aé', 2), 'a…[truncated]');
  // Redaction first: the secret is gone even when the cut would have kept part of it.
  const capped = capContent(`sk-${'x'.repeat(40)} tail`, 12);
  assert.ok(!capped.includes('xxxx'), capped);
  assert.ok(capped.startsWith(REDACTED.slice(0, 10)), capped);
});
