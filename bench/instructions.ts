/**
 * Instructions per request, counted by valgrind's callgrind: a measure that does not move with
 * what else the machine is doing, for comparing two versions of the gateway (or the gateway and
 * the bare proxy) on a shared machine where timings swing by tens of percent.
 *
 *   npm run build && node dist/bench/instructions.js [--target tollgate|tollgate-nolog|tollgate-redis-pg|tollgate-workers2|bare|cache-hit|cache-miss|cache-off] [--requests 2000] [--warmup 3000] [--functions 30]
 *
 * The cache targets run with the request log off (compare them with `tollgate-nolog`, or with
 * `cache-off`: the same config and request bodies as `cache-miss`, the cache not configured):
 * `cache-hit` sends the same request (exact hits after the first), `cache-miss` a new `user` each
 * time (a miss that stores its answer).
 *
 * The target runs under `valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes`;
 * after the warm-up requests (JIT settled) counting is switched on with `callgrind_control -i on`,
 * the measured requests are sent (8 at a time, the bench's request and virtual key), counting is
 * switched off and the target is stopped. Printed: instructions per request in all threads and in
 * each thread (thread 1 is the event loop; the others are V8's compiler and GC helpers and, for
 * Tollgate on SQLite, the request-log writer). Kernel time (system calls) is not counted. Needs
 * valgrind (Debian package `valgrind`); a run takes several minutes.
 *
 * `tollgate-redis-pg` is `tollgate` on the Redis ledger and PostgreSQL storage (a fresh schema and key
 * prefix, as `npm run bench` makes them; needs both running): what the shared backends' clients cost
 * the gateway's event loop per request, against `tollgate`. The servers' own work is not counted.
 *
 * `--functions N` also prints the event loop's N costliest functions per request, by their own instructions
 * and with what they call, V8's compiled JavaScript named (the target runs under `node --perf-basic-prof`):
 * compare two targets' lists to see where a difference goes.
 *
 * `tollgate-workers2` is `tollgate --workers 2` with the request log on: valgrind follows the
 * primary's forks (`--trace-children=yes`), counting is switched on and off in every process, and
 * the figure is the sum over the primary, both workers and all their threads: what the cluster
 * costs per request against one process, whichever process pays it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Pool, request } from 'undici';
import { topFunctions } from './callgrind-functions.js';
import { stringify } from 'yaml';
import type { ChildReadyMessage } from './child-ready.js';
import { CHAT_REQUEST_BODY } from './payload.js';
import { findFreePort, forkServer } from './processes.js';
import { openSharedBackends } from './shared-backends.js';
import { BENCH_VIRTUAL_KEY, benchGatewayConfig } from './tollgate-config.js';

const { values: options } = parseArgs({
  options: {
    target: { type: 'string', default: 'tollgate' },
    requests: { type: 'string', default: '2000' },
    // Under valgrind V8's optimizing compiler needs a few thousand requests to finish: after 600 the
    // helper threads' counts were mostly compilation, after 3,000 they are the garbage collector's.
    warmup: { type: 'string', default: '3000' },
    /** Also print the event loop's N costliest functions per request, self and inclusive, JavaScript named (callgrind-functions.ts). */
    functions: { type: 'string' },
  },
});
const target = options.target!;
if (!['tollgate', 'tollgate-nolog', 'tollgate-redis-pg', 'tollgate-workers2', 'bare', 'cache-hit', 'cache-miss', 'cache-off'].includes(target)) throw new Error('--target: tollgate, tollgate-nolog, tollgate-redis-pg, tollgate-workers2, bare, cache-hit, cache-miss or cache-off');
const workers = target === 'tollgate-workers2';
const functionCount = options.functions === undefined ? 0 : Number(options.functions);
if (functionCount > 0 && workers) throw new Error('--functions: one process only (not tollgate-workers2)');
const shared = target === 'tollgate-redis-pg' ? await openSharedBackends() : undefined;
const logging = target === 'tollgate' || workers || shared !== undefined;
const cacheTarget = target.startsWith('cache-');
const measured = Number(options.requests);
const warmup = Number(options.warmup);
const root = new URL('../../', import.meta.url);
const CONCURRENCY = 8;
/** The request log's default batch_size. */
const BATCH_SIZE = 1000;

