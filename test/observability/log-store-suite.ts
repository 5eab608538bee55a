import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseAggregateQuery, parseLogQuery } from '../../src/observability/log/log-filter.js';
import type { LogStore } from '../../src/observability/log/log-store.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';

export interface OpenedStore {
  store: LogStore;
  cleanup(): Promise<void>;
}

const BASE = Date.parse('2025-03-01T10:00:00.000Z');

/** A plausible request record with `overrides` applied. */
export function record(overrides: Partial<RequestRecord> & { request_id: string }): RequestRecord {
  return {
    kind: 'request',
    attempt: 0,
    parent_request_id: null,
    timestamp: new Date(BASE).toISOString(),
    surface: 'openai',
    operation: 'chat',
    virtual_key_id: null,
    team_id: null,
    customer_id: null,
    metadata: {},
    provider: 'openai',
    model: 'gpt-4o-mini',
    requested_model: 'gpt-4o-mini',
    key_id: null,
    status: 200,
    error_code: null,
    error_type: null,
    error_message: null,
    stop_reason: 'stop',
    latency_ms: 100,
    ttft_ms: null,
    input_tokens: 10,
    cached_input_tokens: null,
    cache_write_tokens: null,
    output_tokens: 5,
    reasoning_tokens: null,
    total_tokens: 15,
    cost_usd: 0.001,
    cache_hit: null,
    stream: false,
    attempts: 1,
    request_content: null,
    response_content: null,
    cost_exact: null,
    charged_nano_usd: null,
    cache_entry_id: null,
    cache_similarity: null,
    cache_saved_usd: null,
    guardrails: null,
    session_id: null,
    images: null,
    characters: null,
    audio_seconds: null,
    search_units: null,
    input_audio_tokens: null,
    output_audio_tokens: null,
    ...overrides,
  };
}

/** Fixed data the filters and aggregations below are checked against (hand-computed). */
export const FIXTURE: RequestRecord[] = [
  record({ request_id: 'r1', operation: 'images', images: 2, cost_exact: '0.001', charged_nano_usd: 1_000_000, virtual_key_id: 'key-a', team_id: 'team-1', customer_id: 'cust-x', metadata: { env: 'prod', app: 'web' }, latency_ms: 50, request_content: '{"text":"Tell me about Zebras"}', response_content: 'Zebras are striped' }),
  record({ request_id: 'r2', operation: 'realtime', session_id: 'sess-1', input_audio_tokens: 40, output_audio_tokens: 20, timestamp: new Date(BASE + 10 * 60_000).toISOString(), virtual_key_id: 'key-a', team_id: 'team-1', provider: 'anthropic', model: 'claude-haiku', requested_model: 'claude-haiku', latency_ms: 300, input_tokens: 100, output_tokens: 50, total_tokens: 150, cost_usd: 0.02, cost_exact: '0.02', charged_nano_usd: 20_000_000, stream: true, ttft_ms: 40, metadata: { env: 'dev' } }),
  record({ request_id: 'r3', operation: 'audio.transcriptions', audio_seconds: 12.5, timestamp: new Date(BASE + 70 * 60_000).toISOString(), virtual_key_id: 'key-b', team_id: 'team-2', customer_id: 'cust-y', status: 429, error_code: 'rate_limit_exceeded', error_type: 'rate_limit_error', stop_reason: null, input_tokens: null, output_tokens: null, total_tokens: null, cost_usd: null, cost_exact: null, charged_nano_usd: 0, latency_ms: 2 }),
  record({ request_id: 'r4', operation: 'rerank', search_units: 3, timestamp: new Date(BASE + 80 * 60_000).toISOString(), virtual_key_id: 'key-b', team_id: 'team-2', customer_id: 'cust-y', provider: 'anthropic', model: 'claude-haiku', stop_reason: 'length', latency_ms: 900, input_tokens: 1000, output_tokens: 500, total_tokens: 1500, cost_usd: 0.5, cost_exact: '0.5', charged_nano_usd: 500_000_000, cache_hit: 'exact', cache_entry_id: 'entry-1', cache_similarity: 0.97, cache_saved_usd: 0.25, metadata: { env: 'prod', 'a=b': 'c' } }),
  record({ request_id: 'r5', operation: 'audio.speech', characters: 120, timestamp: new Date(BASE + 130 * 60_000).toISOString(), status: 502, error_code: 'upstream_error', error_type: 'api_error', stop_reason: null, attempts: 2, input_tokens: null, output_tokens: null, total_tokens: null, cost_usd: null, cost_exact: null, charged_nano_usd: 7, latency_ms: 1200, response_content: '100% _done_' }),
  record({ request_id: 'r5', operation: 'audio.speech', kind: 'attempt', attempt: 1, parent_request_id: 'r5', timestamp: new Date(BASE + 130 * 60_000).toISOString(), status: 503, error_code: 'upstream_error', error_type: 'api_error', stop_reason: null, input_tokens: null, output_tokens: null, total_tokens: null, cost_usd: null, cost_exact: null, charged_nano_usd: 7, latency_ms: 600 }),
];

