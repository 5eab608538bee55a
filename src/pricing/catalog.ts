import { readShippedCatalog, entryProblems, hasUnitPrice, type CatalogFile } from './catalog-file.js';
import { femtoFromUsd, femtoPerToken, MoneyFormatError } from './money.js';
import { modelNameCandidates, splitPriceKey } from './model-name.js';
import type { LongContextEntry, ModelPrice, PriceEntry, TierRates } from './price.js';

/** One problem with a `pricing` override: where (`pricing.<key>`) and what. */
export interface PricingIssue {
  path: string;
  message: string;
}

export interface LoadPricingOptions {
  /** A catalog to use instead of the shipped `data/pricing.json` (tests, embedding). */
  catalog?: CatalogFile;
  /** Where to read the catalog from instead of the package's `data/pricing.json`. */
  catalogPath?: string | URL;
}

/** Lookups remembered per (type, instance, model); beyond this many distinct ones, stop remembering. */
const MAX_REMEMBERED_LOOKUPS = 10_000;

/**
 * The prices the gateway bills with: the shipped catalog with the config's `pricing` overrides on
 * top. Built once at start-up; `lookup` is a map read after the first call for a given model.
 */
export class PricingCatalog {
  readonly asOf: string | undefined;
  /** Problems found in the overrides; the overrides concerned are ignored or partly unusable. */
  readonly issues: readonly PricingIssue[];
  private readonly shipped: ReadonlyMap<string, PriceEntry>;
  private readonly overrides: ReadonlyMap<string, PriceEntry>;
  private readonly inherit: ReadonlyMap<string, readonly string[]>;
  private readonly remembered = new Map<string, ModelPrice | undefined>();

  constructor(catalog: CatalogFile, overrides: Readonly<Record<string, PriceEntry>> = {}) {
    this.asOf = catalog.as_of;
    this.shipped = new Map(Object.entries(catalog.models).map(([key, entry]) => [key.toLowerCase(), entry]));
    this.inherit = new Map(Object.entries(catalog.inherit ?? {}).map(([child, parents]) => [child.toLowerCase(), (typeof parents === 'string' ? [parents] : parents).map((parent) => parent.toLowerCase())]));
    const issues: PricingIssue[] = [];
    const usable = new Map<string, PriceEntry>();
    for (const [key, entry] of Object.entries(overrides)) {
      const path = `pricing.${key}`;
      if (splitPriceKey(key) === undefined) {
        issues.push({ path, message: 'keys are "provider/model", with the provider instance name or type' });
        continue;
      }
      const problems = entryProblems(path, entry, false);
      if (problems.length > 0) {
        for (const problem of problems) issues.push({ path, message: problem.slice(path.length).replace(/^[.:]\s*/, '') });
        continue;
      }
      if (!hasUnitPrice(entry) && (entry.input === undefined || entry.output === undefined) && !this.shipsModel(splitPriceKey(key)!.model)) {
        issues.push({ path, message: 'gives only some prices and the shipped catalog does not list this model: give input and output' });
      }
      usable.set(key.toLowerCase(), entry);
    }
    this.overrides = usable;
    this.issues = issues;
    // Convert every entry once now, so a bad number fails at start-up rather than on a request.
    for (const [key, entry] of [...this.shipped, ...this.overrides]) {
      try {
        resolve(key, 'shipped', entry, undefined);
      } catch (error) {
        if (!(error instanceof MoneyFormatError)) throw error;
        if (this.overrides.get(key) === entry) {
          issues.push({ path: `pricing.${key}`, message: error.message });
          usable.delete(key);
        } else throw new Error(`pricing catalog ${key}: ${error.message}`);
      }
    }
  }

  /**
   * The price of `model` served by the provider instance `instanceName` of type `providerType`;
   * undefined when unknown. Overrides win over the shipped catalog. Within each, keys are tried
   * with the instance name, then the type, then the types it inherits from (azure → openai), each
   * with the exact model name first and then without version suffixes (`gpt-4o-2024-08-06` →
   * `gpt-4o`). An override giving only some prices takes the rest from the shipped match.
   * Azure callers pass the model name, not the deployment name.
   */
  lookup(providerType: string, instanceName: string, model: string): ModelPrice | undefined {
    const memoKey = `${providerType}\u0000${instanceName}\u0000${model}`;
    if (this.remembered.has(memoKey)) return this.remembered.get(memoKey);
    const price = this.find(providerType, instanceName, model);
    if (this.remembered.size < MAX_REMEMBERED_LOOKUPS) this.remembered.set(memoKey, price);
    return price;
  }

  /** Every price key the catalog knows, shipped and overridden (for the admin API and tests). */
  keys(): string[] {
    return [...new Set([...this.shipped.keys(), ...this.overrides.keys()])].sort();
  }

