import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LONG_CONTEXT_PRICE_FIELDS, PRICE_FIELDS, UNIT_PRICE_FIELDS, type PriceEntry } from './price.js';

/** The shape of `data/pricing.json`. */
export interface CatalogFile {
  /** Provenance: where the prices were read and when. */
  readonly as_of?: string;
  readonly sources?: Readonly<Record<string, string>>;
  /** Provider types priced like another, e.g. `{ "azure": "openai" }`. */
  /** Provider type → the type (or types, tried in order) whose prices it takes: `azure` → `openai`, `vertex` → `gemini`, `anthropic`. */
  readonly inherit?: Readonly<Record<string, string | readonly string[]>>;
  /** `provider-type/model` → price. */
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
  if (data.inherit !== undefined) {
    if (!isRecord(data.inherit)) problems.push('inherit: expected an object of provider type → provider type(s)');
    else {
      for (const [child, parent] of Object.entries(data.inherit)) {
        if (typeof parent !== 'string' && !(Array.isArray(parent) && parent.every((type) => typeof type === 'string'))) problems.push(`inherit.${child}: expected a provider type or a list of them`);
      }
    }
  }
  return problems;
}

/** Problems of one price entry; `complete` requires both `input` and `output`. */
export function entryProblems(path: string, entry: unknown, complete: boolean): string[] {
  if (!isRecord(entry)) return [`${path}: expected an object of prices`];
  const problems: string[] = [];
  for (const [field, value] of Object.entries(entry)) {
    if (field === 'long_context') problems.push(...longContextProblems(`${path}.long_context`, value));
    else if (field === 'max_output_tokens') {
      if (!isTokenCount(value)) problems.push(`${path}.max_output_tokens: expected a positive whole number of tokens`);
    } else if ((UNIT_PRICE_FIELDS as readonly string[]).includes(field)) {
      if (!isPrice(value)) problems.push(`${path}.${field}: expected a non-negative number of USD per unit`);
    } else if (!(PRICE_FIELDS as readonly string[]).includes(field)) problems.push(`${path}.${field}: unknown field (expected ${[...PRICE_FIELDS, ...UNIT_PRICE_FIELDS, 'long_context', 'max_output_tokens'].join(', ')})`);
    else if (!isPrice(value)) problems.push(`${path}.${field}: expected a non-negative number of USD per million tokens`);
  }
  if (complete && !hasUnitPrice(entry) && (entry.input === undefined || entry.output === undefined)) problems.push(`${path}: needs both input and output`);
  return problems;
}

/** Whether an entry carries a per-unit price (then it may go without `input` and `output`). */
export function hasUnitPrice(entry: object): boolean {
  for (const field of UNIT_PRICE_FIELDS) if ((entry as Record<string, unknown>)[field] !== undefined) return true;
  return false;
}

function longContextProblems(path: string, tier: unknown): string[] {
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
