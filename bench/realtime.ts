import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { summarizeLatencies } from './percentiles.js';
import { residentSetBytes, startTollgate } from './processes.js';

/**
 * `npm run bench:realtime -- [--turns 200] [--deltas 2000]`: what the realtime relay costs, against a
 * realtime upstream on loopback in this process and the gateway in its own:
 * - a turn's round trip (`response.create` → `response.done`, one small delta between), through the
 *   gateway (admission, pricing, settlement and a request-log record per turn) and straight to the upstream;
 * - relaying a response of `--deltas` audio deltas (6,400 base64 characters each, 100 ms of 24 kHz audio):
 *   wall time both ways, the gateway's CPU time per delta (/proc utime + stime, steadier than wall time on
 *   a shared machine) and its RSS before and after.
 */

const option = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
};
const TURNS = option('turns', 200);
const DELTAS = option('deltas', 2000);
const KEY = 'tg-bench-realtime-key-not-a-secret';
const DELTA = Buffer.alloc(4800, 7).toString('base64');
const USAGE = { total_tokens: 150, input_tokens: 100, output_tokens: 50, input_token_details: { cached_tokens: 0, text_tokens: 60, audio_tokens: 40 }, output_token_details: { text_tokens: 10, audio_tokens: 40 } };

/** A realtime upstream: `response.create` answered by `response.created`, `deltas` audio deltas (default 1) and `response.done`. */
async function startUpstream(): Promise<{ url: string; close(): void }> {
  const server = createServer();
  const wss = new WebSocketServer({ server, maxPayload: 16 * 1024 * 1024 });
  let responses = 0;
  wss.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'session.created', session: { id: 'sess_bench' } }));
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString()) as { type: string; deltas?: number };
      if (event.type !== 'response.create') return;
      const id = `resp_${++responses}`;
      socket.send(JSON.stringify({ type: 'response.created', response: { id, status: 'in_progress' } }));
      for (let index = 0; index < (event.deltas ?? 1); index++) socket.send(JSON.stringify({ type: 'response.audio.delta', response_id: id, delta: DELTA }));
      socket.send(JSON.stringify({ type: 'response.done', response: { id, status: 'completed', usage: USAGE } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => (wss.close(), server.close()) };
}

function open(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `response.create` and resolves at its `response.done`, in milliseconds. */
function turn(socket: WebSocket, deltas: number): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const onMessage = (data: Buffer): void => {
      if (!data.includes('"response.done"')) return;
      socket.off('message', onMessage);
      resolve(performance.now() - started);
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ type: 'response.create', deltas }));
  });
}

/** The process's user + system CPU time in milliseconds (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-bench-realtime-'));
  const configFile = join(directory, 'config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      storage: { type: 'sqlite', path: join(directory, 'tollgate.db') },
      logging: { level: 'warn', requests: false },
      providers: { openai: { type: 'openai', base_url: `${upstream.url.replace(/^ws/, 'http')}/v1`, keys: [{ value: 'bench-upstream-key' }], models: ['gpt-realtime'] } },
      pricing: { 'openai/gpt-realtime': { input: 4, output: 16, input_audio: 32, output_audio: 64 } },
      virtual_keys: [{ id: 'bench', value: KEY, models: ['*'], budgets: [{ max_usd: 1_000_000 }] }],
    }),
  );
  const gateway = await startTollgate({ root: new URL('../../', import.meta.url), configFile, logFile: join(directory, 'tollgate.log'), nodeFlags: [] });
  try {
    const viaGateway = await open(`${gateway.origin.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`, { authorization: `Bearer ${KEY}` });
    const direct = await open(`${upstream.url}/v1/realtime?model=gpt-realtime`, {});
    for (let index = 0; index < 50; index++) {
      await turn(viaGateway, 1);
      await turn(direct, 1);
    }
    const gatewayTimes: number[] = [];
    const directTimes: number[] = [];
    for (let index = 0; index < TURNS; index++) {
      gatewayTimes.push(await turn(viaGateway, 1));
      directTimes.push(await turn(direct, 1));
    }
    const [g, d] = [summarizeLatencies(gatewayTimes), summarizeLatencies(directTimes)];
    console.log(`turn round trip over ${TURNS} turns: direct p50 ${d.p50.toFixed(2)} ms p90 ${d.p90.toFixed(2)} ms; through Tollgate p50 ${g.p50.toFixed(2)} ms p90 ${g.p90.toFixed(2)} ms; added p50 ${(g.p50 - d.p50).toFixed(2)} ms`);

    const rssBefore = residentSetBytes(gateway.pid)!;
    const cpuBefore = cpuMs(gateway.pid);
    const throughGateway = await turn(viaGateway, DELTAS);
    const cpu = cpuMs(gateway.pid) - cpuBefore;
    const rssAfter = residentSetBytes(gateway.pid)!;
    const straight = await turn(direct, DELTAS);
    const megabytes = (DELTAS * DELTA.length) / 1_000_000;
    console.log(
      `a response of ${DELTAS} audio deltas (${megabytes.toFixed(1)} MB): direct ${straight.toFixed(0)} ms, through Tollgate ${throughGateway.toFixed(0)} ms; ` +
        `gateway CPU ${cpu} ms (${((cpu * 1000) / DELTAS).toFixed(1)} µs per delta); RSS ${(rssBefore / 1048576).toFixed(1)} → ${(rssAfter / 1048576).toFixed(1)} MiB`,
    );
    viaGateway.close();
    direct.close();
  } finally {
    await gateway.stop();
    upstream.close();
    await rm(directory, { recursive: true, force: true });
  }
}

await main();
