/**
 * Exact money. Amounts are bigint counts of femto-USD (10^-15 USD).
 *
 * Why femto: list prices are quoted in USD per million tokens with at most a few decimals
 * (0.075, 0.01875, 1.25). A price with up to nine decimals per million tokens is a whole number of
 * femto-USD per token ($0.075/M = 75 femto-USD per token), so every cost is an integer product
 * `tokens × rate` and any sum of costs is exact. Nano-USD would not do: $0.075/M is 0.075 nano-USD
 * per token. bigint rather than number because 2^53 femto-USD is only about $9.
 *
 * Decimal prices are converted by parsing their decimal text, never by multiplying floats:
 * `String(0.075)` is the shortest text that round-trips to the same double, i.e. "0.075".
 */
export type FemtoUsd = bigint;

/** Decimal places of a femto-USD amount. */
export const FEMTO_DIGITS = 15;
export const FEMTO_PER_USD: FemtoUsd = 10n ** 15n;
export const FEMTO_PER_NANO: FemtoUsd = 10n ** 6n;
/** Decimal places of a price in USD per million tokens that map onto whole femto-USD per token. */
export const PRICE_DIGITS = 9;

const DECIMAL = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$|^\.(\d+)(?:e([+-]?\d+))?$/i;

/** Thrown when a price or amount is not a non-negative decimal representable at the wanted scale. */
export class MoneyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyFormatError';
  }
}

/**
 * Parses a non-negative decimal (`"0.075"`, `1.25`, `"3e-7"`) into an integer scaled by
 * 10^`scaleDigits`, exactly. Throws when the value needs more than `scaleDigits` decimals.
 * @example parseScaledDecimal('0.075', 9) === 75_000_000n
 */
