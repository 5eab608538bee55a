import type { Usage } from '../spec/index.js';
import { nanoFromFemto, tokenCount, usdNumber, type FemtoUsd } from './money.js';
import type { ModelPrice, TierRates } from './price.js';

/** What each kind of token cost, in femto-USD. */
export interface CostBreakdown {
  /** Prompt tokens neither read from nor written to a cache. */
  readonly input: FemtoUsd;
  readonly cachedInput: FemtoUsd;
  /** Cache writes at the 5-minute rate. */
  readonly cacheWrite: FemtoUsd;
  readonly cacheWrite1h: FemtoUsd;
  /** Output tokens, reasoning included unless the price bills reasoning apart. */
  readonly output: FemtoUsd;
  /** Reasoning tokens billed at their own rate; 0 when they are billed as output. */
  readonly reasoning: FemtoUsd;
  /** Units billed apart from tokens: characters (text-to-speech) and seconds of audio. */
  readonly units: FemtoUsd;
}

/**
 * The cost of one request. `femtoUsd` is exact and is what totals should add; `nanoUsd` is the same
 * rounded half up to whole nano-USD for integer columns; `usd` is for display only.
 * `known` is false when the usage or the price was unknown: then the amounts cover only what was
 * known (0 when nothing was), and must not be read as "free".
 * @example costOf({ inputTokens: 1_000_000, outputTokens: 0 }, price) // price.input = $0.075/M
 *   // → { known: true, femtoUsd: 75_000_000_000_000n, nanoUsd: 75_000_000n, usd: 0.075, … }
 */
export interface Cost {
  readonly known: boolean;
  readonly usd: number;
  readonly femtoUsd: FemtoUsd;
  readonly nanoUsd: bigint;
  readonly breakdown: CostBreakdown;
}

const ZERO_BREAKDOWN: CostBreakdown = Object.freeze({ input: 0n, cachedInput: 0n, cacheWrite: 0n, cacheWrite1h: 0n, output: 0n, reasoning: 0n, units: 0n });
const UNKNOWN: Cost = Object.freeze({ known: false, usd: 0, femtoUsd: 0n, nanoUsd: 0n, breakdown: ZERO_BREAKDOWN });

export interface CostOptions {
  /** Price at the provider's batch API rates (input and output; cache rates stay standard). */
  readonly batch?: boolean;
}

const STANDARD: CostOptions = Object.freeze({});

/**
 * Prices `usage` exactly. `usage.inputTokens` is the whole prompt (cached reads and cache writes
 * included), so uncached input = input − cached − cache writes; `outputTokens` includes reasoning.
 * A prompt longer than the price's long-context threshold is billed entirely at the long-context
 * rates, as Gemini and Anthropic bill it.
 */
export function costOf(usage: Usage | undefined, price: ModelPrice | undefined, options: CostOptions = STANDARD): Cost {
  if (usage === undefined || price === undefined) return UNKNOWN;
  const cached = tokenCount(usage.cachedInputTokens ?? 0);
  const writes = tokenCount(usage.cacheWriteTokens ?? 0);
  const writes1h = minimum(tokenCount(usage.cacheWrite1hTokens ?? 0), writes);
  const prompt = tokenCount(usage.inputTokens ?? 0);
  const rates = ratesFor(price, prompt, options);
  // A provider that reported more cached tokens than prompt tokens is wrong somewhere; never bill below zero.
  const uncached = maximum(prompt - cached - writes, 0n);
  const output = tokenCount(usage.outputTokens ?? 0);
  const reasoning = rates.reasoning === undefined ? 0n : minimum(tokenCount(usage.reasoningTokens ?? 0), output);

  const breakdown: CostBreakdown = {
    input: uncached * rates.input,
    cachedInput: cached * rates.cachedInput,
    cacheWrite: (writes - writes1h) * rates.cacheWrite,
    cacheWrite1h: writes1h * rates.cacheWrite1h,
    output: (output - reasoning) * rates.output,
    reasoning: reasoning * (rates.reasoning ?? 0n),
    units: unitCost(usage, price),
  };
  const total = breakdown.input + breakdown.cachedInput + breakdown.cacheWrite + breakdown.cacheWrite1h + breakdown.output + breakdown.reasoning + breakdown.units;
  const known = unitsKnown(usage, price) ?? (usage.inputTokens !== undefined && usage.outputTokens !== undefined);
  return { known, usd: usdNumber(total), femtoUsd: total, nanoUsd: nanoFromFemto(total), breakdown };
}

