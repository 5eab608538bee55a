import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

// Made-up secret-looking values, written in pieces so secret scanners leave the file alone.
const AWS_KEY = 'AKIA' + 'QWERTYUIOPASDFGH';
const CARD = '4111 1111 ' + '1111 1111';
const SSN = '123-45-' + '6789';
const PLAIN = 'vk-test-' + 'guard-plain';
const SECURE = 'vk-test-' + 'guard-secure';
const ADMIN = 'admin-token-' + 'guardrails-test';

let openaiFake: FakeUpstream;
let anthropicFake: FakeUpstream;
let geminiFake: FakeUpstream;
let running: RunningGateway;
let openai: OpenAI;

before(async () => {
  [openaiFake, anthropicFake, geminiFake] = await Promise.all([startOpenAIFake(), startAnthropicFake(), startGeminiFake()]);
  running = await startGateway({
    admin: { token: ADMIN },
    providers: {
      openai: { type: 'openai', base_url: `${openaiFake.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o-mini'], max_retries: 0 },
      anthropic: { type: 'anthropic', base_url: anthropicFake.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
      gemini: { type: 'gemini', base_url: `${geminiFake.url}/v1beta`, keys: [{ value: 'test-key-gemini' }], models: ['gemini-2.5-flash'], max_retries: 0 },
    },
    guardrails: {
      rules: [
        { name: 'emails', detector: 'pii', types: ['email'], direction: 'input', action: 'redact', restore: true },
        { name: 'codeword', detector: 'keywords', words: ['project bluebird'], direction: 'input', action: 'block' },
        { name: 'ssn-log', detector: 'pii', types: ['us_ssn'], action: 'log' },
        { name: 'cards-out', detector: 'pii', types: ['credit_card'], direction: 'output', action: 'block' },
        { name: 'secrets-out', detector: 'secrets', direction: 'output', action: 'redact' },
        { name: 'secrets-in', detector: 'secrets', direction: 'input', action: 'block' },
      ],
      apply: ['emails', 'codeword', 'ssn-log', 'cards-out', 'secrets-out'],
    },
    teams: [{ id: 'secure', guardrails: { apply: ['secrets-in'] } }],
    virtual_keys: [
      { id: 'plain', value: PLAIN, models: ['*'] },
      { id: 'secure-key', value: SECURE, models: ['*'], team: 'secure' },
    ],
  });
  openai = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: PLAIN, maxRetries: 0 });
});

after(async () => {
  await running.close();
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close()]);
});

const MESSAGE = 'tell me about project bluebird';

function assertBlockMessage(message: string, rule: string): void {
  assert.match(message, new RegExp(`guardrail rule \\\\?"${rule}\\\\?": keyword found in message 0, character 14`));
  assert.doesNotMatch(message, /bluebird/i);
}

test('block: OpenAI, Anthropic and Gemini callers get 400 guardrail_blocked in their dialect, naming the rule and the position, and nothing goes upstream', async () => {
  const sent = openaiFake.requests.length + anthropicFake.requests.length + geminiFake.requests.length;

  const fromOpenAI = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: MESSAGE }] }).catch((error: unknown) => error);
  assert.ok(fromOpenAI instanceof OpenAI.BadRequestError);
  assert.equal(fromOpenAI.code, 'guardrail_blocked');
  assert.equal(fromOpenAI.headers?.get('x-tollgate-error-code'), 'guardrail_blocked');
  assertBlockMessage(fromOpenAI.message, 'codeword');

  const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: PLAIN, maxRetries: 0 });
  const fromAnthropic = await anthropic.messages.create({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: MESSAGE }] }).catch((error: unknown) => error);
  assert.ok(fromAnthropic instanceof Anthropic.BadRequestError);
  assert.equal((fromAnthropic.error as { type?: string }).type, 'error');
  assert.equal(fromAnthropic.headers?.get('x-tollgate-error-code'), 'guardrail_blocked');
  assertBlockMessage(fromAnthropic.message, 'codeword');

  const ai = new GoogleGenAI({ apiKey: PLAIN, httpOptions: { baseUrl: `${running.url}/gemini` } });
  const fromGemini = await ai.models.generateContent({ model: 'gemini/gemini-2.5-flash', contents: MESSAGE }).catch((error: unknown) => error);
  assert.ok(fromGemini instanceof Error);
  assert.equal((fromGemini as { status?: number }).status, 400);
  assertBlockMessage(fromGemini.message, 'codeword');

  // The Responses surface speaks the same refusal.
  const fromResponses = await openai.responses.create({ model: 'openai/gpt-4o-mini', input: MESSAGE }).catch((error: unknown) => error);
  assert.ok(fromResponses instanceof OpenAI.BadRequestError);
  assert.equal(fromResponses.headers?.get('x-tollgate-error-code'), 'guardrail_blocked');

  assert.equal(openaiFake.requests.length + anthropicFake.requests.length + geminiFake.requests.length, sent);
});

test('redact: the upstream sees a typed placeholder; restore puts the value back into the same request\'s answer', async () => {
  openaiFake.enqueue({ text: 'I will write to [EMAIL_1] today.', finish: 'stop', usage: { input: 9, output: 8 } });
  const answer = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Write to jane.doe@example.com and jane.doe@example.com, cc bob@example.org' }] });
  const seen = openaiFake.requests.at(-1)!.summary!;
  assert.equal(seen.messages.at(-1)?.text, 'Write to [EMAIL_1] and [EMAIL_1], cc [EMAIL_2]');
  assert.equal(answer.choices[0]?.message.content, 'I will write to jane.doe@example.com today.');

  anthropicFake.enqueue({ text: 'Noted: [EMAIL_1].', finish: 'stop', usage: { input: 5, output: 4 } });
  const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: PLAIN, maxRetries: 0 });
  const stream = anthropic.messages.stream({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'my address is ann@example.net' }] });
  const final = await stream.finalMessage();
  assert.match(JSON.stringify(anthropicFake.requests.at(-1)!.body), /\[EMAIL_1\]/);
  assert.doesNotMatch(JSON.stringify(anthropicFake.requests.at(-1)!.body), /ann@example\.net/);
  assert.equal(final.content[0]?.type === 'text' ? final.content[0].text : '', 'Noted: ann@example.net.');

  const ai = new GoogleGenAI({ apiKey: PLAIN, httpOptions: { baseUrl: `${running.url}/gemini` } });
  await ai.models.generateContent({ model: 'gemini/gemini-2.5-flash', contents: 'reach me at kim@example.com' });
  assert.match(JSON.stringify(geminiFake.requests.at(-1)!.body), /reach me at \[EMAIL_1\]/);
});

test('log: the prompt goes upstream unchanged; the decision is in the request log, the audit log and the metrics per rule', async () => {
  const { response } = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `my ssn is ${SSN}` }] }).withResponse();
  assert.equal(openaiFake.requests.at(-1)!.summary!.messages.at(-1)?.text, `my ssn is ${SSN}`);
  const requestId = response.headers.get('x-request-id')!;
  const admin = async (path: string) => (await fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  let logged: { guardrails: string | null }[] = [];
  for (let attempt = 0; attempt < 50 && logged.length === 0; attempt++) {
    logged = (JSON.parse(await admin(`/admin/logs?request_id=${requestId}`)) as { logs: { guardrails: string | null }[] }).logs;
    if (logged.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(JSON.parse(logged[0]!.guardrails!), [{ rule: 'ssn-log', action: 'log', direction: 'input', types: ['us_ssn'], count: 1 }]);
  const audit = await admin('/admin/audit?limit=1000');
  assert.match(audit, /guardrail\.decision/);
  assert.match(audit, new RegExp(requestId));
  assert.doesNotMatch(audit, new RegExp(SSN));
  const metrics = await (await fetch(`${running.url}/metrics`)).text();
  assert.match(metrics, /tollgate_guardrail_decisions_total\{rule="ssn-log",action="log",direction="input"\} [1-9]/);
  assert.match(metrics, /tollgate_guardrail_decisions_total\{rule="codeword",action="block",direction="input"\} [1-9]/);
  assert.doesNotMatch(metrics, new RegExp(SSN));
});

test('scope: a team\'s apply adds its rules for its keys only', async () => {
  const prompt = `deploy with ${AWS_KEY}`;
  await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: prompt }] });
  assert.equal(openaiFake.requests.at(-1)!.summary!.messages.at(-1)?.text, prompt);
  const secure = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: SECURE, maxRetries: 0 });
  const refused = await secure.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }).catch((error: unknown) => error);
  assert.ok(refused instanceof OpenAI.BadRequestError);
  assert.match(refused.message, /guardrail rule "secrets-in": aws_access_key found in message 0, character 12/);
  assert.doesNotMatch(refused.message, new RegExp(AWS_KEY.slice(4)));
});

test('stream: a secret split across three chunks is masked before it reaches the caller, and the stream ends normally', async () => {
  // The fake sends text in three pieces: the key alone is cut in three.
  openaiFake.enqueue({ text: AWS_KEY, finish: 'stop', usage: { input: 3, output: 6 } });
  const stream = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'print the key' }], stream: true });
  const deltas: string[] = [];
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    const text = chunk.choices[0]?.delta.content;
    if (text) deltas.push(text);
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(deltas.join(''), '[AWS_ACCESS_KEY_1]');
  for (const delta of deltas) assert.doesNotMatch(delta, /AKIA|QWER|ASDF/);
  assert.equal(finish, 'stop');

  // A longer answer: text around it still flows, masked in place.
  const long = `Here is the configuration you asked for, with the access key ${AWS_KEY} in the middle of a longer sentence that keeps going for a while.`;
  openaiFake.enqueue({ text: long, finish: 'stop', usage: { input: 3, output: 30 } });
  let text = '';
  for await (const chunk of await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'again' }], stream: true })) text += chunk.choices[0]?.delta.content ?? '';
  assert.equal(text, long.replace(AWS_KEY, '[AWS_ACCESS_KEY_1]'));
});

test('output: tool-call arguments are checked, whole and streamed', async () => {
  const args = JSON.stringify({ command: `aws configure set aws_access_key_id ${AWS_KEY}` });
  openaiFake.enqueue({ toolCalls: [{ id: 'call_1', name: 'shell', arguments: args }], finish: 'tool-calls', usage: { input: 3, output: 9 } });
  const whole = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'configure aws' }] });
  assert.equal(whole.choices[0]?.message.tool_calls?.[0]?.type === 'function' ? whole.choices[0].message.tool_calls[0].function.arguments : '', args.replace(AWS_KEY, '[AWS_ACCESS_KEY_1]'));

  openaiFake.enqueue({ toolCalls: [{ id: 'call_2', name: 'shell', arguments: args }], finish: 'tool-calls', usage: { input: 3, output: 9 } });
  let streamed = '';
  for await (const chunk of await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'configure aws' }], stream: true })) streamed += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
  assert.equal(streamed, args.replace(AWS_KEY, '[AWS_ACCESS_KEY_1]'));
});

test('output block: a whole answer is refused with guardrail_blocked; a stream ends with the dialect\'s error event', async () => {
  openaiFake.enqueue({ text: `Your card is ${CARD}.`, finish: 'stop', usage: { input: 3, output: 9 } });
  const refused = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'my card?' }] }).catch((error: unknown) => error);
  assert.ok(refused instanceof OpenAI.BadRequestError);
  assert.match(refused.message, /guardrail rule "cards-out": credit_card found in the answer \(choice 0\), character 13/);
  assert.doesNotMatch(refused.message, /4111/);

  anthropicFake.enqueue({ text: `Your card is ${CARD}, keep it safe.`, finish: 'stop', usage: { input: 3, output: 9 } });
  const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: PLAIN, maxRetries: 0 });
  let text = '';
  const failure = await (async () => {
    const stream = await anthropic.messages.create({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'my card?' }], stream: true });
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  })().catch((error: unknown) => error);
  assert.ok(failure instanceof Anthropic.APIError, String(failure));
  assert.match(failure.message, /guardrail_blocked|cards-out/);
  assert.doesNotMatch(text, /4111/);
});

test('scoped apply lists live in the config: a config team with one still takes admin edits, and the admin API refuses new ones', async () => {
  const admin = (method: string, path: string, body: unknown) => fetch(`${running.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const patched = await admin('PATCH', '/admin/teams/secure', { name: 'Secure team' });
  assert.equal(patched.status, 200, await patched.clone().text());
  const created = await admin('POST', '/admin/keys', { id: 'api-key', models: ['*'], guardrails: { apply: ['secrets-in'] } });
  assert.equal(created.status, 400);
  // The team's rules still apply to its keys after the edit.
  const secure = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: SECURE, maxRetries: 0 });
  const refused = await secure.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `key ${AWS_KEY}` }] }).catch((error: unknown) => error);
  assert.ok(refused instanceof OpenAI.BadRequestError);
});

test('stream: the Gemini and Responses dialects get the masked key too', async () => {
  geminiFake.enqueue({ text: `the key is ${AWS_KEY} ok`, finish: 'stop', usage: { input: 3, output: 6 } });
  const ai = new GoogleGenAI({ apiKey: PLAIN, httpOptions: { baseUrl: `${running.url}/gemini` } });
  let gemini = '';
  for await (const chunk of await ai.models.generateContentStream({ model: 'gemini/gemini-2.5-flash', contents: 'print the key' })) gemini += chunk.text ?? '';
  assert.equal(gemini, 'the key is [AWS_ACCESS_KEY_1] ok');

  openaiFake.enqueue({ text: `the key is ${AWS_KEY} ok`, finish: 'stop', usage: { input: 3, output: 6 } });
  let responses = '';
  for await (const event of await openai.responses.create({ model: 'openai/gpt-4o-mini', input: 'print the key', stream: true })) if (event.type === 'response.output_text.delta') responses += event.delta;
  assert.equal(responses, 'the key is [AWS_ACCESS_KEY_1] ok');
});
