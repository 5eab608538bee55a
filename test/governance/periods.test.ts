import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePeriod, windowOf } from '../../src/governance/periods.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

test('minutes and hours align to the UTC clock', () => {
  const window = windowOf('5m', at('2026-02-03T10:07:30Z'));
  assert.deepEqual([iso(window.start), iso(window.end)], ['2026-02-03T10:05:00.000Z', '2026-02-03T10:10:00.000Z']);
  const hour = windowOf('1h', at('2026-02-03T10:59:59.999Z'));
  assert.equal(iso(hour.end), '2026-02-03T11:00:00.000Z');
});

test('days reset at midnight UTC, weeks on Monday, months on the 1st, years on 1 January', () => {
  assert.equal(iso(windowOf('1d', at('2026-02-03T23:59:59Z')).end), '2026-02-04T00:00:00.000Z');
  // 2026-02-05 is a Thursday.
  const week = windowOf('1w', at('2026-02-05T12:00:00Z'));
  assert.deepEqual([iso(week.start), iso(week.end)], ['2026-02-02T00:00:00.000Z', '2026-02-09T00:00:00.000Z']);
  // A Monday at midnight starts a new week.
  assert.equal(iso(windowOf('1w', at('2026-02-09T00:00:00Z')).start), '2026-02-09T00:00:00.000Z');
  const february = windowOf('1M', at('2028-02-29T23:00:00Z'));
  assert.deepEqual([iso(february.start), iso(february.end)], ['2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z']);
  const december = windowOf('1M', at('2026-12-31T23:59:59Z'));
  assert.equal(iso(december.end), '2027-01-01T00:00:00.000Z');
  const year = windowOf('1Y', at('2026-07-01T00:00:00Z'));
  assert.deepEqual([iso(year.start), iso(year.end)], ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
});

test('rolling windows repeat from the anchor with fixed lengths', () => {
  const anchor = at('2026-01-15T09:30:00Z');
  const day = windowOf('1d', at('2026-01-16T09:29:59Z'), true, anchor);
  assert.deepEqual([iso(day.start), iso(day.end)], ['2026-01-15T09:30:00.000Z', '2026-01-16T09:30:00.000Z']);
  const month = windowOf('1M', at('2026-02-20T00:00:00Z'), true, anchor);
  assert.deepEqual([iso(month.start), iso(month.end)], ['2026-02-14T09:30:00.000Z', '2026-03-16T09:30:00.000Z']);
});

test('no period is a lifetime window', () => {
  const window = windowOf(undefined, at('2026-01-01T00:00:00Z'));
  assert.equal(window.start, 0);
  assert.equal(window.end, Number.POSITIVE_INFINITY);
  assert.equal(describePeriod(undefined, false), 'lifetime');
  assert.equal(describePeriod('5m', false), 'per 5 minutes');
  assert.equal(describePeriod('1M', true), 'per month (rolling)');
});
