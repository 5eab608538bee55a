/**
 * Removes anything that looks like a credential from a provider's error message before it reaches
 * a caller or a log. Providers echo keys back (OpenAI: "Incorrect API key provided: sk-pr****"), so
 * bearer tokens, `key=`-style assignments and the key formats of OpenAI-compatible providers go.
 */
const PATTERNS: readonly RegExp[] = [
  /\bBearer\s+[^\s"',;]+/gi,
  /\b(?:sk|gsk|xai|pplx|fw|csk|nvapi|sk-or|sk-ant)[-_][A-Za-z0-9*._-]{6,}/g,
  /\b(api[-_ ]?key|access[-_ ]?token|token|secret|password)(\s*[=:]\s*)["']?[^\s"',;]{6,}/gi,
];

export function scrubSecrets(message: string): string {
  let scrubbed = message;
  for (const pattern of PATTERNS) {
    scrubbed = scrubbed.replace(pattern, (match, name: unknown, separator: unknown) =>
      typeof name === 'string' && typeof separator === 'string' ? `${name}${separator}[redacted]` : match.toLowerCase().startsWith('bearer') ? 'Bearer [redacted]' : '[redacted]',
    );
  }
  return scrubbed;
}
