import { compileMatch, dashedSnapshotDate, type MatchRule } from './match-rule.js';
import { formatUsd, MoneyFormatError, roundedFemtoPerToken } from './money.js';
import { modelNameCandidates } from './model-name.js';
import type { LongContextEntry, PriceEntry } from './price.js';
import type { SourceConstraint, SourceData, SourceModel, SourcePrices, SourceProvider } from './source-data.js';

/** genai-prices price keys (USD per million tokens) → the project's price fields. Other keys (per-request search fees, pages, hours) are not billed by Tollgate. */
const PRICE_KEYS: Readonly<Record<string, keyof LongContextEntry>> = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cached_input',
  cache_write_mtok: 'cache_write',
  cache_write_1h_mtok: 'cache_write_1h',
  output_reasoning_mtok: 'reasoning',
  input_audio_mtok: 'input_audio',
  output_audio_mtok: 'output_audio',
  cache_audio_read_mtok: 'cached_audio_input',
  input_image_mtok: 'input_image',
  output_image_mtok: 'output_image',
};

/**
 * A rule that fills a price the data lacks, from the project file: one-hour cache writes at a
 * multiple of the input rate for the models of `provider` whose data id contains `model_contains`.
 */
export interface CacheWrite1hRule {
  provider: string;
  model_contains?: string;
  input_multiple: number;
  source?: string;
  as_of?: string;
}

/** One price of a model and when it is in force. */
export interface SourceVariant {
  /** In force from this instant (ms since the epoch) on. */
  readonly from?: number;
  /** In force between these seconds of the UTC day (wrapping past midnight when end < start). */
  readonly timeOfDay?: { readonly start: number; readonly end: number };
  readonly entry: PriceEntry;
}

export interface SourceMatch {
  /** `<data provider id>/<data model id>`, e.g. `anthropic/claude-sonnet-4-6`. */
  readonly key: string;
  /** In the data's order: the last one in force at a given time applies, else the first. */
  readonly variants: readonly SourceVariant[];
}

interface ConvertedModel extends SourceMatch {
  readonly rule: MatchRule;
}

interface ConvertedProvider {
  readonly id: string;
  readonly models: readonly ConvertedModel[];
  readonly fallbacks: readonly string[];
}

/**
 * The genai-prices data converted once into exact prices (USD per million tokens as exact decimal
 * text, checked by the catalog at start-up) and compiled match rules. `find` applies the data's
 * own model matching: the provider's models in order, the first whose `match` clause accepts the
 * name; then the name with a compact snapshot date dashed (as the package does); then the
 * project's dated-snapshot fallback (model-name.ts); then the provider's
 * `fallback_model_providers` (Azure → OpenAI, Anthropic, …).
 */
export class SourceCatalog {
  readonly version: string;
  readonly date: string | undefined;
  readonly modelCount: number;
  private readonly providers = new Map<string, ConvertedProvider>();

  constructor(
    data: SourceData,
    /** Tollgate provider type → the data's provider ids to look in, in order. */
    private readonly providerIds: Readonly<Record<string, readonly string[]>>,
    rules: readonly CacheWrite1hRule[] = [],
  ) {
    this.version = data.version;
    this.date = data.date;
    let count = 0;
    for (const provider of data.providers) {
      const models = provider.models.map((model) => convertModel(provider, model, rules));
      count += models.length;
      this.providers.set(provider.id, { id: provider.id, models, fallbacks: provider.fallback_model_providers ?? [] });
    }
    this.modelCount = count;
  }

  /** The data provider ids a Tollgate provider type reads; empty when the data has no prices for it (self-hosted servers). */
  providersFor(providerType: string): readonly string[] {
    return this.providerIds[providerType.toLowerCase()] ?? (this.providers.has(providerType.toLowerCase()) ? [providerType.toLowerCase()] : []);
  }

