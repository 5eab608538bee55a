import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { request } from 'undici';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startEchoUpstream, type EchoDialect, type EchoMode, type EchoUpstream } from '../fakes/echo-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { providerCases, type ProviderCase } from './provider-cases.js';

/**
 * Upstreams that repeat the credentials they received (a JSON error, an HTML error page, an error
 * event inside a stream, an answer's text) never get them to the caller, the log lines or the
 * request log, for every provider type: the exact key of the attempt (for Bedrock the access key
 * id, secret and session token) and anything shaped like someone's key (`sk-…`, `sk-ant-…`,
 * `AKIA…`, `ASIA…`, `AIza…`, `?key=`). Real loopback servers, a real gateway, a real SQLite log.
 */

/** Credential-shaped tokens that are nobody's key here: error text must lose them all the same. */
const FOREIGN = [
  `sk-proj-${'A1b2C3d4'.repeat(5)}`,
  `sk-ant-api03-${'x9Y8w7V6'.repeat(5)}`,
  // Made up; split for secret scanners.
  `${'AKIA'}ABCDEFGHIJKLMNOP`,
  `${'ASIA'}QRSTUVWXYZ234567`,
  `AIzaSy${'D4e5F6g7h8'.repeat(3)}Q1a2b`,
];
const FOREIGN_TEXT = `(seen elsewhere: ${FOREIGN[0]} ${FOREIGN[1]} ${FOREIGN[2]} ${FOREIGN[3]} ${FOREIGN[4]} https://generativelanguage.googleapis.com/v1beta/models/m?key=${FOREIGN[4]}&alt=sse)`;

const BEDROCK_ID = 'TESTKEYID0123456789';
const BEDROCK_SECRET = 'test/Secret+Access0123456789abcdefghijklm';
const BEDROCK_SESSION = 'IQoJb3JpZ2luX2VjEtest/Session+Token0123456789abcdefghijklmnop';

interface SecretCase {
  providerCase: ProviderCase;
  /** The provider's name in the gateway's config (the type, or type and model family when a type has two cases). */
  name: string;
  dialect: EchoDialect;
  keyValue: string;
  /** Every exact secret of this provider's attempts. */
  secrets: string[];
  upstream: EchoUpstream;
}

function dialectOf(providerCase: ProviderCase): EchoDialect {
  const type = providerCase.type;
  if (type === 'vertex') return providerCase.model.startsWith('claude') ? 'anthropic' : 'gemini';
  return type === 'anthropic' || type === 'gemini' || type === 'bedrock' || type === 'cohere' ? type : 'openai';
}

/** A Vertex AI service-account key whose token endpoint is the echo upstream; the access token it gets is the secret sent. */
function vertexKey(url: string): { value: string; secrets: string[] } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const value = JSON.stringify({ type: 'service_account', project_id: 'echo-project', private_key_id: 'echo', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: 'echo@echo-project.iam.gserviceaccount.com', token_uri: `${url}/token` });
  return { value, secrets: [VERTEX_ACCESS_TOKEN] };
}

// Made up; split for secret scanners.
const VERTEX_ACCESS_TOKEN = `${'ya29'}.echo-${'c2VjcmV0'.repeat(4)}`;

function keyFor(type: string): { value: string; secrets: string[] } {
  if (type === 'bedrock') return { value: `${BEDROCK_ID}:${BEDROCK_SECRET}:${BEDROCK_SESSION}`, secrets: [BEDROCK_ID, BEDROCK_SECRET, BEDROCK_SESSION] };
  // Not shaped like any known key: only scrubbing the exact value can catch it.
  const value = `tollgate-test-${type}-0123456789abcdef`;
  return { value, secrets: [value] };
}

interface CallerResponse {
  status: number;
  /** Status, headers, body and trailers as one text, for "is the secret anywhere" checks. */
  everything: string;
  body: string;
}

async function post(url: string, body: unknown): Promise<CallerResponse> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.body.text();
  return { status: response.statusCode, body: text, everything: `${response.statusCode}\n${JSON.stringify(response.headers)}\n${text}\n${JSON.stringify(response.trailers)}` };
}

