import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import OpenAI from 'openai';
import { startGateway } from '../helpers/gateway.js';

/**
 * An OpenAI-dialect upstream whose stream events spread their JSON over several `data:` lines, as
 * the SSE format allows (a receiver joins the lines with a newline).
 */
function multiLineUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({ id: 'chatcmpl-multi', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'echo', choices: [{ index: 0, delta, finish_reason: finish }] });
  const events = [chunk({ role: 'assistant', content: '' }, null), chunk({ content: 'Hello' }, null), chunk({ content: ' there' }, null), chunk({}, 'stop')];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      // Pretty-printed JSON: every line of it its own `data:` field.
      for (const event of events) response.write(`${JSON.stringify(event, null, 1).split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`);
      response.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((done) => server.close(() => done())) })));
}

test('same-dialect pass-through keeps a multi-line SSE event well-formed', async () => {
  const upstream = await multiLineUpstream();
  const running = await startGateway({ providers: { alpha: { type: 'openai', base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-a' }], models: ['echo'] } } });
  try {
    const raw = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'alpha/echo', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    const text = await raw.text();
    // Every non-empty line of the body is an SSE field.
    const stray = text.split('\n').filter((line) => line.length > 0 && !/^(data|event): /.test(line));
    assert.deepEqual(stray, []);
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'alpha/echo', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let answer = '';
    for await (const part of stream) answer += part.choices[0]?.delta.content ?? '';
    assert.equal(answer, 'Hello there');
  } finally {
    await running.close();
    await upstream.close();
  }
});
