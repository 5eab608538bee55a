import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { connect as connectHttp2 } from 'node:http2';
import { startBedrockFake, type BedrockFakeReply } from '../fakes/bedrock-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const VIRTUAL_KEY = 'vk-' + 'bedrock-' + 'test-caller';

let upstream: FakeUpstream;
let bedrockUpstream: FakeUpstream & { enqueue(...replies: BedrockFakeReply[]): void };
let running: RunningGateway;

const BEDROCK_MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

before(async () => {
  upstream = await startOpenAIFake();
  bedrockUpstream = await startBedrockFake();
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-' + 'test-upstream' }], models: ['gpt-4o-mini'], max_retries: 0 },
      aws: { type: 'bedrock', base_url: bedrockUpstream.url, options: { region: 'us-east-1' }, keys: [{ value: 'test-bedrock-' + 'api-key' }], models: [BEDROCK_MODEL], max_retries: 0 },
    },
    virtual_keys: [{ id: 'bedrock-caller', value: VIRTUAL_KEY, models: ['*'] }],
  });
});
after(async () => {
  await running?.close();
  await upstream?.close();
  await bedrockUpstream?.close();
});

/** The SDK as an AWS user configures it for a Bedrock API key, its endpoint at the gateway (default handler: HTTP/2). */
function client(token = VIRTUAL_KEY): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region: 'us-east-1', endpoint: `${running.url}/bedrock`, token: { token }, authSchemePreference: ['httpBearerAuth'], maxAttempts: 1 });
}

test('ConverseCommand → an OpenAI-dialect upstream: text, usage, stop reason, and what the upstream received', async () => {
  upstream.enqueue({ text: 'Bonjour from upstream.', finish: 'stop', usage: { input: 21, output: 6 } });
  const bedrock = client();
  try {
    const answer = await bedrock.send(
      new ConverseCommand({
        modelId: 'openai/gpt-4o-mini',
        system: [{ text: 'Answer in French.' }],
        messages: [{ role: 'user', content: [{ text: 'Say hello.' }] }],
        inferenceConfig: { maxTokens: 64, temperature: 0.2 },
      }),
    );
    assert.equal(answer.$metadata.httpStatusCode, 200);
    assert.equal(answer.stopReason, 'end_turn');
    assert.deepEqual(answer.output?.message?.content, [{ text: 'Bonjour from upstream.' }]);
    assert.equal(answer.output?.message?.role, 'assistant');
    assert.deepEqual(answer.usage, { inputTokens: 21, outputTokens: 6, totalTokens: 27 });
    assert.equal(typeof answer.metrics?.latencyMs, 'number');
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.summary?.model, 'gpt-4o-mini');
    assert.equal(sent.summary?.system, 'Answer in French.');
    assert.equal(sent.summary?.messages[0]?.text, 'Say hello.');
    assert.equal(sent.summary?.maxOutputTokens, 64);
    // The caller's virtual key is not what goes upstream.
    assert.equal(sent.headers.authorization, `Bearer ${'sk-' + 'test-upstream'}`);
  } finally {
    bedrock.destroy();
  }
});

test('ConverseCommand with tools: the tool call comes back as toolUse, the result goes upstream as a tool message', async () => {
  upstream.enqueue({ toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' }], finish: 'tool-calls', usage: { input: 40, output: 12 } });
  const bedrock = client();
  try {
    const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', description: 'Weather by city', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } } }] };
    const first = await bedrock.send(new ConverseCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'Weather in Paris?' }] }], toolConfig }));
    assert.equal(first.stopReason, 'tool_use');
    const toolUse = first.output?.message?.content?.find((block) => block.toolUse !== undefined)?.toolUse;
    assert.deepEqual(toolUse, { toolUseId: 'call_weather_1', name: 'get_weather', input: { city: 'Paris' } });
    assert.deepEqual(upstream.requests.at(-1)!.summary?.tools, ['get_weather']);

    upstream.enqueue({ text: 'It is sunny.', finish: 'stop', usage: { input: 60, output: 4 } });
    const second = await bedrock.send(
      new ConverseCommand({
        modelId: 'openai/gpt-4o-mini',
        toolConfig,
        messages: [
          { role: 'user', content: [{ text: 'Weather in Paris?' }] },
          { role: 'assistant', content: [{ toolUse: toolUse! }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 'call_weather_1', content: [{ json: { sky: 'sunny' } }] } }] },
        ],
      }),
    );
    assert.deepEqual(second.output?.message?.content, [{ text: 'It is sunny.' }]);
    const messages = upstream.requests.at(-1)!.summary!.messages;
    assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant', 'tool']);
    assert.deepEqual(messages[1]!.toolCalls, [{ id: 'call_weather_1', name: 'get_weather', arguments: { city: 'Paris' } }]);
    assert.equal(messages[2]!.toolCallId, 'call_weather_1');
    assert.equal(messages[2]!.text, '{"sky":"sunny"}');
  } finally {
    bedrock.destroy();
  }
});

