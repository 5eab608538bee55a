import { GatewayError } from '../spec/index.js';
import type { ProviderAdapter, ProviderKey, UpstreamHttpRequest } from './provider.js';

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/**
 * Secrets shorter than this are not searched for: replacing a two-letter "key" everywhere would
 * mangle answers, and such a value protects nothing anyway.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * Credential-shaped text, whoever it belongs to. Providers echo keys back ("Incorrect API key
 * provided: sk-pr****"), proxies print the URL they were asked for, so error text loses: bearer
 * tokens; OpenAI-style keys and those of OpenAI-compatible providers (`sk-`, `sk-ant-`, `gsk_`,
 * `xai-`, …); AWS access key ids (`AKIA…`, `ASIA…`); Google API keys (`AIza…`); credentials in a
 * URL's query (`?key=`, `X-Amz-Signature=`); and `api_key=…`-style assignments.
 */
const PATTERNS: readonly [RegExp, (match: string, ...groups: string[]) => string][] = [
  [/\bBearer\s+[^\s"',;]+/gi, () => `Bearer ${REDACTED}`],
  [/\b(?:sk|gsk|xai|pplx|fw|csk|nvapi)[-_][A-Za-z0-9*._-]{6,}/g, () => REDACTED],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, () => REDACTED],
  [/AIza[0-9A-Za-z_-]{30,}/g, () => REDACTED],
  [/([?&](?:key|api[-_]?key|access[-_]?token|token|auth|sig|signature|x-amz-[a-z-]+)=)[^&\s"'#]+/gi, (_match, name) => `${name}${REDACTED}`],
  [/\b(api[-_ ]?key|access[-_ ]?token|token|secret|password)(\s*[=:]\s*)["']?[^\s"',;]{6,}/gi, (_match, name, separator) => `${name}${separator}${REDACTED}`],
];

/** Anything credential-shaped in `text` replaced (no exact secret known): what codec tests and the mapper's default use. */
export function scrubCredentialShapes(text: string): string {
  let scrubbed = text;
  for (const [pattern, replace] of PATTERNS) scrubbed = scrubbed.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  return scrubbed;
}

/**
 * Removes the secrets of one upstream attempt from what comes back: the exact values the adapter
 * sent (the provider key; for Bedrock the access key id, secret and session token; credentials in
 * auth headers and in the URL's query) and, on error paths, anything credential-shaped.
 *
 * Built per attempt for next to nothing: the secrets are gathered on first use (the key's own once
 * per key, see `attemptScrubber`), and a successful answer then costs one `indexOf` per secret over
 * its raw body or each raw event (see `holdsSecret`).
 */
export class SecretScrubber {
  private secrets: readonly string[] | undefined;

  constructor(private readonly gather: () => readonly string[]) {}

  /** The exact secrets, longest first (a secret that contains another goes whole). */
  private list(): readonly string[] {
    return (this.secrets ??= this.gather());
  }

  /** The exact secrets, longest first, for redacting a byte stream (see redacting-stream.ts). */
  exactSecrets(): readonly string[] {
    return this.list();
  }

  /** Whether `text` contains one of this attempt's secrets: the only work a successful answer pays. */
  holdsSecret(text: string): boolean {
    const secrets = this.list();
    for (let index = 0; index < secrets.length; index++) if (text.includes(secrets[index]!)) return true;
    return false;
  }

  /**
   * The exact secrets replaced, nothing else: for answers, where text shaped like a key (a model
   * explaining `sk-…` keys) is content, but the key this attempt used never goes out.
   */
  redactSecrets(text: string): string {
    let redacted = text;
    for (const secret of this.list()) if (redacted.includes(secret)) redacted = redacted.split(secret).join(REDACTED);
    return redacted;
  }

  /** Exact secrets and anything credential-shaped replaced: for error messages and error events. */
  scrub(text: string): string {
    return scrubCredentialShapes(this.redactSecrets(text));
  }

  /**
   * The error with its message (and param) scrubbed; the same object when there was nothing to
   * remove. A scrubbed copy drops `cause`, which may hold the same text unscrubbed.
   */
  scrubError(error: GatewayError): GatewayError {
    const message = this.scrub(error.message);
    const param = error.param === undefined ? undefined : this.scrub(error.param);
    if (message === error.message && param === error.param) return error;
    return new GatewayError(error.code, message, {
      status: error.status,
      retryable: error.retryable,
      ...(param === undefined ? {} : { param }),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      ...(error.upstreamStatus === undefined ? {} : { upstreamStatus: error.upstreamStatus }),
      ...(error.headers === undefined ? {} : { headers: error.headers }),
    });
  }
}

const NO_SECRETS: readonly string[] = [];

/** A scrubber that knows no exact secret: credential shapes only. */
export const credentialShapeScrubber = new SecretScrubber(() => NO_SECRETS);

/** Header names whose values are credentials (`authorization`, `x-api-key`, `api-key`, `x-goog-api-key`, `x-amz-security-token`, …). */
const CREDENTIAL_HEADER = /auth|key|token|secret|signature|credential|password|cookie/i;
/** Query parameter names whose values are credentials (`?key=`, `?api_key=`, `X-Amz-Signature=`, …). */
const CREDENTIAL_QUERY = /[?&]([^=&#]*(?:key|token|secret|sig|auth|credential|password)[^=&#]*)=([^&#]*)/gi;

/** Adds `secret` unless it is too short to search for or already known. */
function add(secrets: string[], secret: string): void {
  if (secret.length >= MIN_SECRET_LENGTH && !secrets.includes(secret)) secrets.push(secret);
}

/** Longest first, so that a secret containing another is replaced whole. */
function longestFirst(secrets: string[]): string[] {
  return secrets.length < 2 ? secrets : secrets.sort((left, right) => right.length - left.length);
}

/** The credential inside a header value: the value itself and, after an auth scheme, what follows it. */
function addHeaderSecrets(secrets: string[], value: string): void {
  add(secrets, value);
  const space = value.indexOf(' ');
  if (space <= 0) return;
  if (value.startsWith('AWS4-')) {
    // SigV4: `Credential=<access key id>/<date>/<region>/…, SignedHeaders=…, Signature=…`.
    const credential = /Credential=([^/,\s]+)/.exec(value);
    if (credential !== null) add(secrets, credential[1]!);
    return;
  }
  add(secrets, value.slice(space + 1).trim());
}

/** The secrets of a key, gathered once per configured key (keys live as long as the config that holds them). */
const keySecrets = new WeakMap<ProviderKey, WeakMap<ProviderAdapter, readonly string[]>>();

function secretsOfKey(adapter: ProviderAdapter, key: ProviderKey): readonly string[] {
  let byAdapter = keySecrets.get(key);
  if (byAdapter === undefined) keySecrets.set(key, (byAdapter = new WeakMap()));
  let secrets = byAdapter.get(adapter);
  if (secrets === undefined) {
    const found: string[] = [];
    add(found, key.value);
    if (adapter.secretsOf !== undefined) for (const secret of adapter.secretsOf(key)) add(found, secret);
    secrets = longestFirst(found);
    byAdapter.set(adapter, secrets);
  }
  return secrets;
}

/**
 * The scrubber of one attempt: the key's secrets (as the adapter knows them, `secretsOf`, else its
 * value), the values of credential headers of the request as sent, and credentials in its URL.
 * When the request carries nothing beyond the key's own secrets (the usual case: the key in a
 * header, as is or after `Bearer `), the key's list is used as it is, with nothing allocated.
 */
export function attemptScrubber(adapter: ProviderAdapter, key: ProviderKey | undefined, request: UpstreamHttpRequest): SecretScrubber {
  return new SecretScrubber(() => {
    const known = key === undefined ? NO_SECRETS : secretsOfKey(adapter, key);
    let extra: string[] | undefined;
    const headers = request.headers;
    for (const name in headers) {
      if (!CREDENTIAL_HEADER.test(name)) continue;
      const value = headers[name]!;
      if (known.includes(value) || (value.startsWith('Bearer ') && known.includes(value.slice(7)))) continue;
      addHeaderSecrets((extra ??= [...known]), value);
    }
    const url = request.url;
    if (url.includes('?')) {
      for (const match of url.matchAll(CREDENTIAL_QUERY)) {
        const value = match[2]!;
        add((extra ??= [...known]), value);
        try {
          add(extra, decodeURIComponent(value));
        } catch {
          // Not valid percent-encoding: the raw value is all there is.
        }
      }
    }
    return extra === undefined ? known : longestFirst(extra);
  });
}
