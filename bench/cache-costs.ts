import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawIndex } from '../src/cache/raw-index.js';
import { chatKey } from '../src/cache/request-key.js';
import { SqliteExactStore } from '../src/cache/sqlite-exact-store.js';
import { decodeChatRequest } from '../src/codecs/openai-chat/decode-request.js';
import type { RequestContext } from '../src/pipeline/context.js';
import type { RawChatCall } from '../src/pipeline/stages.js';
import { CHAT_REQUEST_BODY, REPLY_TEXT } from './payload.js';

/**
 * `node dist/bench/cache-costs.js [iterations]`: the response cache's own CPU per request, in this
 * process, on the bench's request: what a miss adds (the key, a lookup that misses, storing the
 * answer in the SQLite store) and what a hit costs (the key and the lookup; the stage reuses the
 * parsed answer), and a hit by the raw body (the body's bytes looked up, nothing parsed or keyed).
 * CPU time, steadier than wall time on a shared machine: of every thread (process.cpuUsage, the
 * store's writer thread included) and of the event loop alone (its thread's utime + stime in
 * /proc, in clock ticks: run enough iterations, 100,000 or more, for that column to be read).
 * Compare with the gateway's CPU per request in `npm run bench`.
 */

/** CPU time of this process's main thread (the event loop), in µs; undefined off Linux. */
function eventLoopCpu(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the command), in ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}
async function main(iterations: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-cache-costs-'));
  const db = new Database(join(dir, 'cache.db'));
  db.pragma('journal_mode = WAL');
  const store = SqliteExactStore.open(db, 10_000, Date.now(), (error) => console.error(error));
  const response = { id: 'chatcmpl-bench', model: 'gpt-4o-mini', created: 1, choices: [{ index: 0, content: [{ type: 'text', text: REPLY_TEXT }], toolCalls: [], finishReason: { unified: 'stop', raw: 'stop' } }], usage: { inputTokens: 20, outputTokens: 9 } };
  const scope = { namespace: 'key:bench-key', route: 'targets:openai/gpt-4o-mini' };
  const measure = async (label: string, run: (n: number) => void) => {
    for (let n = 0; n < 2_000; n++) run(-n - 1);
    await store.flush();
    const before = process.cpuUsage();
    const loopBefore = eventLoopCpu();
    for (let n = 0; n < iterations; n++) {
      run(n);
      if (n % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
    }
    await store.flush();
    const used = process.cpuUsage(before);
    const loopAfter = eventLoopCpu();
    const loop = loopBefore === undefined || loopAfter === undefined ? '—' : ((loopAfter - loopBefore) / iterations).toFixed(1);
    process.stdout.write(`| ${label} | ${((used.user + used.system) / iterations).toFixed(1)} | ${loop} |\n`);
  };
  const body = JSON.parse(CHAT_REQUEST_BODY) as Record<string, unknown>;
  process.stdout.write(`| Per request (${iterations.toLocaleString('en')} iterations) | CPU, every thread (µs) | CPU, event loop (µs) |\n|---|--:|--:|\n`);
  // The gateway decodes every request anyway: the cache starts from the decoded one.
  const decoded = decodeChatRequest(body);
  const variants = Array.from({ length: iterations + 2_000 }, (_, n) => decodeChatRequest({ ...body, user: `u${n}` }));
  await measure('key of the request (canonical JSON + SHA-256)', () => chatKey(scope, decoded));
  await measure('miss: key, lookup, store the answer (SQLite, writer thread)', (n) => {
    const id = chatKey(scope, variants[n + 2_000]!);
    store.get(id, Date.now());
    const now = Date.now();
    store.put({ id, namespace: scope.namespace, operation: 'chat', body: JSON.stringify(response), savedUsd: 0.000009, createdAt: now, expiresAt: now + 3_600_000 });
  });
  const hitId = chatKey(scope, decoded);
  store.put({ id: hitId, namespace: scope.namespace, operation: 'chat', body: JSON.stringify(response), savedUsd: 0.000009, createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
  // The stage parses an entry's answer once and reuses it (and its rendering per dialect) hit after hit.
  await measure('hit: key, lookup', () => {
    store.get(chatKey(scope, decoded), Date.now());
  });
  // A body seen before byte for byte (raw-index.ts): no parse, decode or key; the bytes are the lookup.
  const rawIndex = new RawIndex();
  const bytes = Buffer.from(CHAT_REQUEST_BODY);
  const context = { headers: {}, principal: { keyId: 'bench-key' } } as unknown as RequestContext;
  const raw = { endpoint: 'openai:chat:openai', body: bytes, admits: () => true, keep() {}, decoded: undefined } satisfies RawChatCall;
  rawIndex.set(RawIndex.keyOf(context, raw), bytes.length, { request: decoded, id: hitId, namespace: scope.namespace, route: scope.route });
  await measure('hit by the raw body: key of the bytes, index, lookup', () => {
    const copy = Buffer.from(bytes);
    const seen = rawIndex.mayHold(copy.length) ? rawIndex.get(RawIndex.keyOf(context, { ...raw, body: copy })) : undefined;
    store.get(seen!.id, Date.now());
  });
  await measure('(the same without the index: parse and decode the body, key, lookup)', () => {
    store.get(chatKey(scope, decodeChatRequest(JSON.parse(Buffer.from(bytes).toString('utf8')))), Date.now());
  });
  await store.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
}

await main(Number(process.argv[2] ?? 20_000));