async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

test('ConverseStreamCommand: event-stream frames the SDK decodes (CRCs checked) with text, stop reason and usage', async () => {
  upstream.enqueue({ text: 'Streaming through the gateway works.', finish: 'stop', usage: { input: 15, output: 9 } });
  const bedrock = client();
  try {
    const answer = await bedrock.send(new ConverseStreamCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'Stream please.' }] }] }));
    assert.equal(answer.$metadata.httpStatusCode, 200);
    const events = await collect(answer.stream);
    const kinds = events.map((event) => Object.entries(event).find(([, value]) => value !== undefined)?.[0]);
    assert.equal(kinds[0], 'messageStart');
    assert.deepEqual(kinds.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
    const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('');
    assert.equal(text, 'Streaming through the gateway works.');
    assert.equal(events.find((event) => event.messageStop)?.messageStop?.stopReason, 'end_turn');
    assert.deepEqual(events.at(-1)!.metadata?.usage, { inputTokens: 15, outputTokens: 9, totalTokens: 24 });
    assert.equal(upstream.requests.at(-1)!.summary?.stream, true);
  } finally {
    bedrock.destroy();
  }
});

test('ConverseStreamCommand with a tool call: contentBlockStart carries the tool, the deltas its input', async () => {
  upstream.enqueue({ toolCalls: [{ id: 'call_lookup_7', name: 'lookup', arguments: '{"query":"tollgate","limit":3}' }], finish: 'tool-calls', usage: { input: 30, output: 11 } });
  const bedrock = client();
  try {
    const answer = await bedrock.send(
      new ConverseStreamCommand({
        modelId: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: [{ text: 'Look it up.' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object', properties: { query: { type: 'string' } } } } } }], toolChoice: { any: {} } },
      }),
    );
    const events = await collect(answer.stream);
    const start = events.find((event) => event.contentBlockStart)?.contentBlockStart;
    assert.deepEqual(start?.start?.toolUse, { toolUseId: 'call_lookup_7', name: 'lookup' });
    const input = events
      .filter((event) => event.contentBlockDelta?.contentBlockIndex === start?.contentBlockIndex)
      .map((event) => event.contentBlockDelta?.delta?.toolUse?.input ?? '')
      .join('');
    assert.deepEqual(JSON.parse(input), { query: 'tollgate', limit: 3 });
    assert.equal(events.find((event) => event.messageStop)?.messageStop?.stopReason, 'tool_use');
    assert.deepEqual(events.at(-1)!.metadata?.usage, { inputTokens: 30, outputTokens: 11, totalTokens: 41 });
    const sent = upstream.requests.at(-1)!.body as { tool_choice?: unknown };
    assert.equal(sent.tool_choice, 'required');
  } finally {
    bedrock.destroy();
  }
});

test('errors are typed SDK exceptions: unknown model, bad key, invalid body', async () => {
  const bedrock = client();
  const stranger = client('vk-' + 'not-a-known-key');
  try {
    await assert.rejects(bedrock.send(new ConverseCommand({ modelId: 'nobody/no-such-model', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })), (error: unknown) => {
      assert.ok(error instanceof ResourceNotFoundException, String(error));
      assert.equal(error.$metadata.httpStatusCode, 404);
      assert.match(error.message, /no-such-model/);
      return true;
    });
    await assert.rejects(stranger.send(new ConverseCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })), (error: unknown) => {
      assert.ok(error instanceof AccessDeniedException, String(error));
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.doesNotMatch(error.message, /not-a-known-key/);
      return true;
    });
    await assert.rejects(stranger.send(new ConverseStreamCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })), AccessDeniedException);
    await assert.rejects(bedrock.send(new ConverseCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'robot' as 'user', content: [{ text: 'hi' }] }] })), (error: unknown) => {
      assert.ok(error instanceof ValidationException, String(error));
      assert.equal(error.$metadata.httpStatusCode, 400);
      assert.match(error.message, /messages\[0\]\.role/);
      return true;
    });
  } finally {
    bedrock.destroy();
    stranger.destroy();
  }
});

