import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { regexDetector } from '../../src/guardrails/detectors/regex.js';
import { startGateway } from '../helpers/gateway.js';

test('a pattern that backtracks catastrophically in JavaScript\'s engine completes under RE2', async () => {
  const detector = await regexDetector.create({ name: 'evil', pattern: '(a+)+$' });
  // In V8 this input would take longer than the age of the universe: 2^100000 paths.
  const text = 'a'.repeat(100_000) + '!';
  assert.deepEqual(detector.scan(text), []);
  const matching = await regexDetector.create({ name: 'evil', pattern: '(a+)+$', types: ['run'] });
  assert.deepEqual(matching.scan('xx' + 'a'.repeat(50_000)), [{ type: 'run', start: 2, end: 50_002 }]);
});

test('offsets are UTF-16 positions, as the rest of the guardrails count them', async () => {
  const detector = await regexDetector.create({ name: 'ids', pattern: 'EMP-[0-9]{3}', types: ['employee_id'] });
  const text = 'émigré 😀 EMP-123';
  const [finding] = detector.scan(text);
  assert.equal(text.slice(finding!.start, finding!.end), 'EMP-123');
});

test('a pattern RE2 cannot run (a backreference) stops start-up, naming the rule\'s path', async () => {
  const failure = await startGateway({ providers: {}, guardrails: { rules: [{ name: 'back', detector: 'regex', pattern: '(a)\\1' }], apply: ['back'] } }).catch((error: unknown) => error);
  assert.ok(failure instanceof ConfigError);
  assert.match(failure.message, /guardrails\.rules\[0\]\.pattern: the pattern is not valid RE2 syntax/);
});
