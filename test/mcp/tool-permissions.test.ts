import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { compilePattern } from '../../src/mcp/tool-patterns.js';
import { ToolPermissions } from '../../src/mcp/tool-permissions.js';

test('`*` matches any run of characters; other characters match themselves', () => {
  for (const all of ['*', '*__*']) for (const tool of ['calc__add', 'a__b__c', 'x__']) assert.ok(compilePattern(all).matches(tool), `${all} ~ ${tool}`);
  assert.ok(compilePattern('calc__read_*').matches('calc__read_notes'));
  assert.ok(!compilePattern('calc__read_*').matches('calc__write_notes'));
  assert.ok(compilePattern('*__read_*').matches('files__read_file'));
  assert.ok(!compilePattern('calc__add').matches('calc__add2'));
  // Regular-expression characters in a pattern are literal.
  assert.ok(compilePattern('a.b__(x)+').matches('a.b__(x)+'));
  assert.ok(!compilePattern('a.b__x').matches('axb__x'));
  assert.ok(compilePattern('calc__*').matches('calc__line\nbreak'));
});

test('effective set: (allow ∪ groups) minus block, intersected with the team; no mcp section denies', () => {
  const permissions = new ToolPermissions({
    groups: { research: ['search__*'] },
    virtual_keys: [
      { id: 'k', mcp: { allow: ['calc__*'], block: ['calc__rm', 'search__admin_*'], groups: ['research'] } },
      { id: 'bare' },
      { id: 'member', mcp: { allow: ['*'], block: [], groups: [] } },
    ],
    teams: [{ id: 't', mcp: { allow: ['calc__add'], block: [], groups: [] } }],
    customers: [],
  });
  const key = { keyId: 'k' };
  assert.deepEqual(permissions.check(key, 'calc__add'), { allowed: true });
  assert.deepEqual(permissions.check(key, 'search__web'), { allowed: true });
  const blocked = permissions.check(key, 'search__admin_drop');
  assert.equal(blocked.allowed, false);
  assert.match((blocked as { reason: string }).reason, /search__admin_drop.*blocked by search__admin_\*/);
  assert.match((permissions.check(key, 'files__read') as { reason: string }).reason, /not allowed: not in the allow patterns or groups of virtual key "k"/);
  assert.match((permissions.check({ keyId: 'bare' }, 'calc__add') as { reason: string }).reason, /no `mcp` section/);
  assert.equal(permissions.check(undefined, 'calc__add').allowed, false);
  assert.equal(permissions.check({ keyId: 'member', teamId: 't' }, 'calc__add').allowed, true);
  assert.match((permissions.check({ keyId: 'member', teamId: 't' }, 'calc__rm') as { reason: string }).reason, /team "t"/);
  assert.ok(permissions.keyHasGroup(key, 'research'));
  assert.ok(!permissions.keyHasGroup({ keyId: 'member' }, 'research'));
});

test('the config refuses unknown groups, bad server names and servers without their endpoint', () => {
  const base = { providers: {} };
  assert.throws(() => validateConfig({ ...base, virtual_keys: [{ id: 'k', value: 'v-' + '1', mcp: { groups: ['nope'] } }] }, 'c', {}), /virtual_keys\[0\]\.mcp\.groups\[0\].*unknown MCP tool group "nope"|unknown MCP tool group "nope"/s);
  assert.throws(() => validateConfig({ ...base, mcp: { servers: { a__b: { transport: 'http', url: 'http://127.0.0.1:1/mcp' } } } }, 'c', {}), /__/);
  assert.throws(() => validateConfig({ ...base, mcp: { servers: { s: { transport: 'stdio' } } } }, 'c', {}), /command/);
  assert.throws(() => validateConfig({ ...base, mcp: { servers: { s: { transport: 'sse' } } } }, 'c', {}), /url/);
  const config = validateConfig({ ...base, mcp: { servers: { s: { transport: 'http', url: 'http://127.0.0.1:1/mcp', headers: { authorization: 'Bearer ${MCP_T}' } } } } }, 'c', { MCP_T: 'tok-' + '1' });
  assert.equal(config.mcp.servers.s!.headers.authorization, 'Bearer tok-1');
});