test('InvokeModelCommand with an Anthropic-on-Bedrock body, answered in Anthropic\'s shape; and its response stream', async () => {
  upstream.enqueue({ text: 'Invoked through the gateway.', finish: 'stop', usage: { input: 11, output: 5 } });
  const bedrock = client();
  try {
    const body = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, system: 'Be terse.', messages: [{ role: 'user', content: [{ type: 'text', text: 'Invoke me.' }] }] };
    const answer = await bedrock.send(new InvokeModelCommand({ modelId: 'openai/gpt-4o-mini', contentType: 'application/json', accept: 'application/json', body: JSON.stringify(body) }));
    const message = JSON.parse(Buffer.from(answer.body).toString('utf8')) as { type: string; role: string; content: { type: string; text: string }[]; stop_reason: string; usage: { input_tokens: number; output_tokens: number } };
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.deepEqual(message.content, [{ type: 'text', text: 'Invoked through the gateway.' }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.input_tokens, 11);
    assert.equal(message.usage.output_tokens, 5);
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.summary?.system, 'Be terse.');
    assert.equal((sent.body as Record<string, unknown>).anthropic_version, undefined);

    upstream.enqueue({ text: 'Chunked answer.', finish: 'stop', usage: { input: 8, output: 3 } });
    const streamed = await bedrock.send(new InvokeModelWithResponseStreamCommand({ modelId: 'openai/gpt-4o-mini', contentType: 'application/json', body: JSON.stringify(body) }));
    const events: { type: string; delta?: { type?: string; text?: string; stop_reason?: string } }[] = [];
    for await (const event of streamed.body ?? []) if (event.chunk?.bytes !== undefined) events.push(JSON.parse(Buffer.from(event.chunk.bytes).toString('utf8')));
    assert.equal(events[0]!.type, 'message_start');
    assert.equal(events.at(-1)!.type, 'message_stop');
    assert.equal(events.map((event) => (event.type === 'content_block_delta' ? event.delta?.text : '')).join(''), 'Chunked answer.');
    assert.equal(events.find((event) => event.type === 'message_delta')?.delta?.stop_reason, 'end_turn');

    await assert.rejects(bedrock.send(new InvokeModelCommand({ modelId: 'openai/gpt-4o-mini', body: JSON.stringify({ messages: [] }) })), ValidationException);
  } finally {
    bedrock.destroy();
  }
});

test('a failure in the middle of a ConverseStream is an exception frame the SDK throws while iterating', async () => {
  upstream.enqueue({ text: 'one two three four five six seven eight', breakAfterEvents: 6, eventIntervalMs: 10, usage: { input: 5, output: 8 } });
  const bedrock = client();
  try {
    const answer = await bedrock.send(new ConverseStreamCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'count' }] }] }));
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const event of answer.stream ?? []) text += event.contentBlockDelta?.delta?.text ?? '';
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ModelStreamErrorException, String(error));
        return true;
      },
    );
    assert.ok(text.length > 0, 'some text came before the failure');
  } finally {
    bedrock.destroy();
  }
});

