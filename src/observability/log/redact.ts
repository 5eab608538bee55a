/**
 * Removes secrets from text bound for the log: bearer tokens, provider key shapes and values of
 * fields whose names say they hold a secret. Patterns, not guarantees: content logging stays off
 * by default for that reason.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}/g,
  /\bsk-ant-[A-Za-z0-9_-]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
  /\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{12,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

const SECRET_FIELD = /(api[_-]?key|secret|password|passwd|token|authorization|credential|private[_-]?key)"\s*:\s*"(?:[^"\\]|\\.)*"/gi;

export const REDACTED = '[REDACTED]';

export function redactSecrets(text: string): string {
  let result = text.replace(SECRET_FIELD, (_match, name: string) => `${name}":"${REDACTED}"`);
  for (const pattern of SECRET_PATTERNS) result = result.replace(pattern, REDACTED);
  return result;
}

/** Redacts, then cuts to `maxBytes` of UTF-8 (marking the cut). */
export function capContent(text: string, maxBytes: number): string {
  const redacted = redactSecrets(text);
  if (Buffer.byteLength(redacted) <= maxBytes) return redacted;
  const cut = Buffer.from(redacted).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
  return `${cut}…[truncated]`;
}

/** Keys and values of an object with secret-named keys replaced (for audit details). */
export function redactObject(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map((item) => redactObject(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] = /api[_-]?key|secret|password|token|authorization|credential|^value$|^key$/i.test(key) && (typeof item === 'string' || typeof item === 'number') ? REDACTED : redactObject(item, depth + 1);
    }
    return result;
  }
  return value;
}
