import { Agent, type Dispatcher } from 'undici';
import { GatewayError } from '../../spec/index.js';
import type { UpstreamHttpRequest, UpstreamHttpResponse } from '../provider.js';

export interface HttpTransportOptions {
  /** Max connections per upstream origin. */
  connectionsPerOrigin?: number;
  keepAliveTimeoutMs?: number;
}

/**
 * Sends upstream requests over undici: one Agent, which keeps a keep-alive Pool per origin.
 * No `fetch` here: `dispatcher.request` is several times cheaper and gives us a streaming body.
 */
export class HttpTransport {
  private readonly agent: Agent;

  constructor(options: HttpTransportOptions = {}) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 256,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { noDelay: true, keepAlive: true },
    });
  }

  /**
   * Sends `request`; resolves when response headers arrive. `timeoutMs` bounds the wait for
   * headers and every gap between body chunks. Network failures become GatewayErrors.
   */
  async send(request: UpstreamHttpRequest, timeoutMs: number, signal: AbortSignal): Promise<UpstreamHttpResponse> {
    const url = new URL(request.url);
    try {
      const response: Dispatcher.ResponseData = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = response.body;
      return {
        status: response.statusCode,
        headers: response.headers,
        body: mapBodyErrors(body),
      };
    } catch (error) {
      throw toTransportError(error, url.host, signal);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  destroy(): Promise<void> {
    return this.agent.destroy();
  }
}

async function* mapBodyErrors(body: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (error) {
    throw toTransportError(error, undefined, undefined);
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT']);

export function toTransportError(error: unknown, host: string | undefined, signal: AbortSignal | undefined): unknown {
  if (GatewayError.is(error)) return error;
  if (signal?.aborted) return error;
  const code = (error as { code?: string } | null)?.code ?? (error as { cause?: { code?: string } } | null)?.cause?.code;
  const where = host === undefined ? 'the provider' : host;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError('upstream_timeout', `Timed out waiting for ${where}.`, { retryable: true, cause: error });
  }
  if (code === 'UND_ERR_ABORTED' || (error as Error | null)?.name === 'AbortError') return error;
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new GatewayError('upstream_unreachable', `Could not reach ${where} (${code}).`, { retryable: true, cause: error });
  }
  return new GatewayError('upstream_unreachable', `Request to ${where} failed: ${(error as Error | null)?.message ?? 'unknown error'}.`, { retryable: true, cause: error });
}
