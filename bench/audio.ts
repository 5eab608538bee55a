import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { summarizeLatencies } from './percentiles.js';
import { residentSetBytes, startTollgate } from './processes.js';

/**
 * `npm run bench:audio -- [--speech 200] [--upload-mb 25] [--uploads 3]`: the audio endpoints'
 * two performance targets (issue 20), against an upstream on loopback in this process and the
 * gateway in its own:
 * - text-to-speech time to first byte, through the gateway and straight to the upstream (which
 *   sends its first audio chunk at once, then four more 5 ms apart);
 * - the RSS a transcription upload adds to the gateway: the peak of /proc VmRSS, sampled every
 *   2 ms while a file of `--upload-mb` MB goes through, minus the RSS before it.
 */

const option = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
};
const SPEECH_RUNS = option('speech', 200);
const UPLOAD_MB = option('upload-mb', 25);
const UPLOADS = option('uploads', 3);
const KEY = 'tg-bench-audio-key-not-a-secret';

const chunk = Buffer.alloc(16 * 1024, 7);

/** The upstream: speech in chunks, transcriptions read and dropped as they arrive. */
function startUpstream(): Promise<Server> {
  const server = createServer((incoming, response) => {
    if (incoming.url?.endsWith('/audio/speech')) {
      incoming.resume();
      incoming.on('end', () => {
        response.writeHead(200, { 'content-type': 'audio/mpeg' });
        response.write(chunk);
        let sent = 1;
        const timer = setInterval(() => {
          response.write(chunk);
          if (++sent === 5) {
            clearInterval(timer);
            response.end();
          }
        }, 5);
      });
      return;
    }
    let bytes = 0;
    incoming.on('data', (data: Buffer) => (bytes += data.length));
    incoming.on('end', () => {
      const body = JSON.stringify({ text: `heard ${bytes} bytes`, usage: { type: 'duration', seconds: 1 } });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Milliseconds from sending a speech request to its first body byte. */
async function firstByte(url: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const answer = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'Benchmarking the first byte.' }) });
  if (answer.statusCode !== 200) throw new Error(`speech answered ${answer.statusCode}: ${await answer.body.text()}`);
  let elapsed: number | undefined;
  for await (const _ of answer.body) elapsed ??= performance.now() - started;
  return elapsed!;
}

/** Sends a multipart upload of `megabytes` MB, the file part first as the SDKs send it. */
async function upload(origin: string, megabytes: number): Promise<void> {
  const boundary = 'benchboundary7f3a';
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.wav"\r\ncontent-type: audio/wav\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}\r\ncontent-disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--${boundary}--\r\n`);
  const piece = Buffer.alloc(64 * 1024, 3);
  const pieces = Math.round((megabytes * 1_000_000) / piece.length);
  async function* body(): AsyncIterable<Buffer> {
    yield head;
    for (let index = 0; index < pieces; index++) yield piece;
    yield tail;
  }
  const answer = await request(`${origin}/v1/audio/transcriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + pieces * piece.length + tail.length) },
    body: Readable.from(body()),
  });
  const text = await answer.body.text();
  if (answer.statusCode !== 200) throw new Error(`transcription answered ${answer.statusCode}: ${text}`);
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const upstreamOrigin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-bench-audio-'));
  const configFile = join(directory, 'config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      storage: { type: 'sqlite', path: join(directory, 'tollgate.db') },
      logging: { level: 'warn', requests: false },
      providers: { openai: { type: 'openai', base_url: `${upstreamOrigin}/v1`, keys: [{ value: 'bench-upstream-key' }], models: ['tts-1', 'whisper-1'] } },
      pricing: { 'openai/tts-1': { per_character: 0.000015 }, 'openai/whisper-1': { per_second: 0.0001 } },
      virtual_keys: [{ id: 'bench', value: KEY, models: ['*'] }],
      audio: { max_upload_bytes: (UPLOAD_MB + 1) * 1_000_000 },
    }),
  );
  const gateway = await startTollgate({ root: new URL('../../', import.meta.url), configFile, logFile: join(directory, 'tollgate.log'), nodeFlags: [] });
  try {
    const viaGateway = (): Promise<number> => firstByte(`${gateway.origin}/v1/audio/speech`, { authorization: `Bearer ${KEY}` });
    const direct = (): Promise<number> => firstByte(`${upstreamOrigin}/v1/audio/speech`, {});
    for (let index = 0; index < 50; index++) {
      await viaGateway();
      await direct();
    }
    const gatewayTimes: number[] = [];
    const directTimes: number[] = [];
    for (let index = 0; index < SPEECH_RUNS; index++) {
      gatewayTimes.push(await viaGateway());
      directTimes.push(await direct());
    }
    const [g, d] = [summarizeLatencies(gatewayTimes), summarizeLatencies(directTimes)];
    console.log(`speech first byte over ${SPEECH_RUNS} requests: direct p50 ${d.p50.toFixed(2)} ms p90 ${d.p90.toFixed(2)} ms; through Tollgate p50 ${g.p50.toFixed(2)} ms p90 ${g.p90.toFixed(2)} ms; added p50 ${(g.p50 - d.p50).toFixed(2)} ms`);

    await upload(gateway.origin, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let run = 0; run < UPLOADS; run++) {
      const before = residentSetBytes(gateway.pid)!;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, residentSetBytes(gateway.pid) ?? 0)), 2);
      const started = performance.now();
      await upload(gateway.origin, UPLOAD_MB);
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      console.log(`upload ${run + 1}: ${UPLOAD_MB} MB in ${seconds.toFixed(2)} s; gateway RSS ${(before / 1048576).toFixed(1)} MiB before, peak ${(peak / 1048576).toFixed(1)} MiB: added ${((peak - before) / 1048576).toFixed(1)} MiB`);
    }
  } finally {
    await gateway.stop();
    upstream.close();
    await rm(directory, { recursive: true, force: true });
  }
}

await main();
