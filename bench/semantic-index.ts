import { HnswVectorIndex } from '../src/cache/hnsw-vector-index.js';
import { summarizeLatencies } from './percentiles.js';

/** What the semantic index benchmark measured. */
export interface SemanticIndexResult {
  entries: number;
  dimensions: number;
  filters: number;
  buildSeconds: number;
  lookups: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Lookups whose nearest live vector with the same filter was the one the query was made from. */
  recall: number;
  /** CPU time per lookup (µs): steadier than wall time on a busy machine. */
  cpuPerLookupUs: number;
  /** hnswlib's graph, by its layout (vectors, links, labels). */
  graphBytes: number;
  /** Resident set growth while building (graph, label map, garbage not yet collected). */
  rssGrowthBytes: number;
}

/** mulberry32: seeded, so runs compare. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unit(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return vector.map((value) => value / norm);
}

/** Topics: prompt embeddings cluster by subject, so the vectors are points scattered around 1,000 centres. */
const TOPICS = 1000;

/**
 * The response cache's embedded semantic index at scale, in this process: `entries` random unit
 * vectors of `dimensions` spread over `filters` namespaces (each lookup filters on one, as a real one
 * does), then `lookups` queries, each a stored vector slightly moved (a paraphrase), timed one by one.
 */
export async function benchSemanticIndex(entries: number, dimensions = 384, filters = 10, lookups = 2000): Promise<SemanticIndexResult> {
  const random = generator(42);
  const now = Date.now();
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const index = await HnswVectorIndex.open(dimensions, entries, undefined);
  const kept: number[][] = [];
  const centres = Array.from({ length: TOPICS }, () => Array.from({ length: dimensions }, () => random() * 2 - 1));
  for (let n = 0; n < entries; n++) {
    const vector = unit(centres[Math.floor(random() * TOPICS)]!.map((value) => value + (random() - 0.5) * 0.6));
    if (n % Math.max(1, Math.floor(entries / lookups)) === 0 && kept.length < lookups) kept.push(vector);
    await index.add(vector, { entryId: String(n), namespace: `key:${n % filters}`, filter: `f${n % filters}`, expiresAt: now + 3_600_000 });
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const rssGrowthBytes = process.memoryUsage().rss - rssBefore;
  const step = Math.max(1, Math.floor(entries / lookups));
  const times: number[] = [];
  let found = 0;
  const cpuBefore = process.cpuUsage();
  for (let q = 0; q < kept.length; q++) {
    const n = q * step;
    const query = kept[q]!.map((value) => value + (random() - 0.5) * 0.02);
    const begin = performance.now();
    const hit = await index.search(query, `f${n % filters}`, now);
    times.push(performance.now() - begin);
    if (hit?.meta.entryId === String(n)) found++;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const summary = summarizeLatencies(times);
  return {
    entries,
    dimensions,
    filters,
    buildSeconds,
    lookups: times.length,
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    maxMs: summary.max,
    recall: found / Math.max(1, times.length),
    cpuPerLookupUs: (cpu.user + cpu.system) / Math.max(1, times.length),
    graphBytes: index.memoryBytes(),
    rssGrowthBytes,
  };
}

export function semanticIndexTable(result: SemanticIndexResult): string {
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  return [
    `Semantic cache index (hnswlib, M 16, ef 64): ${result.entries.toLocaleString('en')} entries of ${result.dimensions} dimensions around ${TOPICS} topics, in ${result.filters} namespaces, built in ${result.buildSeconds.toFixed(1)} s; each lookup a stored vector slightly moved, in its namespace.`,
    '',
    '| Lookups | p50 (ms) | p99 (ms) | max (ms) | CPU per lookup (µs) | Found the source vector | Graph memory (MB) | RSS growth while building (MB) |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
    `| ${result.lookups} | ${result.p50Ms.toFixed(3)} | ${result.p99Ms.toFixed(3)} | ${result.maxMs.toFixed(3)} | ${result.cpuPerLookupUs.toFixed(0)} | ${(result.recall * 100).toFixed(1)}% | ${mb(result.graphBytes)} | ${mb(result.rssGrowthBytes)} |`,
  ].join('\n');
}
