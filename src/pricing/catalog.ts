import { readShippedCatalog, entryProblems, type CatalogFile } from './catalog-file.js';
import { femtoFromUsd, femtoPerToken, MoneyFormatError, type FemtoUsd } from './money.js';
import { modelNameCandidates, splitPriceKey } from './model-name.js';
import { UNIT_PRICE_FIELDS, type LongContextEntry, type ModelPrice, type PriceEntry, type TierRates } from './price.js';
import { SourceCatalog, variantAt, type SourceMatch } from './source-catalog.js';
import { installedSourceData, readSourceDataFile, type SourceData } from './source-data.js';

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
  /**
   * The maintained price data: a genai-prices data file's path (config `pricing_data`), data
   * already read, or `false` for none (the project file alone, as unit tests use). Default: the
   * data bundled in the installed @pydantic/genai-prices.
   */
  source?: string | SourceData | false;
}

/** The catalog's provenance, for `/health` and the start-up log. */
export interface CatalogVersion {
  /** e.g. `@pydantic/genai-prices@0.1.8`, `file:/path/data.json`, or `none`. */
  readonly source: string;
  /** The maintained data's date (YYYY-MM-DD) when known. */
  readonly source_date: string | undefined;
  /** Models in the maintained data. */
  readonly source_models: number;
  /** The project file's date (data/pricing.json `as_of`). */
  readonly project_file_date: string | undefined;
  /** How many config `pricing` overrides are in force. */
  readonly overrides: number;
}

/** Lookups remembered per (type, instance, model); beyond this many distinct ones, stop remembering. */
const MAX_REMEMBERED_LOOKUPS = 10_000;

/** A remembered lookup: one price, or the maintained data's dated prices (each resolved once). */
type Remembered = ModelPrice | { readonly variants: readonly { readonly from?: number; readonly timeOfDay?: { start: number; end: number }; readonly price: ModelPrice }[] } | undefined;

/**
 * The prices the gateway bills with, in layers: the maintained data (@pydantic/genai-prices),
 * the project file data/pricing.json over it (batch rates, prices the data lacks), and the
 * config's `pricing` overrides over both. Built once at start-up; `lookup` is a map read after
 * the first call for a given model.
 */
export class PricingCatalog {
  readonly asOf: string | undefined;
  /** Problems found in the overrides; the overrides concerned are ignored or partly unusable. */
  readonly issues: readonly PricingIssue[];
  readonly version: CatalogVersion;
  private readonly shipped: ReadonlyMap<string, PriceEntry>;
  private readonly overrides: ReadonlyMap<string, PriceEntry>;
  private readonly inherit: ReadonlyMap<string, string>;
  private readonly remembered = new Map<string, Remembered>();

