import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { validateConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startSearchServer } from '../fakes/mcp-tool-servers.js';
import { eventually } from '../helpers/eventually.js';
import { connectMcp } from '../helpers/mcp-client.js';

const STDIO_SERVER = fileURLToPath(new URL('../fakes/mcp-stdio-server.js', import.meta.url));
const ADMIN = 'admin-' + 'token-code-mode-01';
const KEY_CODE = 'tg-' + 'code-mode-0001';
const KEY_CLASSIC = 'tg-' + 'classic-0002';
const KEY_GROUP_CODE = 'tg-' + 'code-group-0003';
const KEY_TEAM_CODE = 'tg-' + 'code-team-0004';
const KEY_TEAM_CLASSIC = 'tg-' + 'classic-team-0005';

let running: RunningGateway;
let search: Awaited<ReturnType<typeof startSearchServer>>;


function connect(key: string, path = '/mcp'): Promise<Client> {
  return connectMcp(running.url, key, path);
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('');
}

/** Runs code through `execute_code` at `/mcp` and reads its JSON answer. */
async function execute(client: Client, code: string): Promise<{ isError: boolean; body: { result?: unknown; error?: string; console?: string[] } }> {
  const result = await client.callTool({ name: 'execute_code', arguments: { code } });
  return { isError: result.isError === true, body: JSON.parse(textOf(result)) as { result?: unknown; error?: string; console?: string[] } };
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
    providers: { mock: { type: 'mock', models: ['m'] } },
    mcp: {
      servers: {
        calc: { transport: 'stdio', command: process.execPath, args: [STDIO_SERVER] },
        search: { transport: 'http', url: search.url },
      },
      groups: { research: ['search__*'] },
      code_mode: { enabled: true, timeout_ms: 3000, cpu_ms: 500, memory_mb: 32, max_tool_calls: 20 },
    },
    teams: [{ id: 'coders', mcp: { allow: ['*'], mode: 'code' } }],
    virtual_keys: [
      { id: 'team-coder', value: KEY_TEAM_CODE, team: 'coders', models: ['*'], mcp: { allow: ['calc__add'] } },
      { id: 'team-classic', value: KEY_TEAM_CLASSIC, team: 'coders', models: ['*'], mcp: { allow: ['calc__add'], mode: 'classic' } },
      { id: 'coder', value: KEY_CODE, models: ['*'], mcp: { allow: ['*'], block: ['calc__read_*', 'calc__crash', 'calc__grow'], mode: 'code' } },
      { id: 'classic', value: KEY_CLASSIC, models: ['*'], mcp: { allow: ['*'] } },
      { id: 'group-coder', value: KEY_GROUP_CODE, models: ['*'], mcp: { groups: ['research'], mode: 'code' } },
    ],
  });
  await eventually('readiness', async () => ((await fetch(`${running.url}/ready`)).status === 200 ? true : undefined));
});

after(async () => {
  await running?.close();
  await search?.close();
});

test('a key in code mode lists the four meta-tools at /mcp; a classic key lists the tools', async () => {
  const coder = await connect(KEY_CODE);
  assert.deepEqual((await coder.listTools()).tools.map((tool) => tool.name), ['list_tool_files', 'read_tool_file', 'get_tool_docs', 'execute_code']);
  await coder.close();
  const classic = await connect(KEY_CLASSIC);
  assert.ok((await classic.listTools()).tools.some((tool) => tool.name === 'calc__add'));
  await classic.close();
});

test("a key without a mode takes its team's; a key's own mode wins", async () => {
  const teamCoder = await connect(KEY_TEAM_CODE);
  assert.deepEqual((await teamCoder.listTools()).tools.map((tool) => tool.name), ['list_tool_files', 'read_tool_file', 'get_tool_docs', 'execute_code']);
  assert.equal(textOf(await teamCoder.callTool({ name: 'list_tool_files', arguments: {} })), 'servers/calc.d.ts (1 tool)');
  await teamCoder.close();
  const teamClassic = await connect(KEY_TEAM_CLASSIC);
  assert.deepEqual((await teamClassic.listTools()).tools.map((tool) => tool.name), ['calc__add']);
  await teamClassic.close();
});