/** Characters and seconds at their unit prices (a unit without a price adds nothing, and the cost is then unknown). */
function unitCost(usage: Usage, price: ModelPrice): FemtoUsd {
  let total = 0n;
  if (usage.characters !== undefined && price.perCharacter !== undefined) total += tokenCount(usage.characters) * price.perCharacter;
  // Seconds may be fractional (`duration: 3.2`): billed to the millisecond, rounded up.
  if (usage.audioSeconds !== undefined && price.perSecond !== undefined) total += (BigInt(Math.ceil(Math.max(usage.audioSeconds, 0) * 1000)) * price.perSecond + 999n) / 1000n;
  return total;
}

/**
 * Whether a unit-billed usage is fully priced: undefined when the usage has no units (tokens
 * decide); otherwise true when each unit it reports is priced, or when it has no unit price but its
 * tokens are known and the price bills tokens (a transcription model billed by the token).
 */
function unitsKnown(usage: Usage, price: ModelPrice): boolean | undefined {
  if (usage.characters === undefined && usage.audioSeconds === undefined) return undefined;
  const tokensBilled = usage.inputTokens !== undefined && usage.outputTokens !== undefined && (price.input > 0n || price.output > 0n);
  if (usage.characters !== undefined && price.perCharacter === undefined && !tokensBilled) return false;
  if (usage.audioSeconds !== undefined && price.perSecond === undefined && !tokensBilled) return false;
  return true;
}

/** The tier a prompt of `promptTokens` is billed at. */
function ratesFor(price: ModelPrice, promptTokens: bigint, options: CostOptions): TierRates {
  if (options.batch === true) return price.batchInput === price.input && price.batchOutput === price.output ? price : { ...price, input: price.batchInput, output: price.batchOutput };
  const long = price.longContext;
  return long !== undefined && promptTokens > BigInt(long.aboveInputTokens) ? long : price;
}

/** Output tokens reserved when the caller set no `max_tokens` (`governance.reserved_output_tokens`'s default). */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4_096;

/**
 * The output tokens a reservation assumes: the caller's `max_tokens`, or `defaultOutputTokens`
 * when it set none; never more than the model's output limit when the catalog knows it.
 */
export function reservedOutputTokens(price: ModelPrice | undefined, maxOutputTokens: number | undefined, defaultOutputTokens = DEFAULT_RESERVED_OUTPUT_TOKENS): number {
  const wanted = maxOutputTokens ?? defaultOutputTokens;
  const limit = price?.maxOutputTokens;
  return limit !== undefined && limit < wanted ? limit : wanted;
}

/**
 * The most an attempt is expected to cost, for budget reservations before the call: every
 * estimated prompt token at the uncached input rate (cache reads only make it cheaper; cache
 * writes may cost more, but `estimateInputTokens` already overestimates), and every allowed output
 * token (`reservedOutputTokens`) at the dearer of the output and reasoning rates, at the
 * long-context tier when the estimate passes its threshold.
 */
export function estimateMaxCost(price: ModelPrice, estimatedInputTokens: number, maxOutputTokens: number | undefined, defaultOutputTokens = DEFAULT_RESERVED_OUTPUT_TOKENS): Cost {
  const prompt = tokenCount(estimatedInputTokens);
  const rates = ratesFor(price, prompt, STANDARD);
  const input = prompt * rates.input;
  const outputRate = rates.reasoning !== undefined && rates.reasoning > rates.output ? rates.reasoning : rates.output;
  const output = tokenCount(reservedOutputTokens(price, maxOutputTokens, defaultOutputTokens)) * outputRate;
  const total = input + output;
  return { known: true, usd: usdNumber(total), femtoUsd: total, nanoUsd: nanoFromFemto(total), breakdown: { ...ZERO_BREAKDOWN, input, output } };
}

/** Adds costs exactly; the sum is known only when every part was. */
export function sumCosts(costs: Iterable<Cost>): Cost {
  let known = true;
  const totals = { input: 0n, cachedInput: 0n, cacheWrite: 0n, cacheWrite1h: 0n, output: 0n, reasoning: 0n, units: 0n };
  for (const cost of costs) {
    known &&= cost.known;
    totals.input += cost.breakdown.input;
    totals.cachedInput += cost.breakdown.cachedInput;
    totals.cacheWrite += cost.breakdown.cacheWrite;
    totals.cacheWrite1h += cost.breakdown.cacheWrite1h;
    totals.output += cost.breakdown.output;
    totals.reasoning += cost.breakdown.reasoning;
    totals.units += cost.breakdown.units;
  }
  const total = totals.input + totals.cachedInput + totals.cacheWrite + totals.cacheWrite1h + totals.output + totals.reasoning + totals.units;
  return { known, usd: usdNumber(total), femtoUsd: total, nanoUsd: nanoFromFemto(total), breakdown: totals };
}

function minimum(left: bigint, right: bigint): bigint {
  return left < right ? left : right;
}

function maximum(left: bigint, right: bigint): bigint {
  return left > right ? left : right;
}
