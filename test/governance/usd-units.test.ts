import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chargeOfCost, nanoOfSafeFemto, nanoUsd, usdOfNano } from '../../src/governance/usd-units.js';
import { nanoFromFemto } from '../../src/pricing/money.js';

test('a charge is the exact cost rounded half up to nano-USD, the same with and without bigint division', () => {
  const samples = [0, 1, 499_999, 500_000, 500_001, 999_999, 1_000_000, 6_839_505_100, 9_007_199_254_740_991, 9_007_199_254_499_999, 123_456_789_500_000, 4_503_599_627_370_495];
  for (let index = 0; index < 2000; index++) samples.push(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER));
  for (const femto of samples) assert.equal(nanoOfSafeFemto(femto), Number(nanoFromFemto(BigInt(femto))), String(femto));
  assert.equal(chargeOfCost({ usd: 0.0000068395051, known: true, femtoUsd: 6_839_505_100n }), 6840);
  assert.equal(chargeOfCost({ usd: 20, known: true, femtoUsd: 20n * 10n ** 15n + 499_999n }), 20_000_000_000);
  assert.equal(chargeOfCost({ usd: 0.1, known: true }), 100_000_000);
  assert.equal(nanoUsd(0.1), 100_000_000);
  assert.equal(usdOfNano(80_000_000), 0.08);
});
