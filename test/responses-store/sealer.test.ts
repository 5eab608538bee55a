import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aesGcmSealer, keyFrom, PLAIN } from '../../src/responses-store/sealer.js';

const KEY = keyFrom(Buffer.alloc(32, 3).toString('base64'));

test('AES-256-GCM seals with a fresh nonce each time and opens only under the same key and response id', () => {
  const sealer = aesGcmSealer(KEY);
  const text = JSON.stringify({ output_text: 'the secret plan' });
  const once = sealer.seal(text, 'resp_a');
  const twice = sealer.seal(text, 'resp_a');
  assert.match(once, /^aes256gcm:/);
  assert.notEqual(once, twice);
  assert.ok(!once.includes('secret'));
  assert.equal(sealer.open(once, 'resp_a'), text);
  // Bound to its row: a sealed value copied to another response does not open.
  assert.throws(() => sealer.open(once, 'resp_b'));
  // Another key, or one flipped bit, does not open either.
  assert.throws(() => aesGcmSealer(keyFrom('ab'.repeat(32))).open(once, 'resp_a'));
  const raw = Buffer.from(once.slice('aes256gcm:'.length), 'base64');
  raw[raw.length - 1]! ^= 1;
  assert.throws(() => sealer.open(`aes256gcm:${raw.toString('base64')}`, 'resp_a'));
});

test('rows stored before a key was configured still open; sealed rows do not open without the key', () => {
  assert.equal(aesGcmSealer(KEY).open('{"plain":true}', 'resp_a'), '{"plain":true}');
  assert.equal(PLAIN.seal('{"a":1}', 'resp_a'), '{"a":1}');
  assert.throws(() => PLAIN.open(aesGcmSealer(KEY).seal('{}', 'resp_a'), 'resp_a'), /encryption_key/);
});

test('keys are 32 bytes, from hex or base64', () => {
  assert.equal(keyFrom('0f'.repeat(32)).length, 32);
  assert.equal(keyFrom(Buffer.alloc(32, 9).toString('base64')).length, 32);
  assert.throws(() => aesGcmSealer(Buffer.alloc(16)));
});