test('code mode lists tool files, reads one as a TypeScript declaration, and documents one tool', async () => {
  const client = await connect(KEY_CODE);
  const files = textOf(await client.callTool({ name: 'list_tool_files', arguments: {} }));
  assert.match(files, /^servers\/calc\.d\.ts \(2 tools\)$/m);
  assert.match(files, /^servers\/search\.d\.ts \(2 tools\)$/m);
  const declaration = textOf(await client.callTool({ name: 'read_tool_file', arguments: { path: 'servers/calc.d.ts' } }));
  assert.match(declaration, /interface Servers \{/);
  assert.match(declaration, /\/\*\* Adds two numbers \*\/\n\s+add\(args: \{\n\s+a: number;\n\s+b: number;\n\s+\}\): Promise<any>;/);
  // Blocked tools are not declared.
  assert.doesNotMatch(declaration, /read_secrets|crash/);
  const docs = textOf(await client.callTool({ name: 'get_tool_docs', arguments: { tool: 'servers.search.search' } }));
  assert.match(docs, /Searches the web/);
  assert.match(docs, /search\(args: \{\n\s+query: string;/);
  const missing = await client.callTool({ name: 'read_tool_file', arguments: { path: 'servers/nope.d.ts' } });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /No file "servers\/nope\.d\.ts"\. The files are: servers\/calc\.d\.ts, servers\/search\.d\.ts/);
  await client.close();
});

test('execute_code runs TypeScript that calls two tools, returns a value and captures console output; each call is logged', async () => {
  const client = await connect(KEY_CODE);
  const { isError, body } = await execute(
    client,
    `interface Sum { total: number }
const first: number = await servers.calc.add({ a: 2, b: 3 });
const [second, found] = await Promise.all([servers.calc.add({ a: first, b: 10 }), servers.search.search({ query: 'code mode' })]);
console.log('sum is', second, { first });
const answer: Sum = { total: second };
return { ...answer, found };`,
  );
  assert.equal(isError, false, JSON.stringify(body));
  assert.deepEqual(body, { result: { total: 15, found: 'results for code mode (token none)' }, console: ['sum is 15 {"first":5}'] });
  await client.close();
  const records = await eventually('the tool call records', async () => {
    const found = (await logs('key_id=coder&limit=50')).filter((record) => record.operation === 'mcp_tool_call');
    return found.filter((record) => record.tool === 'calc__add').length >= 2 && found.some((record) => record.tool === 'search__search') && found.some((record) => record.tool === 'execute_code') ? found : undefined;
  });
  for (const record of records.filter((one) => one.tool === 'calc__add')) assert.equal(record.status, 200);
});

test('a tool the key may not use is refused inside the code with the rule, and the refusal is logged', async () => {
  const client = await connect(KEY_CODE);
  const refused = await execute(client, 'return await servers.calc.read_secrets({});');
  assert.equal(refused.isError, true);
  assert.match(refused.body.error!, /Tool `calc__read_secrets` is blocked by calc__read_\* \(virtual key "coder"\)/);
  const caught = await execute(client, "try { await servers.calc.read_notes(); return 'read'; } catch (error) { return String(error.message); }");
  assert.equal(caught.isError, false);
  assert.match(String(caught.body.result), /blocked by calc__read_\*/);
  // A tool's own failure (isError) throws too.
  const failed = await execute(client, 'return await servers.calc.fail({});');
  assert.match(failed.body.error!, /calc__fail failed: the tool failed on purpose/);
  await client.close();
  await eventually('the refusal record', async () => ((await logs('key_id=coder&limit=50')).some((record) => record.tool === 'calc__read_secrets' && record.error_code === 'tool_not_allowed') ? true : undefined));
});

test('a group key in code mode sees only the group tools in its files and code', async () => {
  const client = await connect(KEY_GROUP_CODE);
  const files = textOf(await client.callTool({ name: 'list_tool_files', arguments: {} }));
  assert.equal(files, 'servers/search.d.ts (2 tools)');
  const refused = await execute(client, 'return await servers.calc.add({ a: 1, b: 2 });');
  assert.match(refused.body.error!, /calc__add.*not allowed/);
  await client.close();
});

test('escape attempts are contained and reported as tool errors, and the gateway keeps serving', async () => {
  const client = await connect(KEY_CODE);
  const attempts: [string, string, RegExp][] = [
    ['network', 'return await fetch("http://127.0.0.1/")', /ReferenceError: 'fetch' is not defined/],
    ['require', 'return require("node:fs").readFileSync("/etc/passwd", "utf8")', /ReferenceError: 'require' is not defined/],
    ['process', 'return process.env', /ReferenceError: 'process' is not defined/],
    ['dynamic import', 'const fs = await import("node:fs"); return fs.readFileSync("/etc/passwd", "utf8")', /could not load module 'node:fs'/],
    ['static import', 'import { readFileSync } from "node:fs";\nreturn readFileSync("/etc/passwd", "utf8");', /SyntaxError/],
    ['constructor of the host bridge', 'return servers.calc.add.constructor.constructor("return process")().env', /'process' is not defined|not a function/],
    ['global of a bridge function', 'const global = console.log.constructor("return this")(); return typeof global.process + "," + typeof global.require', /^$/],
    ['prototype pollution of the bridge', 'Object.prototype.polluted = 1; Function.prototype.call = null; JSON.parse = () => 0; JSON.stringify = () => "0"; servers.calc = null; delete servers.calc; return await servers.calc.add({ a: 1, b: 1 })', /^$/],
    ['infinite loop', 'while (true) {}', /TimeoutError: the code used more than its 500 ms of CPU time/],
    ['infinite async loop', 'for (;;) { await Promise.resolve(); }', /TimeoutError: the code used more than its 500 ms of CPU time/],
    ['memory bomb', 'const keep = []; for (;;) keep.push("x".repeat(1_000_000) + keep.length);', /out of memory/],
    ['string doubling', 'let text = "x"; for (;;) text += text;', /out of memory|string too long/],
    ['deep recursion', 'const down = (n: number): number => down(n + 1) + 1; return down(0);', /stack overflow/],
    ['huge output', 'return "x".repeat(5_000_000);', /RangeError: the returned value is \d+ characters/],
    ['too many tool calls', 'for (let i = 0; i < 50; i++) await servers.calc.add({ a: i, b: 1 });', /more than 20 tool calls/],
    ['a promise that never settles', 'await new Promise(() => {});', /never settles/],
    ['timers', 'await new Promise((resolve) => setTimeout(resolve, 10));', /'setTimeout' is not defined/],
  ];
  for (const [what, code, expected] of attempts) {
    const outcome = await execute(client, code);
    if (expected.source === '^$') {
      // Tricks that only reach the sandbox's own objects: they run, see nothing of the host.
      assert.equal(outcome.isError, false, `${what}: ${JSON.stringify(outcome.body)}`);
      assert.ok(outcome.body.result === 'undefined,undefined' || outcome.body.result === 2, `${what}: ${JSON.stringify(outcome.body)}`);
      continue;
    }
    assert.equal(outcome.isError, true, `${what} was not refused: ${JSON.stringify(outcome.body)}`);
    assert.match(outcome.body.error!, expected, what);
  }
  // Huge console output is cut, not an error.
  const chatty = await execute(client, 'for (let i = 0; i < 20_000; i++) console.log("line", i, "y".repeat(50)); return "done";');
  assert.equal(chatty.body.result, 'done');
  assert.match(chatty.body.console!.at(-1)!, /console output cut at 20000 characters/);
  // The host is untouched and still serves, in code mode and classic.
  assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  const after = await execute(client, 'return await servers.calc.add({ a: 40, b: 2 });');
  assert.deepEqual(after.body, { result: 42 });
  await client.close();
  assert.equal((await fetch(`${running.url}/health`)).status, 200);
  const classic = await connect(KEY_CLASSIC);
  assert.equal(textOf(await classic.callTool({ name: 'calc__add', arguments: { a: 1, b: 2 } })), '3');
  await classic.close();
});

test('POST /v1/mcp/tool/execute runs a meta-tool call for a key in code mode', async () => {
  const response = await fetch(`${running.url}/v1/mcp/tool/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_CODE}` },
    body: JSON.stringify({ id: 'call_7', type: 'function', function: { name: 'execute_code', arguments: JSON.stringify({ code: 'return await servers.calc.add({ a: 20, b: 22 })' }) } }),
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { role: 'tool', tool_call_id: 'call_7', content: '{"result":42}' });
  // An upstream tool by name is not a tool in code mode: the answer says where tools are.
  const direct = await fetch(`${running.url}/v1/mcp/tool/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_CODE}` },
    body: JSON.stringify({ id: 'call_8', type: 'function', function: { name: 'calc__add', arguments: '{"a":1,"b":2}' } }),
  });
  assert.equal(direct.status, 404);
  assert.match(((await direct.json()) as { error: { message: string } }).error.message, /code mode.*execute_code/);
});

test('mode: code without code_mode.enabled is a config error naming the path and the fix', () => {
  assert.throws(
    () => validateConfig({ providers: { mock: { type: 'mock', models: ['m'] } }, mcp: { servers: {} }, virtual_keys: [{ id: 'k', value: 'tg-k-000000000001', models: ['*'], mcp: { allow: ['*'], mode: 'code' } }] }, 'test config', {}),
    (error: Error) => /virtual_keys\.0\.mcp\.mode|virtual_keys\[0\]\.mcp\.mode/.test(error.message) && /mcp\.code_mode\.enabled: true/.test(error.message),
  );
});
