/**
 * Request-log write benchmark: what the SQLite writer thread spends per record as the log grows.
 * Fills an SQLite file in a temp dir to `--records`, then stores `--measure` more through the
 * gateway's own WorkerLogStore in batches of `--batch` (what the LogWriter hands it at about 3,000
 * requests a second) and prints, per record, the wall time and the CPU time of the whole process
 * (the writer thread included).
 *
 *   npm run bench:log-writes -- [--records 200000] [--measure 30000] [--batch 300] [--ids time|random]
 *
 * `--ids random` gives records random (UUID version 4) request ids instead of the gateway's
 * time-ordered ones (`timeOrderedId`), to see what each costs the `request_id` index.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RequestRecord } from '../src/observability/log/request-record.js';
import { SqliteLogStore } from '../src/observability/log/sqlite-log-store.js';
import { WorkerLogStore } from '../src/observability/log/worker-log-store.js';
import { sqlDatabaseFor } from '../src/storage/sql-database-for.js';
import { createLogger } from '../src/lib/logger.js';
import { timeOrderedId } from '../src/server/request-id.js';
import { openStorage } from '../src/storage/storage.js';
import { longestStall } from './event-loop-stall.js';

const { values: options } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    measure: { type: 'string', default: '30000' },
    batch: { type: 'string', default: '300' },
    ids: { type: 'string', default: 'time' },
  },
});
const PREFILL = Number(options.records);
const MEASURE = Number(options.measure);
const BATCH = Number(options.batch);
if (!['time', 'random'].includes(options.ids!)) throw new Error('--ids: time or random');
const idFor = options.ids === 'time' ? timeOrderedId : () => randomUUID();

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-haiku-4-5', 'gemini-2.5-flash'];
let clock = Date.now() - 86_400_000;
let sequence = 0;

/** A plausible record: 50 keys in 10 teams, four models, costs and latencies that vary. */
function nextRecord(): RequestRecord {
  const n = sequence++;
  const key = n % 50;
  const input = 20 + ((n * 7919) % 2000);
  const output = 5 + ((n * 104_729) % 500);
  clock += 1;
  return {
    request_id: idFor(clock),
    kind: 'request',
    attempt: 0,
    parent_request_id: null,
    timestamp: new Date(clock).toISOString(),
    surface: 'openai',
    operation: 'chat',
    virtual_key_id: `key-${key}`,
    team_id: `team-${key % 10}`,
    customer_id: `customer-${key % 5}`,
    metadata: { app: `app-${key % 3}`, env: 'prod' },
    provider: 'openai',
    model: MODELS[n % MODELS.length]!,
    requested_model: MODELS[n % MODELS.length]!,
    key_id: 'primary',
    status: n % 50 === 0 ? 429 : 200,
    error_code: null,
    error_type: null,
    error_message: null,
    stop_reason: 'stop',
    latency_ms: 200 + ((n * 31) % 3000),
    ttft_ms: null,
    input_tokens: input,
    cached_input_tokens: 0,
    cache_write_tokens: null,
    output_tokens: output,
    reasoning_tokens: 0,
    total_tokens: input + output,
    cost_usd: (input * 0.15 + output * 0.6) / 1e6,
    cache_hit: null,
    stream: n % 2 === 0,
    attempts: 1,
    request_content: `{"model":"${MODELS[n % MODELS.length]}","messages":[{"role":"user","content":[{"type":"text","text":"Question number ${n}: what is the capital of France?"}]}]}`,
    response_content: `Paris is the capital of France (answer ${n}).`,
    cache_entry_id: null,
    cache_similarity: null,
    cache_saved_usd: null,
    guardrails: null,
  };
}

const directory = await mkdtemp(join(tmpdir(), 'tollgate-bench-log-writes-'));
const path = join(directory, 'log.db');
const storage = await openStorage({ type: 'sqlite', path });
const sql = new SqliteLogStore(sqlDatabaseFor(storage)!);
await sql.migrate();
const store = new WorkerLogStore(sql, path, createLogger({ level: 'error' }));
try {
  process.stderr.write(`filling to ${PREFILL.toLocaleString('en')} records…\n`);
  for (let stored = 0; stored < PREFILL; stored += 5_000) await store.insert(Array.from({ length: Math.min(5_000, PREFILL - stored) }, nextRecord));
  const batches = Array.from({ length: Math.ceil(MEASURE / BATCH) }, () => Array.from({ length: BATCH }, nextRecord));
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  for (const batch of batches) await store.insert(batch);
  const wallUs = ((performance.now() - startedAt) * 1000) / (batches.length * BATCH);
  const cpu = process.cpuUsage(cpuBefore);
  const perRecord = (us: number) => (us / (batches.length * BATCH)).toFixed(1);
  console.log(`ids ${options.ids}, ${PREFILL.toLocaleString('en')} records before, batches of ${BATCH}: ${wallUs.toFixed(1)} µs wall, ${perRecord(cpu.user)} µs user + ${perRecord(cpu.system)} µs system CPU per record`);

  // A retention sweep of the oldest third, through the store as the gateway's hourly sweep calls
  // it, with a 1 ms timer on the event loop: its longest gap is how long the sweep held requests.
  const oldest = (await sql.query({ filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 1, offset: Math.floor((PREFILL + MEASURE) / 3) })).logs[0];
  if (oldest !== undefined) {
    const sweep = await longestStall(() => store.deleteBefore(Date.parse(oldest.timestamp)));
    console.log(`retention sweep: ${sweep.result.toLocaleString('en')} records deleted in ${sweep.ms.toFixed(0)} ms; longest event-loop stall ${sweep.stallMs.toFixed(1)} ms`);
  }
} finally {
  await store.close();
  await storage.close();
  await rm(directory, { recursive: true, force: true });
}