const workDir = await mkdtemp(join(tmpdir(), 'tollgate-instructions-'));
const upstream = await forkServer('mock upstream', new URL('./mock-upstream.js', import.meta.url), []);
let args: string[];
let port: number | undefined;
if (target === 'bare') {
  args = [new URL('./bare-proxy.js', import.meta.url).pathname, upstream.origin];
} else {
  port = await findFreePort();
  const config = benchGatewayConfig({ upstreamOrigin: upstream.origin, storagePath: join(workDir, 'tollgate.db'), adminToken: 'bench-admin-token-not-a-secret', logging, cache: target === 'cache-hit' || target === 'cache-miss', postgresUrl: shared?.postgresUrl, redis: shared?.redis });
  // Work on a clock rather than per request (the ledger's flush to storage every second, the entity
  // sync every 500 ms) would be counted per request in proportion to how slowly valgrind ran on a
  // busy machine (on a machine at a load average of 15 the counts rose by a fifth, and the helper
  // threads' several times). Pushed out of the counted window, so the figure is what a request
  // costs, whatever else the machine did.
  const governance = ((config.governance as Record<string, unknown> | undefined) ?? {}) as Record<string, unknown>;
  config.governance = { ...governance, flush_interval_ms: 3_600_000, sync_interval_ms: 60_000 };
  if (logging && !workers) {
    // Under valgrind the gateway serves a hundred or so requests a second, so a 250 ms flush
    // would hand the writer thread batches of a few dozen records, where under the bench's load
    // they fill batch_size. Batches are written when batch_size records are queued instead, and
    // the counting starts and ends between batches (see logRecords below).
    (config.observability as Record<string, unknown>).flush_interval_ms = 3_600_000;
  }
  await writeFile(join(workDir, 'tollgate.yaml'), stringify(config, { aliasDuplicateObjects: false }));
  args = [new URL('bin/tollgate.js', root).pathname, '--config', join(workDir, 'tollgate.yaml'), '--port', String(port), '--host', '127.0.0.1', ...(workers ? ['--workers', '2'] : [])];
}
const output = openSync(join(workDir, 'target.log'), 'a');
const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', '--dump-instr=no', ...(workers ? ['--trace-children=yes', `--callgrind-out-file=${join(workDir, 'callgrind.out.%p')}`] : [`--callgrind-out-file=${join(workDir, 'callgrind.out')}`]), process.execPath, ...(functionCount > 0 ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(workDir, 'v8.log')}`] : []), ...args], {
  stdio: target === 'bare' ? ['ignore', output, output, 'ipc'] : ['ignore', output, output],
});
const exited = new Promise((resolve) => child.once('exit', resolve));

let origin: string;
if (target === 'bare') {
  const ready = await new Promise<ChildReadyMessage>((resolve) => child.once('message', (message: ChildReadyMessage) => resolve(message)));
  origin = `http://127.0.0.1:${ready.port}`;
} else {
  origin = `http://127.0.0.1:${port}`;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ready = await request(`${origin}/ready`).then(
      async (response) => (await response.body.dump(), response.statusCode === 200),
      () => false,
    );
    if (ready && (!workers || (await readFile(join(workDir, 'target.log'), 'utf8')).includes('"msg":"workers started"'))) break;
  }
}

/** The processes to count in: the target, and under `--workers` its forks too. */
function countedPids(): string[] {
  const pids = [String(child.pid)];
  if (!workers) return pids;
  const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').split(' ').filter((pid) => pid.trim() !== '');
  return [...pids, ...children];
}

