import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { startSseServer } from '../fakes/mcp-tool-servers.js';
import { connectMcp } from '../helpers/mcp-client.js';

const KEY = 'tg-' + 'mcp-sse-0001';
const TOKEN = 'up-' + 'sse-secret-0002';

test('an upstream server over HTTP+SSE is served at /mcp with its configured headers', async () => {
  const sse = await startSseServer();
  const running = await startGateway({
    providers: { mock: { type: 'mock', models: ['m'] } },
    mcp: { servers: { legacy: { transport: 'sse', url: sse.url, headers: { 'x-upstream-token': TOKEN } } } },
    virtual_keys: [{ id: 'k', value: KEY, models: ['*'], mcp: { allow: ['legacy__*'] } }],
  });
  try {
    for (let attempt = 0; attempt < 100 && (await fetch(`${running.url}/ready`)).status !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    const client = await connectMcp(running.url, KEY);
    assert.deepEqual((await client.listTools()).tools.map((tool) => tool.name), ['legacy__echo']);
    const result = await client.callTool({ name: 'legacy__echo', arguments: { text: 'hi' } });
    assert.equal((result.content as { text: string }[])[0]!.text, `hi (token ${TOKEN})`);
    await client.close();
  } finally {
    await running.close();
    await sse.close();
  }
});
