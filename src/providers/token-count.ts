import { GatewayError } from '../spec/index.js';

/** Reads a non-negative whole count at `field` of a provider's token-count answer; throws when it is not there. */
export function countField(body: unknown, field: string, provider: string): number {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new GatewayError('upstream_invalid_response', `${provider} answered the token count without a whole number in \`${field}\`.`, { retryable: true });
  }
  return value;
}
