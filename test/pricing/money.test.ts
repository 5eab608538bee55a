import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
