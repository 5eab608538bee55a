import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startContentServer } from '../fakes/mcp-content-server.js';
import { connectMcp } from '../helpers/mcp-client.js';

const STDIO_SERVER = fileURLToPath(new URL('../fakes/mcp-stdio-server.js', import.meta.url));
const KEY_ALL = 'tg-' + 'prompts-all-0001';
const KEY_NARROW = 'tg-' + 'prompts-narrow-0002';
const KEY_GROUP = 'tg-' + 'prompts-group-0003';

let running: RunningGateway;
let docs: Awaited<ReturnType<typeof startContentServer>>;

function connect(key: string, path = '/mcp'): Promise<Client> {
  return connectMcp(running.url, key, path);
}

before(async () => {
  docs = await startContentServer();
  running = await startGateway({
    providers: { mock: { type: 'mock', models: ['m'] } },
    mcp: {
      // calc (stdio) has tools only: it declares no prompts or resources and is not asked for them.
      servers: { docs: { transport: 'http', url: docs.url }, calc: { transport: 'stdio', command: process.execPath, args: [STDIO_SERVER] } },
      groups: { reading: ['docs__summarize', 'docs__file:///docs/*'] },
    },
    virtual_keys: [
      { id: 'all', value: KEY_ALL, models: ['*'], mcp: { allow: ['*'] } },
      { id: 'narrow', value: KEY_NARROW, models: ['*'], mcp: { allow: ['docs__*'], block: ['docs__secret_*', 'docs__file:///private/*'] } },
      { id: 'grouped', value: KEY_GROUP, models: ['*'], mcp: { groups: ['reading'] } },
    ],
  });
  for (let attempt = 0; attempt < 100 && (await fetch(`${running.url}/ready`)).status !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
});

after(async () => {
  await running?.close();
  await docs?.close();
});

test('prompts are listed under <server>__<prompt> and fetched with their arguments', async () => {
  const client = await connect(KEY_ALL);
  assert.deepEqual(client.getServerCapabilities()?.prompts !== undefined && client.getServerCapabilities()?.resources !== undefined, true);
  const { prompts } = await client.listPrompts();
  assert.deepEqual(prompts.map((prompt) => prompt.name).sort(), ['docs__secret_prompt', 'docs__summarize']);
  const summarize = prompts.find((prompt) => prompt.name === 'docs__summarize')!;
  assert.equal(summarize.description, 'Summarizes a topic');
  assert.deepEqual(summarize.arguments?.map((argument) => argument.name), ['topic']);
  const got = await client.getPrompt({ name: 'docs__summarize', arguments: { topic: 'MCP' } });
  assert.deepEqual(got.messages, [{ role: 'user', content: { type: 'text', text: 'Summarize MCP in one line.' } }]);
  await assert.rejects(client.getPrompt({ name: 'docs__nope' }), /nope/);
  await assert.rejects(client.getPrompt({ name: 'nowhere__summarize' }), /nowhere__summarize/);
  await client.close();
});

test('resources and templates keep their URI behind tollgate://<server>/, and read back through it', async () => {
  const client = await connect(KEY_ALL);
  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((resource) => resource.uri).sort(), ['tollgate://docs/file:///docs/readme.md', 'tollgate://docs/file:///private/keys.txt']);
  assert.equal(resources.find((resource) => resource.uri.endsWith('readme.md'))!.mimeType, 'text/markdown');
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate), ['tollgate://docs/file:///notes/{name}']);
  const read = await client.readResource({ uri: 'tollgate://docs/file:///docs/readme.md' });
  assert.deepEqual(read.contents, [{ uri: 'tollgate://docs/file:///docs/readme.md', mimeType: 'text/markdown', text: '# Readme' }]);
  // A template expanded by the client reads through the same mapping.
  const note = await client.readResource({ uri: 'tollgate://docs/file:///notes/monday' });
  assert.equal((note.contents[0] as { text: string }).text, 'note monday');
  await assert.rejects(client.readResource({ uri: 'file:///docs/readme.md' }), /tollgate:\/\//);
  await assert.rejects(client.readResource({ uri: 'tollgate://nowhere/file:///x' }), /nowhere/);
  await client.close();
});

test('the tool permission patterns filter prompts and resources, and a refused one names the rule', async () => {
  const client = await connect(KEY_NARROW);
  assert.deepEqual((await client.listPrompts()).prompts.map((prompt) => prompt.name), ['docs__summarize']);
  assert.deepEqual((await client.listResources()).resources.map((resource) => resource.uri), ['tollgate://docs/file:///docs/readme.md']);
  await assert.rejects(client.getPrompt({ name: 'docs__secret_prompt' }), (error: Error) => {
    assert.match(error.message, /Prompt `docs__secret_prompt` is blocked by docs__secret_\*/);
    return true;
  });
  await assert.rejects(client.readResource({ uri: 'tollgate://docs/file:///private/keys.txt' }), (error: Error) => {
    assert.match(error.message, /blocked by docs__file:\/\/\/private\/\*/);
    return true;
  });
  // The tools of a server whose prompts are allowed are still governed by the same patterns.
  assert.deepEqual((await client.listTools()).tools.map((tool) => tool.name), ['docs__lookup']);
  await client.close();
});

test('a tool group narrows prompts and resources on /mcp/{group}', async () => {
  const client = await connect(KEY_GROUP, '/mcp/reading');
  assert.deepEqual((await client.listPrompts()).prompts.map((prompt) => prompt.name), ['docs__summarize']);
  assert.deepEqual((await client.listResources()).resources.map((resource) => resource.uri), ['tollgate://docs/file:///docs/readme.md']);
  assert.deepEqual((await client.listResourceTemplates()).resourceTemplates, []);
  await assert.rejects(client.readResource({ uri: 'tollgate://docs/file:///notes/x' }), /not in group "reading"|not allowed/);
  await client.close();
});