  private shipsModel(model: string): boolean {
    const names = new Set(modelNameCandidates(model));
    for (const key of this.shipped.keys()) if (names.has(splitPriceKey(key)?.model ?? '')) return true;
    return false;
  }

  private find(providerType: string, instanceName: string, model: string): ModelPrice | undefined {
    const providers = this.providerChain(providerType, instanceName);
    const names = modelNameCandidates(model);
    const override = firstMatch(this.overrides, providers, names);
    const shipped = firstMatch(this.shipped, providers, names);
    if (override === undefined) return shipped && resolve(shipped.key, 'shipped', shipped.entry, undefined);
    return resolve(override.key, shipped ? 'override+shipped' : 'override', override.entry, shipped?.entry);
  }

  private providerChain(providerType: string, instanceName: string): string[] {
    const chain = [instanceName.toLowerCase()];
    // The type, then what it inherits from, breadth first (vertex → gemini, anthropic); each type once.
    const queue = [providerType.toLowerCase()];
    for (let index = 0; index < queue.length; index++) {
      const type = queue[index]!;
      if (!chain.includes(type)) chain.push(type);
      for (const parent of this.inherit.get(type) ?? []) if (!queue.includes(parent)) queue.push(parent);
    }
    return chain;
  }
}

function firstMatch(entries: ReadonlyMap<string, PriceEntry>, providers: readonly string[], names: readonly string[]): { key: string; entry: PriceEntry } | undefined {
  for (const provider of providers) {
    for (const name of names) {
      const key = `${provider}/${name}`;
      const entry = entries.get(key);
      if (entry !== undefined) return { key, entry };
    }
  }
  return undefined;
}

/**
 * Applies the defaults and converts to exact rates; undefined when input or output is missing,
 * unless the entry carries only unit prices (`per_character`, `per_second`): then tokens cost 0.
 */
function resolve(key: string, origin: ModelPrice['origin'], entry: PriceEntry, base: PriceEntry | undefined): ModelPrice | undefined {
  let merged: PriceEntry = base === undefined ? entry : { ...base, ...definedFields(entry) };
  if (merged.input === undefined || merged.output === undefined) {
    if (!hasUnitPrice(merged)) return undefined;
    merged = { ...merged, input: merged.input ?? 0, output: merged.output ?? 0 };
  }
  const standard = tierRates(merged as PriceEntry & Pick<LongContextEntry, 'input' | 'output'>);
  const long = merged.long_context;
  return {
    key,
    origin,
    ...standard,
    batchInput: merged.batch_input === undefined ? standard.input : femtoPerToken(merged.batch_input),
    batchOutput: merged.batch_output === undefined ? standard.output : femtoPerToken(merged.batch_output),
    longContext: long === undefined ? undefined : { ...tierRates(long), aboveInputTokens: long.above_input_tokens },
    maxOutputTokens: merged.max_output_tokens,
    perCharacter: merged.per_character === undefined ? undefined : femtoFromUsd(merged.per_character),
    perSecond: merged.per_second === undefined ? undefined : femtoFromUsd(merged.per_second),
  };
}

/** One tier's rates: cache reads and 5-minute writes default to its input rate, 1-hour writes to the 5-minute rate. */
function tierRates(tier: Pick<LongContextEntry, 'input' | 'output' | 'cached_input' | 'cache_write' | 'cache_write_1h' | 'reasoning'>): TierRates {
  const input = femtoPerToken(tier.input);
  const cacheWrite = tier.cache_write === undefined ? input : femtoPerToken(tier.cache_write);
  return {
    input,
    output: femtoPerToken(tier.output),
    cachedInput: tier.cached_input === undefined ? input : femtoPerToken(tier.cached_input),
    cacheWrite,
    cacheWrite1h: tier.cache_write_1h === undefined ? cacheWrite : femtoPerToken(tier.cache_write_1h),
    reasoning: tier.reasoning === undefined ? undefined : femtoPerToken(tier.reasoning),
  };
}

function definedFields(entry: PriceEntry): PriceEntry {
  const result: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(entry)) if (value !== undefined) result[field] = value;
  return result as PriceEntry;
}

/**
 * Builds the catalog the gateway bills with, once at start-up: `data/pricing.json` plus the config's
 * `pricing` overrides (USD per million tokens, keyed `provider/model`). Throws when the shipped
 * catalog is missing or malformed; problems with overrides are listed in `catalog.issues`.
 * @example loadPricingCatalog({ 'openai/gpt-4o': { input: 2, output: 8 } }).lookup('openai', 'openai', 'gpt-4o-2024-08-06')
 */
export function loadPricingCatalog(overrides?: Readonly<Record<string, PriceEntry>>, options: LoadPricingOptions = {}): PricingCatalog {
  const catalog = options.catalog ?? readShippedCatalog(options.catalogPath);
  return new PricingCatalog(catalog, overrides ?? {});
}
