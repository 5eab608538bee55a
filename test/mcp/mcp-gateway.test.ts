import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startSearchServer } from '../fakes/mcp-tool-servers.js';
import { eventually } from '../helpers/eventually.js';
import { connectMcp } from '../helpers/mcp-client.js';

const STDIO_SERVER = fileURLToPath(new URL('../fakes/mcp-stdio-server.js', import.meta.url));
const ADMIN = 'admin-' + 'token-0123456789';
const KEY_ALL = 'tg-' + 'mcp-all-0001';
const KEY_GROUP = 'tg-' + 'mcp-group-0002';
const KEY_NONE = 'tg-' + 'mcp-none-0003';
const KEY_TEAM = 'tg-' + 'mcp-team-0004';
const UPSTREAM_TOKEN = 'up-' + 'secret-0005';

let running: RunningGateway;
let search: Awaited<ReturnType<typeof startSearchServer>>;


function connect(key: string | undefined, path = '/mcp'): Promise<Client> {
  return connectMcp(running.url, key, path);
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('');
}

async function execute(key: string | undefined, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${running.url}/v1/mcp/tool/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

function toolCall(name: string, args: unknown, id = 'call_1') {
  return { id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } };
}

async function logs(query: string): Promise<any[]> {
  const response = await fetch(`${running.url}/admin/logs?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { logs: any[] }).logs;
}

before(async () => {
  search = await startSearchServer();
  process.env.TOLLGATE_TEST_MCP_TOKEN = UPSTREAM_TOKEN;
  running = await startGateway({
    admin: { token: ADMIN },
    providers: { mock: { type: 'mock', models: ['m'] } },
    mcp: {
      servers: {
        calc: { transport: 'stdio', command: process.execPath, args: [STDIO_SERVER] },
        search: { transport: 'http', url: search.url, headers: { 'x-upstream-token': '${TOLLGATE_TEST_MCP_TOKEN}' } },
      },
      groups: { research: ['search__*', 'calc__add'] },
    },
    teams: [{ id: 'analysts', mcp: { allow: ['search__*', 'calc__*'], block: ['calc__fail'] } }],
    virtual_keys: [
      { id: 'all', value: KEY_ALL, models: ['*'], mcp: { allow: ['*'], block: ['calc__read_*'] } },
      { id: 'grouped', value: KEY_GROUP, models: ['*'], mcp: { groups: ['research'] } },
      { id: 'none', value: KEY_NONE, models: ['*'] },
      { id: 'teamed', value: KEY_TEAM, team: 'analysts', models: ['*'], mcp: { allow: ['*'] } },
    ],
  });
  // Ready once both upstream servers are connected (the readiness check names the MCP servers).
  await eventually('readiness', async () => ((await fetch(`${running.url}/ready`)).status === 200 ? true : undefined));
});

after(async () => {
  await running?.close();
  await search?.close();
});

test('a key allowed everything but a block pattern lists the other tools of both servers and calls them', async () => {
  const client = await connect(KEY_ALL);
  const names = await toolNames(client);
  assert.deepEqual(names, ['calc__add', 'calc__crash', 'calc__fail', 'calc__grow', 'search__fetch_page', 'search__search']);
  const listed = (await client.listTools()).tools.find((tool) => tool.name === 'calc__add')!;
  assert.equal(listed.description, 'Adds two numbers');
  assert.deepEqual(Object.keys((listed.inputSchema as { properties: object }).properties).sort(), ['a', 'b']);
  assert.equal(textOf(await client.callTool({ name: 'calc__add', arguments: { a: 2, b: 40 } })), '42');
  // Secrets from the environment reach the upstream as configured headers.
  assert.equal(textOf(await client.callTool({ name: 'search__search', arguments: { query: 'mcp' } })), `results for mcp (token ${UPSTREAM_TOKEN})`);
  // A tool's own failure is its result, not a gateway error.
  const failed = await client.callTool({ name: 'calc__fail', arguments: {} });
  assert.equal(failed.isError, true);
  assert.equal(textOf(failed), 'the tool failed on purpose');
  await client.close();
});

test('a blocked tool is refused with an MCP error naming the tool and the pattern', async () => {
  const client = await connect(KEY_ALL);
  await assert.rejects(client.callTool({ name: 'calc__read_secrets', arguments: {} }), (error: Error) => {
    assert.match(error.message, /calc__read_secrets/);
    assert.match(error.message, /blocked by calc__read_\*/);
    assert.doesNotMatch(error.message, /MCP error.*MCP error/);
    return true;
  });
  await assert.rejects(client.callTool({ name: 'calc__nope', arguments: {} }), /calc__nope/);
  await client.close();
});

test('a key with a group sees the group tools, on /mcp and on /mcp/{group}; a key without the group is refused it', async () => {
  const client = await connect(KEY_GROUP);
  assert.deepEqual(await toolNames(client), ['calc__add', 'search__fetch_page', 'search__search']);
  await assert.rejects(client.callTool({ name: 'calc__fail', arguments: {} }), /calc__fail.*not allowed/);
  await client.close();
  const grouped = await connect(KEY_GROUP, '/mcp/research');
  assert.deepEqual(await toolNames(grouped), ['calc__add', 'search__fetch_page', 'search__search']);
  assert.equal(textOf(await grouped.callTool({ name: 'calc__add', arguments: { a: 1, b: 1 } })), '2');
  await grouped.close();
  // The all-key may use these tools, but the group is not attached to it.
  await assert.rejects(connect(KEY_ALL, '/mcp/research'), /403|group/);
  await assert.rejects(connect(KEY_GROUP, '/mcp/unknown'), /404|group/);
});

test('a key without an mcp section sees no tool and may call none; no key at all is refused', async () => {
  const client = await connect(KEY_NONE);
  assert.deepEqual(await toolNames(client), []);
  await assert.rejects(client.callTool({ name: 'calc__add', arguments: { a: 1, b: 2 } }), /calc__add.*no `mcp` section/);
  await client.close();
  await assert.rejects(connect(undefined), /401|virtual key/i);
  await assert.rejects(connect('tg-' + 'unknown-key'), /401|not valid/i);
});

test("a team's mcp section narrows its keys' tools", async () => {
  const client = await connect(KEY_TEAM);
  assert.deepEqual(await toolNames(client), ['calc__add', 'calc__crash', 'calc__grow', 'calc__read_notes', 'calc__read_secrets', 'search__fetch_page', 'search__search']);
  await assert.rejects(client.callTool({ name: 'calc__fail', arguments: {} }), /blocked by calc__fail \(team "analysts"\)/);
  await client.close();
});

test('POST /v1/mcp/tool/execute runs an OpenAI tool call with the caller key and its permissions', async () => {
  const ok = await execute(KEY_ALL, toolCall('calc__add', { a: 20, b: 22 }, 'call_abc'));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { role: 'tool', tool_call_id: 'call_abc', content: '42' });
  const blocked = await execute(KEY_ALL, toolCall('calc__read_notes', {}));
  assert.equal(blocked.status, 403);
  assert.equal(blocked.body.error.code, 'tool_not_allowed');
  assert.match(blocked.body.error.message, /calc__read_notes.*blocked by calc__read_\*/);
  const none = await execute(KEY_NONE, toolCall('calc__add', { a: 1, b: 2 }));
  assert.equal(none.status, 403);
  assert.equal((await execute(undefined, toolCall('calc__add', { a: 1, b: 2 }))).status, 401);
  const badArguments = await execute(KEY_ALL, toolCall('calc__add', '{not json'));
  assert.equal(badArguments.status, 400);
  assert.equal(badArguments.body.error.param, 'function.arguments');
  assert.equal((await execute(KEY_ALL, { id: 'x', type: 'function' })).status, 400);
  assert.equal((await execute(KEY_ALL, [1, 2])).status, 400);
  const unknown = await execute(KEY_ALL, toolCall('nowhere__tool', {}));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'tool_not_found');
});

test('each tool call is a request log record with operation mcp_tool_call and the tool', async () => {
  const executed = await execute(KEY_ALL, toolCall('search__fetch_page', { url: 'https://example.test' }));
  assert.equal(executed.status, 200);
  const client = await connect(KEY_GROUP, '/mcp/research');
  await client.callTool({ name: 'search__fetch_page', arguments: { url: 'https://example.test/2' } });
  await client.close();
  await execute(KEY_ALL, toolCall('calc__read_secrets', {}));
  const records = await eventually('the records', async () => {
    const found = await logs('model=search__fetch_page');
    return found.length >= 2 ? found : undefined;
  });
  for (const record of records) {
    assert.equal(record.operation, 'mcp_tool_call');
    assert.equal(record.tool, 'search__fetch_page');
    assert.equal(record.status, 200);
    assert.equal(typeof record.latency_ms, 'number');
  }
  assert.deepEqual(records.map((record) => `${record.surface}:${record.virtual_key_id}`).sort(), ['mcp:grouped', 'openai:all']);
  const refused = (await logs('model=calc__read_secrets')).find((record) => record.virtual_key_id === 'all' && record.surface === 'openai');
  assert.ok(refused, 'the refused call is logged');
  assert.equal(refused.tool, 'calc__read_secrets');
  assert.equal(refused.status, 403);
  assert.equal(refused.error_code, 'tool_not_allowed');
  // A refusal is also a `request.blocked` audit entry, as governance's refusals are.
  const audit = await eventually('the audit entry', async () => {
    const response = await fetch(`${running.url}/admin/audit?action=request.blocked`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const { entries } = (await response.json()) as { entries: any[] };
    return entries.find((entry) => entry.details?.code === 'tool_not_allowed' && entry.details?.model === 'calc__read_secrets');
  });
  assert.equal(audit.actor, 'key:all');
  // Metrics count tool calls by tool (the model label).
  const metrics = await (await fetch(`${running.url}/metrics`)).text();
  assert.match(metrics, /model="search__fetch_page"/);
  // No secret in the records.
  const text = JSON.stringify(await logs('limit=100'));
  for (const secret of [KEY_ALL, KEY_GROUP, UPSTREAM_TOKEN]) assert.ok(!text.includes(secret));
});

test('a tool added at run time appears after notifications/tools/list_changed', async () => {
  const client = await connect(KEY_ALL);
  assert.equal(textOf(await client.callTool({ name: 'calc__grow', arguments: {} })), 'grown');
  await eventually('calc__extra listed', async () => ((await toolNames(client)).includes('calc__extra') ? true : undefined));
  assert.equal(textOf(await client.callTool({ name: 'calc__extra', arguments: {} })), 'extra!');
  await client.close();
});

test('an upstream stdio server that crashes is started again; an HTTP server that comes back is reconnected', async () => {
  assert.equal((await execute(KEY_ALL, toolCall('calc__crash', {}))).status, 200);
  // The process exits; calls fail with a gateway error until the server is back, then succeed.
  const back = await eventually('calc back', async () => {
    const answer = await execute(KEY_ALL, toolCall('calc__add', { a: 3, b: 4 }));
    if (answer.status !== 200) assert.match(answer.body.error.code, /^tool_(server_unavailable|call_failed)$/);
    return answer.status === 200 ? answer : undefined;
  });
  assert.equal(back.body.content, '7');

  const port = search.port;
  await search.close();
  const down = await execute(KEY_ALL, toolCall('search__search', { query: 'x' }));
  assert.equal(down.status >= 500, true, JSON.stringify(down.body));
  search = await startSearchServer(port);
  const again = await eventually('search back', async () => {
    const answer = await execute(KEY_ALL, toolCall('search__search', { query: 'again' }));
    return answer.status === 200 ? answer : undefined;
  });
  assert.match(again.body.content, /results for again/);
  await eventually('ready again', async () => ((await fetch(`${running.url}/ready`)).status === 200 ? true : undefined));
});

test('malformed requests to /mcp get a clear error and the gateway keeps serving', async () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${running.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${KEY_ALL}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });
  const invalidJson = await post('{"jsonrpc": ');
  assert.equal(invalidJson.status, 400);
  assert.equal(((await invalidJson.json()) as any).error.code, 'invalid_json');
  const notJsonRpc = await post(JSON.stringify({ hello: 'world' }));
  assert.equal(notJsonRpc.status, 400);
  await notJsonRpc.body?.cancel();
  const wrongType = await post('x', { 'content-type': 'text/plain' });
  assert.equal(wrongType.status, 400);
  assert.equal(((await wrongType.json()) as any).error.code, 'invalid_json');
  const array = await post('[1, 2, 3]');
  assert.equal(array.status >= 400 && array.status < 500, true);
  await array.body?.cancel();
  const get = await fetch(`${running.url}/mcp`, { headers: { authorization: `Bearer ${KEY_ALL}` } });
  assert.equal(get.status, 405);
  await get.body?.cancel();
  const client = await connect(KEY_ALL);
  assert.ok((await toolNames(client)).includes('calc__add'));
  await client.close();
});
