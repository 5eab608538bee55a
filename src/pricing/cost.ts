import type { BilledUnits, Usage } from '../spec/index.js';
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
  /** Audio prompt tokens (cached ones included) at the audio rates; 0 when the price bills audio as text. */
  readonly inputAudio: FemtoUsd;
  readonly outputAudio: FemtoUsd;
  readonly inputImage: FemtoUsd;
  readonly outputImage: FemtoUsd;
  /** Images, search units, characters, seconds and the request itself, billed per unit. */
  readonly units: FemtoUsd;
}

const BREAKDOWN_FIELDS = ['input', 'cachedInput', 'cacheWrite', 'cacheWrite1h', 'output', 'reasoning', 'inputAudio', 'outputAudio', 'inputImage', 'outputImage', 'units'] as const;

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

const ZERO_BREAKDOWN: CostBreakdown = Object.freeze({ input: 0n, cachedInput: 0n, cacheWrite: 0n, cacheWrite1h: 0n, output: 0n, reasoning: 0n, inputAudio: 0n, outputAudio: 0n, inputImage: 0n, outputImage: 0n, units: 0n });
const FREE: Cost = Object.freeze({ known: true, usd: 0, femtoUsd: 0n, nanoUsd: 0n, breakdown: ZERO_BREAKDOWN });
const UNKNOWN: Cost = Object.freeze({ known: false, usd: 0, femtoUsd: 0n, nanoUsd: 0n, breakdown: ZERO_BREAKDOWN });

export interface CostOptions {
  /** Price at the provider's batch API rates (input and output; cache rates stay standard). */
  readonly batch?: boolean;
}

const STANDARD: CostOptions = Object.freeze({});

/**
 * Prices `usage` exactly. `usage.inputTokens` is the whole prompt (cached reads and cache writes
 * included), so uncached input = input − cached − cache writes; `outputTokens` includes reasoning.
 * A prompt longer than a long-context threshold is billed entirely at that tier's rates, as Gemini,
 * Anthropic and OpenAI bill it. Audio and image tokens are parts of the input and output counts,
 * billed at their own rates only when the price has them (else as text), as genai-prices does:
 * cached audio = of the cached tokens, those that are audio, at `cachedAudioInput`.
 */
export function costOf(usage: Usage | undefined, price: ModelPrice | undefined, options: CostOptions = STANDARD): Cost {
  const billed = usage?.units;
  if (billed !== undefined) {
    // An operation that billed units (images, rerank searches) is priced by them alone when the price has their rates; else by its tokens.
    const unitCost = price === undefined ? undefined : unitCostOf(billed, price);
    if (unitCost !== undefined) return { known: true, usd: usdNumber(unitCost), femtoUsd: unitCost, nanoUsd: nanoFromFemto(unitCost), breakdown: { ...ZERO_BREAKDOWN, units: unitCost } };
    // Free unless priced: no price, or one that prices tokens at zero (genai-prices lists OpenAI's moderation models so).
    if (billed.freeUnlessPriced === true && (price === undefined || (unitCost === undefined && price.input === 0n && price.output === 0n && price.perRequest === undefined))) return FREE;
  }
  if (usage === undefined || price === undefined) return UNKNOWN;
  const prompt = tokenCount(usage.inputTokens ?? 0);
  const rates = ratesFor(price, prompt, options);
  // A provider that reported more of a part than of its whole is wrong somewhere: each part is capped by what holds it, never billed below zero.
  const cached = minimum(tokenCount(usage.cachedInputTokens ?? 0), prompt);
  const writes = usage.cacheWriteTokens ? minimum(tokenCount(usage.cacheWriteTokens), prompt - cached) : 0n;
  const writes1h = writes > 0n && usage.cacheWrite1hTokens ? minimum(tokenCount(usage.cacheWrite1hTokens), writes) : 0n;
  const output = tokenCount(usage.outputTokens ?? 0);
  const reasoning = rates.reasoning === undefined || !usage.reasoningTokens ? 0n : minimum(tokenCount(usage.reasoningTokens), output);

  // Text-only prices (most models) skip the modality parts: only the token kinds they price are split out.
  let audioIn = 0n;
  let cachedAudio = 0n;
  let imageIn = 0n;
  let audioOut = 0n;
  let imageOut = 0n;
  if (rates.inputAudio !== undefined && usage.inputAudioTokens) {
    audioIn = minimum(tokenCount(usage.inputAudioTokens), prompt - writes);
    if (usage.cachedAudioTokens) cachedAudio = minimum(minimum(tokenCount(usage.cachedAudioTokens), cached), audioIn);
  }
  if (rates.inputImage !== undefined && usage.inputImageTokens) imageIn = minimum(tokenCount(usage.inputImageTokens), prompt - cached - writes - (audioIn - cachedAudio));
  if (rates.outputAudio !== undefined && usage.outputAudioTokens) audioOut = minimum(tokenCount(usage.outputAudioTokens), output - reasoning);
  if (rates.outputImage !== undefined && usage.outputImageTokens) imageOut = minimum(tokenCount(usage.outputImageTokens), output - reasoning - audioOut);

  let units = 0n;
  if (price.perImage !== undefined && usage.images) units += tokenCount(usage.images) * price.perImage;
  if (price.perCharacter !== undefined && usage.characters) units += tokenCount(usage.characters) * price.perCharacter;
  if (price.perSecond !== undefined && usage.audioSeconds) units += tokenCount(usage.audioSeconds) * price.perSecond;
  if (price.perRequest !== undefined) units += price.perRequest;

  const breakdown: CostBreakdown = {
    input: (prompt - cached - writes - (audioIn - cachedAudio) - imageIn) * rates.input,
    cachedInput: (cached - cachedAudio) * rates.cachedInput,
    cacheWrite: writes === 0n ? 0n : (writes - writes1h) * rates.cacheWrite,
    cacheWrite1h: writes1h === 0n ? 0n : writes1h * rates.cacheWrite1h,
    output: (output - reasoning - audioOut - imageOut) * rates.output,
    reasoning: reasoning === 0n ? 0n : reasoning * rates.reasoning!,
    inputAudio: audioIn === 0n ? 0n : (audioIn - cachedAudio) * rates.inputAudio! + cachedAudio * (rates.cachedAudioInput ?? rates.cachedInput),
    outputAudio: audioOut === 0n ? 0n : audioOut * rates.outputAudio!,
    inputImage: imageIn === 0n ? 0n : imageIn * rates.inputImage!,
    outputImage: imageOut === 0n ? 0n : imageOut * rates.outputImage!,
    units,
  };
  const total = totalOf(breakdown);
  // Tokens of a price with unit rates only (tokenRated false) are not billed as $0: they leave the cost unknown.
  const known = (price.tokenRated && usage.inputTokens !== undefined && usage.outputTokens !== undefined) || (isPerUnit(price) && (usage.images !== undefined || usage.characters !== undefined || usage.audioSeconds !== undefined));
  return { known, usd: usdNumber(total), femtoUsd: total, nanoUsd: nanoFromFemto(total), breakdown };
}

