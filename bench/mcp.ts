/**
 * `npm run bench:mcp`: the input tokens an agent spends on MCP tools, classic tool injection
 * against code mode, at Bifrost's published sizes (96 tools / 6 servers, 251 / 11, 508 / 16).
 *
 * For each size: generated MCP servers (mcp-servers.ts, official SDK over HTTP), a Tollgate with
 * them as upstream servers, a scripted model (mcp-model.ts) as its OpenAI-dialect provider, and
 * two virtual keys, one classic and one in code mode. The agent loop runs on the client side of
 * the gateway: it lists the key's tools at `/mcp` (official MCP client), sends chat requests to
 * `/v1/chat/completions` with them as OpenAI tools, runs each tool call through
 * `POST /v1/mcp/tool/execute`, and sends the results back, until the model answers. So every
 * model request goes through the gateway, and the model side counts what the gateway sent it.
 * A task passes when the answer is the number the bench computes from the tools' results.
 *
 * Options: --sizes 96,251,508 (a subset), --json (print the rows as JSON too).
 */
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { validateConfig } from '../src/config/load.js';
import { createLogger } from '../src/lib/logger.js';
import { createGateway } from '../src/server/gateway.js';
import { startScriptedModel, type ScriptedModel } from './mcp-model.js';
import { SIZES, startGeneratedServers } from './mcp-servers.js';
import { expectedAnswer, TASKS, type Task } from './mcp-tasks.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: SIZES.map((size) => size.tools).join(',') }, json: { type: 'boolean', default: false } } });

const MODEL = 'scripted-agent';
const CLASSIC_KEY = 'tg-bench-mcp-classic-key';
const CODE_KEY = 'tg-bench-mcp-code-key';
const MAX_TURNS = 10;
const SYSTEM_PROMPT = 'You are an operations assistant with access to company systems through tools. Use them to answer the question exactly. When you have the answer, reply with "ANSWER: <number>" and nothing else.';

/** Bifrost's published reductions (input tokens, classic → code mode), for the goal column. */
const BIFROST: Record<number, number> = { 96: 58, 251: 84.5, 508: 92.8 };

interface OpenAITool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

interface Row {
  tools: number;
  servers: number;
  mode: 'classic' | 'code';
  inputTokens: number;
  modelRequests: number;
  toolExecutions: number;
  passed: number;
}

async function listTools(gatewayUrl: string, key: string): Promise<OpenAITool[]> {
  const client = new Client({ name: 'bench-mcp', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  const { tools } = await client.listTools();
  await client.close();
  return tools.map((tool) => ({ type: 'function', function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.inputSchema } }));
}

async function post(url: string, key: string, body: unknown): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
  return answer;
}

/** One task through the client-side agent loop; true when the model's answer is the expected number. */
async function runTask(gatewayUrl: string, key: string, tools: OpenAITool[], task: Task, counts: { toolExecutions: number }): Promise<boolean> {
  const messages: Record<string, unknown>[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `Task ${task.id}: ${task.question}` },
  ];
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const completion = await post(`${gatewayUrl}/v1/chat/completions`, key, { model: MODEL, messages, tools });
    const message = completion.choices[0].message as { content: string | null; tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[] };
    messages.push({ role: 'assistant', content: message.content, ...(message.tool_calls === undefined ? {} : { tool_calls: message.tool_calls }) });
    if (message.tool_calls === undefined || message.tool_calls.length === 0) return message.content === `ANSWER: ${expectedAnswer(task)}`;
    const results = await Promise.all(message.tool_calls.map((call) => post(`${gatewayUrl}/v1/mcp/tool/execute`, key, call)));
    counts.toolExecutions += results.length;
    messages.push(...results);
  }
  return false;
}

async function runSize(size: { servers: number; tools: number }, model: ScriptedModel): Promise<Row[]> {
  const servers = await startGeneratedServers(size);
  const config = validateConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      storage: { type: 'memory' },
      logging: { level: 'error' },
      providers: { scripted: { type: 'openai', base_url: `${model.url}/v1`, keys: [{ id: 'scripted', value: 'sk-scripted-model' }], models: [MODEL] } },
      mcp: {
        servers: Object.fromEntries(Object.entries(servers.urls).map(([name, url]) => [name, { transport: 'http', url }])),
        code_mode: { enabled: true },
      },
      virtual_keys: [
        { id: 'classic-agent', value: CLASSIC_KEY, models: ['*'], mcp: { allow: ['*'] } },
        { id: 'code-agent', value: CODE_KEY, models: ['*'], mcp: { allow: ['*'], mode: 'code' } },
      ],
    },
    'bench:mcp config',
    process.env,
  );
  const gateway = await createGateway(config, { configSource: 'bench:mcp config', logger: createLogger({ level: 'error', write: (text) => process.stderr.write(text) }) });
  const { url } = await gateway.listen(0, '127.0.0.1');
  try {
    for (let attempt = 0; (await fetch(`${url}/ready`)).status !== 200; attempt++) {
      if (attempt > 100) throw new Error('the generated MCP servers never connected');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const rows: Row[] = [];
    for (const [mode, key] of [
      ['classic', CLASSIC_KEY],
      ['code', CODE_KEY],
    ] as const) {
      const tools = await listTools(url, key);
      if (mode === 'classic' && tools.length !== size.tools) throw new Error(`expected ${size.tools} tools at /mcp, got ${tools.length}`);
      model.reset();
      const counts = { toolExecutions: 0 };
      let passed = 0;
      for (const task of TASKS) if (await runTask(url, key, tools, task, counts)) passed++;
      const usage = model.usage();
      rows.push({ tools: size.tools, servers: size.servers, mode, inputTokens: usage.inputTokens, modelRequests: usage.requests, toolExecutions: counts.toolExecutions, passed });
    }
    return rows;
  } finally {
    await gateway.close();
    await servers.close();
  }
}

const format = (value: number) => value.toLocaleString('en-US');

async function main(): Promise<void> {
  const wanted = new Set(values.sizes.split(',').map((value) => Number(value.trim())));
  const model = await startScriptedModel();
  const rows: Row[] = [];
  try {
    for (const size of SIZES) if (wanted.has(size.tools)) rows.push(...(await runSize(size, model)));
  } finally {
    await model.close();
  }
  console.log(`MCP tools: classic injection vs code mode, ${TASKS.length} tasks (1-4 tool calls each), input tokens the gateway sent upstream (o200k_base)\n`);
  console.log('| Tools / servers | Classic: input tokens (requests) | Code mode: input tokens (requests) | Reduction | Bifrost | Tasks passed (classic / code) |');
  console.log('|---|---|---|---|---|---|');
  for (const size of SIZES) {
    const classic = rows.find((row) => row.tools === size.tools && row.mode === 'classic');
    const code = rows.find((row) => row.tools === size.tools && row.mode === 'code');
    if (classic === undefined || code === undefined) continue;
    const reduction = (1 - code.inputTokens / classic.inputTokens) * 100;
    console.log(`| ${size.tools} / ${size.servers} | ${format(classic.inputTokens)} (${classic.modelRequests}) | ${format(code.inputTokens)} (${code.modelRequests}) | −${reduction.toFixed(1)}% | −${BIFROST[size.tools]}% | ${classic.passed}/${TASKS.length} / ${code.passed}/${TASKS.length} |`);
  }
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  const failed = rows.filter((row) => row.passed !== TASKS.length);
  if (failed.length > 0) {
    console.error(`Not every task passed: ${failed.map((row) => `${row.tools} tools ${row.mode}: ${row.passed}/${TASKS.length}`).join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
