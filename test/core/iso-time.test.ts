import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime, isoTimeMs } from '../../src/lib/iso-time.js';

test('isoTime writes what Date#toISOString writes, across seconds, days, years and the edges', () => {
  const times = [0, 1, 999, 1000, 1001, 59_999, 86_399_999, 86_400_000, 951_782_400_000, 1_764_479_999_999, 1_764_480_000_000, Date.now(), -1, -1000, -1001, -62_167_219_200_000, 253_402_300_799_999];
  for (const ms of times) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  // Fractional milliseconds (performance.now()-based times) round down, as Date does.
  assert.equal(isoTime(1_764_480_000_123.9), new Date(1_764_480_000_123).toISOString());
  // Outside four-digit years it defers to Date, so its six-digit years and its RangeError stay.
  assert.equal(isoTime(253_402_300_800_000), new Date(253_402_300_800_000).toISOString());
  assert.throws(() => isoTime(Number.NaN), RangeError);
});

test('isoTime reuses the second it last wrote and still changes with it', () => {
  const base = 1_764_480_000_000;
  assert.equal(isoTime(base + 5), '2025-11-30T05:20:00.005Z');
  assert.equal(isoTime(base + 42), '2025-11-30T05:20:00.042Z');
  assert.equal(isoTime(base + 1_500), '2025-11-30T05:20:01.500Z');
  assert.equal(isoTime(base + 999), '2025-11-30T05:20:00.999Z');
});

test('isoTimeMs reads back any ISO text as Date.parse does', () => {
  const base = 1_764_480_000_000;
  for (const ms of [base, base + 7, base + 999, base + 1_000, 0, 253_402_300_799_999]) {
    const text = isoTime(ms);
    assert.equal(isoTimeMs(text), ms, text);
  }
  isoTime(base);
  // Same second as the cached one but not isoTime's own spelling: still right.
  for (const text of ['2025-11-30T05:20:00.5Z', '2025-11-30T05:20:00.abcZ', '2025-11-30T05:20:00.-12Z', '2025-11-30T05:20:00. 12Z', '2025-11-30T05:20:00.123+01:00', '2025-11-30T05:20:00Z', 'nonsense']) {
    assert.deepEqual(isoTimeMs(text), Date.parse(text), text);
  }
});

test('isoTimeMs reads isoTime texts of any second, not only the kept ones, and agrees with Date.parse on dates that do not exist', () => {
  const times = [0, 951_782_400_000, 951_868_799_999, 1_709_164_800_000, 1_764_480_000_000, 4_107_542_399_999, -61_000_000_000_000, -1, 253_402_300_799_999, -62_167_219_200_000];
  // Written first, read afterwards: by then no kept second matches most of them.
  const texts = times.map((ms) => isoTime(ms));
  isoTime(Date.now());
  texts.forEach((text, index) => assert.equal(isoTimeMs(text), times[index], text));
  // Every day's first and last millisecond from 1890 to 2110 (leap years, centuries, 2000).
  for (let day = -29_220; day < 51_136; day++) {
    for (const ms of [day * 86_400_000, day * 86_400_000 + 86_399_999]) assert.equal(isoTimeMs(new Date(ms).toISOString()), ms);
  }
  for (const text of ['2025-02-29T00:00:00.000Z', '2024-02-29T12:00:00.000Z', '2100-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z', '2025-04-31T00:00:00.000Z', '2025-12-31T24:00:00.000Z', '2016-12-31T23:59:60.000Z', '2025-13-01T00:00:00.000Z', '0099-06-15T00:00:00.000Z', '2025-11-30T05:20:00.123z', '2025-11-30 05:20:00.123Z']) {
    assert.deepEqual(isoTimeMs(text), Date.parse(text), text);
  }
});

test('isoTime keeps the second before the newest: texts of two seconds alternating are still right', () => {
  const before = 1_764_480_059_990;
  const after = 1_764_480_060_010;
  for (let turn = 0; turn < 3; turn++) {
    assert.equal(isoTime(before + turn), new Date(before + turn).toISOString());
    assert.equal(isoTime(after + turn), new Date(after + turn).toISOString());
  }
  // An older second than both kept ones is formatted afresh, and the newest stays.
  assert.equal(isoTime(before - 5_000), new Date(before - 5_000).toISOString());
  assert.equal(isoTime(after), new Date(after).toISOString());
});
