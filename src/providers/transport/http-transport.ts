import { Agent, type Dispatcher } from 'undici';
import { GatewayError } from '../../spec/index.js';
import { Readable } from 'node:stream';
import type { UpstreamHttpRequest, UpstreamHttpResponse } from '../provider.js';
import { readStream } from '../../lib/read-stream.js';
import { budgetExhausted, upstreamBufferBudget } from './body-budget.js';
import { bodyTooLarge } from './read-body.js';

export interface HttpTransportOptions {
  /** Max connections per upstream origin. */
  connectionsPerOrigin?: number;
  keepAliveTimeoutMs?: number;
}

/**
 * How long one upstream exchange may take, phase by phase. Every field is optional; a missing
 * `firstByteMs`/`idleMs` means undici's default, a missing `totalMs` no overall deadline.
 */
export interface UpstreamTimeouts {
  /** TCP (and TLS) connection set-up. */
  connectMs?: number;
  /** From sending the request to the response headers. */
  firstByteMs?: number;
  /** Longest silence between two body chunks (a stalled stream). */
  idleMs?: number;
  /** The whole exchange, body included. */
  totalMs?: number;
}

const DEFAULT_CONNECT_MS = 10_000;
const MAX_CACHED_TARGETS = 1_000;

interface UpstreamTarget {
  readonly origin: string;
  /** Path and query string. */
  readonly path: string;
  readonly host: string;
}

/**
 * Sends upstream requests over undici: one Agent per distinct connect timeout (usually one), each
 * keeping a keep-alive Pool per origin. No `fetch` here: `dispatcher.request` is several times
 * cheaper and gives us a streaming body.
 */
export class HttpTransport {
  private readonly agents = new Map<number, Agent>();
  private readonly targets = new Map<string, UpstreamTarget>();

  constructor(private readonly options: HttpTransportOptions = {}) {}

  /**
   * Sends `request`; resolves when response headers arrive. `timeouts` bounds each phase (a number
   * bounds the wait for headers and every gap between body chunks). Network failures and timeouts
   * become GatewayErrors (`upstream_unreachable`, `upstream_timeout`).
   */
  async send(request: UpstreamHttpRequest, timeouts: number | UpstreamTimeouts, signal: AbortSignal): Promise<UpstreamHttpResponse> {
    const limits: UpstreamTimeouts = typeof timeouts === 'number' ? { firstByteMs: timeouts, idleMs: timeouts } : timeouts;
    const url = this.target(request.url);
    const deadline = limits.totalMs === undefined ? undefined : new Deadline(limits.totalMs, signal);
    try {
      const response: Dispatcher.ResponseData = await this.agentFor(limits.connectMs ?? DEFAULT_CONNECT_MS).request({
        origin: url.origin,
        path: url.path,
        method: request.method,
        headers: request.headers,
        body: request.stream === undefined ? (request.bytes ?? request.body) : Readable.from(request.stream, { objectMode: false }),
        // undici listens with `addEventListener('abort', …, { once: true })` and removes its listener
        // when the request settles; on an abort it fails the request with the signal's `reason`.
        signal: deadline?.signal ?? signal,
        ...(limits.firstByteMs === undefined ? {} : { headersTimeout: limits.firstByteMs }),
        ...(limits.idleMs === undefined ? {} : { bodyTimeout: limits.idleMs }),
        // undici 7 rejects a `throwOnError` option: error statuses come back as responses.
      });
      return new UndiciResponse(response, url.host, deadline);
    } catch (error) {
      deadline?.clear();
      throw toTransportError(error, url.host, signal, deadline);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.destroy()));
  }

  /** Origin, path and host of an upstream URL; providers send to a handful of URLs, so each is parsed once. */
  private target(url: string): UpstreamTarget {
    let found = this.targets.get(url);
    if (found === undefined) {
      const parsed = new URL(url);
      found = { origin: parsed.origin, path: parsed.pathname + parsed.search, host: parsed.host };
      // Model names in paths (Gemini, Bedrock) keep the set small; a bound keeps it so whatever callers send.
      if (this.targets.size >= MAX_CACHED_TARGETS) this.targets.clear();
      this.targets.set(url, found);
    }
    return found;
  }

  private agentFor(connectMs: number): Agent {
    let agent = this.agents.get(connectMs);
    if (agent === undefined) {
      agent = new Agent({
        connections: this.options.connectionsPerOrigin ?? 256,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { noDelay: true, keepAlive: true, timeout: connectMs },
      });
      this.agents.set(connectMs, agent);
    }
    return agent;
  }
}