function isPerUnit(price: ModelPrice): boolean {
  return price.perImage !== undefined || price.perCharacter !== undefined || price.perSecond !== undefined;
}

function totalOf(b: CostBreakdown): FemtoUsd {
  return b.input + b.cachedInput + b.cacheWrite + b.cacheWrite1h + b.output + b.reasoning + b.inputAudio + b.outputAudio + b.inputImage + b.outputImage + b.units;
}

/**
 * The cost of the units an operation billed, when the price has a rate for every kind it billed:
 * images at the rate of their quality and size (`quality/size`, then `size`, then `quality`, then
 * `default`), searches at `per_search`. Undefined when a rate is missing (then tokens are priced).
 */
function unitCostOf(units: BilledUnits, price: ModelPrice): FemtoUsd | undefined {
  let total = 0n;
  let priced = false;
  if (units.images !== undefined) {
    const rate = imageRate(price, units.imageSize, units.imageQuality);
    if (rate === undefined) return undefined;
    total += tokenCount(units.images) * rate;
    priced = true;
  }
  if (units.searches !== undefined) {
    if (price.perSearch === undefined) return undefined;
    total += tokenCount(units.searches) * price.perSearch;
    priced = true;
  }
  return priced ? total : undefined;
}

/**
 * The most the units an operation expects to bill can cost, for budget reservations: images at the
 * rate of their quality and size, or at the dearest image rate when none matches; searches at
 * `per_search`. Undefined when the price has no rate for them (then tokens are estimated).
 */
export function estimateUnitCost(units: BilledUnits, price: ModelPrice): Cost | undefined {
  let total = 0n;
  let priced = false;
  if (units.images !== undefined && price.perImageVariants !== undefined) {
    let rate = imageRate(price, units.imageSize, units.imageQuality);
    if (rate === undefined) for (const candidate of price.perImageVariants.values()) if (rate === undefined || candidate > rate) rate = candidate;
    total += tokenCount(units.images) * (rate ?? 0n);
    priced = true;
  }
  if (units.searches !== undefined && price.perSearch !== undefined) {
    total += tokenCount(units.searches) * price.perSearch;
    priced = true;
  }
  return priced ? { known: true, usd: usdNumber(total), femtoUsd: total, nanoUsd: nanoFromFemto(total), breakdown: { ...ZERO_BREAKDOWN, units: total } } : undefined;
}

function imageRate(price: ModelPrice, size: string | undefined, quality: string | undefined): FemtoUsd | undefined {
  const rates = price.perImageVariants;
  if (rates === undefined) return undefined;
  const keys = [quality !== undefined && size !== undefined ? `${quality}/${size}` : undefined, size, quality, 'default'];
  for (const key of keys) {
    if (key === undefined) continue;
    const rate = rates.get(key.toLowerCase());
    if (rate !== undefined) return rate;
  }
  return undefined;
}

/** The tier a prompt of `promptTokens` is billed at: the last long-context tier it passes, or batch rates. */
function ratesFor(price: ModelPrice, promptTokens: bigint, options: CostOptions): TierRates {
  if (options.batch === true) return price.batchInput === price.input && price.batchOutput === price.output ? price : { ...price, input: price.batchInput, output: price.batchOutput };
  const tiers = price.tiers;
  if (tiers.length === 0) return price;
  let rates: TierRates = price;
  for (let index = 0; index < tiers.length; index++) if (promptTokens > BigInt(tiers[index]!.aboveInputTokens)) rates = tiers[index]!;
  return rates;
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
  const totals: Record<(typeof BREAKDOWN_FIELDS)[number], FemtoUsd> = { ...ZERO_BREAKDOWN };
  for (const cost of costs) {
    known &&= cost.known;
    for (const field of BREAKDOWN_FIELDS) totals[field] += cost.breakdown[field];
  }
  const total = totalOf(totals);
  return { known, usd: usdNumber(total), femtoUsd: total, nanoUsd: nanoFromFemto(total), breakdown: totals };
}

function minimum(left: bigint, right: bigint): bigint {
  return left < right ? left : right;
}
