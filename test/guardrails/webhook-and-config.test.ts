import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { ConfigError } from '../../src/config/config-error.js';
import { validateConfig } from '../../src/config/load.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const OPEN = 'vk-test-' + 'hook-open';
const CLOSED = 'vk-test-' + 'hook-closed';
const JUDGED = 'vk-test-' + 'hook-judged';

let fake: FakeUpstream;
let running: RunningGateway;
let hook: Server;
let hookUrl: string;
const seen: Record<string, unknown>[] = [];

before(async () => {
  fake = await startOpenAIFake();
  // /slow never answers in time; /judge blocks prompts that mention "forbidden".
  hook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/slow') {
        const timer = setTimeout(() => response.end('{"action":"allow"}'), 5_000);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      const payload = JSON.parse(body) as Record<string, unknown>;
      seen.push(payload);
      const text = JSON.stringify(payload.messages);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(text.includes('forbidden') ? { action: 'block', reason: 'policy 7 applies' } : { action: 'allow' }));
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  running = await startGateway({
    providers: { openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o-mini'], max_retries: 0 } },
    guardrails: {
      rules: [
        { name: 'slow-open', detector: 'webhook', url: `${hookUrl}/slow`, timeout_ms: 100, on_error: 'allow', direction: 'input' },
        { name: 'slow-closed', detector: 'webhook', url: `${hookUrl}/slow`, timeout_ms: 100, on_error: 'block', direction: 'input' },
        { name: 'judge', detector: 'webhook', url: `${hookUrl}/judge`, direction: 'both' },
      ],
    },
    virtual_keys: [
      { id: 'open', value: OPEN, models: ['*'], guardrails: { apply: ['slow-open'] } },
      { id: 'closed', value: CLOSED, models: ['*'], guardrails: { apply: ['slow-closed'] } },
      { id: 'judged', value: JUDGED, models: ['*'], guardrails: { apply: ['judge'] } },
    ],
  });
});

after(async () => {
  await running.close();
  await fake.close();
  hook.closeAllConnections();
  await new Promise((resolve) => hook.close(resolve));
});

const ask = (key: string, content: string) => new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] });

test('a webhook that times out: fail-open lets the request through, fail-closed refuses it with guardrail_blocked', async () => {
  const before = fake.requests.length;
  const answer = await ask(OPEN, 'hello');
  assert.equal(answer.choices[0]?.finish_reason, 'stop');
  assert.equal(fake.requests.length, before + 1);

  const refused = await ask(CLOSED, 'hello').catch((error: unknown) => error);
  assert.ok(refused instanceof OpenAI.BadRequestError);
  assert.equal(refused.code, 'guardrail_blocked');
  assert.match(refused.message, /guardrail rule "slow-closed" \(webhook\).*did not answer within 100 ms.*fails closed/);
  assert.equal(fake.requests.length, before + 1);
});

test('a webhook judges the request and the response phases; its block names the rule and its reason', async () => {
  const refused = await ask(JUDGED, 'something forbidden').catch((error: unknown) => error);
  assert.ok(refused instanceof OpenAI.BadRequestError);
  assert.match(refused.message, /guardrail rule "judge" \(webhook\) on the request: policy 7 applies/);
  const request = seen.at(-1)!;
  assert.equal(request.phase, 'request');
  assert.equal(request.virtual_key_id, 'judged');
  assert.deepEqual(request.messages, [{ role: 'user', text: 'something forbidden' }]);

  fake.enqueue({ text: 'a forbidden answer', finish: 'stop', usage: { input: 2, output: 3 } });
  const answerRefused = await ask(JUDGED, 'fine question').catch((error: unknown) => error);
  assert.ok(answerRefused instanceof OpenAI.BadRequestError);
  assert.match(answerRefused.message, /on the answer: policy 7 applies/);
  assert.equal(seen.at(-1)!.phase, 'response');
});

test('config: names in apply lists are checked with their path and the fix; rules have what their detector needs', () => {
  const attempt = (guardrails: unknown, extra: Record<string, unknown> = {}) => {
    try {
      validateConfig({ providers: {}, guardrails, ...extra }, 'test config');
      return undefined;
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
  };
  const unknown = attempt({ rules: [{ name: 'emails', detector: 'pii' }], apply: ['emails', 'nope'] }, { virtual_keys: [{ id: 'k', value: 'v', guardrails: { apply: ['missing'] } }] });
  assert.match(unknown!, /guardrails\.apply\[1\]: unknown guardrail rule "nope"\. Fix|guardrails\.apply\[1\]: unknown guardrail rule "nope": define it under guardrails\.rules/);
  assert.match(unknown!, /virtual_keys\[0\]\.guardrails\.apply\[0\]: unknown guardrail rule "missing"/);
  assert.match(attempt({ rules: [{ name: 'r', detector: 'regex' }] })!, /guardrails\.rules\[0\]\.pattern: a regex rule needs `pattern`/);
  assert.match(attempt({ rules: [{ name: 'w', detector: 'webhook', url: 'http://127.0.0.1:1/x', action: 'redact' }] })!, /a webhook rule can block or log, not redact/);
  assert.match(attempt({ rules: [{ name: 'a', detector: 'pii' }, { name: 'a', detector: 'secrets' }] })!, /duplicate guardrail rule name "a"/);
  assert.match(attempt({ rules: [{ name: 'a', detector: 'pii', direction: 'sideways' }] })!, /guardrails\.rules\[0\]\.direction/);
  assert.equal(attempt({ rules: [{ name: 'a', detector: 'pii' }], apply: ['a'] }, { teams: [{ id: 't', guardrails: { apply: ['a'] } }], customers: [{ id: 'c', guardrails: { apply: ['a'] } }] }), undefined);
});

test('config: an unknown detector type stops start-up naming the rule\'s path and the known types', async () => {
  const failure = await startGateway({ providers: {}, guardrails: { rules: [{ name: 'p', detector: 'pii', types: ['emial'] }], apply: ['p'] } }).catch((error: unknown) => error);
  assert.ok(failure instanceof ConfigError);
  assert.match(failure.message, /guardrails\.rules\[0\]\.types: unknown pii type "emial"; known types: email, /);
});
