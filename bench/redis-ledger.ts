/**
 * What the Redis ledger costs Redis: instructions per reserve + settle, counted by callgrind in a
 * redis-server of this script's own (the shared Redis of a deployment runs every replica's
 * scripts on one thread, and on a small machine beside the gateway).
 *
 *   npm run build && node dist/bench/redis-ledger.js [--pairs 1000] [--lines 9] [--stored] [--together 1]
 *
 * A request of a key, team and customer with a budget and two rate limits each reserves and settles
 * 9 counters. `--stored` settles without passing the lines back (the script reads the reservation).
 * `--together n`: n pairs at a time, as n requests in one turn of a replica's event loop (their
 * reserves share a script call, and so do their settles); 1 (the default): no two share a call.
 * Needs `valgrind` and `redis-server` on the PATH.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RedisSpendStore } from '../src/governance/redis-spend-store.js';
import type { LimitLine } from '../src/governance/spend-store.js';
import { findFreePort } from './processes.js';

const { values: options } = parseArgs({ options: { pairs: { type: 'string', default: '1000' }, lines: { type: 'string', default: '9' }, stored: { type: 'boolean', default: false }, together: { type: 'string', default: '1' } } });
const pairs = Number(options.pairs);
const workDir = await mkdtemp(join(tmpdir(), 'tollgate-redis-ledger-'));
const port = await findFreePort();
const server = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(workDir, 'callgrind.out')}`, 'redis-server', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const exited = new Promise((resolve) => server.once('exit', resolve));
// Under valgrind the server takes a few seconds to listen.
let redis: Redis | undefined;
for (let attempt = 0; redis === undefined; attempt++) {
  const client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    redis = client;
  } catch (error) {
    client.disconnect();
    if (attempt === 100) throw error;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
const store = new RedisSpendStore(redis, 'bench:{governance}:');
const now = Date.now();
const metrics = [['requests', 60_000, 1], ['tokens', 60_000, 300], ['usd', 86_400_000, 9_000]] as const;
const lines: LimitLine[] = Array.from({ length: Number(options.lines) }, (_, index) => {
  const [metric, window, amount] = metrics[index % 3]!;
  // Request counts are final, as the gateway's are (charged when reserved; see LimitLine.final).
  return { counter: `scope${Math.floor(index / 3)}|${metric}|w|0`, windowEnd: now + window, limit: 1e15, amount, chargeOnExpiry: amount, final: metric === 'requests' };
});
const pair = async () => {
  const reserved = await store.reserve(lines, Date.now(), 60_000);
  if (!reserved.ok) throw new Error('refused');
  await store.settle(reserved.id, lines.map((line) => line.amount), options.stored ? undefined : lines);
};
const together = Number(options.together);
const pairsOf = async (count: number) => {
  for (let done = 0; done < count; done += together) await Promise.all(Array.from({ length: Math.min(together, count - done) }, pair));
};
await pairsOf(200);
execFileSync('callgrind_control', ['-i', 'on', String(server.pid)], { stdio: 'ignore' });
await pairsOf(pairs);
execFileSync('callgrind_control', ['-i', 'off', String(server.pid)], { stdio: 'ignore' });
await redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
redis.disconnect();
await exited;
let total = 0;
for (const file of (await readdir(workDir)).filter((name) => name.startsWith('callgrind.out'))) total += Number(/^totals: (\d+)/m.exec(await readFile(join(workDir, file), 'utf8'))?.[1] ?? 0);
await rm(workDir, { recursive: true, force: true });
console.log(`Redis: ${Math.round(total / pairs).toLocaleString('en')} instructions per reserve + settle of ${lines.length} counters (${pairs} pairs${together > 1 ? `, ${together} at a time` : ''}${options.stored ? ', settled from the stored reservation' : ''})`);
