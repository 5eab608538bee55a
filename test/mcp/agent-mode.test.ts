import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeReply } from '../fakes/fake-upstream.js';
import { ADMIN, concurrency, eventually, KEY_AGENT, KEY_SMALL, logRecords, startAgentWorld, type AgentWorld } from './agent-fixtures.js';

let world: AgentWorld;
let client: OpenAI;

before(async () => {
  world = await startAgentWorld();
  client = new OpenAI({ apiKey: KEY_AGENT, baseURL: `${world.running.url}/v1`, maxRetries: 0 });
});

after(async () => {
  await world?.close();
});

beforeEach(() => {
  world.openai.requests.length = 0;
  world.anthropic.requests.length = 0;
});

function callsTool(name: string, args: unknown, id = 'call_1', text?: string): FakeReply {
  return { ...(text === undefined ? {} : { text }), toolCalls: [{ id, name, arguments: JSON.stringify(args) }], finish: 'tool-calls', usage: { input: 10, output: 5 } };
}

const answers = (text: string): FakeReply => ({ text, finish: 'stop', usage: { input: 20, output: 4 } });

const ask = (content: string) => [{ role: 'user' as const, content }];

test('agent mode runs an auto-executable tool call, feeds the result back and answers with the trail (non-streamed)', async () => {
  world.openai.enqueue(callsTool('calc__add', { a: 2, b: 3 }, 'call_1', 'Let me add.'), answers('The sum is 5.'));
  const { data, response } = await client.chat.completions.create({ model: 'gpt-test', messages: ask('what is 2+3?') }).withResponse();
  assert.equal(data.choices[0]!.message.content, 'The sum is 5.');
  assert.equal(data.choices[0]!.finish_reason, 'stop');
  assert.equal(data.choices[0]!.message.tool_calls, undefined);
  assert.deepEqual((data as any).tollgate_agent, {
    turns: 2,
    stopped: 'answered',
    steps: [
      { type: 'text', text: 'Let me add.' },
      { type: 'tool_call', id: 'call_1', name: 'calc__add', arguments: '{"a":2,"b":3}' },
      { type: 'tool_result', tool_call_id: 'call_1', name: 'calc__add', content: '5', is_error: false },
    ],
  });
  // Usage and cost are the two turns' together: (10 + 5 + 20 + 4) tokens at $1000 per million.
  assert.deepEqual([data.usage?.prompt_tokens, data.usage?.completion_tokens], [30, 9]);
  assert.equal(response.headers.get('x-tollgate-cost'), '0.039');
  // The second model call carries the call and its result.
  assert.equal(world.openai.requests.length, 2);
  const second = world.openai.requests[1]!.summary!.messages;
  assert.deepEqual(second.at(-2)!.toolCalls, [{ id: 'call_1', name: 'calc__add', arguments: { a: 2, b: 3 } }]);
  assert.deepEqual({ role: second.at(-1)!.role, id: second.at(-1)!.toolCallId, text: second.at(-1)!.text }, { role: 'tool', id: 'call_1', text: '5' });
});

