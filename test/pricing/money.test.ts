import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { femtoFromUsd, femtoPerToken, formatUsd, MoneyFormatError, nanoFromFemto, parseScaledDecimal, usdNumber } from '../../src/pricing/money.js';

describe('money', () => {
  it('parses decimal prices exactly, from numbers and text alike', () => {
    assert.equal(femtoPerToken(0.075), 75_000_000n);
    assert.equal(femtoPerToken('0.075'), 75_000_000n);
    assert.equal(femtoPerToken(1.25), 1_250_000_000n);
    assert.equal(femtoPerToken(0.01875), 18_750_000n);
    assert.equal(femtoPerToken(0.1), 100_000_000n);
    assert.equal(femtoPerToken(3e-7), 300n);
    assert.equal(femtoPerToken('2.50000000000'), 2_500_000_000n);
    assert.equal(femtoPerToken(15), 15_000_000_000n);
    assert.equal(femtoPerToken(0), 0n);
  });

  it('rejects what it cannot represent exactly, and negatives', () => {
    assert.throws(() => femtoPerToken('0.0000000001'), MoneyFormatError);
    assert.throws(() => femtoPerToken(-1), MoneyFormatError);
    assert.throws(() => femtoPerToken('1,5'), MoneyFormatError);
    assert.throws(() => femtoPerToken(Number.NaN), MoneyFormatError);
    assert.equal(parseScaledDecimal('.5', 2), 50n);
  });

  it('formats and rounds without going through floats', () => {
    assert.equal(formatUsd(75_000_000_000_000n), '0.075');
    assert.equal(formatUsd(femtoFromUsd('1234.000000000000001')), '1234.000000000000001');
    assert.equal(formatUsd(0n), '0');
    assert.equal(usdNumber(femtoFromUsd('0.3')), 0.3);
    assert.equal(nanoFromFemto(1_499_999n), 1n);
    assert.equal(nanoFromFemto(1_500_000n), 2n);
    assert.equal(nanoFromFemto(-1_500_000n), -2n);
  });
});

test('formatUsd and usdNumber give the same answers below and above the safe-integer range', () => {
  // The reference: bigint arithmetic and the decimal text parsed by Number.
  const reference = (amount: bigint) => {
    const negative = amount < 0n;
    const magnitude = negative ? -amount : amount;
    const fraction = (magnitude % 10n ** 15n).toString().padStart(15, '0').replace(/0+$/, '');
    return `${negative ? '-' : ''}${magnitude / 10n ** 15n}${fraction ? `.${fraction}` : ''}`;
  };
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  const amounts = [0n, 1n, 10n, 75n, 999n, 10n ** 15n, 10n ** 15n + 1n, 9_200_000_000_000n, 123_456_789_012_345n, safe - 1n, safe, safe + 1n, safe * 7n + 3n, 10n ** 30n + 5n];
  let seed = 42;
  for (let index = 0; index < 2_000; index++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    amounts.push(BigInt(seed) * BigInt(seed % 1_000_003) * (index % 3 === 0 ? 1n : 977n));
  }
  for (const amount of [...amounts, ...amounts.map((value) => -value)]) {
    const text = reference(amount);
    assert.equal(formatUsd(amount), text, String(amount));
    assert.equal(usdNumber(amount), Number(text), String(amount));
  }
});

test('amounts added up as doubles come back exact to the digits a double holds, then to whole femto-USD', async () => {
  const { femtoFromSummedUsd, summedUsdNumber } = await import('../../src/pricing/money.js');
  assert.equal(femtoFromSummedUsd(0.017000000000000008), 17_000_000_000_000n);
  assert.equal(femtoFromSummedUsd(0.016999999999999998), 17_000_000_000_000n);
  assert.equal(summedUsdNumber(0.1 + 0.2), 0.3);
  assert.equal(summedUsdNumber(-(0.1 + 0.2)), -0.3);
  // A cost of a few femto-USD keeps them; less than half of one is none.
  assert.equal(femtoFromSummedUsd(7.5e-14), 75n);
  assert.equal(femtoFromSummedUsd(4e-16), 0n);
  assert.equal(femtoFromSummedUsd(6e-16), 1n);
  // Large amounts keep their 15 significant digits.
  assert.equal(femtoFromSummedUsd(812.4), 812_400_000_000_000_000n);
  assert.equal(summedUsdNumber(123456.78901234567), 123456.789012346);
  assert.equal(femtoFromSummedUsd(Number.NaN), 0n);
});
