import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LONG_CONTEXT_PRICE_FIELDS, PRICE_FIELDS, PROVENANCE_FIELDS, type PriceEntry } from './price.js';
import type { CacheWrite1hRule } from './source-catalog.js';

/**
 * The shape of `data/pricing.json`, the project file: only what the maintained data
 * (@pydantic/genai-prices) lacks. Its entries are merged over the data's price of the same model
 * (batch rates), or stand alone for models the data does not list (per-image, per-character and
 * per-second prices, the mock provider's made-up prices).
 */
export interface CatalogFile {
  /** Provenance: where the prices were read and when. */
  readonly as_of?: string;
  readonly sources?: Readonly<Record<string, string>>;
  /** Provider types priced like another, e.g. `{ "azure": "openai" }`. */
  readonly inherit?: Readonly<Record<string, string>>;
  /** Tollgate provider type → the genai-prices provider ids its models are looked up in, in order. */
  readonly provider_ids?: Readonly<Record<string, readonly string[]>>;
  /** Prices the data lacks, filled by rule (one-hour cache writes of Claude on Bedrock and Vertex). */
  readonly cache_write_1h_rules?: readonly CacheWrite1hRule[];
  /** Release dates of @pydantic/genai-prices versions, for the catalog date in /health (the package carries none). */
  readonly genai_prices_releases?: Readonly<Record<string, string>>;
  /** `provider-type/model` → price (with its `source` and `as_of`). */
  readonly models: Readonly<Record<string, PriceEntry>>;
}

/**
 * Where the shipped catalog is: `data/pricing.json` at the package root. This file runs from
 * `dist/src/pricing/` once built (three levels down); the second candidate serves running the
 * TypeScript source directly.
 */
const CANDIDATE_PATHS = [new URL('../../../data/pricing.json', import.meta.url), new URL('../../data/pricing.json', import.meta.url)];

/** Reads and checks the shipped catalog. Synchronous on purpose: it runs once, at start-up. */
export function readShippedCatalog(path?: string | URL): CatalogFile {
  const paths = path === undefined ? CANDIDATE_PATHS : [path];
  let lastError: unknown;
  for (const candidate of paths) {
    let text: string;
    try {
      text = readFileSync(candidate, 'utf8');
    } catch (error) {
      lastError = error;
      continue;
    }
    return parseCatalog(text, typeof candidate === 'string' ? candidate : fileURLToPath(candidate));
  }
  throw new Error(`pricing catalog not found (${paths.map(String).join(', ')}): ${String(lastError)}`);
}

/** Parses catalog text, throwing one error that lists every problem. */
export function parseCatalog(text: string, source = 'pricing.json'): CatalogFile {
  const data: unknown = JSON.parse(text);
  const problems = catalogProblems(data);
  if (problems.length > 0) throw new Error(`invalid pricing catalog ${source}:\n  ${problems.join('\n  ')}`);
  return data as CatalogFile;
}

/** Every way `data` fails to be a catalog; empty when it is one. */
export function catalogProblems(data: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(data) || !isRecord(data.models)) return ['expected an object with a "models" object'];
  for (const [key, entry] of Object.entries(data.models)) {
    if (!/^[a-z0-9_.-]+\/.+$/.test(key) || key !== key.toLowerCase()) problems.push(`${key}: keys are lower-case "provider/model"`);
    problems.push(...entryProblems(key, entry, true));
  }
  if (data.provider_ids !== undefined) {
    if (!isRecord(data.provider_ids)) problems.push('provider_ids: expected an object of provider type → list of genai-prices provider ids');
    else for (const [type, ids] of Object.entries(data.provider_ids)) if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) problems.push(`provider_ids.${type}: expected a list of provider ids`);
  }
  if (data.cache_write_1h_rules !== undefined) {
    if (!Array.isArray(data.cache_write_1h_rules)) problems.push('cache_write_1h_rules: expected a list');
    else
      data.cache_write_1h_rules.forEach((rule: unknown, index) => {
        if (!isRecord(rule) || typeof rule.provider !== 'string' || !Number.isSafeInteger(rule.input_multiple) || (rule.input_multiple as number) <= 0) problems.push(`cache_write_1h_rules[${index}]: expected { provider, input_multiple (a whole number), model_contains? }`);
      });
  }
  if (data.inherit !== undefined) {
    if (!isRecord(data.inherit)) problems.push('inherit: expected an object of provider type → provider type');
    else for (const [child, parent] of Object.entries(data.inherit)) if (typeof parent !== 'string') problems.push(`inherit.${child}: expected a provider type`);
  }
  return problems;
}

/**
 * Problems of one price entry. `complete` (the project file) requires `input` and `output`
 * together: an entry gives both, or neither when it only adds to the maintained data's price
 * (batch rates) or prices per unit; it also allows `source` and `as_of` text.
 */
export function entryProblems(path: string, entry: unknown, complete: boolean): string[] {
  if (!isRecord(entry)) return [`${path}: expected an object of prices`];
  const problems: string[] = [];
  for (const [field, value] of Object.entries(entry)) {
    if (complete && (PROVENANCE_FIELDS as readonly string[]).includes(field)) {
      if (typeof value !== 'string') problems.push(`${path}.${field}: expected text`);
    } else if (field === 'long_context') problems.push(...longContextProblems(`${path}.long_context`, value));
    else if (field === 'per_image') {
      const prices = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.values(value as Record<string, unknown>) : [value];
      if (prices.length === 0 || !prices.every(isPrice)) problems.push(`${path}.per_image: expected a non-negative number of USD per image, or an object of them keyed by quality and size`);
    } else if (field === 'per_search') {
      if (!isPrice(value)) problems.push(`${path}.per_search: expected a non-negative number of USD per search unit`);
    }
    else if (field === 'max_output_tokens') {
      if (!isTokenCount(value)) problems.push(`${path}.max_output_tokens: expected a positive whole number of tokens`);
    } else if (!(PRICE_FIELDS as readonly string[]).includes(field)) problems.push(`${path}.${field}: unknown field (expected ${[...PRICE_FIELDS, 'long_context', 'max_output_tokens'].join(', ')})`);
    else if (!isPrice(value)) problems.push(`${path}.${field}: expected a non-negative number of USD per million tokens`);
  }
  if (complete && (entry.input === undefined) !== (entry.output === undefined)) problems.push(`${path}: needs both input and output`);
  return problems;
}

function longContextProblems(path: string, tier: unknown): string[] {
  if (Array.isArray(tier)) return tier.flatMap((each, index) => longContextProblems(`${path}[${index}]`, each));
  if (!isRecord(tier)) return [`${path}: expected an object with above_input_tokens, input and output`];
  const problems: string[] = [];
  for (const [field, value] of Object.entries(tier)) {
    if (field === 'above_input_tokens') {
      if (!isTokenCount(value)) problems.push(`${path}.above_input_tokens: expected a positive whole number of prompt tokens`);
    } else if (!(LONG_CONTEXT_PRICE_FIELDS as readonly string[]).includes(field)) problems.push(`${path}.${field}: unknown field (expected above_input_tokens, ${LONG_CONTEXT_PRICE_FIELDS.join(', ')})`);
    else if (!isPrice(value)) problems.push(`${path}.${field}: expected a non-negative number of USD per million tokens`);
  }
  if (tier.above_input_tokens === undefined || tier.input === undefined || tier.output === undefined) problems.push(`${path}: needs above_input_tokens, input and output`);
  return problems;
}

function isTokenCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isPrice(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
