import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readShippedCatalog } from '../pricing/catalog-file.js';
import { sourceProviderIds } from '../pricing/catalog.js';
import { SourceCatalog } from '../pricing/source-catalog.js';
import { GENAI_PRICES_DATA_URL, parseSourceData, SourceDataError } from '../pricing/source-data.js';

/** Where `tollgate prices update` writes when given no `--out`. */
export const DEFAULT_PRICES_OUT = 'genai-prices.json';
/** The published data file is about 1 MB; anything far larger is not it. */
const MAX_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

/**
 * `tollgate prices update [--url U] [--out PATH]`: downloads a newer genai-prices data file
 * (default: the file the package itself updates from), checks it (format and exact conversion of
 * every price), and writes it atomically (temporary file, then rename). The gateway reads it when
 * the config's `pricing_data` names it. Exit 0 written, 1 download or check failed.
 */
export async function runPricesUpdate(url = GENAI_PRICES_DATA_URL, out = DEFAULT_PRICES_OUT): Promise<number> {
  const target = resolve(out);
  let text: string;
  try {
    text = await download(url);
  } catch (error) {
    process.stderr.write(`tollgate: could not download ${url}: ${(error as Error).message}\n`);
    return 1;
  }
  let models = 0;
  let providers = 0;
  try {
    const data = parseSourceData(text, url);
    const catalog = readShippedCatalog();
    // Converting it as the gateway will proves every price is usable before it replaces anything.
    const converted = new SourceCatalog({ providers: data, version: `file:${target}`, date: undefined, origin: 'file' }, sourceProviderIds(catalog), catalog.cache_write_1h_rules ?? []);
    models = converted.modelCount;
    providers = data.length;
  } catch (error) {
    const message = error instanceof SourceDataError ? error.problems.slice(0, 5).join('; ') : (error as Error).message;
    process.stderr.write(`tollgate: ${url} is not a usable genai-prices data file (${message}); nothing was written.\n`);
    return 1;
  }
  const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    process.stderr.write(`tollgate: could not write ${target}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${target}: ${providers} providers, ${models} models from ${url}. Set \`pricing_data: ${target}\` in the config and reload (SIGHUP) or restart to bill with it.\n`);
  return 0;
}

async function download(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_BYTES) throw new Error(`${declared} bytes is more than the ${MAX_BYTES} a price file may have`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_BYTES) throw new Error(`more than ${MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
