import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardrailRuleSchema } from '../../src/config/guardrails-schema.js';
import type { CompiledRule } from '../../src/guardrails/compiled-rule.js';
import { BUILT_IN_DETECTORS } from '../../src/guardrails/detectors/registry.js';
import { outputTap } from '../../src/guardrails/output-tap.js';
import { RequestGuard } from '../../src/guardrails/request-guard.js';
import { GatewayError, type StreamPart } from '../../src/spec/index.js';

const AWS_KEY = 'AKIA' + 'QWERTYUIOPASDFGH';
const PEM = '-----BEGIN RSA PRIVATE' + ' KEY-----\nMIIEowIBAAKCAQEA7v5xQ1exampleonly\n-----END RSA PRIVATE' + ' KEY-----';

async function rule(raw: Record<string, unknown>): Promise<CompiledRule> {
  const config = guardrailRuleSchema.parse(raw);
  return { name: config.name, action: config.action, input: config.direction !== 'output', output: config.direction !== 'input', restore: config.restore, detector: await BUILT_IN_DETECTORS[config.detector]!.create(config), config };
}

function run(guard: RequestGuard, deltas: readonly string[]): { out: StreamPart[]; text: string } {
  const tap = outputTap(guard);
  const out: StreamPart[] = [];
  for (const delta of deltas) out.push(...tap.part({ type: 'text-delta', choice: 0, text: delta }));
  out.push(...tap.part({ type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } }));
  out.push(...tap.end(false));
  return { out, text: out.map((part) => (part.type === 'text-delta' ? part.text : '')).join('') };
}

test('a key split across three chunks at every pair of cut points is masked whole, no piece of it released', async () => {
  const secrets = await rule({ name: 'secrets', detector: 'secrets', direction: 'output', action: 'redact' });
  const text = `prefix words here ${AWS_KEY} and a tail that goes on for a while after it.`;
  const at = text.indexOf(AWS_KEY);
  for (let first = at + 1; first < at + AWS_KEY.length - 1; first++) {
    for (let second = first + 1; second < at + AWS_KEY.length; second++) {
      const { out, text: released } = run(new RequestGuard([], [secrets]), [text.slice(0, first), text.slice(first, second), text.slice(second)]);
      assert.equal(released, text.replace(AWS_KEY, '[AWS_ACCESS_KEY_1]'));
      for (const part of out) if (part.type === 'text-delta') assert.ok(!/AKIA|QWER|ASDF/.test(part.text), `cut at ${first}/${second}: ${part.text}`);
      assert.equal(out.at(-1)?.type, 'finish');
    }
  }
});

test('text flows before the end of a long answer; a private-key block in one-character deltas is held until its END line', async () => {
  const secrets = await rule({ name: 'secrets', detector: 'secrets', direction: 'output', action: 'redact' });
  const tap = outputTap(new RequestGuard([], [secrets]));
  const text = `${'plain words '.repeat(40)}${PEM} done`;
  let released = '';
  let releasedBeforeEnd = 0;
  for (const char of text) {
    for (const part of tap.part({ type: 'text-delta', choice: 0, text: char })) if (part.type === 'text-delta') released += part.text;
    if (released.length > 0 && releasedBeforeEnd === 0) releasedBeforeEnd = released.length;
  }
  assert.ok(releasedBeforeEnd > 0, 'text went out before the stream ended');
  for (const part of tap.end(false)) if (part.type === 'text-delta') released += part.text;
  assert.equal(released, `${'plain words '.repeat(40)}[PRIVATE_KEY_1] done`);
});

test('restore: a placeholder split across chunks comes back as the value', async () => {
  const emails = await rule({ name: 'emails', detector: 'pii', types: ['email'], direction: 'input', action: 'redact', restore: true });
  const guard = new RequestGuard([emails], []);
  assert.equal(guard.apply('write to ann@example.net', [{ rule: emails, type: 'email', start: 9, end: 24 }], 'input'), 'write to [EMAIL_1]');
  assert.equal(run(guard, ['I wrote to [EMA', 'IL_', '1] as asked.']).text, 'I wrote to ann@example.net as asked.');
});

test('block: a part that completes a finding throws guardrail_blocked without the value; at the end of the stream it becomes an error part', async () => {
  const cards = await rule({ name: 'cards', detector: 'pii', types: ['credit_card'], direction: 'output', action: 'block' });
  const tap = outputTap(new RequestGuard([], [cards]));
  tap.part({ type: 'text-delta', choice: 0, text: 'card 4111 1111 ' });
  tap.part({ type: 'text-delta', choice: 0, text: '1111 1111' });
  assert.throws(
    () => tap.part({ type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } }),
    (error: unknown) => GatewayError.is(error) && error.code === 'guardrail_blocked' && !error.message.includes('4111'),
  );
  // Nothing more goes out after a block.
  assert.deepEqual(tap.part({ type: 'text-delta', choice: 0, text: 'more' }), []);

  const ending = outputTap(new RequestGuard([], [cards]));
  ending.part({ type: 'text-delta', choice: 0, text: 'card 4111 1111 1111 1111' });
  const [last] = ending.end(false);
  assert.equal(last?.type, 'error');
  assert.equal(last?.type === 'error' ? last.error.code : undefined, 'guardrail_blocked');
  // An upstream error drops what was held instead.
  const broken = outputTap(new RequestGuard([], [cards]));
  broken.part({ type: 'text-delta', choice: 0, text: 'card 4111 1111 1111 1111' });
  assert.deepEqual(broken.end(true), []);
});
