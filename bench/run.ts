import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { summarizeCpuProfile } from './cpu-profile.js';
import { runClosedLoop, runOpenLoop, type LoadTarget } from './load.js';
import { Measurement } from './measurement.js';
import { BenchUsageError, parseBenchOptions, USAGE, type BenchOptions, type TargetName } from './options.js';
import { CHAT_REQUEST_BODY, REPLY_TEXT } from './payload.js';
import { cpuTimeMs, forkServer, machineCpuBetween, machineCpuTicks, residentSetBytes, startTollgate, type ServerProcess } from './processes.js';
import { addedLatencyTable, checksTable, checkTargets, resultsTable, TARGET_LABELS, type ScenarioResult } from './report.js';
import { benchSemanticIndex, semanticIndexTable } from './semantic-index.js';
import { openSharedBackends } from './shared-backends.js';
import { BENCH_PROVIDER, BENCH_VIRTUAL_KEY, benchGatewayConfig } from './tollgate-config.js';

/**
 * `npm run bench`: starts a mock upstream, a bare Node proxy and Tollgate, each in its own
 * process, drives identical load at each from this process, and prints the comparison.
 */
const root = new URL('../../', import.meta.url);
const CHAT_PATH = '/v1/chat/completions';
const ADMIN_TOKEN = 'bench-admin-token-not-a-secret';
const progress = (text: string) => process.stderr.write(`[bench] ${text}\n`);

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    const parsed = parseBenchOptions(argv, process.env);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (error instanceof BenchUsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }

  const workDir = await mkdtemp(join(tmpdir(), 'tollgate-bench-'));
  // BENCH_CPU_PROF_DIR keeps the .cpuprofile files (for DevTools, or a look at who called a hot frame).
  const profileDir = process.env.BENCH_CPU_PROF_DIR ?? join(workDir, 'cpu-profile');
  const gatewayLog = join(workDir, 'tollgate.log');
  const servers = new Map<TargetName, ServerProcess>();
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const server of [...servers.values()].reverse()) await server.stop();
    for (const cleanup of cleanups.splice(0)) await cleanup().catch((error: unknown) => progress(`cleanup failed: ${(error as Error).message}`));
  };
  try {
    progress('starting the mock upstream, the bare proxy and Tollgate (each in its own process)');
    const upstream = await forkServer('mock upstream', new URL('./mock-upstream.js', import.meta.url), []);
    servers.set('direct', upstream);
    if (options.targets.includes('bare')) servers.set('bare', await forkServer('bare proxy', new URL('./bare-proxy.js', import.meta.url), [upstream.origin]));
    let gatewayConfigText: string | undefined;
    if (options.targets.includes('tollgate')) {
      gatewayConfigText = stringify(benchGatewayConfig({ upstreamOrigin: upstream.origin, storagePath: join(workDir, 'tollgate.db'), adminToken: ADMIN_TOKEN }), { aliasDuplicateObjects: false });
      const configFile = join(workDir, 'tollgate.yaml');
      await writeFile(configFile, gatewayConfigText);
      const nodeFlags = options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
      servers.set('tollgate', await startTollgate({ root, configFile, logFile: gatewayLog, nodeFlags }));
    }
    for (const name of ['cache-hit', 'cache-hit-workers2', 'cache-miss', 'cache-off'] as const) {
      if (!options.targets.includes(name)) continue;
      const workers = name === 'cache-hit-workers2' ? { args: ['--workers', '2'], readyWhen: /"msg":"workers started"/ } : {};
      const configFile = join(workDir, `tollgate-${name}.yaml`);
      await writeFile(configFile, stringify(benchGatewayConfig({ upstreamOrigin: upstream.origin, storagePath: join(workDir, `tollgate-${name}.db`), adminToken: ADMIN_TOKEN, cache: name !== 'cache-off' }), { aliasDuplicateObjects: false }));
      // Profiled when it is the only gateway target (`--targets cache-hit --cpu-prof`).
      const profiled = options.cpuProfile && !options.targets.includes('tollgate') && options.targets.filter((other) => other.startsWith('cache-')).length === 1;
      servers.set(name, await startTollgate({ root, configFile, logFile: join(workDir, `tollgate-${name}.log`), nodeFlags: profiled ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [], ...workers }));
    }
    if (options.targets.includes('tollgate-nolog')) {
      const configFile = join(workDir, 'tollgate-nolog.yaml');
      await writeFile(configFile, stringify(benchGatewayConfig({ upstreamOrigin: upstream.origin, storagePath: join(workDir, 'tollgate-nolog.db'), adminToken: ADMIN_TOKEN, logging: false }), { aliasDuplicateObjects: false }));
      servers.set('tollgate-nolog', await startTollgate({ root, configFile, logFile: join(workDir, 'tollgate-nolog.log'), nodeFlags: [] }));
    }

    if (options.targets.includes('tollgate-redis-pg')) {
      const shared = await openSharedBackends();
      cleanups.push(shared.cleanup);
      const configFile = join(workDir, 'tollgate-redis-pg.yaml');
      await writeFile(configFile, stringify(benchGatewayConfig({ upstreamOrigin: upstream.origin, storagePath: join(workDir, 'unused.db'), adminToken: ADMIN_TOKEN, postgresUrl: shared.postgresUrl, redis: shared.redis }), { aliasDuplicateObjects: false }));
      // Profiled when the embedded default is not (`--targets tollgate-redis-pg --cpu-prof`).
      const profiled = options.cpuProfile && !options.targets.includes('tollgate');
      servers.set('tollgate-redis-pg', await startTollgate({ root, configFile, logFile: join(workDir, 'tollgate-redis-pg.log'), nodeFlags: profiled ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [] }));
    }
    if (options.targets.includes('tollgate-redis-pg-workers2')) {
      const shared = await openSharedBackends();
      cleanups.push(shared.cleanup);
      const configFile = join(workDir, 'tollgate-redis-pg-workers2.yaml');
      await writeFile(configFile, stringify(benchGatewayConfig({ upstreamOrigin: upstream.origin, storagePath: join(workDir, 'unused.db'), adminToken: ADMIN_TOKEN, postgresUrl: shared.postgresUrl, redis: shared.redis }), { aliasDuplicateObjects: false }));
      servers.set('tollgate-redis-pg-workers2', await startTollgate({ root, configFile, logFile: join(workDir, 'tollgate-redis-pg-workers2.log'), nodeFlags: [], args: ['--workers', '2'], readyWhen: /"msg":"workers started"/ }));
    }
    if (options.targets.includes('tollgate-workers2')) {
      const configFile = join(workDir, 'tollgate-workers2.yaml');
      await writeFile(configFile, stringify(benchGatewayConfig({ upstreamOrigin: upstream.origin, storagePath: join(workDir, 'tollgate-workers2.db'), adminToken: ADMIN_TOKEN }), { aliasDuplicateObjects: false }));
      servers.set('tollgate-workers2', await startTollgate({ root, configFile, logFile: join(workDir, 'tollgate-workers2.log'), nodeFlags: [], args: ['--workers', '2'], readyWhen: /"msg":"workers started"/ }));
    }

    const loadTargets = new Map<TargetName, LoadTarget>();
    for (const name of options.targets) {
      const server = servers.get(name)!;
      const target: LoadTarget = { origin: server.origin, path: CHAT_PATH, headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_VIRTUAL_KEY}` }, body: CHAT_REQUEST_BODY };
      // Misses: the same request with a different user name each time (same size, never seen before).
      if (name === 'cache-miss' || name === 'cache-off') target.bodyFor = (n) => CHAT_REQUEST_BODY.replace('"messages":', `"user":"u${n.toString(36).padStart(8, '0')}","messages":`);
      await preflight(name, target);
      loadTargets.set(name, target);
    }
    const features = servers.has('tollgate') ? await probeGatewayFeatures(servers.get('tollgate')!.origin) : [];
    const idleRss = servers.has('tollgate') ? residentSetBytes(servers.get('tollgate')!.pid) : undefined;

    const loadBefore = await loadAverage();
    const warmupMs = options.warmupSeconds * 1000;
    const durationMs = options.durationSeconds * 1000;
    const measurements = new Map<string, Measurement>();
    const measurementOf = (scenario: string, target: TargetName, shape: { concurrency: number } | { offeredRate: number }) => {
      const key = `${scenario} ${target}`;
      let measurement = measurements.get(key);
      if (measurement === undefined) measurements.set(key, (measurement = new Measurement(scenario, target, shape)));
      return measurement;
    };
    // Scenario by scenario, the targets take turns round after round, so background noise on a
    // shared machine hits all of them alike; every other round in the reverse order, so a machine
    // that drifts slower (or faster) within a round does not favour the target that goes first.
    const turns = (round: number) => (round % 2 === 1 ? [...loadTargets] : [...loadTargets].reverse());
    for (const concurrency of options.concurrencies) {
      for (let round = 1; round <= options.rounds; round++) {
        for (const [name, target] of turns(round)) {
          progress(`c=${concurrency} → ${TARGET_LABELS[name]}, round ${round}/${options.rounds} (${options.warmupSeconds} s warm-up + ${options.durationSeconds} s)`);
          const pid = servers.get(name)!.pid;
          const cpuBefore = cpuTimeMs(pid);
          // The machine's share busy is read over the measured window only (after the warm-up).
          let machineBefore: ReturnType<typeof machineCpuTicks>;
          const outcome = await runClosedLoop(target, { concurrency, warmupMs, durationMs, onWindowStart: () => (machineBefore = machineCpuTicks()) });
          const machine = machineCpuBetween(machineBefore, machineCpuTicks());
          measurementOf(`c=${concurrency}`, name, { concurrency }).add(outcome, difference(cpuBefore, cpuTimeMs(pid)), [], machine);
        }
      }
    }
    if (options.ratePerSecond > 0) {
      for (let round = 1; round <= options.rounds; round++) {
        for (const [name, target] of turns(round)) {
          progress(`${options.ratePerSecond} req/s → ${TARGET_LABELS[name]}, round ${round}/${options.rounds} (${options.warmupSeconds} s warm-up + ${options.durationSeconds} s)`);
          const pid = servers.get(name)!.pid;
          const rssSamples: number[] = [];
          const cpuBefore = cpuTimeMs(pid);
          const outcome = await runOpenLoop(target, {
            ratePerSecond: options.ratePerSecond,
            warmupMs,
            durationMs,
            maxConnections: 256,
            onSample: () => {
              const bytes = residentSetBytes(pid);
              if (bytes !== undefined) rssSamples.push(bytes);
            },
          });
          measurementOf(`${options.ratePerSecond} req/s`, name, { offeredRate: options.ratePerSecond }).add(outcome, difference(cpuBefore, cpuTimeMs(pid)), rssSamples);
        }
      }
    }
    const results = [...measurements.values()].map((measurement) => measurement.result());

    const loggedRequests = servers.has('tollgate') ? await countLoggedRequests(gatewayLog) : undefined;
    await stopAll();
    servers.clear();

    const highConcurrency = Math.max(...options.concurrencies);
    const checks = checkTargets(results, highConcurrency);
    const report = [
      `## Run of ${new Date().toISOString()}`,
      '',
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}.`,
      `Load: ${options.warmupSeconds} s warm-up (not recorded) + ${options.durationSeconds} s measured per scenario and target; closed loop at c=${options.concurrencies.join(', c=')}` +
        (options.ratePerSecond > 0 ? `; open loop at ${options.ratePerSecond} req/s` : '') +
        `; ${options.rounds} round(s), targets taking turns (in reverse order every other round). Load average before the run: ${loadBefore}.` +
        (options.cpuProfile ? ' Tollgate ran under --cpu-prof (slower than normal).' : ''),
      '',
      resultsTable(results),
      '',
      addedLatencyTable(results),
      '',
      checksTable(checks),
      '',
      ...(features.length === 0 ? [] : ['Tollgate features seen in this run:', ...features.map((feature) => `- ${feature}`)]),
      ...(loggedRequests === undefined ? [] : [`- request log lines written to its stdout (to a file): ${loggedRequests}`]),
      ...(idleRss === undefined ? [] : [`- RSS after start-up, before load: ${(idleRss / 2 ** 20).toFixed(0)} MB`]),
      ...failures(results),
    ].join('\n');
    process.stdout.write(`${report}\n`);
    if (options.semanticEntries > 0) {
      progress(`semantic cache index: building ${options.semanticEntries} entries, then timing lookups`);
      process.stdout.write(`\n${semanticIndexTable(await benchSemanticIndex(options.semanticEntries))}\n`);
    }

    if (options.cpuProfile) process.stdout.write(await profileReport(profileDir));
    if (options.jsonFile !== undefined) {
      const json = { date: new Date().toISOString(), options, machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, features, results, checks, gatewayConfig: gatewayConfigText };
      await writeFile(options.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
    }
    return 0;
  } finally {
    await stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

function difference(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}

function failures(results: readonly ScenarioResult[]): string[] {
  return results.filter((result) => result.failed > 0).map((result) => `- ERRORS: ${result.failed} failed requests to ${TARGET_LABELS[result.target]} at ${result.scenario}; first: ${result.firstFailure}`);
}

/** One request through each target before measuring: a target that answers wrongly is not benchmarked. */
async function preflight(name: TargetName, target: LoadTarget): Promise<void> {
  const response = await request(`${target.origin}${target.path}`, { method: 'POST', headers: target.headers, body: target.body });
  const text = await response.body.text();
  const content = (JSON.parse(text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content;
  if (response.statusCode !== 200 || content !== REPLY_TEXT) throw new Error(`${TARGET_LABELS[name]} answered the preflight request with ${response.statusCode}: ${text.slice(0, 500)}`);
  if ((name.startsWith('tollgate') || name.startsWith('cache-')) && response.headers['x-tollgate-provider'] !== BENCH_PROVIDER) {
    throw new Error(`Tollgate served the preflight request from "${String(response.headers['x-tollgate-provider'])}", expected "${BENCH_PROVIDER}"`);
  }
}

/** What the running gateway actually enforces and records, so the report does not claim features that were off. */
async function probeGatewayFeatures(origin: string): Promise<string[]> {
  const status = async (path: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}) => {
    const response = await request(`${origin}${path}`, init);
    const headers = response.headers;
    await response.body.dump();
    return { status: response.statusCode, headers };
  };
  const unauthenticated = await status(CHAT_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: CHAT_REQUEST_BODY });
  const authenticated = await status(CHAT_PATH, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_VIRTUAL_KEY}` }, body: CHAT_REQUEST_BODY });
  const usage = await status('/v1/usage', { headers: { authorization: `Bearer ${BENCH_VIRTUAL_KEY}` } });
  const logs = await status('/admin/logs?limit=1', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const metrics = await status('/metrics');
  const rateLimitHeaders = Object.keys(authenticated.headers).filter((header) => header.startsWith('x-ratelimit-'));
  return [
    `virtual-key auth: ${unauthenticated.status === 401 ? 'enforced (a request without the key got 401)' : `NOT enforced (a request without a key got ${unauthenticated.status})`}`,
    `budgets and usage: ${usage.status === 200 ? 'on (GET /v1/usage answered 200)' : `not visible (GET /v1/usage answered ${usage.status})`}`,
    `rate limits: ${rateLimitHeaders.length > 0 ? `on (${rateLimitHeaders.join(', ')} on responses)` : 'no x-ratelimit-* headers on responses'}`,
    `cost header: ${authenticated.headers['x-tollgate-cost'] === undefined ? 'absent' : `x-tollgate-cost: ${String(authenticated.headers['x-tollgate-cost'])}`}`,
    `request log store: ${logs.status === 200 ? 'on (GET /admin/logs answered 200)' : `not visible (GET /admin/logs answered ${logs.status})`}`,
    `metrics: ${metrics.status === 200 ? 'on (GET /metrics answered 200)' : `not visible (GET /metrics answered ${metrics.status})`}`,
  ];
}