const pool = new Pool(origin, { connections: CONCURRENCY });
let sent = 0;
let failed = 0;
async function send(until: number, concurrency = CONCURRENCY): Promise<void> {
  const worker = async () => {
    while (sent < until) {
      sent++;
      const body = cacheTarget && target !== 'cache-hit' ? CHAT_REQUEST_BODY.replace('"messages":', `"user":"u${sent.toString(36).padStart(8, '0')}","messages":`) : CHAT_REQUEST_BODY;
      const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_VIRTUAL_KEY}` }, body });
      await response.body.dump();
      if (response.statusCode !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * With the request log on, counting starts and stops between two of the writer thread's batches:
 * requests are added until the log's queue is empty, as read from the file by this process
 * (outside the count). The counted window then holds exactly the batches of the counted requests.
 */
async function betweenBatches(): Promise<void> {
  if (!logging) return;
  const log = await openLogCount();
  try {
    const deadline = Date.now() + 300_000;
    for (let settled = 0, previous = -1; ; ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const count = await log.count();
      if (count === sent) return;
      if (Date.now() > deadline) throw new Error(`the request log holds ${count} records of ${sent} requests after 300 s`);
      // Under --workers each worker flushes its queue on the log's own interval: wait until the
      // log holds every request and stops growing (one run's log held 13 records more than the
      // requests this script sent).
      if (workers) {
        if (count >= sent && count === previous && ++settled === 4) return;
        if (count !== previous) settled = 0;
        previous = count;
        continue;
      }
      // Still writing (under valgrind a batch takes seconds): wait for it rather than send more.
      if (count !== previous) {
        previous = count;
        settled = 0;
        continue;
      }
      // The rest of a batch: the log writes what is queued once batch_size records are. The last
      // ones go one at a time, so that none is still on its way when the batch is taken.
      if (++settled === 6) {
        settled = 0;
        const batchEnd = sent + BATCH_SIZE - ((sent - count) % BATCH_SIZE);
        await send(batchEnd - CONCURRENCY);
        await send(batchEnd, 1);
      }
    }
  } finally {
    await log.close();
  }
}

/** The number of records in the target's request log: its SQLite file, or its PostgreSQL schema. */
async function openLogCount(): Promise<{ count(): Promise<number>; close(): Promise<void> }> {
  if (shared === undefined) {
    const database = new Database(join(workDir, 'tollgate.db'), { readonly: true, fileMustExist: true });
    return {
      count: async () => (database.prepare('select count(*) as count from tollgate_request_logs').get() as { count: number }).count,
      close: async () => {
        database.close();
      },
    };
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: shared.postgresUrl });
  await client.connect();
  return {
    count: async () => Number((await client.query<{ count: string }>('select count(*) as count from tollgate_request_logs')).rows[0]!.count),
    close: () => client.end(),
  };
}

process.stderr.write(`${target}: ${warmup} warm-up requests under valgrind…\n`);
await send(warmup);
await betweenBatches();
const countedFrom = sent;
const pids = countedPids();
for (const pid of pids) execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' });
process.stderr.write(`${target}: ${measured} measured requests…\n`);
await send(countedFrom + measured);
await betweenBatches();
const counted = sent - countedFrom;
for (const pid of pids) execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' });
await pool.close();
child.kill('SIGTERM');
await exited;
await upstream.stop();
await shared?.cleanup();

// One file per thread: `callgrind.out-<thread>`, or `callgrind.out.<pid>-<thread>` per process under --workers.
const byProcess = new Map<string, number[]>();
for (const file of (await readdir(workDir)).filter((name) => /^callgrind\.out(?:\.\d+)?-\d+$/.test(name)).sort()) {
  const text = await readFile(join(workDir, file), 'utf8');
  const process = /^callgrind\.out\.(\d+)-/.exec(file)?.[1] ?? String(child.pid);
  if (!byProcess.has(process)) byProcess.set(process, []);
  byProcess.get(process)!.push(Number(/^totals: (\d+)/m.exec(text)?.[1] ?? 0));
}
const perRequest = (count: number) => Math.round(count / counted);
const sum = (counts: readonly number[]) => counts.reduce((total, count) => total + count, 0);
const total = sum([...byProcess.values()].flat());
console.log(`${target}: ${perRequest(total).toLocaleString('en')} instructions per request (${counted} requests, ${failed} failed)`);
for (const [pid, threads] of byProcess) {
  if (sum(threads) === 0) continue;
  const name = !workers ? '' : pid === String(child.pid) ? `primary: ${perRequest(sum(threads)).toLocaleString('en')}, ` : `worker ${pid}: ${perRequest(sum(threads)).toLocaleString('en')}, `;
  console.log(`  ${name}by thread: ${threads.map((count, index) => `${index + 1}: ${perRequest(count).toLocaleString('en')}`).filter((line) => !line.endsWith(': 0')).join(', ')}`);
}
if (functionCount > 0) {
  // The event loop is the first thread; V8 wrote the JIT code's names to /tmp/perf-<pid>.map.
  const perfMap = `/tmp/perf-${child.pid}.map`;
  const mapFile = existsSync(perfMap) ? perfMap : undefined;
  for (const inclusive of [false, true]) {
    console.log(`\nevent loop, ${inclusive ? 'inclusive (with what each calls)' : 'self'}, instructions per request:`);
    for (const { name, perRequest: count } of topFunctions(join(workDir, 'callgrind.out-01'), mapFile, counted, functionCount, inclusive)) console.log(`${Math.round(count).toLocaleString('en').padStart(10)}  ${name}`);
  }
  if (mapFile !== undefined) rmSync(mapFile);
}
