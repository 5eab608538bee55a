import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addScopeLines, type LimitScope, type LineInfo } from '../../src/governance/limit-lines.js';
import type { LimitLine } from '../../src/governance/spend-store.js';

const at = (iso: string) => Date.parse(iso);

function linesOf(scope: LimitScope, now: number): { lines: LimitLine[]; infos: LineInfo[] } {
  const lines: LimitLine[] = [];
  const infos: LineInfo[] = [];
  addScopeLines(scope, { usd: 0.5, tokens: 100, countRequest: true }, now, lines, infos);
  return { lines, infos };
}

test('windows are reused within a window and rebuilt when the clock leaves it, in either direction', () => {
  const scope: LimitScope = { level: 'key', scope: 'key:k', label: 'virtual key "k"', budgets: [{ max_usd: 5, period: '1d', rolling: false }], rateLimits: { requests: { max: 10, period: '1h' } }, maxConcurrent: 2, anchor: 0 };
  const morning = linesOf(scope, at('2026-05-05T09:10:00Z'));
  assert.deepEqual(morning.lines.map((line) => line.counter), ['key:k|concurrency', `key:k|requests|1h|${at('2026-05-05T09:00:00Z')}`, `key:k|usd|1d|${at('2026-05-05T00:00:00Z')}`]);
  assert.deepEqual(morning.lines.map((line) => line.amount), [1, 1, 0.5]);
  const later = linesOf(scope, at('2026-05-05T09:50:00Z'));
  assert.equal(later.infos[1], morning.infos[1], 'the same window is not rebuilt');
  const nextHour = linesOf(scope, at('2026-05-05T10:00:00Z'));
  assert.equal(nextHour.lines[1]!.counter, `key:k|requests|1h|${at('2026-05-05T10:00:00Z')}`);
  assert.equal(nextHour.infos[1]!.windowEnd, at('2026-05-05T11:00:00Z'));
  assert.equal(nextHour.lines[2]!.counter, morning.lines[2]!.counter, 'the day has not changed');
  const back = linesOf(scope, at('2026-05-04T23:59:59Z'));
  assert.equal(back.lines[2]!.counter, `key:k|usd|1d|${at('2026-05-04T00:00:00Z')}`);
  assert.equal(back.lines[1]!.counter, `key:k|requests|1h|${at('2026-05-04T23:00:00Z')}`);
});

test('a new scope object for the same limits (a changed entity) builds its own lines', () => {
  const budgets = [{ max_usd: 5, period: '1M', rolling: true }];
  const first: LimitScope = { level: 'team', scope: 'team:t', label: 'team "t"', budgets, rateLimits: undefined, maxConcurrent: undefined, anchor: at('2026-01-15T00:00:00Z') };
  const now = at('2026-03-01T00:00:00Z');
  assert.equal(linesOf(first, now).lines[0]!.counter, `team:t|usd|1Mr|${at('2026-02-14T00:00:00Z')}`);
  const moved: LimitScope = { ...first, anchor: at('2026-01-20T00:00:00Z'), label: 'team "t2"' };
  const lines = linesOf(moved, now);
  assert.equal(lines.lines[0]!.counter, `team:t|usd|1Mr|${at('2026-02-19T00:00:00Z')}`);
  assert.equal(lines.infos[0]!.label, 'team "t2"');
});
