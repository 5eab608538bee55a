import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminGet } from '../observability/admin-client.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { closeAfterTests, fake, scripted } from './closed-after-tests.js';
import { watchLeaks, type LeakWatch } from './leak-watch.js';
import { chunk, startEventStream } from './scripted-upstream.js';

/**
 * Streams that fail inside a 200: before their first content event they fail over (the caller
 * never sees the broken attempt); after it, the caller's stream ends with an error event in its own
 * dialect and the request log says the answer was cut short.
 */

async function gateway(config: Record<string, unknown>): Promise<{ running: RunningGateway; leaks: LeakWatch }> {
  const running = await startGateway({ routing: { retry: { base_backoff_ms: 1, max_backoff_ms: 5 } }, logging: { level: 'error', requests: false }, ...config });
  closeAfterTests(() => running.close());
  return { running, leaks: watchLeaks(running) };
}

/** An OpenAI stream that sends some content, then has its connection reset. */
function resetAfterPartialAnswer(_request: unknown, response: ServerResponse): void {
  startEventStream(response);
  response.write(chunk({ role: 'assistant', content: 'Partial answ' }));
  setTimeout(() => response.socket?.destroy(), 5);
}

function anthropicEvent(name: string, data: Record<string, unknown>): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

const MESSAGE_START = anthropicEvent('message_start', {
  type: 'message_start',
  message: { id: 'msg_scripted', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } },
});
const TEXT_START = anthropicEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
const OVERLOADED = anthropicEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });

function textDelta(text: string): string {
  return anthropicEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
}

function startAnthropicStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_scripted' });
}

function anthropicProvider(url: string): Record<string, unknown> {
  return { type: 'anthropic', base_url: url, keys: [{ id: 'anthropic-key', value: 'test-key-anthropic' }], max_retries: 0 };
}

function openaiProvider(url: string): Record<string, unknown> {
  return { type: 'openai', base_url: url.endsWith('/v1') ? url : `${url}/v1`, keys: [{ id: 'openai-key', value: 'test-key-openai' }], max_retries: 0 };
}

async function streamChat(running: RunningGateway, model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hello there' }], ...extra }),
  });
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((event) => event.startsWith('data: {'))
    .map((event) => JSON.parse(event.slice(6)) as { error?: { code?: string; message: string }; choices?: { delta: { content?: string } }[] });
  return { status: response.status, headers: response.headers, text, events };
}

test('an Anthropic `error` event before any content fails over; the caller sees only the fallback', async () => {
  const primary = await scripted();
  const backup = await fake();
  primary.script((_request, response) => {
    startAnthropicStream(response);
    response.write(MESSAGE_START);
    response.end(OVERLOADED);
  });
  const { running, leaks } = await gateway({ providers: { claude: anthropicProvider(primary.url), backup: openaiProvider(backup.url) } });
  const response = await streamChat(running, 'claude/claude-sonnet-4-5', { fallbacks: ['backup/gpt-4o-mini'] });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.equal(response.headers.get('x-tollgate-fallbacks'), '1');
  assert.equal(primary.count, 1);
  assert.equal(backup.requests.length, 1);
  assert.doesNotMatch(response.text, /Overloaded|error/);
  assert.match(response.text, /Hello from/);
  await leaks.settled({ idleSockets: 2 });
});

