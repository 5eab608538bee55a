import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '../../src/pipeline/audit-sink.js';
import { chat, errorCode, startGoverned, TestClock } from './helpers.js';

const MINUTE = 60_000;

test('a burst of refusals is audited as its first refusal in full, then one entry counting the rest; a refused caller cannot grow the audit log per request', async () => {
  const clock = new TestClock(Date.parse('2026-07-01T08:00:00Z'));
  const audit: AuditEvent[] = [];
  const running = await startGoverned(
    {
      providers: { mock: { type: 'mock', models: ['mock-small'] } },
      virtual_keys: [{ id: 'narrow', value: 'vk-test-narrow', models: ['other/*'] }],
    },
    { now: clock.now, audit: { append: (event) => audit.push(event) } },
  );
  const blocked = () => audit.filter((event) => event.action === 'request.blocked');
  try {
    const refusedIds: string[] = [];
    for (let index = 0; index < 20; index++) {
      const refused = await chat(running.url, { authorization: 'Bearer vk-test-narrow' });
      assert.equal(refused.status, 403);
      assert.equal(errorCode(refused.body), 'model_not_allowed');
      refusedIds.push(refused.headers.get('x-request-id')!);
    }
    for (let index = 0; index < 5; index++) assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-not-a-key' })).status, 401);

    assert.deepEqual(
      blocked().map((event) => [event.actor, event.details?.code, event.details?.request_id]),
      [
        ['key:narrow', 'model_not_allowed', refusedIds[0]],
        ['anonymous', 'invalid_api_key', blocked()[1]?.details?.request_id],
      ],
    );
    assert.equal(typeof blocked()[1]!.details!.request_id, 'string');

    // Past the period, the next refusal closes the burst (its count) and opens a new one (in full).
    clock.advance(MINUTE);
    const later = await chat(running.url, { authorization: 'Bearer vk-test-narrow' });
    assert.equal(later.status, 403);
    const [, , summary, reopened] = blocked();
    assert.deepEqual(summary, {
      actor: 'key:narrow',
      action: 'request.blocked',
      target: 'narrow',
      details: { code: 'model_not_allowed', repeats: 19, since: '2026-07-01T08:00:00.000Z', until: '2026-07-01T08:01:00.000Z', last_request_id: refusedIds[19] },
    });
    assert.equal(reopened!.details!.request_id, later.headers.get('x-request-id'));
    assert.equal(blocked().length, 4);
  } finally {
    await running.close();
  }
  // Shutdown appends what was still being counted: the four invalid keys after the first.
  const last = blocked().at(-1)!;
  assert.equal(blocked().length, 5);
  assert.deepEqual([last.actor, last.details?.code, last.details?.repeats], ['anonymous', 'invalid_api_key', 4]);
});
