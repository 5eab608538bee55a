import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminGuard } from '../../src/admin/admin-auth.js';
import { AdminSessions, digestOf, SESSION_TTL_MS } from '../../src/admin/admin-sessions.js';

const TOKEN = 'sessions-admin-' + 'token-0123456789';

test('a session opens the admin API until it expires, and only for the token that opened it', () => {
  let now = 1_000_000;
  const sessions = new AdminSessions(() => now);
  const guard = createAdminGuard(TOKEN, sessions);
  const { id, session } = sessions.open(digestOf(TOKEN));
  const cookie = `other=1; tollgate_session=${id}`;
  assert.equal(guard({ cookie }, 'GET'), undefined);
  assert.equal(guard({ cookie, 'x-tollgate-csrf': session.csrf }, 'PATCH'), undefined);
  assert.equal(guard({ cookie }, 'DELETE')?.code, 'admin_unauthorized');
  assert.equal(createAdminGuard('a-different-admin-token', sessions)({ cookie }, 'GET')?.code, 'admin_unauthorized');
  // A wrong bearer token is not rescued by a good cookie: the header, when sent, is what is checked.
  assert.equal(guard({ cookie, authorization: 'Bearer wrong-token-wrong-token' }, 'GET')?.code, 'admin_unauthorized');
  now += SESSION_TTL_MS;
  assert.equal(guard({ cookie }, 'GET')?.code, 'admin_unauthorized');
  assert.equal(sessions.size, 0, 'the expired session is dropped');
});

test('sessions stay bounded however many logins arrive', () => {
  const sessions = new AdminSessions();
  const first = sessions.open(digestOf(TOKEN));
  for (let index = 0; index < 10_050; index++) sessions.open(digestOf(TOKEN));
  assert.equal(sessions.size, 10_000);
  assert.equal(sessions.find(first.id), undefined, 'the oldest went first');
});

test('hostile cookies are refused, not thrown on', () => {
  const guard = createAdminGuard(TOKEN, new AdminSessions());
  for (const cookie of ['', ';;;', 'tollgate_session=', `tollgate_session=${'x'.repeat(100_000)}`, 'tollgate_session=%00%ff', '=tollgate_session']) {
    assert.equal(guard({ cookie }, 'GET')?.code, 'admin_unauthorized', cookie.slice(0, 40));
  }
});