test('each turn is a request of its own (governed, priced, logged) and each tool call an mcp_tool_call record, all linked to the request', async () => {
  const before = await usage();
  const metricsBefore = await metricsOfKey();
  world.openai.enqueue(callsTool('calc__add', { a: 1, b: 1 }), answers('2.'));
  const { response } = await client.chat.completions.create({ model: 'gpt-test', messages: ask('1+1?') }).withResponse();
  const id = response.headers.get('x-request-id')!;
  const records = await eventually(async () => {
    const found = (await logRecords(world)).filter((record) => record.request_id === id || record.parent_request_id === id);
    return found.length === 4 ? found : undefined;
  });
  const byId = new Map(records.map((record) => [record.request_id, record]));
  assert.equal(byId.get(id)!.cost_exact, '0.039');
  assert.deepEqual([byId.get(`${id}.1`)!.cost_exact, byId.get(`${id}.2`)!.cost_exact], ['0.015', '0.024']);
  assert.ok(byId.get(`${id}.1`)!.charged_nano_usd > 0 && byId.get(`${id}.2`)!.charged_nano_usd > 0);
  const tool = byId.get(`${id}.tool-1`)!;
  assert.deepEqual({ operation: tool.operation, tool: tool.tool, key: tool.virtual_key_id, status: tool.status }, { operation: 'mcp_tool_call', tool: 'calc__add', key: 'agent', status: 200 });
  // The budget was charged for both turns.
  const spent = (await usage()) - before;
  assert.ok(Math.abs(spent - 0.039) < 1e-9, `spent ${spent}`);
  // Log aggregates count the request once (its turns' cost is in it), not the request and its turns.
  const from = new Date(Date.parse(byId.get(id)!.timestamp) - 1).toISOString();
  const aggregate = await fetch(`${world.running.url}/admin/logs/aggregate?request_id=${id}&from=${from}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const totals = ((await aggregate.json()) as { rows: { requests: number; cost_usd: number }[] }).rows[0]!;
  assert.equal(totals.requests, 1);
  assert.equal(totals.cost_usd, 0.039);
  // So do the metrics: the request's cost and tokens once, not again for each turn.
  const metricsAfter = await metricsOfKey();
  assert.ok(Math.abs(metricsAfter.cost - metricsBefore.cost - 0.039) < 1e-9, `metrics cost grew by ${metricsAfter.cost - metricsBefore.cost}`);
  assert.equal(metricsAfter.inputTokens - metricsBefore.inputTokens, 30);
});

/** The agent key's cost and input tokens in /metrics. */
async function metricsOfKey(): Promise<{ cost: number; inputTokens: number }> {
  const text = await (await fetch(`${world.running.url}/metrics`)).text();
  const sum = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
  return {
    cost: sum(/^tollgate_cost_usd_total\{virtual_key_id="agent"[^}]*\} (\S+)$/gm),
    inputTokens: sum(/^tollgate_tokens_total\{type="input",virtual_key_id="agent"[^}]*\} (\S+)$/gm),
  };
}

async function usage(): Promise<number> {
  const response = await fetch(`${world.running.url}/admin/keys/agent/usage`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await response.json()) as { budgets: { spent_usd: number }[] };
  return body.budgets[0]!.spent_usd;
}

test('streamed through the openai client: the text, each tool call and result as they happen, then the next turn', async () => {
  world.openai.enqueue(callsTool('calc__add', { a: 2, b: 3 }, 'call_1', 'Let me add.'), answers('The sum is 5.'));
  const stream = await client.chat.completions.create({ model: 'gpt-test', messages: ask('what is 2+3?'), stream: true, stream_options: { include_usage: true } });
  const events: string[] = [];
  let cost: unknown;
  for await (const chunk of stream) {
    const step = (chunk as any).tollgate_agent;
    if (step !== undefined) events.push(`${step.type}:${step.name}:${step.type === 'tool_call' ? step.arguments : step.content}`);
    const delta = chunk.choices[0]?.delta;
    if (delta?.content) events.push(`text:${delta.content}`);
    if (delta?.tool_calls) events.push('caller-tool-call');
    if (chunk.choices[0]?.finish_reason) events.push(`finish:${chunk.choices[0].finish_reason}`);
    if (chunk.usage) cost = (chunk.usage as any).x_tollgate_cost;
  }
  // Both turns' text, in one message's content.
  assert.equal(events.filter((event) => event.startsWith('text:')).map((event) => event.slice(5)).join(''), 'Let me add.The sum is 5.');
  assert.deepEqual(
    events.filter((event) => !event.startsWith('text:')),
    ['tool_call:calc__add:{"a":2,"b":3}', 'tool_result:calc__add:5', 'finish:stop'],
  );
  // The tool call comes after the first turn's text and before the second's.
  const callAt = events.indexOf('tool_call:calc__add:{"a":2,"b":3}');
  assert.ok(events.slice(0, callAt).some((event) => event.startsWith('text:')));
  assert.ok(events.slice(callAt).some((event) => event.startsWith('text:')));
  assert.equal(cost, '0.039');
});

test('the openai client’s stream helper assembles the agent stream into one ordinary answer', async () => {
  world.openai.enqueue(callsTool('calc__add', { a: 2, b: 3 }), answers('The sum is 5.'));
  const final = await client.chat.completions.stream({ model: 'gpt-test', messages: ask('what is 2+3?') }).finalChatCompletion();
  assert.equal(final.choices[0]!.message.content, 'The sum is 5.');
  assert.equal(final.choices[0]!.finish_reason, 'stop');
  assert.deepEqual(final.choices[0]!.message.tool_calls ?? [], []);
});

test('streamed through the @anthropic-ai/sdk client: mcp_tool_use and mcp_tool_result blocks between the turns’ text', async () => {
  world.anthropic.enqueue(callsTool('calc__add', { a: 2, b: 3 }, 'toolu_1', 'Let me add.'), answers('The sum is 5.'));
  const anthropic = new Anthropic({ apiKey: KEY_AGENT, baseURL: `${world.running.url}/anthropic`, maxRetries: 0 });
  const stream = anthropic.messages.stream({ model: 'claude-test', max_tokens: 200, messages: ask('what is 2+3?') });
  const started: string[] = [];
  stream.on('streamEvent', (event) => {
    if (event.type === 'content_block_start') started.push(event.content_block.type);
  });
  const message = await stream.finalMessage();
  assert.deepEqual(started, ['text', 'mcp_tool_use', 'mcp_tool_result', 'text']);
  const blocks = message.content as any[];
  assert.deepEqual(blocks.map((block) => block.type), ['text', 'mcp_tool_use', 'mcp_tool_result', 'text']);
  assert.equal(blocks[0].text, 'Let me add.');
  assert.deepEqual({ id: blocks[1].id, name: blocks[1].name, server: blocks[1].server_name, input: blocks[1].input }, { id: 'toolu_1', name: 'calc__add', server: 'tollgate', input: { a: 2, b: 3 } });
  assert.deepEqual({ id: blocks[2].tool_use_id, error: blocks[2].is_error, content: blocks[2].content }, { id: 'toolu_1', error: false, content: [{ type: 'text', text: '5' }] });
  assert.equal(blocks[3].text, 'The sum is 5.');
  assert.equal(message.stop_reason, 'end_turn');
  assert.deepEqual([message.usage.input_tokens, message.usage.output_tokens], [30, 9]);
  // The second call to Anthropic carries the tool_use and its tool_result.
  const second = world.anthropic.requests[1]!.summary!.messages;
  assert.deepEqual(second.at(-1), { role: 'tool', text: '5', images: [], toolCalls: [], toolCallId: 'toolu_1' });
});

test('a whole Anthropic answer has the trail as content blocks', async () => {
  world.anthropic.enqueue(callsTool('calc__add', { a: 2, b: 3 }, 'toolu_1'), answers('5.'));
  const anthropic = new Anthropic({ apiKey: KEY_AGENT, baseURL: `${world.running.url}/anthropic`, maxRetries: 0 });
  const message = await anthropic.messages.create({ model: 'claude-test', max_tokens: 200, messages: ask('2+3?') });
  assert.deepEqual((message.content as any[]).map((block) => block.type), ['mcp_tool_use', 'mcp_tool_result', 'text']);
});

test('a Responses answer has the calls as mcp_call items', async () => {
  world.openai.enqueue(callsTool('calc__add', { a: 2, b: 3 }), answers('5.'));
  const response = await client.responses.create({ model: 'gpt-test', input: '2+3?' });
  const items = response.output as any[];
  assert.deepEqual(items.map((item) => item.type), ['mcp_call', 'message']);
  assert.deepEqual({ name: items[0].name, output: items[0].output, status: items[0].status, server: items[0].server_label }, { name: 'calc__add', output: '5', status: 'completed', server: 'tollgate' });
  assert.equal(response.output_text, '5.');
  // The items go back into the conversation: as a previous response, or sent again as input.
  world.openai.enqueue(answers('10.'), answers('15.'));
  await client.responses.create({ model: 'gpt-test', input: 'and doubled?', previous_response_id: response.id });
  await client.responses.create({ model: 'gpt-test', input: [{ role: 'user', content: '2+3?' }, ...(response.output as any[]), { role: 'user', content: 'and tripled?' }] });
  for (const request of world.openai.requests.slice(2)) {
    const messages = request.summary!.messages;
    assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant', 'tool', 'assistant', 'user']);
    assert.equal(messages[1]!.toolCalls[0]!.name, 'calc__add');
    assert.equal(messages[2]!.text, '5');
  }
});

test('a streamed Responses answer shows each call as an mcp_call item with its events', async () => {
  world.openai.enqueue(callsTool('calc__add', { a: 2, b: 3 }, 'call_1', 'Let me add.'), answers('5.'));
  const stream = await client.responses.create({ model: 'gpt-test', input: '2+3?', stream: true });
  const seen: string[] = [];
  let completed: any;
  for await (const event of stream) {
    if (event.type === 'response.output_item.added') seen.push(`added:${event.item.type}`);
    else if (event.type === 'response.output_item.done') seen.push(`done:${event.item.type}`);
    else if ((event.type as string).startsWith('response.mcp_call.')) seen.push(event.type);
    else if (event.type === 'response.completed') completed = event.response;
  }
  assert.deepEqual(seen, ['added:message', 'done:message', 'added:mcp_call', 'response.mcp_call.in_progress', 'response.mcp_call.completed', 'done:mcp_call', 'added:message', 'done:message']);
  assert.deepEqual(completed.output.map((item: any) => item.type), ['message', 'mcp_call', 'message']);
  assert.equal(completed.output[1].output, '5');
  assert.deepEqual([completed.output[0].content[0].text, completed.output[2].content[0].text], ['Let me add.', '5.']);
});

test('parallel tool calls run at the same time', async () => {
  concurrency.most = 0;
  world.openai.enqueue(
    { toolCalls: [{ id: 'call_a', name: 'calc__together', arguments: '{}' }, { id: 'call_b', name: 'calc__together', arguments: '{}' }], finish: 'tool-calls', usage: { input: 10, output: 5 } },
    answers('done'),
  );
  const { data } = await client.chat.completions.create({ model: 'gpt-test', messages: ask('go') }).withResponse();
  const results = ((data as any).tollgate_agent.steps as any[]).filter((step) => step.type === 'tool_result');
  assert.deepEqual(results.map((step) => [step.tool_call_id, step.content]), [['call_a', 'together'], ['call_b', 'together']]);
  const fed = world.openai.requests[1]!.summary!.messages.filter((message) => message.role === 'tool');
  assert.deepEqual(fed.map((message) => message.toolCallId), ['call_a', 'call_b']);
});

test('a call to a tool that is not auto-executable ends the loop and reaches the caller as a normal tool call', async () => {
  world.openai.enqueue(callsTool('calc__lookup', { term: 'x' }, 'call_9'));
  const { data } = await client.chat.completions.create({ model: 'gpt-test', messages: ask('look up x') }).withResponse();
  assert.equal(data.choices[0]!.finish_reason, 'tool_calls');
  assert.deepEqual(data.choices[0]!.message.tool_calls!.map((call) => [call.id, (call as any).function.name]), [['call_9', 'calc__lookup']]);
  assert.deepEqual((data as any).tollgate_agent, { turns: 1, stopped: 'tool_not_auto', steps: [] });
  assert.equal(world.openai.requests.length, 1);
  // Streamed, the caller gets it as an ordinary tool call delta.
  world.openai.enqueue(callsTool('calc__lookup', { term: 'x' }, 'call_9'));
  const final = await client.chat.completions.stream({ model: 'gpt-test', messages: ask('look up x') }).finalChatCompletion();
  assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
  assert.equal(final.choices[0]!.message.tool_calls![0]!.function.name, 'calc__lookup');
});

test('the loop stops after max_depth rounds with the model’s last answer as it is', async () => {
  world.openai.enqueue(callsTool('calc__add', { a: 1, b: 1 }, 'c1'), callsTool('calc__add', { a: 2, b: 2 }, 'c2'), callsTool('calc__add', { a: 3, b: 3 }, 'c3'));
  const { data } = await client.chat.completions.create({ model: 'gpt-test', messages: ask('keep adding') }).withResponse();
  assert.equal(world.openai.requests.length, 3);
  const trail = (data as any).tollgate_agent;
  assert.equal(trail.stopped, 'max_depth');
  assert.equal(trail.turns, 3);
  assert.deepEqual(trail.steps.filter((step: any) => step.type === 'tool_result').map((step: any) => step.content), ['2', '4']);
  assert.equal(data.choices[0]!.finish_reason, 'tool_calls');
  assert.equal(data.choices[0]!.message.tool_calls![0]!.id, 'c3');
});

test('a failing tool and a tool that times out are fed back to the model as errors', async () => {
  world.openai.enqueue(
    { toolCalls: [{ id: 'f1', name: 'calc__fail', arguments: '{}' }, { id: 's1', name: 'calc__slow', arguments: '{}' }, { id: 'b1', name: 'calc__add', arguments: '{not json' }], finish: 'tool-calls', usage: { input: 10, output: 5 } },
    answers('Sorry, the tools failed.'),
  );
  const { data } = await client.chat.completions.create({ model: 'gpt-test', messages: ask('try') }).withResponse();
  assert.equal(data.choices[0]!.message.content, 'Sorry, the tools failed.');
  const results = ((data as any).tollgate_agent.steps as any[]).filter((step) => step.type === 'tool_result');
  assert.deepEqual(results.map((step) => step.is_error), [true, true, true]);
  const fed = world.openai.requests[1]!.summary!.messages.filter((message) => message.role === 'tool');
  assert.equal(fed[0]!.text, 'the tool failed on purpose');
  assert.match(fed[1]!.text, /tool_call_failed.*did not answer within 3000 ms/);
  assert.match(fed[2]!.text, /not valid JSON/);
});

test('x-tollgate-mcp-agent: off leaves tool calls to the caller', async () => {
  world.openai.enqueue(callsTool('calc__add', { a: 2, b: 3 }));
  const off = new OpenAI({ apiKey: KEY_AGENT, baseURL: `${world.running.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-tollgate-mcp-agent': 'off' } });
  const { data } = await off.chat.completions.create({ model: 'gpt-test', messages: ask('2+3?') }).withResponse();
  assert.equal(data.choices[0]!.finish_reason, 'tool_calls');
  assert.equal((data as any).tollgate_agent, undefined);
});

test('a budget that the first turn used up refuses the next turn: the request ends with budget_exceeded', async () => {
  // The first turn costs $2 (2,000 tokens at $1000 per million) against a $1 budget it was admitted under.
  world.openai.enqueue({ ...callsTool('calc__add', { a: 2, b: 3 }), usage: { input: 1_000, output: 1_000 } });
  const small = new OpenAI({ apiKey: KEY_SMALL, baseURL: `${world.running.url}/v1`, maxRetries: 0 });
  await assert.rejects(small.chat.completions.create({ model: 'gpt-test', max_tokens: 5, messages: ask('2+3?') }), (error: InstanceType<typeof OpenAI.APIError>) => {
    assert.equal(error.status, 402);
    assert.equal((error.error as { code?: string }).code, 'budget_exceeded');
    return true;
  });
  // The tool ran; the second model call was never made.
  assert.equal(world.openai.requests.length, 1);
});
