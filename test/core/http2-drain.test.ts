import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';

test('closing the gateway lets an HTTP/2 stream in flight finish (GOAWAY), then closes the session', async () => {
  const running = await startGateway({
    server: { shutdown_grace_ms: 10_000 },
    providers: { mock: { type: 'mock', models: ['slow'], mock: { chunk_interval_ms: 40, reply: 'one two three four five six seven eight nine ten' } } },
  });
  const session = connect(running.url);
  const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  session.on('error', () => undefined);
  let closing: Promise<void> | undefined;
  const body = await new Promise<string>((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' });
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (closing === undefined && text.includes('"content"')) closing = running.close();
    });
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
    stream.end(JSON.stringify({ model: 'mock/slow', stream: true, messages: [{ role: 'user', content: 'go' }] }));
  });
  assert.ok(closing !== undefined);
  assert.match(body, /data: \[DONE\]\n\n$/, body.slice(-400));
  const words = [...body.matchAll(/"content":"([^"]*)"/g)].map((match) => match[1]).join('');
  assert.match(words, /ten/);
  await closing;
  await sessionClosed;
});
