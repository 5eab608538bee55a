import type { ProviderConfig } from '../config/provider-schema.js';
import type { UpstreamTimeouts } from '../providers/transport/http-transport.js';
import { GatewayError } from '../spec/index.js';

export const TIMEOUT_HEADER = 'x-tollgate-timeout-ms';

/** Each provider's timeouts from `timeout_ms` and `timeouts`, built once at start-up. */
export function providerTimeouts(providers: Record<string, ProviderConfig>): Map<string, UpstreamTimeouts> {
  const byName = new Map<string, UpstreamTimeouts>();
  for (const [name, config] of Object.entries(providers)) {
    const fine = config.timeouts ?? {};
    byName.set(name, {
      ...(fine.connect_ms === undefined ? {} : { connectMs: fine.connect_ms }),
      firstByteMs: fine.first_byte_ms ?? config.timeout_ms,
      idleMs: fine.idle_ms ?? config.timeout_ms,
      ...(fine.total_ms === undefined ? {} : { totalMs: fine.total_ms }),
    });
  }
  return byName;
}

/**
 * The caller's `x-tollgate-timeout-ms`, which replaces `timeout_ms` for this request: the wait for
 * the first byte and between chunks of every attempt. Undefined when absent; throws when malformed.
 */
export function timeoutOverride(value: string | string[] | undefined, maximumMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0]! : value;
  const milliseconds = Number(text);
  if (!/^\d+$/.test(text.trim()) || milliseconds < 1 || milliseconds > maximumMs) {
    throw new GatewayError('invalid_request', `The header ${TIMEOUT_HEADER} must be a whole number of milliseconds between 1 and ${maximumMs}.`, { param: TIMEOUT_HEADER });
  }
  return milliseconds;
}