/** /proc/loadavg's 1, 5 and 15 minute averages: other work on the machine skews every column. */
async function loadAverage(): Promise<string> {
  const text = await readFile('/proc/loadavg', 'utf8').catch(() => 'unknown');
  return text.split(' ').slice(0, 3).join(' ');
}

async function countLoggedRequests(logFile: string): Promise<number> {
  const text = await readFile(logFile, 'utf8');
  let count = 0;
  for (let at = text.indexOf('"msg":"request"'); at !== -1; at = text.indexOf('"msg":"request"', at + 1)) count++;
  return count;
}

async function profileReport(profileDir: string): Promise<string> {
  const files = (await readdir(profileDir).catch(() => [] as string[])).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length === 0) return '\nNo CPU profile was written (did Tollgate exit cleanly?).\n';
  // The event loop's profile is the largest (worker threads write their own).
  const sizes = await Promise.all(files.map(async (file) => ({ file, size: (await stat(join(profileDir, file))).size })));
  const main = sizes.sort((a, b) => b.size - a.size)[0]!.file;
  const summary = await summarizeCpuProfile(join(profileDir, main), 25, root.pathname);
  const line = (entry: { label: string; selfMs: number; share: number }) => `| ${entry.label.replaceAll('|', '\\|')} | ${entry.selfMs.toFixed(0)} | ${(entry.share * 100).toFixed(1)}% |`;
  return [
    '',
    `### Tollgate CPU profile: ${(summary.busyMs / 1000).toFixed(1)} s busy, ${(summary.idleMs / 1000).toFixed(1)} s idle; self time, shares of busy time`,
    '',
    '| Area | ms | share |',
    '|---|--:|--:|',
    ...summary.areas.map(line),
    '',
    '| Function | ms | share |',
    '|---|--:|--:|',
    ...summary.topFunctions.map(line),
    '',
    '| File | ms | share |',
    '|---|--:|--:|',
    ...summary.topFiles.map(line),
    '',
  ].join('\n');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
