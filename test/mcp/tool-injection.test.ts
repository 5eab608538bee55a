import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { KEY_AGENT, KEY_ASKS, KEY_CODE, KEY_MATH, KEY_NEVER, startAgentWorld, type AgentWorld } from './agent-fixtures.js';

let world: AgentWorld;

before(async () => {
  world = await startAgentWorld();
});

after(async () => {
  await world?.close();
});

beforeEach(() => {
  world.openai.requests.length = 0;
  world.anthropic.requests.length = 0;
});

function openai(key: string, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${world.running.url}/v1`, maxRetries: 0, defaultHeaders: headers });
}

/** The function tools the OpenAI fake received: name → description and parameters. */
function openaiTools(index = 0): Map<string, { description?: string; parameters?: any }> {
  const body = world.openai.requests[index]!.body as { tools?: { function: { name: string; description?: string; parameters?: unknown } }[] };
  return new Map((body.tools ?? []).map((tool) => [tool.function.name, { description: tool.function.description, parameters: tool.function.parameters }]));
}

const AGENT_OFF = { 'x-tollgate-mcp-agent': 'off' };

test('a key with injection on gets its allowed tools added to chat requests, after its own; a name it uses stays its own', async () => {
  const { data } = await openai(KEY_AGENT, AGENT_OFF)
    .chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        { type: 'function', function: { name: 'my_tool', description: 'Mine', parameters: { type: 'object', properties: {} } } },
        { type: 'function', function: { name: 'calc__lookup', description: 'My own lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } },
      ],
    })
    .withResponse();
  assert.equal(data.choices[0]!.message.content, 'Hello from the fake upstream.');
  const tools = openaiTools();
  assert.deepEqual([...tools.keys()], ['my_tool', 'calc__lookup', 'calc__add', 'calc__fail', 'calc__slow', 'calc__together']);
  assert.equal(tools.get('calc__lookup')!.description, 'My own lookup');
  assert.equal(tools.get('calc__add')!.description, 'Adds two numbers');
  assert.deepEqual(Object.keys(tools.get('calc__add')!.parameters.properties).sort(), ['a', 'b']);
});

test('Anthropic Messages requests get the tools too, in the upstream dialect', async () => {
  const client = new Anthropic({ apiKey: KEY_AGENT, baseURL: `${world.running.url}/anthropic`, maxRetries: 0, defaultHeaders: AGENT_OFF });
  const message = await client.messages.create({ model: 'claude-test', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(message.type, 'message');
  const body = world.anthropic.requests[0]!.body as { tools: { name: string; description?: string; input_schema: any }[] };
  assert.deepEqual(body.tools.map((tool) => tool.name), ['calc__add', 'calc__fail', 'calc__slow', 'calc__together', 'calc__lookup']);
  assert.deepEqual(Object.keys(body.tools[0]!.input_schema.properties).sort(), ['a', 'b']);
  // An OpenAI caller routed to Anthropic gets them as Anthropic tools as well.
  await openai(KEY_AGENT, AGENT_OFF).chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal((world.anthropic.requests[1]!.body as { tools: unknown[] }).tools.length, 5);
});

test('a key in code mode gets the four code-mode meta-tools injected instead of the tools themselves', async () => {
  await openai(KEY_CODE, AGENT_OFF).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual([...openaiTools().keys()].sort(), ['execute_code', 'get_tool_docs', 'list_tool_files', 'read_tool_file']);
});

test('Responses requests get the tools', async () => {
  await openai(KEY_AGENT, AGENT_OFF).responses.create({ model: 'gpt-test', input: 'hi' });
  assert.ok(openaiTools().has('calc__add'));
});

test('x-tollgate-mcp-tools chooses: all, none, or a group the key has', async () => {
  // No injection by default for this key; the header asks for it.
  await openai(KEY_ASKS).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(openaiTools(0).size, 0);
  await openai(KEY_ASKS, { ...AGENT_OFF, 'x-tollgate-mcp-tools': 'all' }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(openaiTools(1).size, 5);
  await openai(KEY_AGENT, { 'x-tollgate-mcp-tools': 'none' }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(openaiTools(2).size, 0);
  await openai(KEY_MATH, { 'x-tollgate-mcp-tools': 'math', ...AGENT_OFF }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual([...openaiTools(3).keys()], ['calc__add']);
});

test('a group the key lacks is refused (403), an unknown one not found (404); a key with injection off is told the header is ignored', async () => {
  await assert.rejects(openai(KEY_AGENT, { 'x-tollgate-mcp-tools': 'math' }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }), (error: InstanceType<typeof OpenAI.APIError>) => {
    assert.equal(error.status, 403);
    assert.match(error.message, /does not have the MCP tool group "math"/);
    return true;
  });
  await assert.rejects(openai(KEY_AGENT, { 'x-tollgate-mcp-tools': 'nope' }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }), (error: InstanceType<typeof OpenAI.APIError>) => error.status === 404);
  assert.equal(world.openai.requests.length, 0);
  const { response } = await openai(KEY_NEVER, { 'x-tollgate-mcp-tools': 'all' }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  assert.equal(openaiTools(0).size, 0);
  assert.match(response.headers.get('x-tollgate-warning') ?? '', /injection is off for this key/);
});