test('a Bedrock upstream behind the Bedrock surface: the model id of an inference profile, its answer forwarded, its throttling typed', async () => {
  bedrockUpstream.enqueue({ text: 'Straight from Bedrock.', finish: 'stop', usage: { input: 7, output: 4, cachedInput: 3 } });
  const bedrock = client();
  try {
    const answer = await bedrock.send(new ConverseCommand({ modelId: `aws/${BEDROCK_MODEL}`, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    assert.deepEqual(answer.output?.message?.content, [{ text: 'Straight from Bedrock.' }]);
    assert.equal(answer.usage?.cacheReadInputTokens, 3);
    assert.equal(bedrockUpstream.requests.at(-1)!.path, `/model/${encodeURIComponent(BEDROCK_MODEL)}/converse`);

    bedrockUpstream.enqueue({ streamException: { type: 'throttlingException', message: 'Too many tokens, slow down.' } });
    await assert.rejects(
      (async () => {
        const streamed = await bedrock.send(new ConverseStreamCommand({ modelId: `aws/${BEDROCK_MODEL}`, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
        for await (const _event of streamed.stream ?? []) void _event;
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ThrottlingException, String(error));
        return true;
      },
    );
  } finally {
    bedrock.destroy();
  }
});

test('hostile and stray requests under /bedrock get Bedrock errors with x-amzn-errortype, over HTTP/1.1 too', async () => {
  const post = async (path: string, body: string, token = VIRTUAL_KEY) => {
    const response = await fetch(`${running.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    return { status: response.status, type: response.headers.get('x-amzn-errortype'), code: response.headers.get('x-tollgate-error-code'), body: (await response.json()) as { message?: string } };
  };
  const badJson = await post('/bedrock/model/openai%2Fgpt-4o-mini/converse', '{"messages": [');
  assert.deepEqual([badJson.status, badJson.type, badJson.code], [400, 'ValidationException', 'invalid_json']);
  assert.match(badJson.body.message ?? '', /not valid JSON/);
  const notObject = await post('/bedrock/model/openai%2Fgpt-4o-mini/converse', '[1,2]');
  assert.deepEqual([notObject.status, notObject.type], [400, 'ValidationException']);
  const wrongBlock = await post('/bedrock/model/openai%2Fgpt-4o-mini/converse-stream', JSON.stringify({ messages: [{ role: 'user', content: [{ video: {} }] }] }));
  assert.deepEqual([wrongBlock.status, wrongBlock.type], [400, 'ValidationException']);
  assert.match(wrongBlock.body.message ?? '', /messages\[0\]\.content\[0\]/);
  const stray = await post('/bedrock/model/openai%2Fgpt-4o-mini/tokens', '{}');
  assert.deepEqual([stray.status, stray.type, stray.code], [404, 'ResourceNotFoundException', 'route_not_found']);
  const huge = await post('/bedrock/model/openai%2Fgpt-4o-mini/converse', JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x'.repeat(11 * 1024 * 1024) }] }] }));
  assert.deepEqual([huge.status, huge.type, huge.code], [400, 'ValidationException', 'body_too_large']);
  const noKey = await post('/bedrock/model/openai%2Fgpt-4o-mini/converse', JSON.stringify({ messages: [] }), '');
  assert.deepEqual([noKey.status, noKey.type, noKey.code], [403, 'AccessDeniedException', 'invalid_api_key']);
});

test('AWS_BEARER_TOKEN_BEDROCK alone authenticates the SDK with the virtual key (it then prefers the bearer token)', async () => {
  const previous = process.env.AWS_BEARER_TOKEN_BEDROCK;
  process.env.AWS_BEARER_TOKEN_BEDROCK = VIRTUAL_KEY;
  const bedrock = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: `${running.url}/bedrock`, maxAttempts: 1 });
  try {
    upstream.enqueue({ text: 'Keyed by environment.', finish: 'stop', usage: { input: 3, output: 3 } });
    const answer = await bedrock.send(new ConverseCommand({ modelId: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    assert.deepEqual(answer.output?.message?.content, [{ text: 'Keyed by environment.' }]);
  } finally {
    bedrock.destroy();
    if (previous === undefined) delete process.env.AWS_BEARER_TOKEN_BEDROCK;
    else process.env.AWS_BEARER_TOKEN_BEDROCK = previous;
  }
});

test('a caller leaving a ConverseStream (HTTP/2 stream reset) stops the upstream request', async () => {
  upstream.enqueue({ text: 'one two three four five six seven eight nine ten eleven twelve', eventIntervalMs: 100, usage: { input: 3, output: 12 } });
  const abortedBefore = upstream.aborted;
  const session = connectHttp2(running.url);
  try {
    await new Promise<void>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/bedrock/model/openai%2Fgpt-4o-mini/converse-stream', authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': 'application/json' });
      stream.on('response', (headers) => assert.equal(headers['content-type'], 'application/vnd.amazon.eventstream'));
      stream.once('data', () => stream.close());
      stream.on('close', () => resolve());
      stream.on('error', reject);
      stream.end(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'count' }] }] }));
    });
    const deadline = Date.now() + 5000;
    while (upstream.aborted === abortedBefore && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(upstream.aborted, abortedBefore + 1);
  } finally {
    session.close();
  }
});

test('a model id with unencoded slashes (curl) reaches the same operation', async () => {
  upstream.enqueue({ text: 'Plain path.', finish: 'stop', usage: { input: 2, output: 2 } });
  const response = await fetch(`${running.url}/bedrock/model/openai/gpt-4o-mini/converse`, {
    method: 'POST',
    headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
  });
  assert.equal(response.status, 200);
  const answer = (await response.json()) as { output: { message: { content: { text: string }[] } }; stopReason: string };
  assert.deepEqual(answer.output.message.content, [{ text: 'Plain path.' }]);
  assert.equal(response.headers.get('x-tollgate-provider'), 'openai');
});
