import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { TokenSource } from '../../src/providers/vertex/index.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startVertexFake, VERTEX_TEST_PROJECT, VERTEX_TEST_REGION, type VertexFake } from '../fakes/vertex-fake.js';

/**
 * Vertex AI end to end: a service-account key generated for the test (its key file on disk), the
 * OAuth JWT exchange against a loopback token endpoint that verifies the signature, the bearer
 * token on each Vertex request, the Gemini and Anthropic publishers, embeddings, token refresh.
 */
describe('vertex provider: service-account OAuth and both publishers', () => {
  let fake: VertexFake;
  let running: RunningGateway;
  let directory: string;
  let openai: OpenAI;

  before(async () => {
    fake = await startVertexFake();
    directory = await mkdtemp(join(tmpdir(), 'tollgate-vertex-'));
    const keyFile = join(directory, 'service-account.json');
    await writeFile(keyFile, fake.serviceAccountJson());
    running = await startGateway({
      providers: {
        // The key file's path; the project comes from its project_id.
        vertex: { type: 'vertex', base_url: `${fake.url}/v1`, options: { region: VERTEX_TEST_REGION }, keys: [{ value: keyFile }], max_retries: 0 },
      },
    });
    openai = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await running.close();
    await fake.close();
    await rm(directory, { recursive: true, force: true });
  });

  const modelRequests = () => fake.requests.filter((request) => request.path !== '/token');
  const last = () => modelRequests().at(-1)!;

  test('Gemini chat: the project and region in the URL, one token for several requests, the bearer token the endpoint issued', async () => {
    const issuedBefore = fake.tokensIssued.length;
    for (const text of ['one', 'two']) {
      fake.enqueue({ text: `Gemini says ${text}.`, usage: { input: 5, output: 3 } });
      const reply = await openai.chat.completions.create({ model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: text }] });
      assert.equal(reply.choices[0]!.message.content, `Gemini says ${text}.`);
    }
    assert.equal(last().path, `/v1/projects/${VERTEX_TEST_PROJECT}/locations/${VERTEX_TEST_REGION}/publishers/google/models/gemini-2.5-flash:generateContent`);
    assert.equal(fake.tokensIssued.length - issuedBefore, issuedBefore === 0 ? 1 : 0, 'the token is cached');
    assert.equal(last().headers.authorization, `Bearer ${fake.tokensIssued.at(-1)}`);
    const token = fake.requests.find((request) => request.path === '/token')!;
    assert.match(String(token.headers['content-type']), /^application\/x-www-form-urlencoded/);
  });

  test('Gemini stream through :streamGenerateContent?alt=sse', async () => {
    fake.enqueue({ text: 'A streamed Gemini answer.', usage: { input: 4, output: 5 } });
    const stream = await openai.chat.completions.create({ model: 'vertex/gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'stream' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'A streamed Gemini answer.');
    assert.match(last().path, /:streamGenerateContent\?alt=sse$/);
  });

  test('Claude through the Anthropic publisher: rawPredict, anthropic_version in the body and no model; an Anthropic caller gets Anthropic back', async () => {
    const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'unused', maxRetries: 0 });
    fake.enqueue({ text: 'Claude on Vertex.', usage: { input: 9, output: 4 } });
    const { data: message, response } = await anthropic.messages.create({ model: 'vertex/claude-sonnet-4-5@20250929', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    // Priced as Anthropic's claude-sonnet-4-5 ($3 in, $15 out per million): 9 × 3 + 4 × 15 = 87 millionths of a dollar.
    assert.equal(Number(response.headers.get('x-tollgate-cost')), 0.000087);
    assert.deepEqual(message.content, [{ type: 'text', text: 'Claude on Vertex.' }]);
    assert.equal(message.usage.input_tokens, 9);
    assert.equal(last().path, `/v1/projects/${VERTEX_TEST_PROJECT}/locations/${VERTEX_TEST_REGION}/publishers/anthropic/models/claude-sonnet-4-5%4020250929:rawPredict`);
    const body = last().body as Record<string, unknown>;
    assert.equal(body.anthropic_version, 'vertex-2023-10-16');
    assert.ok(!('model' in body));
    assert.equal(body.max_tokens, 64);

    fake.enqueue({ text: 'Streamed Claude on Vertex.', usage: { input: 9, output: 5 } });
    const stream = anthropic.messages.stream({ model: 'vertex/claude-sonnet-4-5@20250929', max_tokens: 64, messages: [{ role: 'user', content: 'stream' }] });
    const final = await stream.finalMessage();
    assert.deepEqual(final.content, [{ type: 'text', text: 'Streamed Claude on Vertex.' }]);
    assert.match(last().path, /:streamRawPredict$/);
    assert.equal((last().body as Record<string, unknown>).stream, true);
  });

  test('images: Imagen through :predict, Gemini image models through :generateContent, as OpenAI b64_json images', async () => {
    const imagen = await openai.images.generate({ model: 'vertex/imagen-4.0-generate-001', prompt: 'a fjord', n: 2, size: '1024x1792' });
    assert.equal(imagen.data?.length, 2);
    assert.ok(imagen.data![0]!.b64_json!.length > 0);
    assert.equal(last().path, `/v1/projects/${VERTEX_TEST_PROJECT}/locations/${VERTEX_TEST_REGION}/publishers/google/models/imagen-4.0-generate-001:predict`);
    assert.deepEqual(last().body, { instances: [{ prompt: 'a fjord' }], parameters: { sampleCount: 2, aspectRatio: '9:16' } });
    const gemini = await openai.images.generate({ model: 'vertex/gemini-2.5-flash-image', prompt: 'a kite' });
    assert.equal(gemini.data?.length, 1);
    assert.equal(last().path, `/v1/projects/${VERTEX_TEST_PROJECT}/locations/${VERTEX_TEST_REGION}/publishers/google/models/gemini-2.5-flash-image:generateContent`);
  });

  test('embeddings through :predict', async () => {
    const result = await openai.embeddings.create({ model: 'vertex/text-embedding-005', input: ['hello world', 'bye'], dimensions: 3 });
    assert.equal(result.data.length, 2);
    assert.equal(result.data[0]!.embedding.length, 3);
    assert.equal(result.usage.prompt_tokens, 3);
    assert.match(last().path, /publishers\/google\/models\/text-embedding-005:predict$/);
    assert.deepEqual(last().body, { instances: [{ content: 'hello world' }, { content: 'bye' }], parameters: { outputDimensionality: 3 } });
  });

  test('a lapsed token is fetched before the request; one near its expiry is replaced in the background', async () => {
    // A key of its own, so that its first token is fetched with the lifetimes set here.
    const keyFile = join(directory, 'short-lived.json');
    await writeFile(keyFile, fake.serviceAccountJson());
    const second = await startGateway({ providers: { vertex: { type: 'vertex', base_url: `${fake.url}/v1`, options: { region: VERTEX_TEST_REGION }, keys: [{ value: keyFile }], max_retries: 0 } } });
    const client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'refresh' }] });
    const bearer = () => String(last().headers.authorization).slice('Bearer '.length);
    try {
      // Ten-second tokens are inside the 30 s margin: each request needs a new one, fetched before it goes out.
      fake.tokenLifetimeSeconds = 10;
      const start = fake.tokensIssued.length;
      await ask();
      await ask();
      assert.equal(fake.tokensIssued.length - start, 2);
      assert.equal(bearer(), fake.tokensIssued.at(-1));

      // A 120-second token is still good but inside the five-minute refresh window.
      fake.tokenLifetimeSeconds = 120;
      await ask();
      const used = bearer();
      assert.equal(used, fake.tokensIssued.at(-1));
      const issued = fake.tokensIssued.length;
      await ask();
      // This request went out with the token it had, and started a fetch of the next.
      assert.equal(bearer(), used);
      while (fake.tokensIssued.length === issued) await new Promise((resolve) => setImmediate(resolve));
      while (bearer() === used) await ask();
      assert.ok(fake.tokensIssued.indexOf(bearer()) > fake.tokensIssued.indexOf(used), 'a later token replaced it');
    } finally {
      fake.tokenLifetimeSeconds = 3599;
      await second.close();
    }
  });

  test('a key the token endpoint refuses: 502 upstream_auth_failed naming the endpoint\'s error, and no key material anywhere', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const forged = JSON.stringify({ ...(JSON.parse(fake.serviceAccountJson()) as object), private_key: pem });
    const other = await startGateway({ providers: { vertex: { type: 'vertex', base_url: `${fake.url}/v1`, keys: [{ value: forged }], max_retries: 0 } } });
    try {
      const client = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await assert.rejects(client.chat.completions.create({ model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 502);
        assert.equal(error.code, 'upstream_auth_failed');
        assert.match(error.message, /invalid_grant: Invalid JWT Signature/);
        assert.ok(!error.message.includes('PRIVATE KEY'));
        return true;
      });
    } finally {
      await other.close();
    }
    const body = other.logs.join('\n');
    const line = pem.split('\n')[1]!;
    assert.ok(!body.includes(line), 'no line of the private key in the logs');
  });

  test('an inline key without project_id and no options.project is refused with a clear message', async () => {
    const inline = JSON.stringify({ ...(JSON.parse(fake.serviceAccountJson()) as Record<string, unknown>), project_id: undefined });
    const other = await startGateway({ providers: { vertex: { type: 'vertex', base_url: `${fake.url}/v1`, keys: [{ value: inline }], max_retries: 0 } } });
    try {
      const client = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await assert.rejects(client.chat.completions.create({ model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }), /has no project: set options\.project/);
    } finally {
      await other.close();
    }
  });
});

describe('TokenSource', () => {
  test('concurrent requests share one fetch; a failed background refresh keeps the good token', async () => {
    let now = 0;
    let fetches = 0;
    let fail = false;
    const source = new TokenSource(async () => {
      fetches++;
      await new Promise((resolve) => setImmediate(resolve));
      if (fail) throw new Error('token endpoint down');
      return { token: `t${fetches}`, expiresAt: now + 3_600_000 };
    }, () => now);
    assert.deepEqual(await Promise.all([source.token(), source.token(), source.token()]), ['t1', 't1', 't1']);
    assert.equal(fetches, 1);
    now += 3_600_000 - 60_000;
    fail = true;
    assert.equal(await source.token(), 't1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(fetches, 2);
    fail = false;
    assert.equal(await source.token(), 't1');
    // The background refresh lands within a few turns of the event loop (a timer instead raced it on a loaded machine).
    for (let turn = 0; turn < 100 && source.cached !== 't3'; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await source.token(), 't3');
    now += 3_600_000;
    fail = true;
    await assert.rejects(source.token(), /token endpoint down/);
  });
});
