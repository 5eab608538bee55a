import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * Anthropic → Anthropic through the gateway keeps prompt caching and documents: the body the
 * official SDK sends is decoded to the spec and re-encoded for the upstream, and the upstream must
 * still see every `cache_control` mark and `document` block exactly as the caller sent them.
 */

let fake: FakeUpstream;
let running: RunningGateway;
let client: Anthropic;

before(async () => {
  fake = await startAnthropicFake();
  running = await startGateway({
    providers: { anthropic: { type: 'anthropic', base_url: fake.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 } },
  });
  client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await running.close();
  await fake.close();
});

const PDF = 'JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==';

const system: Anthropic.TextBlockParam[] = [
  { type: 'text', text: 'You are Claude Code, a coding assistant.' },
  { type: 'text', text: 'Project rules: keep files small.', cache_control: { type: 'ephemeral', ttl: '1h' } },
];

const tools: Anthropic.Tool[] = [
  { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'grep', description: 'Search files', input_schema: { type: 'object', properties: { pattern: { type: 'string' } } }, cache_control: { type: 'ephemeral' } },
];

const messages: Anthropic.MessageParam[] = [
  {
    role: 'user',
    content: [
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'Design notes', context: 'Written in 2024', citations: { enabled: true } },
      { type: 'document', source: { type: 'url', url: 'https://example.com/spec.pdf' }, cache_control: { type: 'ephemeral' } },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'The cache lives for five minutes.' }, title: 'Cache facts' },
      { type: 'text', text: 'Read README.md and compare it with these documents.' },
    ],
  },
  { role: 'assistant', content: [{ type: 'text', text: 'Reading it.' }, { type: 'tool_use', id: 'toolu_01', name: 'read_file', input: { path: 'README.md' } }] },
  {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: '# Tollgate\nA gateway.' }], cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Now summarise.', cache_control: { type: 'ephemeral' } },
    ],
  },
];

function lastUpstreamBody(): Record<string, unknown> {
  const body = fake.requests.at(-1)?.body;
  assert.ok(typeof body === 'object' && body !== null, 'the fake received a JSON body');
  return body as Record<string, unknown>;
}

test('cache_control marks and document blocks reach the Anthropic upstream exactly as sent', async () => {
  fake.enqueue({ text: 'Summary.', usage: { input: 900, output: 4, cachedInput: 800 } });
  const message = await client.messages.create({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 300, system, tools, messages });
  assert.equal(message.content[0]?.type === 'text' && message.content[0].text, 'Summary.');
  assert.equal(message.usage.cache_read_input_tokens, 800);

  const body = lastUpstreamBody();
  assert.equal(body.model, 'claude-sonnet-4-5');
  assert.equal(body.max_tokens, 300);
  assert.deepEqual(body.system, system);
  assert.deepEqual(body.tools, tools);
  assert.deepEqual(body.messages, messages);
});

test('the same holds for a streamed request', async () => {
  fake.enqueue({ text: 'Streamed summary.' });
  const final = await client.messages.stream({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 300, system, tools, messages }).finalMessage();
  assert.equal(final.content[0]?.type === 'text' && final.content[0].text, 'Streamed summary.');

  const body = lastUpstreamBody();
  assert.equal(body.stream, true);
  assert.deepEqual(body.system, system);
  assert.deepEqual(body.tools, tools);
  assert.deepEqual(body.messages, messages);
});
