/**
 * What the Redis ledger costs in CPU time, without valgrind: reserve + settle pairs of 9 counters
 * (a key, team and customer with a budget and two rate limits each), `--together` at a time as the
 * requests of one turn of a replica's event loop, against a running Redis on this machine.
 * Printed: the CPU time per pair of the redis-server process (read from /proc, so other clients of
 * that Redis count too: use a quiet one) and of this process (the ledger's client side: building
 * the script calls, ioredis, parsing the answers).
 *
 *   npm run build && node dist/bench/redis-ledger-cpu.js [--pairs 40000] [--together 20] [--pid <redis-server pid>]
 *
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379); `--pid` defaults to the only `redis-server`.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RedisSpendStore } from '../src/governance/redis-spend-store.js';
import type { LimitLine } from '../src/governance/spend-store.js';

const { values: options } = parseArgs({ options: { pairs: { type: 'string', default: '40000' }, together: { type: 'string', default: '20' }, pid: { type: 'string' } } });
const pairs = Number(options.pairs);
const together = Number(options.together);
const pid = Number(options.pid ?? execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).trim().split('\n')[0]);
const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const head = `tollgate-bench-cpu:${randomUUID().slice(0, 8)}:`;
const store = new RedisSpendStore(redis, `${head}{governance}:`);
store.noteSettlements();
const now = Date.now();
const metrics = [['requests', 60_000, 1], ['tokens', 60_000, 300], ['usd', 86_400_000, 9_000]] as const;
const lines: LimitLine[] = Array.from({ length: 9 }, (_, index) => {
  const [metric, window, amount] = metrics[index % 3]!;
  return { counter: `scope${Math.floor(index / 3)}|${metric}|w|0`, windowEnd: now + window, limit: 1e15, amount, chargeOnExpiry: amount, final: metric === 'requests' };
});
const pair = async () => {
  const reserved = await store.reserve(lines, Date.now(), 60_000);
  if (!reserved.ok) throw new Error('refused');
  await store.settle(reserved.id, lines.map((line) => line.amount), lines, 'bench-request');
};
const pairsOf = async (count: number) => {
  for (let done = 0; done < count; done += together) await Promise.all(Array.from({ length: Math.min(together, count - done) }, pair));
};
/** utime + stime of a process, in clock ticks (1/100 s). */
const ticks = (of: number) => {
  const fields = readFileSync(`/proc/${of}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
await pairsOf(2_000);
const redisBefore = ticks(pid);
const ownBefore = process.cpuUsage();
await pairsOf(pairs);
const own = process.cpuUsage(ownBefore);
const redisMicros = (ticks(pid) - redisBefore) * 10_000;
console.log(`per reserve + settle of ${lines.length} counters, ${together} at a time (${pairs} pairs): redis-server ${(redisMicros / pairs).toFixed(1)} µs, this client ${((own.user + own.system) / pairs).toFixed(1)} µs of CPU`);
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length > 0) await redis.del(...keys);
} while (cursor !== '0');
redis.disconnect();