export function parseScaledDecimal(value: number | string, scaleDigits: number): bigint {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new MoneyFormatError(`not a non-negative decimal: ${JSON.stringify(text)}`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? match[4] ?? '';
  const exponent = Number(match[3] ?? match[5] ?? '0');
  let digits = (whole + fraction).replace(/^0+(?=\d)/, '');
  let shift = scaleDigits + exponent - fraction.length;
  if (shift < 0) {
    const dropped = digits.slice(Math.max(0, digits.length + shift));
    if (/[1-9]/.test(dropped)) throw new MoneyFormatError(`${text} has more than ${scaleDigits} decimal places`);
    digits = digits.slice(0, Math.max(0, digits.length + shift)) || '0';
    shift = 0;
  }
  return BigInt(digits) * 10n ** BigInt(shift);
}

function numberText(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new MoneyFormatError(`not a non-negative finite number: ${value}`);
  return String(value);
}

/** A price in USD per million tokens → exact femto-USD per token. */
export function femtoPerToken(usdPerMillionTokens: number | string): FemtoUsd {
  return parseScaledDecimal(usdPerMillionTokens, PRICE_DIGITS);
}

/**
 * A price from machine-made data (USD per million tokens as a double) → femto-USD per token,
 * rounded half up to the nearest femto-USD per token (1e-9 USD per million). Data written by a
 * program holds float noise (`0.18000000000000002`) or thirds (`0.08333333333333334`) that no
 * published price has; hand-written prices go through `femtoPerToken`, which refuses them.
 * @example roundedFemtoPerToken(0.18000000000000002) === 180_000_000n
 */
export function roundedFemtoPerToken(usdPerMillionTokens: number): FemtoUsd {
  try {
    return femtoPerToken(usdPerMillionTokens);
  } catch (error) {
    if (!(error instanceof MoneyFormatError) || !Number.isFinite(usdPerMillionTokens) || usdPerMillionTokens < 0) throw error;
    // One more digit than wanted, exactly (toFixed(10) is exact decimal rounding of the double), then half up.
    const tenths = parseScaledDecimal(usdPerMillionTokens.toFixed(PRICE_DIGITS + 1), PRICE_DIGITS + 1);
    return (tenths + 5n) / 10n;
  }
}

/** An amount in USD (`"10.50"`, `0.075`) → femto-USD. */
export function femtoFromUsd(usd: number | string): FemtoUsd {
  return parseScaledDecimal(usd, FEMTO_DIGITS);
}

/** Exact decimal text of an amount, trailing zeros trimmed: 75_000_000_000_000n → "0.075". */
export function formatUsd(amount: FemtoUsd): string {
  const negative = amount < 0n;
  const magnitude = negative ? -amount : amount;
  const sign = negative ? '-' : '';
  // Up to about $9 the amount is a safe integer as a double, and integer arithmetic on doubles is
  // exact there: the same digits without bigint division and toString (a request's cost is here).
  if (magnitude <= MAX_SAFE_FEMTO) {
    const femto = Number(magnitude);
    const whole = Math.floor(femto / FEMTO_PER_USD_NUMBER);
    const fraction = femto - whole * FEMTO_PER_USD_NUMBER;
    return fraction === 0 ? `${sign}${whole}` : `${sign}${whole}.${trimZeros(String(fraction).padStart(FEMTO_DIGITS, '0'))}`;
  }
  const whole = magnitude / FEMTO_PER_USD;
  const fraction = trimZeros((magnitude % FEMTO_PER_USD).toString().padStart(FEMTO_DIGITS, '0'));
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** The nearest double to an exact amount, for display and JSON; never sum these. */
export function usdNumber(amount: FemtoUsd): number {
  // A safe integer divided by 10^15 (both exact doubles) is rounded once, correctly: the nearest
  // double to the exact quotient, which is what parsing the exact decimal text gives.
  if (amount <= MAX_SAFE_FEMTO && amount >= -MAX_SAFE_FEMTO) return Number(amount) / FEMTO_PER_USD_NUMBER;
  return Number(formatUsd(amount));
}

const MAX_SAFE_FEMTO = BigInt(Number.MAX_SAFE_INTEGER);
const FEMTO_PER_USD_NUMBER = 1e15;

function trimZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  return digits.slice(0, end);
}

/**
 * Whole nano-USD, rounded half up, for integer storage columns (int64 nano-USD holds $9.2 billion).
 * Per-request rounding is at most half a nano-USD; exact totals should add femto-USD amounts.
 */
export function nanoFromFemto(amount: FemtoUsd): bigint {
  const half = FEMTO_PER_NANO / 2n;
  return amount >= 0n ? (amount + half) / FEMTO_PER_NANO : -((-amount + half) / FEMTO_PER_NANO);
}

/** A token count as bigint; non-integers are rounded, negatives and non-finite values count as 0. */
export function tokenCount(tokens: number): bigint {
  return Number.isFinite(tokens) && tokens > 0 ? BigInt(Math.round(tokens)) : 0n;
}

/**
 * Significant digits a double holds for sure (DBL_DIG): any decimal of 15 significant digits
 * survives a trip through a double and back.
 */
const DOUBLE_DIGITS = 15;

/**
 * A USD amount that was added up as doubles (the spend ledger's counters, a sum over request log
 * rows) back as exact femto-USD: rounded half away from zero to the 15 significant digits a double
 * holds, then to whole femto-USD. The sum's float noise lies beyond those digits: 17 costs of
 * $0.001 add up to 0.017000000000000008 as doubles, which is $0.017 here.
 * @example femtoFromSummedUsd(0.017000000000000008) === 17_000_000_000_000n
 */
export function femtoFromSummedUsd(usd: number): FemtoUsd {
  if (!Number.isFinite(usd) || usd === 0) return 0n;
  // `d.ddddddddddddddde±x`: the digits as an integer, and the power of ten of its last digit.
  const [mantissa, exponent] = Math.abs(usd).toExponential(DOUBLE_DIGITS - 1).split('e') as [string, string];
  const digits = BigInt(mantissa.replace('.', ''));
  const shift = Number(exponent) - (DOUBLE_DIGITS - 1) + FEMTO_DIGITS;
  let femto: bigint;
  if (shift >= 0) femto = digits * 10n ** BigInt(shift);
  else {
    const divisor = 10n ** BigInt(-shift);
    femto = (digits + divisor / 2n) / divisor;
  }
  return usd < 0 ? -femto : femto;
}

/**
 * How a summed USD amount leaves the gateway as JSON: femtoFromSummedUsd, then the nearest double
 * (usdNumber). A number, so clients' field types stay as they were, without the float noise.
 * @example summedUsdNumber(0.017000000000000008) === 0.017
 */
export function summedUsdNumber(usd: number): number {
  return usdNumber(femtoFromSummedUsd(usd));
}