  /** The data's price of `model` at the provider type, or undefined. */
  find(providerType: string, model: string): SourceMatch | undefined {
    const trimmed = model.toLowerCase().trim();
    const names = [trimmed];
    const dashed = dashedSnapshotDate(trimmed);
    if (dashed !== trimmed) names.push(dashed);
    for (const shorter of modelNameCandidates(trimmed).slice(1)) if (!names.includes(shorter)) names.push(shorter);
    for (const id of this.providersFor(providerType)) {
      const found = this.findIn(id, names, new Set());
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private findIn(providerId: string, names: readonly string[], visited: Set<string>): SourceMatch | undefined {
    const provider = this.providers.get(providerId);
    if (provider === undefined || visited.has(providerId)) return undefined;
    visited.add(providerId);
    for (const name of names) {
      const model = provider.models.find((candidate) => candidate.rule(name));
      if (model !== undefined) return model;
    }
    for (const fallback of provider.fallbacks) {
      const found = this.findIn(fallback, names, visited);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** The variant in force at `at` (ms since the epoch), as genai-prices picks it: the last whose constraint holds, else the first. */
export function variantAt<T extends Pick<SourceVariant, 'from' | 'timeOfDay'>>(variants: readonly T[], at: number): T {
  for (let index = variants.length - 1; index >= 0; index--) {
    const variant = variants[index]!;
    if (variant.from === undefined && variant.timeOfDay === undefined) return variant;
    if (variant.from !== undefined && at >= variant.from) return variant;
    if (variant.timeOfDay !== undefined) {
      const second = (at % 86_400_000) / 1000;
      const { start, end } = variant.timeOfDay;
      if (end < start ? second >= start || second < end : second >= start && second < end) return variant;
    }
  }
  return variants[0]!;
}

function convertModel(provider: SourceProvider, model: SourceModel, rules: readonly CacheWrite1hRule[]): ConvertedModel {
  const key = `${provider.id}/${model.id.toLowerCase()}`;
  const listed = Array.isArray(model.prices) ? model.prices : [{ prices: model.prices }];
  const variants = listed.map(({ constraint, prices }: { constraint?: SourceConstraint; prices: SourcePrices }) => ({
    ...constraintTimes(constraint, key),
    entry: applyRules(provider.id, model.id, convertPrices(prices, key), rules),
  }));
  return { key, rule: compileMatch(model.match), variants };
}

function constraintTimes(constraint: SourceConstraint | undefined, key: string): Omit<SourceVariant, 'entry'> {
  if (constraint === undefined) return {};
  if ('start_date' in constraint) return { from: Date.parse(`${constraint.start_date}T00:00:00Z`) };
  return { timeOfDay: { start: secondOfDay(constraint.start_time, key), end: secondOfDay(constraint.end_time, key) } };
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` → seconds after UTC midnight. */
function secondOfDay(text: string, key: string): number {
  const match = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!match) throw new MoneyFormatError(`${key}: invalid time of day ${JSON.stringify(text)}`);
  const local = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
  const offset = match[4] === 'Z' ? 0 : (match[5] === '+' ? 1 : -1) * (Number(match[6]) * 3600 + Number(match[7]) * 60);
  return (local - offset + 86_400) % 86_400;
}

/** The data's prices → a PriceEntry of exact decimal texts, tiers regrouped by threshold. */
function convertPrices(prices: SourcePrices, key: string): PriceEntry {
  const flat: Record<string, string> = {};
  const starts = new Set<number>();
  for (const [priceKey, value] of Object.entries(prices)) {
    const field = PRICE_KEYS[priceKey];
    if (field === undefined) continue;
    if (typeof value === 'number') flat[field] = exactText(value, key, priceKey);
    else {
      flat[field] = exactText(value.base, key, priceKey);
      for (const tier of value.tiers) starts.add(tier.start);
    }
  }
  // A price the data does not give costs nothing there (embeddings have no output price, transcription no token prices).
  const entry: PriceEntry & Record<string, unknown> = { input: '0', output: '0', ...flat };
  const hours = prices.input_audio_hours ?? prices.audio_hours;
  if (typeof hours === 'number') entry.per_second = perSecondText(hours, key);
  // USD per 1,000 requests → USD per request (femto-USD per token × 10^3 = femto-USD per request).
  if (typeof prices.requests_kcount === 'number') entry.per_request = formatUsd(roundedFemtoPerToken(prices.requests_kcount) * 1_000n);
  if (starts.size === 0) return entry;
  const tiers: LongContextEntry[] = [...starts]
    .sort((left, right) => left - right)
    .map((start) => {
      const tier: Record<string, unknown> = { above_input_tokens: start };
      for (const [priceKey, value] of Object.entries(prices)) {
        const field = PRICE_KEYS[priceKey];
        if (field === undefined || field === 'above_input_tokens') continue;
        if (typeof value === 'number') tier[field] = exactText(value, key, priceKey);
        else {
          let price = value.base;
          for (const step of [...value.tiers].sort((left, right) => left.start - right.start)) if (step.start <= start) price = step.price;
          tier[field] = exactText(price, key, priceKey);
        }
      }
      return tier as unknown as LongContextEntry;
    });
  entry.long_context = tiers.length === 1 ? tiers[0] : tiers;
  return entry;
}

function exactText(value: number, key: string, priceKey: string): string {
  try {
    // femto-USD per token × 10^6 tokens = femto-USD per million tokens, written as exact USD.
    return formatUsd(roundedFemtoPerToken(value) * 1_000_000n);
  } catch (error) {
    throw new MoneyFormatError(`${key}.${priceKey}: ${(error as Error).message}`);
  }
}

function applyRules(providerId: string, modelId: string, entry: PriceEntry, rules: readonly CacheWrite1hRule[]): PriceEntry {
  if (entry.cache_write_1h !== undefined || entry.cache_write === undefined || entry.input === undefined) return entry;
  const rule = rules.find((candidate) => candidate.provider === providerId && (candidate.model_contains === undefined || modelId.toLowerCase().includes(candidate.model_contains)));
  if (rule === undefined) return entry;
  const times = (text: number | string | undefined) => (text === undefined ? undefined : multiply(String(text), rule.input_multiple));
  const filled: PriceEntry = { ...entry, cache_write_1h: times(entry.input) };
  const long = entry.long_context;
  if (long !== undefined) {
    const withRule = (tier: LongContextEntry): LongContextEntry => (tier.cache_write_1h !== undefined ? tier : { ...tier, cache_write_1h: times(tier.input)! });
    filled.long_context = Array.isArray(long) ? long.map(withRule) : withRule(long as LongContextEntry);
  }
  return filled;
}

/** USD per hour of audio → USD per second, rounded half up to whole femto-USD. */
function perSecondText(usdPerHour: number, key: string): string {
  try {
    const femtoPerHour = roundedFemtoPerToken(usdPerHour) * 1_000_000n;
    return formatUsd((femtoPerHour + 1_800n) / 3_600n);
  } catch (error) {
    throw new MoneyFormatError(`${key}.audio_hours: ${(error as Error).message}`);
  }
}

/** An exact decimal text times a whole multiple. */
function multiply(text: string, multiple: number): string {
  const [whole, fraction = ''] = text.split('.');
  const scaled = BigInt(`${whole}${fraction}`) * BigInt(multiple);
  const digits = scaled.toString().padStart(fraction.length + 1, '0');
  return fraction.length === 0 ? digits : `${digits.slice(0, -fraction.length)}.${digits.slice(-fraction.length)}`;
}
