import { GatewayError } from '../spec/index.js';

/**
 * Why a request's signal aborted, as the error the request ends with: the server's own reason
 * (`upstream_timeout` when `server.request_timeout_ms` ran out, `client_disconnected` when the
 * caller went away); any other reason is taken for a caller that left.
 */
export function abortReason(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  if (GatewayError.is(reason)) return reason;
  return new GatewayError('client_disconnected', 'The caller closed the connection before the answer was complete.');
}

/** Whether anyone still reads the answer: not once the caller has gone (a timed-out caller is still there, and gets the error). */
export function callerListening(signal: AbortSignal): boolean {
  return !signal.aborted || abortReason(signal).code !== 'client_disconnected';
}