/** The caller's requests: OpenAI's dialect always; the provider's own where Tollgate serves it (forwarded as received). */
function callers(running: RunningGateway, secretCase: SecretCase): { name: string; native: boolean; call(stream: boolean): Promise<CallerResponse> }[] {
  const { providerCase, dialect } = secretCase;
  const model = `${secretCase.name}/${providerCase.model}`;
  const openai = { name: 'openai', native: dialect === 'openai', call: (stream: boolean) => post(`${running.url}/v1/chat/completions`, { model, stream, messages: [{ role: 'user', content: 'hi' }] }) };
  if (dialect === 'anthropic') {
    return [openai, { name: 'anthropic', native: true, call: (stream) => post(`${running.url}/anthropic/v1/messages`, { model, stream, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }) }];
  }
  if (dialect === 'gemini') {
    return [
      openai,
      {
        name: 'gemini',
        native: true,
        call: (stream) => post(`${running.url}/gemini/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      },
    ];
  }
  return [openai];
}

function assertClean(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `${where} holds ${secret}:\n${text.slice(0, 3000)}`);
}

describe('upstreams echoing credentials: nothing reaches the caller, the logs or the request log', () => {
  let directory: string;
  let running: RunningGateway;
  const cases: SecretCase[] = [];

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tollgate-secret-echo-'));
    const providers: Record<string, unknown> = {};
    for (const providerCase of providerCases) {
      const dialect = dialectOf(providerCase);
      const vertex = providerCase.type === 'vertex';
      let key = keyFor(providerCase.type);
      // A proxy that logged everything might show even what never went over the wire (Bedrock's secret).
      const upstream = await startEchoUpstream(dialect, { errorExtra: FOREIGN_TEXT, alwaysExtra: `(proxy log: ${key.secrets.join(' ')})`, ...(vertex ? { accessToken: VERTEX_ACCESS_TOKEN } : {}) });
      if (vertex) key = vertexKey(upstream.url);
      const config = providerCase.provider({ url: upstream.url } as FakeUpstream);
      const name = providers[providerCase.type] === undefined ? providerCase.type : `${providerCase.type}-${dialect}`;
      providers[name] = { ...config, keys: [{ id: `${name}-key`, value: key.value }], max_retries: 0 };
      cases.push({ providerCase, name, dialect, keyValue: key.value, secrets: key.secrets, upstream });
    }
    running = await startGateway({
      storage: { type: 'sqlite', path: join(directory, 'gateway.db') },
      observability: { request_log: true, log_content: true, flush_interval_ms: 50 },
      // Every answer here is a failure on purpose: nothing is taken out of rotation for it.
      routing: { circuit_breaker: { enabled: false }, keys: { auth_cooldown_ms: 0 } },
      providers,
    });
  });

  after(async () => {
    await running?.close().catch(() => {});
    for (const secretCase of cases) await secretCase.upstream.close();
    await rm(directory, { recursive: true, force: true });
  });

  const modes: { mode: EchoMode; stream: boolean; check(response: CallerResponse, native: boolean): void }[] = [
    {
      mode: 'json-error',
      stream: false,
      check: (response) => {
        assert.equal(response.status, 502);
        assert.match(response.body, /upstream_auth_failed/);
        assert.match(response.body, /redacted/);
      },
    },
    {
      mode: 'html-error',
      stream: false,
      check: (response) => {
        assert.equal(response.status, 502);
        assert.match(response.body, /upstream_error/);
        assert.match(response.body, /Bad Gateway/);
      },
    },
    {
      mode: 'stream-error-first',
      stream: true,
      check: (response) => {
        assert.ok(response.status >= 400, `status ${response.status}`);
        assert.match(response.body, /redacted/);
      },
    },
    {
      mode: 'stream-error-after-content',
      stream: true,
      check: (response) => {
        assert.equal(response.status, 200);
        assert.match(response.body, /Hello/);
        assert.match(response.body, /redacted/);
      },
    },
    { mode: 'echo', stream: false, check: (response) => (assert.equal(response.status, 200), assert.match(response.body, /You sent .*redacted/)) },
    { mode: 'echo', stream: true, check: (response) => (assert.equal(response.status, 200), assert.match(response.body, /You sent .*redacted/)) },
  ];

  for (const providerCase of providerCases) {
    test(`${providerCase.type} (${providerCase.model}): JSON and HTML errors, stream error events and echoed answers`, async () => {
      const secretCase = cases.find((candidate) => candidate.providerCase === providerCase)!;
      const secrets = [secretCase.keyValue, ...secretCase.secrets, ...FOREIGN];
      for (const caller of callers(running, secretCase)) {
        for (const { mode, stream, check } of modes) {
          secretCase.upstream.enqueue(mode);
          const response = await caller.call(stream);
          const where = `${caller.name} caller, ${mode}${stream ? ' (stream)' : ''}`;
          // The upstream did repeat the secrets: this test is only worth something if they were there to leak.
          for (const secret of secretCase.secrets) assert.ok(secretCase.upstream.lastEcho!.includes(secret), `the ${where} upstream echoed ${secret}`);
          assertClean(response.everything, secrets, where);
          check(response, caller.native);
        }
      }
    });
  }

  test('the gateway still serves, and its log lines and SQLite request log hold no secret', async () => {
    const again = await post(`${running.url}/v1/chat/completions`, { model: 'openai/test-model', messages: [{ role: 'user', content: 'still there?' }] });
    assert.equal(again.status, 200);
    const secrets = [...new Set(cases.flatMap((secretCase) => [secretCase.keyValue, ...secretCase.secrets])), ...FOREIGN];
    assertClean(again.everything, secrets, 'the last answer');
    await running.close();

    assert.ok(running.logs.length > 0);
    assertClean(running.logs.join('\n'), secrets, 'the log lines');

    const database = new Database(join(directory, 'gateway.db'), { readonly: true });
    try {
      const tables = database.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      let logged = 0;
      for (const { name } of tables) {
        const rows = database.prepare(`select * from "${name}"`).all() as Record<string, unknown>[];
        if (name.endsWith('request_logs')) logged = rows.length;
        const text = rows.map((row) => JSON.stringify(row, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'bigint' ? String(value) : value))).join('\n');
        assertClean(text, secrets, `SQLite table ${name}`);
      }
      // Every call above is in the log (one row per request; single attempts have no attempt rows).
      assert.ok(logged >= providerCases.length * modes.length + 1, `request_logs has ${logged} rows`);
      const failures = database.prepare("select count(*) as count from tollgate_request_logs where error_message like '%redacted%'").get() as { count: number };
      assert.ok(failures.count > 0, 'scrubbed error messages were logged');
    } finally {
      database.close();
    }
  });
});
