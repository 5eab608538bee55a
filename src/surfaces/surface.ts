import type { Pipeline } from '../pipeline/chat-pipeline.js';
import { createContext, type RequestContext } from '../pipeline/context.js';
import type { Operation } from '../providers/provider.js';
import type { HttpExchange } from '../http/http-route.js';

/** Starts a request context for an exchange on a surface. */
export function contextFor(exchange: HttpExchange, surface: string, operation: Operation): RequestContext {
  return createContext({
    id: exchange.requestId,
    surface,
    operation,
    method: exchange.method,
    path: exchange.path,
    headers: exchange.request.headers,
    clientAddress: exchange.request.socket.remoteAddress,
    signal: exchange.signal,
  });
}

export interface SurfaceDependencies {
  pipeline: Pipeline;
}