/**
 * An upstream answer as the pipeline reads it. A class rather than an object literal with a
 * getter: such a literal gets a map of its own in V8's old generation, which keeps the getter's
 * closure (the undici response, its body) alive through young-generation collections until a full
 * one (see the HTTP server's Exchange).
 */
class UndiciResponse implements UpstreamHttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;

  constructor(
    private readonly response: Dispatcher.ResponseData,
    private readonly host: string,
    private readonly deadline: Deadline | undefined,
  ) {
    this.status = response.statusCode;
    this.headers = response.headers;
  }

  get body(): AsyncIterable<Buffer> {
    return mapBodyErrors(this.response.body, this.host, this.deadline);
  }

  text(limitBytes: number): Promise<string> {
    return readWhole(this.response.body, limitBytes, this.host, this.deadline);
  }
}

/** The total deadline of one exchange: aborts when the time is up or the caller goes away. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  expired = false;

  constructor(
    milliseconds: number,
    private readonly caller: AbortSignal,
  ) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error('total deadline'));
    }, milliseconds);
    // The timer must never keep the process alive on its own.
    this.timer.unref();
    if (caller.aborted) this.controller.abort(caller.reason);
    else caller.addEventListener('abort', this.forward, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  clear(): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.forward);
  }

  private readonly forward = (): void => {
    this.controller.abort(this.caller.reason);
  };
}

/**
 * Reads a whole body within `limitBytes` and the process-wide buffer budget (both failures are
 * `upstream_invalid_response`); the bytes held are given back once the text is made.
 */
async function readWhole(body: Readable, limitBytes: number, host: string, deadline: Deadline | undefined): Promise<string> {
  let held = 0;
  const accept = (bytes: number): Error | undefined => {
    if (!upstreamBufferBudget.take(bytes)) return budgetExhausted(host);
    held += bytes;
    return undefined;
  };
  try {
    const bytes = await readStream(body, limitBytes, () => bodyTooLarge(host, limitBytes), accept);
    return bytes.toString('utf8');
  } catch (error) {
    body.destroy();
    throw toTransportError(error, host, undefined, deadline);
  } finally {
    upstreamBufferBudget.give(held);
    deadline?.clear();
  }
}

async function* mapBodyErrors(body: AsyncIterable<Buffer>, host: string, deadline: Deadline | undefined): AsyncIterable<Buffer> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (error) {
    throw toBodyError(error, host, deadline);
  } finally {
    deadline?.clear();
  }
}

/**
 * The provider was reached and had started answering: a socket that breaks now is a broken answer
 * (`upstream_stream_error`), not an unreachable provider; timeouts stay timeouts.
 */
function toBodyError(error: unknown, host: string, deadline: Deadline | undefined): unknown {
  const mapped = toTransportError(error, host, undefined, deadline);
  if (!GatewayError.is(mapped) || mapped.code !== 'upstream_unreachable') return mapped;
  const code = (error as { code?: string } | null)?.code ?? (error as { cause?: { code?: string } } | null)?.cause?.code;
  return new GatewayError('upstream_stream_error', `The connection to ${host} broke in the middle of the answer${code === undefined ? '' : ` (${code})`}.`, { retryable: true, cause: error });
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function toTransportError(error: unknown, host: string | undefined, signal: AbortSignal | undefined, deadline?: { expired: boolean }): unknown {
  if (GatewayError.is(error)) return error;
  if (signal?.aborted) return error;
  const where = host === undefined ? 'the provider' : host;
  if (deadline?.expired) return new GatewayError('upstream_timeout', `${where} did not finish within the total timeout.`, { retryable: true, cause: error });
  const code = (error as { code?: string } | null)?.code ?? (error as { cause?: { code?: string } } | null)?.cause?.code;
  if (code !== undefined && TIMEOUTS.has(code)) {
    const phase = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connecting to' : code === 'UND_ERR_HEADERS_TIMEOUT' ? 'the first byte from' : 'the next chunk from';
    return new GatewayError('upstream_timeout', `Timed out waiting for ${phase} ${where}.`, { retryable: true, cause: error });
  }
  if (code === 'UND_ERR_ABORTED' || (error as Error | null)?.name === 'AbortError') return error;
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new GatewayError('upstream_unreachable', `Could not reach ${where} (${code}).`, { retryable: true, cause: error });
  }
  return new GatewayError('upstream_unreachable', `Request to ${where} failed: ${(error as Error | null)?.message ?? 'unknown error'}.`, { retryable: true, cause: error });
}
