import type { HttpExchange } from '../http/http-route.js';
import { createContext, type RequestContext } from './context.js';

/** Starts a request context for an exchange. */
export function contextFor(exchange: HttpExchange, surface: string, operation: string): RequestContext {
  return createContext({
    id: exchange.requestId,
    surface,
    operation,
    method: exchange.method,
    path: exchange.path,
    headers: exchange.request.headers,
    clientAddress: exchange.request.socket.remoteAddress,
    signal: exchange.abort ?? exchange.signal,
  });
}
