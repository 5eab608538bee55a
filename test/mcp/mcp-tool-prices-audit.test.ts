import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startSearchServer } from '../fakes/mcp-tool-servers.js';
import { eventually } from '../helpers/eventually.js';
import { connectMcp } from '../helpers/mcp-client.js';

const ADMIN = 'admin-' + 'token-prices-0001';
const KEY = 'tg-' + 'mcp-priced-0001';
const KEY_QUIET = 'tg-' + 'mcp-quiet-0002';
const KEY_TEAM = 'tg-' + 'mcp-team-0003';

let running: RunningGateway;
let search: Awaited<ReturnType<typeof startSearchServer>>;

async function execute(key: string, name: string, args: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${running.url}/v1/mcp/tool/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ id: 'call_1', type: 'function', function: { name, arguments: JSON.stringify(args) } }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function logs(query: string): Promise<any[]> {
  const response = await fetch(`${running.url}/admin/logs?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { logs: any[] }).logs;
}


before(async () => {
  search = await startSearchServer();
  running = await startGateway({
    admin: { token: ADMIN },
    observability: { log_content: true },
    providers: { mock: { type: 'mock', models: ['m'] } },
    mcp: { servers: { web: { transport: 'http', url: search.url, tool_prices: { search: 0.002 }, price_per_call: 0.0001 } } },
    teams: [{ id: 'squad', budgets: [{ max_usd: 0.003 }] }],
    virtual_keys: [
      { id: 'priced', value: KEY, models: ['*'], budgets: [{ max_usd: 0.005, period: '1d' }], mcp: { allow: ['web__*'] } },
      { id: 'quiet', value: KEY_QUIET, models: ['*'], log_content: false, mcp: { allow: ['web__*'] } },
      { id: 'teamed', value: KEY_TEAM, team: 'squad', models: ['*'], mcp: { allow: ['web__*'] } },
    ],
  });
  for (let attempt = 0; attempt < 100 && (await fetch(`${running.url}/ready`)).status !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
});

after(async () => {
  await running?.close();
  await search?.close();
});

test('a priced tool call reports its exact cost, is recorded with it and counts against the key budget until refused', async () => {
  const first = await execute(KEY, 'web__search', { query: 'one' });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-tollgate-cost'), '0.002');
  const fetched = await execute(KEY, 'web__fetch_page', { url: 'https://example.test' });
  assert.equal(fetched.headers.get('x-tollgate-cost'), '0.0001');
  assert.equal((await execute(KEY, 'web__search', { query: 'two' })).status, 200);
  // Spent 0.0041 of 0.005: another 0.002 does not fit.
  const refused = await execute(KEY, 'web__search', { query: 'three' });
  assert.equal(refused.status, 402, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'budget_exceeded');
  assert.equal(refused.headers.get('x-tollgate-cost'), '0');
  // The cheaper tool still fits, through /mcp as well.
  const client = await connectMcp(running.url, KEY);
  assert.equal(((await client.callTool({ name: 'web__fetch_page', arguments: { url: 'u' } })).content as { text: string }[])[0]!.text, 'page u');
  await assert.rejects(client.callTool({ name: 'web__search', arguments: { query: 'four' } }), /budget/i);
  await client.close();

  const records = await eventually('the records', async () => {
    const found = (await logs('virtual_key_id=priced&limit=50')).filter((record) => record.operation === 'mcp_tool_call');
    return found.length >= 6 ? found : undefined;
  });
  const served = records.filter((record) => record.status === 200);
  assert.deepEqual(served.map((record) => record.cost_exact).sort(), ['0.0001', '0.0001', '0.002', '0.002']);
  assert.deepEqual(served.map((record) => record.charged_nano_usd).sort((a, b) => a - b), [100_000, 100_000, 2_000_000, 2_000_000]);
  const budget = records.find((record) => record.status === 402)!;
  assert.equal(budget.error_code, 'budget_exceeded');
  assert.equal(budget.cost_usd, null);
});

test('a team budget refuses a priced call of its keys', async () => {
  assert.equal((await execute(KEY_TEAM, 'web__search', { query: 'a' })).status, 200);
  const refused = await execute(KEY_TEAM, 'web__search', { query: 'b' });
  assert.equal(refused.status, 402);
  assert.match(refused.body.error.message, /team "squad"/);
});

test('each tool call record carries the tool, arguments, result, latency, key and parent request; content stays out when the key says so', async () => {
  const executed = await execute(KEY_QUIET, 'web__fetch_page', { url: 'https://audit.test/a' }, { 'x-tollgate-parent-request-id': 'chat-req-42', 'x-request-id': 'tool-audit-1' });
  assert.equal(executed.status, 200);
  const quiet = await eventually('the quiet record', async () => (await logs('request_id=tool-audit-1'))[0]);
  assert.equal(quiet.tool, 'web__fetch_page');
  assert.equal(quiet.parent_request_id, 'chat-req-42');
  assert.equal(quiet.request_content, null);
  assert.equal(quiet.response_content, null);

  await execute(KEY, 'web__fetch_page', { url: 'https://audit.test/b' }, { 'x-request-id': 'tool-audit-2' });
  const record = await eventually('the record', async () => (await logs('request_id=tool-audit-2'))[0]);
  assert.equal(record.operation, 'mcp_tool_call');
  assert.equal(record.tool, 'web__fetch_page');
  assert.equal(record.virtual_key_id, 'priced');
  assert.equal(typeof record.latency_ms, 'number');
  assert.deepEqual(JSON.parse(record.request_content), { url: 'https://audit.test/b' });
  assert.equal(record.response_content, 'page https://audit.test/b');
  assert.equal(record.parent_request_id, null);

  const failed = await execute(KEY, 'web__nope', {}, { 'x-request-id': 'tool-audit-3' });
  assert.equal(failed.status, 404);
  const failure = await eventually('the failure', async () => (await logs('request_id=tool-audit-3'))[0]);
  assert.equal(failure.error_code, 'tool_not_found');
  assert.match(failure.error_message, /web__nope/);
});

test('metrics count tool calls per server, tool and outcome, with a latency histogram; the live tail shows them', async () => {
  const socket = new WebSocket(`${running.url.replace('http:', 'ws:')}/admin/logs/tail?operation=mcp_tool_call`, { headers: { authorization: `Bearer ${ADMIN}` } });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const tailed = new Promise<any>((resolve) => socket.on('message', (data) => resolve(JSON.parse(String(data)))));
  await execute(KEY_QUIET, 'web__search', { query: 'tail' }, { 'x-request-id': 'tool-tail-1' });
  const record = await tailed;
  socket.close();
  assert.equal(record.request_id, 'tool-tail-1');
  assert.equal(record.operation, 'mcp_tool_call');
  assert.equal(record.model, 'web__search');

  await execute(KEY_QUIET, 'nowhere__tool', {});
  const metrics = await (await fetch(`${running.url}/metrics`)).text();
  assert.match(metrics, /tollgate_mcp_tool_calls_total\{server="web",tool="web__search",status="ok"\} [1-9]/);
  assert.match(metrics, /tollgate_mcp_tool_calls_total\{server="web",tool="web__search",status="refused"\} [1-9]/);
  // Names no server lists get one label value, whatever callers send.
  assert.match(metrics, /tollgate_mcp_tool_calls_total\{server="\(unknown\)",tool="\(unknown\)",status="refused"\} 1/);
  assert.match(metrics, /tollgate_mcp_tool_calls_total\{server="web",tool="\(unknown\)",status="error"\} 1/);
  assert.match(metrics, /tollgate_mcp_tool_call_duration_seconds_count\{server="web",tool="web__fetch_page"\} [1-9]/);
});