  constructor(
    catalog: CatalogFile,
    overrides: Readonly<Record<string, PriceEntry>> = {},
    private readonly source: SourceCatalog | undefined = undefined,
  ) {
    this.asOf = catalog.as_of;
    this.shipped = new Map(Object.entries(catalog.models).map(([key, entry]) => [key.toLowerCase(), entry]));
    this.inherit = new Map(Object.entries(catalog.inherit ?? {}).map(([child, parent]) => [child.toLowerCase(), parent.toLowerCase()]));
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
      if ((entry.input === undefined || entry.output === undefined) && !hasUnitPrices(entry) && !this.shipsModel(splitPriceKey(key)!.model)) {
        issues.push({ path, message: 'gives only some prices and the shipped catalog does not list this model: give input and output' });
      }
      usable.set(key.toLowerCase(), entry);
    }
    this.overrides = usable;
    this.issues = issues;
    this.version = {
      source: source?.version ?? 'none',
      source_date: source?.date,
      source_models: source?.modelCount ?? 0,
      project_file_date: catalog.as_of,
      overrides: usable.size,
    };
    // Convert every entry once now, so a bad number fails at start-up rather than on a request.
    for (const [key, entry] of [...this.shipped, ...this.overrides]) {
      try {
        resolve(key, 'shipped', [entry]);
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
  lookup(providerType: string, instanceName: string, model: string, at?: number): ModelPrice | undefined {
    const memoKey = `${providerType}\u0000${instanceName}\u0000${model}`;
    let found: Remembered;
    if (this.remembered.has(memoKey)) found = this.remembered.get(memoKey);
    else {
      found = this.find(providerType, instanceName, model);
      if (this.remembered.size < MAX_REMEMBERED_LOOKUPS) this.remembered.set(memoKey, found);
    }
    if (found === undefined || !('variants' in found)) return found;
    return variantAt(found.variants, at ?? Date.now()).price;
  }

  /** Every price key the catalog knows, shipped and overridden (for the admin API and tests). */
  keys(): string[] {
    return [...new Set([...this.shipped.keys(), ...this.overrides.keys()])].sort();
  }

  private shipsModel(model: string): boolean {
    const names = new Set(modelNameCandidates(model));
    for (const key of this.shipped.keys()) if (names.has(splitPriceKey(key)?.model ?? '')) return true;
    return this.source !== undefined && [...new Set([...this.shipped.keys()].map((key) => splitPriceKey(key)!.provider))].some((type) => this.source!.find(type, model) !== undefined);
  }

  private find(providerType: string, instanceName: string, model: string): Remembered {
    const providers = this.providerChain(providerType, instanceName);
    const names = modelNameCandidates(model);
    const override = firstMatch(this.overrides, providers, names);
    const shipped = firstMatch(this.shipped, providers, names);
    const source = this.findSource(this.typeChain(providerType), model);
    const layers = (base: PriceEntry | undefined) => {
      const entries: PriceEntry[] = [];
      const origins: string[] = [];
      if (base !== undefined) (entries.push(base), origins.push('genai-prices'));
      if (shipped !== undefined) (entries.push(shipped.entry), origins.push('shipped'));
      if (override !== undefined) (entries.push(override.entry), origins.push('override'));
      return { entries, origin: origins.join('+') };
    };
    const key = override?.key ?? shipped?.key ?? source?.key;
    if (key === undefined) return undefined;
    if (source === undefined || source.variants.length === 1) {
      const { entries, origin } = layers(source?.variants[0]!.entry);
      return resolve(source !== undefined && override === undefined && shipped === undefined ? source.key : key, origin, entries);
    }
    const variants = [];
    for (const variant of source.variants) {
      const { entries, origin } = layers(variant.entry);
      const price = resolve(override === undefined && shipped === undefined ? source.key : key, origin, entries);
      if (price === undefined) return undefined;
      variants.push({ ...(variant.from === undefined ? {} : { from: variant.from }), ...(variant.timeOfDay === undefined ? {} : { timeOfDay: variant.timeOfDay }), price });
    }
    return { variants };
  }

  /** The maintained data's price for the first provider type of the chain that the data has the model for. */
  private findSource(types: readonly string[], model: string): SourceMatch | undefined {
    if (this.source === undefined) return undefined;
    for (const type of types) {
      const found = this.source.find(type, model);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private providerChain(providerType: string, instanceName: string): string[] {
    const chain = [instanceName.toLowerCase()];
    for (const type of this.typeChain(providerType)) if (!chain.includes(type)) chain.push(type);
    return chain;
  }

  /** The provider type and the types it inherits from (azure → openai). */
  private typeChain(providerType: string): string[] {
    const chain: string[] = [];
    for (let type: string | undefined = providerType.toLowerCase(); type !== undefined && !chain.includes(type); type = this.inherit.get(type)) chain.push(type);
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
 * Merges price layers (later ones win field by field), applies the defaults and converts to exact
 * rates; undefined when input or output is missing and the model has no per-unit price. An entry
 * with unit prices only has zero token rates and `tokenRated: false`: tokens it reports are not billed
 * as $0 but leave the cost unknown unless its units were priced.
 */
function resolve(key: string, origin: string, layers: readonly PriceEntry[]): ModelPrice | undefined {
  let merged: PriceEntry = {};
  for (const layer of layers) {
    const fields = definedFields(layer);
    // The two character prices are one price in two units: the later layer's wins whichever unit it uses.
    if (fields.per_character !== undefined) delete merged.per_million_characters;
    if (fields.per_million_characters !== undefined) delete merged.per_character;
    merged = { ...merged, ...fields };
  }
  const tokenRated = merged.input !== undefined && merged.output !== undefined;
  if (!tokenRated) {
    if (!hasUnitPrices(merged)) return undefined;
    merged = { input: 0, output: 0, ...merged };
  }
  const standard = tierRates(merged as PriceEntry & Pick<LongContextEntry, 'input' | 'output'>);
  const long = merged.long_context;
  const tiers = (long === undefined ? [] : Array.isArray(long) ? long : [long as LongContextEntry])
    .map((tier) => ({ ...tierRates(tier), aboveInputTokens: tier.above_input_tokens }))
    .sort((left, right) => left.aboveInputTokens - right.aboveInputTokens);
  return {
    key,
    origin,
    ...standard,
    batchInput: merged.batch_input === undefined ? standard.input : femtoPerToken(merged.batch_input),
    batchOutput: merged.batch_output === undefined ? standard.output : femtoPerToken(merged.batch_output),
    longContext: tiers[0],
    tiers,
    maxOutputTokens: merged.max_output_tokens,
    tokenRated,
    ...imagePrices(merged.per_image),
    perSearch: merged.per_search === undefined ? undefined : femtoFromUsd(merged.per_search),
    perCharacter: merged.per_character !== undefined ? femtoFromUsd(merged.per_character) : merged.per_million_characters === undefined ? undefined : femtoPerToken(merged.per_million_characters),
    perSecond: merged.per_second === undefined ? undefined : femtoFromUsd(merged.per_second),
    perRequest: merged.per_request === undefined ? undefined : femtoFromUsd(merged.per_request),
  };
}

/** Whether an entry carries a price per unit other than tokens (then it may lack token prices). */
function hasUnitPrices(entry: PriceEntry): boolean {
  return UNIT_PRICE_FIELDS.some((field) => entry[field] !== undefined);
}

/** `per_image` as exact rates: a plain number is the `default` price; keys are matched lower-case. */
function imagePrices(value: PriceEntry['per_image']): Pick<ModelPrice, 'perImage' | 'perImageVariants'> {
  if (value === undefined) return { perImage: undefined, perImageVariants: undefined };
  if (typeof value === 'number' || typeof value === 'string') {
    const rate = femtoFromUsd(value);
    return { perImage: rate, perImageVariants: new Map([['default', rate]]) };
  }
  const variants = new Map<string, FemtoUsd>(Object.entries(value).map(([variant, usd]) => [variant.toLowerCase(), femtoFromUsd(usd)]));
  return { perImage: variants.get('default'), perImageVariants: variants };
}

type TierFields = Pick<LongContextEntry, 'input' | 'output' | 'cached_input' | 'cache_write' | 'cache_write_1h' | 'reasoning' | 'input_audio' | 'output_audio' | 'cached_audio_input' | 'input_image' | 'output_image'>;

/** One tier's rates: cache reads and 5-minute writes default to its input rate, 1-hour writes to the 5-minute rate; modality rates stay undefined (billed as text). */
function tierRates(tier: TierFields): TierRates {
  const input = femtoPerToken(tier.input);
  const cacheWrite = tier.cache_write === undefined ? input : femtoPerToken(tier.cache_write);
  const optional = (value: number | string | undefined) => (value === undefined ? undefined : femtoPerToken(value));
  return {
    input,
    output: femtoPerToken(tier.output),
    cachedInput: tier.cached_input === undefined ? input : femtoPerToken(tier.cached_input),
    cacheWrite,
    cacheWrite1h: tier.cache_write_1h === undefined ? cacheWrite : femtoPerToken(tier.cache_write_1h),
    reasoning: optional(tier.reasoning),
    inputAudio: optional(tier.input_audio),
    outputAudio: optional(tier.output_audio),
    cachedAudioInput: optional(tier.cached_audio_input),
    inputImage: optional(tier.input_image),
    outputImage: optional(tier.output_image),
  };
}

function definedFields(entry: PriceEntry): PriceEntry {
  const result: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(entry)) if (value !== undefined) result[field] = value;
  return result as PriceEntry;
}

/** Tollgate provider type → genai-prices provider ids when the project file names none. */
const DEFAULT_PROVIDER_IDS: Readonly<Record<string, readonly string[]>> = { xai: ['x-ai'], bedrock: ['aws'], gemini: ['google'] };

/** The maintained data converted once per data (remembered: a config reload or a second gateway in one process reuses it). */
const converted = new WeakMap<SourceData, SourceCatalog>();

/** The genai-prices provider ids the project file maps provider types to. */
export function sourceProviderIds(catalog: CatalogFile): Readonly<Record<string, readonly string[]>> {
  return { ...DEFAULT_PROVIDER_IDS, ...(catalog.provider_ids ?? {}) };
}

/**
 * Builds the catalog the gateway bills with, once at start-up: the maintained data (the installed
 * @pydantic/genai-prices, or the file config `pricing_data` names), the project file
 * `data/pricing.json` over it, and the config's `pricing` overrides (USD per million tokens, keyed
 * `provider/model`) over both. Throws when the project file is missing or malformed, and
 * SourceDataError when the data file is; problems with overrides are listed in `catalog.issues`.
 * @example loadPricingCatalog({ 'openai/gpt-4o': { input: 2, output: 8 } }).lookup('openai', 'openai', 'gpt-4o-2024-08-06')
 */
export function loadPricingCatalog(overrides?: Readonly<Record<string, PriceEntry>>, options: LoadPricingOptions = {}): PricingCatalog {
  const catalog = options.catalog ?? readShippedCatalog(options.catalogPath);
  const ids = sourceProviderIds(catalog);
  let data: SourceData | undefined;
  if (options.source === false) data = undefined;
  else if (typeof options.source === 'string') data = readSourceDataFile(options.source);
  else data = options.source ?? installedSourceData(Object.values(ids).flat(), catalog.genai_prices_releases);
  let source: SourceCatalog | undefined;
  if (data !== undefined) {
    source = converted.get(data);
    if (source === undefined) {
      source = new SourceCatalog(data, ids, catalog.cache_write_1h_rules ?? []);
      converted.set(data, source);
    }
  }
  return new PricingCatalog(catalog, overrides ?? {}, source);
}