test('Anthropic in, Anthropic out: an `error` event after content reaches the caller once, with nothing after it that looks like success', async () => {
  const upstream = await scripted();
  upstream.script((_request, response) => {
    startAnthropicStream(response);
    response.write(MESSAGE_START + TEXT_START + textDelta('Half an ans'));
    response.end(OVERLOADED);
  });
  const { running, leaks } = await gateway({ providers: { claude: anthropicProvider(upstream.url) } });
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'unused', maxRetries: 0 });
  let text = '';
  await assert.rejects(async () => {
    const stream = await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hello' }] });
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  }, /Overloaded/);
  assert.equal(text, 'Half an ans');
  assert.equal(upstream.count, 1, 'no retry once content reached the caller');

  upstream.script((_request, response) => {
    startAnthropicStream(response);
    response.write(MESSAGE_START + TEXT_START + textDelta('Half an ans'));
    response.end(OVERLOADED);
  });
  const raw = await fetch(`${running.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'unused', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude/claude-sonnet-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  const body = await raw.text();
  const names = [...body.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
  assert.equal(names.filter((name) => name === 'error').length, 1);
  assert.equal(names[names.length - 1], 'error', `events: ${names.join(', ')}`);
  assert.ok(!names.includes('message_stop'), `events: ${names.join(', ')}`);
  await leaks.settled({ idleSockets: 1 });
});

test('Anthropic in, OpenAI upstream: a stream reset after content ends with an Anthropic `error` event', async () => {
  const upstream = await scripted();
  upstream.script(resetAfterPartialAnswer);
  const { running, leaks } = await gateway({ providers: { primary: openaiProvider(upstream.url) } });
  const raw = await fetch(`${running.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'unused', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'primary/gpt-4o-mini', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  assert.equal(raw.status, 200);
  const body = await raw.text();
  assert.match(body, /Partial answ/);
  const names = [...body.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
  assert.equal(names[names.length - 1], 'error', `events: ${names.join(', ')}`);
  const last = body.trim().split('\n\n').pop()!;
  const data = JSON.parse(last.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as { type: string; error: { type: string; message: string } };
  assert.equal(data.type, 'error');
  assert.equal(typeof data.error.message, 'string');
  assert.equal(upstream.count, 1);
  await leaks.settled({ idleSockets: 0 });
});

test('Gemini in, OpenAI upstream: a stream reset after content ends with a Google error envelope and no finish after it', async () => {
  const upstream = await scripted();
  upstream.script(resetAfterPartialAnswer);
  const { running, leaks } = await gateway({ providers: { primary: openaiProvider(upstream.url) } });
  const raw = await fetch(`${running.url}/gemini/v1beta/models/primary/gpt-4o-mini:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }),
  });
  assert.equal(raw.status, 200);
  const frames = (await raw.text())
    .split(/\r?\n\r?\n/)
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => JSON.parse(frame.slice(6)) as { error?: { code: number; message: string; status: string }; candidates?: { finishReason?: string; content?: { parts: { text?: string }[] } }[] });
  assert.equal(frames[0]!.candidates?.[0]?.content?.parts[0]?.text, 'Partial answ');
  const last = frames[frames.length - 1]!;
  assert.equal(typeof last.error?.message, 'string');
  assert.equal(typeof last.error?.code, 'number');
  assert.ok(frames.every((frame) => frame.candidates?.[0]?.finishReason === undefined), 'no frame says the answer finished');
  assert.equal(upstream.count, 1);
  await leaks.settled({ idleSockets: 0 });
});

test('a stream whose first event is not JSON fails over like any broken stream', async () => {
  const primary = await scripted();
  const backup = await fake();
  primary.script((_request, response) => {
    startEventStream(response);
    response.end('data: {"id": "chatcmpl-1", "choices": [ nope\n\n');
  });
  const { running, leaks } = await gateway({ providers: { primary: openaiProvider(primary.url), backup: openaiProvider(backup.url) } });
  const response = await streamChat(running, 'primary/gpt-4o-mini', {}, { 'x-tollgate-fallbacks': 'backup/gpt-4o-mini' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.ok(response.events.every((event) => event.error === undefined));
  assert.match(response.text, /data: \[DONE\]/);
  await leaks.settled({ idleSockets: 2 });
});

test('OpenAI in, OpenAI out: an event that is not JSON after content ends the caller\'s stream with an OpenAI error event, not with the garbage', async () => {
  const upstream = await scripted();
  upstream.script((_request, response) => {
    startEventStream(response);
    response.write(chunk({ role: 'assistant', content: 'Half an ans' }));
    response.end('data: {"id": "chatcmpl-1", "choices": [ nope\n\n');
  });
  const { running, leaks } = await gateway({ providers: { primary: openaiProvider(upstream.url) } });
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'primary/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello there' }] }),
  });
  assert.equal(response.status, 200);
  const data = (await response.text())
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice(6));
  assert.equal(data[data.length - 1], '[DONE]');
  // Every frame but the closing one is JSON a client can parse, and the last of them says what went wrong.
  const events = data.slice(0, -1).map((text) => JSON.parse(text) as { error?: { code?: string }; choices?: { delta: { content?: string } }[] });
  assert.equal(events[0]!.choices?.[0]?.delta.content, 'Half an ans');
  assert.equal(events[events.length - 1]!.error?.code, 'upstream_stream_error');
  assert.equal(upstream.count, 1);
  await leaks.settled({ idleSockets: 0 });
});

test('the caller going away mid-stream closes the upstream exchange and leaves nothing behind', async () => {
  const upstream = await scripted();
  let upstreamClosed!: () => void;
  const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
  upstream.script((_request, response) => {
    startEventStream(response);
    response.write(chunk({ role: 'assistant', content: 'Streaming forever' }));
    response.on('close', upstreamClosed);
    // …and never ends: only the gateway can close it.
  });
  const { running, leaks } = await gateway({ providers: { primary: openaiProvider(upstream.url) } });
  const caller = new AbortController();
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    signal: caller.signal,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'primary/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  const reader = response.body!.getReader();
  const first = await reader.read();
  assert.match(Buffer.from(first.value!).toString(), /Streaming forever/);
  caller.abort();
  await closed;
  await leaks.settled({ idleSockets: 0 });
  assert.equal(upstream.count, 1);
});

test('a stream cut after content is logged as cut short: status 200, stop reason `error`, the error code, and the attempt', async () => {
  const upstream = await scripted();
  upstream.script(resetAfterPartialAnswer);
  const { running, leaks } = await gateway({ admin: { token: ADMIN_TOKEN }, providers: { primary: openaiProvider(upstream.url) } });
  const response = await streamChat(running, 'primary/gpt-4o-mini', {}, { 'x-request-id': 'cut-short-1' });
  assert.equal(response.status, 200);
  assert.equal(response.events[response.events.length - 1]!.error?.code, 'upstream_stream_error');
  const { body } = await adminGet<{ logs: RequestRecord[]; total: number }>(running.url, '/admin/logs?request_id=cut-short-1');
  assert.equal(body.total, 1);
  const record = body.logs[0]!;
  assert.equal(record.status, 200, 'the caller did get a 200');
  assert.equal(record.error_code, 'upstream_stream_error');
  assert.equal(record.stop_reason, 'error');
  assert.equal(record.provider, 'primary');
  assert.equal(record.attempts, 1);
  assert.ok(record.ttft_ms !== null);
  const cutShort = await adminGet<{ logs: RequestRecord[]; total: number }>(running.url, '/admin/logs?stop_reason=error');
  assert.deepEqual(cutShort.body.logs.map((each) => each.request_id), ['cut-short-1']);
  await leaks.settled({ idleSockets: 0 });
});