export function logStoreSuite(name: string, open: () => Promise<OpenedStore>): void {
  describe(`log store: ${name}`, () => {
    let opened: OpenedStore;
    let store: LogStore;
    const ids = async (query: string) => (await store.query(parseLogQuery(new URLSearchParams(query)))).logs.map((entry) => entry.request_id);

    before(async () => {
      opened = await open();
      store = opened.store;
      await store.migrate();
      await store.migrate(); // idempotent
      await store.insert(FIXTURE);
    });
    after(() => opened.cleanup());

    test('sums the ledger charges of a key, team, customer or provider in a time range (reconciliation)', async () => {
      const from = BASE;
      const to = BASE + 86_400_000;
      // Hand-computed from FIXTURE: r1 1,000,000 (key-a, openai), r2 20,000,000 (key-a, anthropic),
      // r3 0 (key-b), r4 500,000,000 (key-b, anthropic), r5 7 over two attempts (its openai attempt record holds it).
      assert.deepEqual(await store.chargeSum({ key: 'key-a' }, from, to), { nanoUsd: 21_000_000, records: 2 });
      assert.deepEqual(await store.chargeSum({ team: 'team-2' }, from, to), { nanoUsd: 500_000_000, records: 2 });
      assert.deepEqual(await store.chargeSum({ customer: 'cust-y' }, from, to), { nanoUsd: 500_000_000, records: 2 });
      assert.deepEqual(await store.chargeSum({ provider: 'openai' }, from, to), { nanoUsd: 1_000_007, records: 3 });
      assert.deepEqual(await store.chargeSum({ provider: 'anthropic' }, from, Number.POSITIVE_INFINITY), { nanoUsd: 520_000_000, records: 2 });
      assert.deepEqual(await store.chargeSum({ key: 'key-a', provider: 'anthropic' }, from, to), { nanoUsd: 20_000_000, records: 1 });
      assert.deepEqual(await store.chargeSum({ key: 'key-b' }, BASE + 75 * 60_000, BASE + 120 * 60_000), { nanoUsd: 500_000_000, records: 1 });
      assert.deepEqual(await store.chargeSum({ key: 'nobody' }, from, to), { nanoUsd: 0, records: 0 });
      // Through the first stored record only (a journal watermark).
      assert.deepEqual(await store.chargeSum({ key: 'key-a' }, from, to, 1), { nanoUsd: 1_000_000, records: 1 });
    });

    test('round-trips every field', async () => {
      const page = await store.query(parseLogQuery(new URLSearchParams('request_id=r1')));
      assert.equal(page.total, 1);
      assert.deepEqual(page.logs[0], FIXTURE[0]);
      const stream = await store.query(parseLogQuery(new URLSearchParams('request_id=r2')));
      assert.deepEqual(stream.logs[0], FIXTURE[1]);
    });

    test('lists request records newest first with a total, paginated', async () => {
      const page = await store.query(parseLogQuery(new URLSearchParams('limit=2')));
      assert.equal(page.total, 5);
      assert.deepEqual(page.logs.map((entry) => entry.request_id), ['r5', 'r4']);
      assert.deepEqual(await ids('limit=2&offset=2'), ['r3', 'r2']);
      assert.deepEqual(await ids('sort=latency_ms&order=asc'), ['r3', 'r1', 'r2', 'r4', 'r5']);
      // Unknown costs sort last; ties keep arrival order (newest first when descending).
      assert.deepEqual(await ids('sort=cost_usd&order=desc'), ['r4', 'r2', 'r1', 'r5', 'r3']);
    });

    test('filters', async () => {
      const cases: [string, string[]][] = [
        ['provider=anthropic', ['r4', 'r2']],
        ['provider=anthropic,openai&model=gpt-4o-mini', ['r5', 'r3', 'r1']],
        ['model=claude-haiku', ['r4', 'r2']],
        ['virtual_key_id=key-a', ['r2', 'r1']],
        ['team=team-2', ['r4', 'r3']],
        ['customer=cust-x', ['r1']],
        ['metadata.env=prod', ['r4', 'r1']],
        ['metadata=app:web', ['r1']],
        ['metadata.env=prod&metadata.app=web', ['r1']],
        ['metadata.env=prod&metadata.app=none', []],
        ['metadata.env=prod&kind=all', ['r4', 'r1']],
        ['metadata.Env=prod', []],
        ['metadata.env=Prod', []],
        ['metadata.a%3Db=c', ['r4']],
        ['metadata.env=prod&order=asc&limit=1&offset=1', ['r4']],
        ['metadata.env=prod&metadata.a%3Db=c&order=asc', ['r4']],
        [`metadata.env=prod&from=${new Date(BASE + 60 * 60_000).toISOString()}`, ['r4']],
        [`metadata.env=prod&to=${new Date(BASE + 60 * 60_000).toISOString()}`, ['r1']],
        ['metadata.env=prod&sort=latency_ms&order=asc', ['r1', 'r4']],
        ['metadata.a=b%3Dc', []],
        ['status=429', ['r3']],
        ['status=error', ['r5', 'r3']],
        ['status=success', ['r4', 'r2', 'r1']],
        ['error_type=api_error', ['r5']],
        ['error_code=rate_limit_exceeded', ['r3']],
        ['stop_reason=length', ['r4']],
        ['cache_hit=exact', ['r4']],
        ['min_latency_ms=300&max_latency_ms=900', ['r4', 'r2']],
        ['min_tokens=100', ['r4', 'r2']],
        ['max_tokens=15', ['r1']],
        ['min_cost_usd=0.01&max_cost_usd=0.1', ['r2']],
        ['stream=true', ['r2']],
        ['stream=false&provider=anthropic', ['r4']],
        ['q=zebras', ['r1']],
        ['q=100%25 _done_', ['r5']],
        ['q=%25', ['r5']],
        [`from=${new Date(BASE + 60 * 60_000).toISOString()}&to=${new Date(BASE + 130 * 60_000).toISOString()}`, ['r4', 'r3']],
        [`since=${BASE + 10 * 60_000}&until=${BASE + 10 * 60_000 + 1}`, ['r2']],
        ['kind=attempt', ['r5']],
        ['kind=all&request_id=r5', ['r5', 'r5']],
        ['session_id=sess-1', ['r2']],
        ['session_id=sess-2', []],
        ['operation=images,rerank', ['r4', 'r1']],
        ['operation=realtime&provider=anthropic', ['r2']],
      ];
      for (const [query, expected] of cases) assert.deepEqual(await ids(query), expected, query);
      // Totals count every match, not the page.
      for (const [query, total] of [['metadata.env=prod&limit=1', 2], ['metadata.env=prod&metadata.app=web', 1], ['metadata.env=prod&stream=false', 2], ['metadata.env=nowhere', 0]] as const) {
        assert.equal((await store.query(parseLogQuery(new URLSearchParams(query)))).total, total, query);
      }
      const attempt = (await store.query(parseLogQuery(new URLSearchParams('kind=attempt')))).logs[0]!;
      assert.equal(attempt.parent_request_id, 'r5');
      assert.equal(attempt.attempt, 1);
    });

    test('aggregates by dimension and time bucket (hand-computed)', async () => {
      const byProvider = await store.aggregate(parseAggregateQuery(new URLSearchParams('group_by=provider')));
      assert.deepEqual(
        byProvider.map((row) => [row.group.provider, row.requests, row.errors, row.input_tokens, row.output_tokens, row.total_tokens, Math.round(row.cost_usd * 1e6)]),
        [
          ['anthropic', 2, 0, 1100, 550, 1650, 520_000],
          ['openai', 3, 2, 10, 5, 15, 1_000],
        ],
      );
      assert.ok(Math.abs(byProvider[1]!.error_rate - 2 / 3) < 1e-9);

      const hourly = await store.aggregate(parseAggregateQuery(new URLSearchParams('bucket=hour')));
      assert.deepEqual(
        hourly.map((row) => [row.bucket, row.requests, row.errors, Math.round(row.cost_usd * 1e6)]),
        [
          ['2025-03-01T10:00:00.000Z', 2, 0, 21_000],
          ['2025-03-01T11:00:00.000Z', 2, 1, 500_000],
          ['2025-03-01T12:00:00.000Z', 1, 1, 0],
        ],
      );

      const byKeyAndBucket = await store.aggregate(parseAggregateQuery(new URLSearchParams('group_by=virtual_key_id,stream&bucket=2h&provider=anthropic')));
      assert.deepEqual(
        byKeyAndBucket.map((row) => [row.bucket, row.group.virtual_key_id, row.group.stream, row.requests]),
        [
          ['2025-03-01T10:00:00.000Z', 'key-a', true, 1],
          ['2025-03-01T10:00:00.000Z', 'key-b', false, 1],
        ],
      );

      const byMetadata = await store.aggregate(parseAggregateQuery(new URLSearchParams('group_by=metadata.env,provider')));
      assert.deepEqual(
        byMetadata.map((row) => [row.group['metadata.env'], row.group.provider, row.requests, row.errors, Math.round(row.cost_usd * 1e6)]),
        [
          ['dev', 'anthropic', 1, 0, 20_000],
          ['prod', 'anthropic', 1, 0, 500_000],
          ['prod', 'openai', 1, 0, 1_000],
          [null, 'openai', 2, 2, 0],
        ],
      );

      const byStatus = await store.aggregate(parseAggregateQuery(new URLSearchParams('group_by=status&kind=all')));
      assert.deepEqual(
        byStatus.map((row) => [row.group.status, row.requests]),
        [
          [200, 3],
          [429, 1],
          [502, 1],
          [503, 1],
        ],
      );

      // Each operation's cost and the units it billed (usage reports by operation).
      const byOperation = await store.aggregate(parseAggregateQuery(new URLSearchParams('group_by=operation')));
      assert.deepEqual(
        byOperation.map((row) => [row.group.operation, row.requests, Math.round(row.cost_usd * 1e6), row.images, row.characters, row.audio_seconds, row.search_units]),
        [
          ['audio.speech', 1, 0, 0, 120, 0, 0],
          ['audio.transcriptions', 1, 0, 0, 0, 12.5, 0],
          ['images', 1, 1_000, 2, 0, 0, 0],
          ['realtime', 1, 20_000, 0, 0, 0, 0],
          ['rerank', 1, 500_000, 0, 0, 0, 3],
        ],
      );

      const total = await store.aggregate(parseAggregateQuery(new URLSearchParams('')));
      assert.equal(total.length, 1);
      assert.equal(total[0]!.requests, 5);
      assert.equal(total[0]!.group && Object.keys(total[0]!.group).length, 0);
    });

    test('scan walks the matches in time order, a page at a time from a cursor, as query orders them', async () => {
      for (const order of ['desc', 'asc'] as const) {
        for (const [query, kind] of [['', 'request'], ['provider=anthropic,openai&kind=all', 'all']] as const) {
          const filter = parseLogQuery(new URLSearchParams(query)).filter;
          const expected = (await store.query({ filter, sort: 'timestamp', order, limit: 100, offset: 0 })).logs;
          const walked: RequestRecord[] = [];
          let after: Awaited<ReturnType<LogStore['scan']>>['next'];
          let pages = 0;
          do {
            const page = await store.scan(filter, order, 2, after);
            assert.ok(page.logs.length <= 2);
            walked.push(...page.logs);
            after = page.next;
            pages++;
          } while (after !== undefined && pages < 20);
          assert.deepEqual(walked, expected, `${order} ${kind}`);
          assert.equal(pages, Math.floor(expected.length / 2) + 1);
        }
      }
    });

    test('retention deletes records older than a cut-off', async () => {
      const deleted = await store.deleteBefore(BASE + 60 * 60_000);
      assert.equal(deleted, 2);
      assert.deepEqual(await ids('kind=all'), ['r5', 'r5', 'r4', 'r3']);
      assert.deepEqual(await ids('metadata.env=prod'), ['r4']);
    });
  });
}
