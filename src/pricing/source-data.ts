import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/**
 * The maintained price data Tollgate builds its catalog from: `@pydantic/genai-prices`
 * (https://github.com/pydantic/genai-prices), either as bundled in the installed package or as a
 * newer copy of its published data file (`tollgate prices update`, config `pricing_data`). The file
 * is a JSON array of providers, each with models, each with `match` rules and `prices` (USD per
 * million tokens, keys `input_mtok`, `cache_read_mtok`, …, a price optionally tiered by the whole
 * prompt's size, optionally a list of prices in force from a date or at a time of day).
 */

/** Where the package publishes its newest data file (the package's own `REMOTE_DATA_JSON_URL`). */
export const GENAI_PRICES_DATA_URL = 'https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/new_data/v2/data.json';

export type MatchLogic =
  | { and: MatchLogic[] }
  | { or: MatchLogic[] }
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string };

const matchLogic: z.ZodType<MatchLogic> = z.lazy(() =>
  z.union([
    z.object({ and: z.array(matchLogic) }),
    z.object({ or: z.array(matchLogic) }),
    z.object({ equals: z.string() }),
    z.object({ starts_with: z.string() }),
    z.object({ ends_with: z.string() }),
    z.object({ contains: z.string() }),
    z.object({ regex: z.string() }),
  ]),
);

const amount = z.number().finite().nonnegative();
const tiered = z.object({ base: amount, tiers: z.array(z.object({ start: z.number().int().nonnegative(), price: amount })) });
const prices = z.record(z.string(), z.union([amount, tiered]));
const constraint = z.union([
  z.object({ start_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'), type: z.literal('start_date').optional() }),
  z.object({ start_time: z.string(), end_time: z.string(), type: z.literal('time_of_date').optional() }),
]);

const model = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  match: matchLogic,
  context_window: z.number().optional(),
  deprecated: z.boolean().optional(),
  prices: z.union([prices, z.array(z.object({ constraint: constraint.optional(), prices }))]),
});

const provider = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  pricing_urls: z.array(z.string()).optional(),
  model_match: matchLogic.optional(),
  provider_match: matchLogic.optional(),
  fallback_model_providers: z.array(z.string()).optional(),
  models: z.array(model),
});

/** The data file: a JSON array of providers. Unknown fields are allowed (the format grows). */
export const sourceDataSchema = z.array(provider).min(1, 'expected at least one provider');

export type SourceProvider = z.infer<typeof provider>;
export type SourceModel = z.infer<typeof model>;
export type SourcePrices = z.infer<typeof prices>;
export type SourceConstraint = z.infer<typeof constraint>;

/** The data the catalog is built from, with where it came from. */
export interface SourceData {
  readonly providers: readonly SourceProvider[];
  /** e.g. `@pydantic/genai-prices@0.1.8`, or `file:/etc/tollgate/prices.json`. */
  readonly version: string;
  /** The data's date, YYYY-MM-DD: the package release's (from the project file) or the file's modification time. */
  readonly date: string | undefined;
  readonly origin: 'package' | 'file';
}

/** A data file that is not genai-prices data; `message` names the path, the problems and the fix. */
export class SourceDataError extends Error {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${path} is not a genai-prices data file: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}. ` +
        'Fix: run `tollgate prices update --out <path>` to download a valid one, or remove `pricing_data` to use the installed @pydantic/genai-prices data.',
    );
    this.name = 'SourceDataError';
  }
}

/** Checks parsed JSON against the data format; throws SourceDataError listing what is wrong. */
export function checkSourceData(data: unknown, path: string): SourceProvider[] {
  const result = sourceDataSchema.safeParse(data);
  if (result.success) return result.data;
  throw new SourceDataError(
    path,
    result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`),
  );
}

/** Parses the text of a data file (`tollgate prices update` checks a download with this before writing it). */
export function parseSourceData(text: string, path: string): SourceProvider[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SourceDataError(path, [`not JSON (${(error as Error).message})`]);
  }
  return checkSourceData(data, path);
}

const loaded = new Map<string, SourceData>();

/** Reads a data file at start-up (synchronous on purpose: once, before listening). Remembered per path and modification time. */
export function readSourceDataFile(path: string): SourceData {
  let stamp: Date;
  let text: string;
  try {
    stamp = statSync(path).mtime;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SourceDataError(path, [`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  const key = `${path}\u0000${stamp.getTime()}`;
  const known = loaded.get(key);
  if (known !== undefined) return known;
  const data: SourceData = { providers: parseSourceData(text, path), version: `file:${path}`, date: stamp.toISOString().slice(0, 10), origin: 'file' };
  loaded.set(key, data);
  return data;
}

let installed: { version: string; findProvider: (options: { providerId: string }) => unknown } | undefined;

/**
 * The data bundled in the installed `@pydantic/genai-prices`: loaded once per process (about 100 ms
 * and 4 MB of heap, docs/pricing.md), synchronously through its CommonJS build, providers read
 * through its public `findProvider`. The package's data is not re-checked by the schema here: the
 * package validates it itself; a file given by `pricing_data` is.
 */
export function installedSourceData(providerIds: Iterable<string>, releaseDates: Readonly<Record<string, string>> = {}): SourceData {
  const wanted = [...new Set(providerIds)].sort();
  const memoKey = `${wanted.join(',')}\u0000${JSON.stringify(releaseDates)}`;
  const known = installedData.get(memoKey);
  if (known !== undefined) return known;
  if (installed === undefined) {
    const require = createRequire(import.meta.url);
    const module = require('@pydantic/genai-prices') as { findProvider: (options: { providerId: string }) => unknown };
    const manifest = JSON.parse(readFileSync(join(dirname(require.resolve('@pydantic/genai-prices')), '..', 'package.json'), 'utf8')) as { version: string };
    installed = { version: manifest.version, findProvider: module.findProvider };
  }
  const providers: SourceProvider[] = [];
  const pending = [...wanted];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const id = pending.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const found = installed.findProvider({ providerId: id }) as SourceProvider | undefined;
    // findProvider falls back to `provider_match`; only the provider with exactly this id is wanted.
    if (found === undefined || found.id !== id) continue;
    providers.push(found);
    pending.push(...(found.fallback_model_providers ?? []));
  }
  const data: SourceData = { providers, version: `@pydantic/genai-prices@${installed.version}`, date: releaseDates[installed.version], origin: 'package' };
  installedData.set(memoKey, data);
  return data;
}

/** The same data object for the same request, so the catalog's conversion (remembered per data object) runs once per process. */
const installedData = new Map<string, SourceData>();
