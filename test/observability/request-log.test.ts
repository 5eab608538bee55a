import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import pg from 'pg';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { ADMIN_TOKEN, adminGet, metricValue, parseMetrics } from './admin-client.js';
import { POSTGRES_URL } from './postgres.js';

/** Where the gateway under test keeps its log: a fresh SQLite file, or a PostgreSQL schema of its own. */
interface Backend {
  storage: Record<string, unknown>;
  cleanup(): Promise<void>;
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  sqlite: async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tollgate-obs-'));
    return { storage: { type: 'sqlite', path: join(directory, 'gateway.db') }, cleanup: () => rm(directory, { recursive: true, force: true }) };
  },
  postgres: async () => {
    const schema = `obs_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await admin.query(`create schema ${schema}`);
    const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    return {
      storage: { type: 'postgres', url },
      cleanup: async () => {
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      },
    };
  },
};

type Page = { logs: RequestRecord[]; total: number };

/** One CSV row (RFC 4180 quoting) into its cells. */
function parseCsvRow(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < row.length; index++) {
    const character = row[index]!;
    if (quoted) {
      if (character === '"' && row[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (character === '"') quoted = false;
      else cell += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      cells.push(cell);
      cell = '';
    } else cell += character;
  }
  cells.push(cell);
  return cells;
}

function requestLogSuite(name: string, open: () => Promise<Backend>): void {
  describe(`request log through the admin API: ${name}`, () => {
    let running: RunningGateway;
    let client: OpenAI;
    let backend: Backend;

    before(async () => {
      backend = await open();
      running = await startGateway({
        storage: backend.storage,
        admin: { token: ADMIN_TOKEN },
        providers: {
          mock: { type: 'mock', models: ['mock-small'] },
          broken: { type: 'mock', models: ['mock-small'], max_retries: 0, mock: { failure_rate: 1 } },
        },
        routes: { sturdy: { targets: [{ model: 'broken/mock-small' }], fallbacks: ['mock/mock-small'] } },
        pricing: { 'mock/mock-small': { input: 1, output: 2 } },
        observability: { log_content: true },
      });
      client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'test-key-openai', maxRetries: 0 });
    });

    after(async () => {
      await running.close();
      await backend.cleanup();
    });

    test('a request is logged and immediately queryable by request id', async () => {
      const { data, response } = await client.chat.completions
        .create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hello log' }] }, { headers: { 'x-tollgate-metadata': '{"env":"prod"}' } })
        .withResponse();
      const requestId = response.headers.get('x-request-id')!;
      const { status, body } = await adminGet<Page>(running.url, `/admin/logs?request_id=${encodeURIComponent(requestId)}`);
      assert.equal(status, 200);
      assert.equal(body.total, 1);
      const record = body.logs[0]!;
      assert.equal(record.request_id, requestId);
      assert.equal(record.provider, 'mock');
      assert.equal(record.model, 'mock-small');
      assert.equal(record.requested_model, 'mock/mock-small');
      assert.equal(record.status, 200);
      assert.equal(record.virtual_key_id, null);
      assert.equal(record.input_tokens, data.usage!.prompt_tokens);
      assert.equal(record.output_tokens, data.usage!.completion_tokens);
      assert.equal(record.stop_reason, 'stop');
      assert.equal(record.stream, false);
      const expectedCost = (data.usage!.prompt_tokens * 1 + data.usage!.completion_tokens * 2) / 1_000_000;
      assert.ok(Math.abs(record.cost_usd! - expectedCost) < 1e-12, `cost ${record.cost_usd} vs ${expectedCost}`);
      assert.ok(record.latency_ms >= 0);
      assert.deepEqual(record.metadata, { env: 'prod' });
      assert.match(record.request_content ?? '', /hello log/);
      assert.match(record.response_content ?? '', /hello log/);
    });

    test('a streamed request records time to first token and the streamed answer', async () => {
      const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'stream to the log' }] }, { headers: { 'x-request-id': 'stream-log-1' } });
      for await (const _chunk of stream) {
        // drain
      }
      const { body } = await adminGet<Page>(running.url, '/admin/logs?request_id=stream-log-1');
      const record = body.logs[0]!;
      assert.equal(record.stream, true);
      assert.ok(record.ttft_ms !== null && record.ttft_ms >= 0);
      assert.equal(record.stop_reason, 'stop');
      assert.match(record.response_content ?? '', /stream to the log/);
    });

    test('a failover writes one request record and one record per attempt', async () => {
      await client.chat.completions.create({ model: 'sturdy', messages: [{ role: 'user', content: 'fail over' }] }, { headers: { 'x-request-id': 'failover-log-1' } });
      const requests = await adminGet<Page>(running.url, '/admin/logs?request_id=failover-log-1');
      assert.equal(requests.body.total, 1);
      assert.equal(requests.body.logs[0]!.attempts, 2);
      assert.equal(requests.body.logs[0]!.provider, 'mock');
      const attempts = await adminGet<Page>(running.url, '/admin/logs?request_id=failover-log-1&kind=attempt&sort=timestamp&order=asc');
      assert.equal(attempts.body.total, 2);
      const byNumber = [...attempts.body.logs].sort((left, right) => left.attempt - right.attempt);
      assert.deepEqual(
        byNumber.map((record) => [record.attempt, record.provider, record.parent_request_id, record.error_code]),
        [
          [1, 'broken', 'failover-log-1', 'upstream_error'],
          [2, 'mock', 'failover-log-1', null],
        ],
      );
    });

    test('errors are logged with their code and type', async () => {
      await assert.rejects(client.chat.completions.create({ model: 'nope/nothing', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'error-log-1' } }));
      const { body } = await adminGet<Page>(running.url, '/admin/logs?request_id=error-log-1');
      assert.equal(body.logs[0]!.status, 404);
      assert.equal(body.logs[0]!.error_code, 'model_not_found');
      assert.equal(body.logs[0]!.error_type, 'not_found_error');
      assert.equal(body.logs[0]!.provider, null);
    });

    test('the per-request opt-out keeps content out of the log', async () => {
      await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'private words' }] }, { headers: { 'x-request-id': 'no-content-1', 'x-tollgate-log-content': 'false' } });
      const { body } = await adminGet<Page>(running.url, '/admin/logs?request_id=no-content-1');
      assert.equal(body.total, 1);
      assert.equal(body.logs[0]!.request_content, null);
      assert.equal(body.logs[0]!.response_content, null);
    });

    test('aggregations over the API match the records, grouped by provider and a metadata tag', async () => {
      const tag = { headers: { 'x-tollgate-metadata': '{"batch":"aggregate","app":"web"}' } };
      let expectedCost = 0;
      for (const text of ['one', 'two, longer']) {
        const completion = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: text }] }, tag);
        expectedCost += (completion.usage!.prompt_tokens * 1 + completion.usage!.completion_tokens * 2) / 1_000_000;
      }
      await assert.rejects(client.chat.completions.create({ model: 'nope/nothing', messages: [{ role: 'user', content: 'x' }] }, tag));
      type Rows = { group_by: string[]; bucket_ms: number | null; rows: { bucket: string | null; group: Record<string, unknown>; requests: number; errors: number; error_rate: number; cost_usd: number }[] };
      const { status, body } = await adminGet<Rows>(running.url, '/admin/logs/aggregate?metadata.batch=aggregate&group_by=metadata.app,provider&bucket=day');
      assert.equal(status, 200);
      assert.deepEqual(body.group_by, ['metadata.app', 'provider']);
      assert.equal(body.bucket_ms, 86_400_000);
      assert.deepEqual(
        body.rows.map((row) => [row.group['metadata.app'], row.group.provider, row.requests, row.errors]),
        [
          ['web', 'mock', 2, 0],
          ['web', null, 1, 1],
        ],
      );
      assert.ok(Math.abs(body.rows[0]!.cost_usd - expectedCost) < 1e-12);
      assert.match(body.rows[0]!.bucket!, /T00:00:00\.000Z$/);
      const refused = await adminGet<{ error: { code: string; param: string } }>(running.url, '/admin/logs/aggregate?group_by=metadata.a%27b');
      assert.equal(refused.status, 400);
      assert.deepEqual([refused.body.error.code, refused.body.error.param], ['invalid_request', 'group_by']);
    });

    test('aggregations answer latency percentiles when asked (percentiles=true), within 12.2% of the records', async () => {
      for (const text of ['p1', 'p2', 'p3']) await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: text }] }, { headers: { 'x-tollgate-metadata': '{"batch":"percentiles"}' } });
      const listed = await adminGet<Page>(running.url, '/admin/logs?metadata.batch=percentiles');
      const latencies = listed.body.logs.map((record) => record.latency_ms).sort((left, right) => left - right);
      type Rows = { rows: { requests: number; latency_ms_p50?: number | null; latency_ms_p99?: number | null }[] };
      const asked = await adminGet<Rows>(running.url, '/admin/logs/aggregate?metadata.batch=percentiles&percentiles=true');
      assert.equal(asked.body.rows[0]!.requests, 3);
      // Nearest rank: the 2nd of 3 for p50, the 3rd for p99; a bucket's middle is within 10^0.05 of each latency in it, and four
      // significant digits add at most 0.04% (1.122 ms under 1.26 ms).
      for (const [figure, exact] of [[asked.body.rows[0]!.latency_ms_p50!, latencies[1]!], [asked.body.rows[0]!.latency_ms_p99!, latencies[2]!]] as const) {
        assert.ok(exact < 1.26 ? figure === 1.122 : figure / exact <= 1.1225 && exact / figure <= 1.1225, `${figure} against ${exact}`);
      }
      // Whole-log aggregates without a tag filter read the rollups: the same histogram.
      const all = await adminGet<Rows>(running.url, '/admin/logs/aggregate?percentiles=true');
      assert.equal(typeof all.body.rows[0]!.latency_ms_p50, 'number');
      const plain = await adminGet<Rows>(running.url, '/admin/logs/aggregate?metadata.batch=percentiles');
      assert.equal(plain.body.rows[0]!.latency_ms_p50, undefined, 'not asked for: not read');
      const refused = await adminGet<{ error: { code: string; param: string } }>(running.url, '/admin/logs/aggregate?percentiles=yes');
      assert.deepEqual([refused.status, refused.body.error.param], [400, 'percentiles']);
    });

    test('export streams the filtered records as CSV, JSON and NDJSON', async () => {
      const ids = ['export-1', 'export-2', 'export-3'];
      for (const id of ids) await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `say "${id}", then a comma, ok` }] }, { headers: { 'x-request-id': id, 'x-tollgate-metadata': '{"batch":"export"}' } });
      const listed = await adminGet<Page>(running.url, '/admin/logs?metadata.batch=export&sort=timestamp&order=asc');
      assert.deepEqual(listed.body.logs.map((record) => record.request_id), ids);

      const json = await adminGet<RequestRecord[]>(running.url, '/admin/logs/export?format=json&metadata.batch=export&order=asc');
      assert.equal(json.status, 200);
      assert.match(json.headers.get('content-disposition') ?? '', /attachment; filename="tollgate-logs-.*\.json"/);
      assert.deepEqual(json.body, listed.body.logs);

      const ndjson = await adminGet(running.url, '/admin/logs/export?format=ndjson&metadata.batch=export&order=asc&limit=2');
      assert.deepEqual(ndjson.text.trimEnd().split('\n').map((line) => (JSON.parse(line) as RequestRecord).request_id), ids.slice(0, 2));

      const csv = await adminGet(running.url, '/admin/logs/export?format=csv&metadata.batch=export&order=asc');
      assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
      const [header, ...rows] = csv.text.trimEnd().split('\r\n');
      const columns = header!.split(',');
      assert.deepEqual(columns.slice(0, 5), ['request_id', 'kind', 'attempt', 'parent_request_id', 'timestamp']);
      assert.equal(rows.length, 3);
      const first = parseCsvRow(rows[0]!);
      assert.equal(first.length, columns.length);
      const field = (name: string) => first[columns.indexOf(name)];
      assert.equal(field('request_id'), 'export-1');
      assert.equal(field('provider'), 'mock');
      assert.equal(field('status'), '200');
      assert.equal(field('cost_usd'), String(listed.body.logs[0]!.cost_usd));
      assert.equal(field('metadata'), '{"batch":"export"}');
      assert.equal(field('request_content'), listed.body.logs[0]!.request_content);

      const bad = await adminGet<{ error: { param: string } }>(running.url, '/admin/logs/export?format=xml');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.param, 'format');
      for (const limit of ['-5', 'many', '0', '1000001']) {
        const refused = await adminGet<{ error: { code: string; param: string } }>(running.url, `/admin/logs/export?format=csv&limit=${limit}`);
        assert.deepEqual([refused.status, refused.body.error.code, refused.body.error.param], [400, 'invalid_request', 'limit'], limit);
      }
    });

    test('the admin log API needs the admin token', async () => {
      assert.equal((await adminGet(running.url, '/admin/logs', 'wrong-token-value-xyz')).status, 401);
      assert.equal((await fetch(`${running.url}/admin/logs`)).status, 401);
    });

    test('/metrics counts requests by provider, model, status and error code', async () => {
      const before = parseMetrics(await (await fetch(`${running.url}/metrics`)).text());
      const okBefore = metricValue(before, 'tollgate_requests_total', { provider: 'mock', model: 'mock-small', status: '200' });
      for (let index = 0; index < 3; index++) await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'count me' }] });
      const response = await fetch(`${running.url}/metrics`);
      assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
      const after = parseMetrics(await response.text());
      assert.equal(metricValue(after, 'tollgate_requests_total', { provider: 'mock', model: 'mock-small', status: '200' }) - okBefore, 3);
      assert.ok(metricValue(after, 'tollgate_requests_total', { status: '404', error_type: 'not_found_error', error_code: 'model_not_found' }) >= 1);
      assert.ok(metricValue(after, 'tollgate_requests_total', { provider: 'mock', status: '200', error_type: '', error_code: '' }) >= 3);
      assert.ok(metricValue(after, 'tollgate_failovers_total', { from_provider: 'broken', to_provider: 'mock' }) >= 1);
      assert.equal(metricValue(after, 'tollgate_in_flight_requests'), 0);
      assert.ok(metricValue(after, 'tollgate_upstream_latency_seconds_count', { provider: 'mock' }) >= 3);
    });

    test('/metrics token and cost counters move by exactly the known traffic', async () => {
      const read = async () => parseMetrics(await (await fetch(`${running.url}/metrics`)).text());
      const before = await read();
      let input = 0;
      let output = 0;
      for (const text of ['first metered request', 'second one, a bit longer than the first']) {
        const completion = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: text }] });
        input += completion.usage!.prompt_tokens;
        output += completion.usage!.completion_tokens;
      }
      const after = await read();
      const delta = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);
      assert.equal(delta('tollgate_tokens_total', { type: 'input' }), input);
      assert.equal(delta('tollgate_tokens_total', { type: 'output' }), output);
      assert.ok(Math.abs(delta('tollgate_cost_usd_total') - (input * 1 + output * 2) / 1_000_000) < 1e-12);
      assert.equal(delta('tollgate_request_duration_seconds_count', { provider: 'mock', model: 'mock-small' }), 2);
      assert.equal(delta('tollgate_gateway_overhead_seconds_count'), 2);
    });
  });
}

for (const [name, open] of Object.entries(BACKENDS)) requestLogSuite(name, open);
