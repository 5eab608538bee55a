import { parseArgs } from 'node:util';

export type TargetName = 'direct' | 'bare' | 'tollgate' | 'tollgate-nolog' | 'tollgate-redis-pg' | 'tollgate-workers2' | 'tollgate-redis-pg-workers2' | 'cache-hit' | 'cache-hit-workers2' | 'cache-miss' | 'cache-off';
/**
 * `tollgate-nolog`: the same gateway and config with the request log and the per-request log lines off (issue #5's logging cost).
 * `tollgate-redis-pg`: the same config on the Redis ledger and PostgreSQL storage (a fresh schema), one process (issue #22).
 * `tollgate-workers2`: the `tollgate` config (embedded default) under `tollgate --workers 2` (issue #22).
 * `tollgate-redis-pg-workers2`: the `tollgate-redis-pg` config under `tollgate --workers 2`, its own schema and key prefix.
 * `cache-hit` / `cache-miss`: the same gateway with the response cache on (issue #17), sent the same request
 * every time (exact hits after the first) or a different one every time (every request a miss that stores).
 * `cache-hit-workers2`: `cache-hit` under `tollgate --workers 2` (what hits cost when both cores serve them).
 * `cache-off`: `cache-miss`'s requests (a different one every time) to the same gateway with the cache not configured:
 * what a miss is compared with.
 */
export const TARGET_NAMES: readonly TargetName[] = ['direct', 'bare', 'tollgate', 'tollgate-nolog', 'tollgate-redis-pg', 'tollgate-workers2', 'tollgate-redis-pg-workers2', 'cache-hit', 'cache-hit-workers2', 'cache-miss', 'cache-off'];
/** Run when `--targets` is not given: the ones that need nothing outside the machine's Node; the others are asked for by name. */
export const DEFAULT_TARGETS: readonly TargetName[] = ['direct', 'bare', 'tollgate', 'tollgate-nolog'];

export interface BenchOptions {
  /** Measured seconds per scenario and target. */
  durationSeconds: number;
  /** Unrecorded seconds before each measured window. */
  warmupSeconds: number;
  /** Closed-loop concurrency levels. */
  concurrencies: number[];
  /** Offered load of the open-loop (fixed rate) scenario; 0 skips it. */
  ratePerSecond: number;
  targets: TargetName[];
  /** Each scenario runs this many times, the targets taking turns. */
  rounds: number;
  /** Run Tollgate under `node --cpu-prof` and print its hottest frames. */
  cpuProfile: boolean;
  /** Also write the results as JSON here. */
  jsonFile?: string;
  /** Entries of the semantic index benchmark (0 skips it). */
  semanticEntries: number;
}

export const USAGE = `npm run bench [-- options]   (each option also reads an environment variable)

  --duration <s>        measured seconds per scenario and target   BENCH_DURATION     (10)
  --warmup <s>          unrecorded warm-up before each window      BENCH_WARMUP       (3)
  --concurrency <list>  closed-loop concurrency levels             BENCH_CONCURRENCY  (1,50)
  --rate <n>            fixed request rate (req/s), 0 to skip      BENCH_RATE         (2000)
  --targets <list>      any of direct,bare,tollgate,tollgate-nolog BENCH_TARGETS
                        (default), tollgate-redis-pg (needs Redis
                        and PostgreSQL: BENCH_REDIS_URL, BENCH_POSTGRES_URL),
                        tollgate-workers2 (--workers 2),
                        tollgate-redis-pg-workers2, cache-hit,
                        cache-hit-workers2, cache-miss, cache-off
  --semantic <n>        semantic cache index of n entries: lookup  BENCH_SEMANTIC     (0)
                        p50/p99 and memory, 0 to skip
  --rounds <n>          rounds per scenario, targets taking turns  BENCH_ROUNDS       (1)
                        (in reverse order every other round)
  --cpu-prof            profile Tollgate and print its hot frames  BENCH_CPU_PROF=1
  --json <file>         also write the results as JSON             BENCH_JSON
  --help`;

export class BenchUsageError extends Error {}

export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      targets: { type: 'string' },
      rounds: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      json: { type: 'string' },
      semantic: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const targets = (values.targets ?? env.BENCH_TARGETS ?? DEFAULT_TARGETS.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of targets) if (!TARGET_NAMES.includes(name as TargetName)) throw new BenchUsageError(`--targets: unknown target "${name}"; use ${TARGET_NAMES.join(', ')}`);
  const jsonFile = values.json ?? env.BENCH_JSON;
  return {
    durationSeconds: positive('--duration', values.duration ?? env.BENCH_DURATION ?? '10'),
    warmupSeconds: nonNegative('--warmup', values.warmup ?? env.BENCH_WARMUP ?? '3'),
    concurrencies: (values.concurrency ?? env.BENCH_CONCURRENCY ?? '1,50').split(',').map((level) => Math.round(positive('--concurrency', level))),
    ratePerSecond: nonNegative('--rate', values.rate ?? env.BENCH_RATE ?? '2000'),
    targets: targets as TargetName[],
    rounds: Math.round(positive('--rounds', values.rounds ?? env.BENCH_ROUNDS ?? '1')),
    cpuProfile: values['cpu-prof'] === true || env.BENCH_CPU_PROF === '1',
    semanticEntries: Math.round(nonNegative('--semantic', values.semantic ?? env.BENCH_SEMANTIC ?? '0')),
    ...(jsonFile === undefined || jsonFile === '' ? {} : { jsonFile }),
  };
}

function nonNegative(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new BenchUsageError(`${flag}: expected a number ≥ 0, got "${text}"`);
  return value;
}

function positive(flag: string, text: string): number {
  const value = nonNegative(flag, text);
  if (value === 0) throw new BenchUsageError(`${flag}: expected a number > 0, got "${text}"`);
  return value;
}
