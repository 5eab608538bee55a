import type { RequestContext, RequestCost } from '../pipeline/context.js';
import type { RequestObserver } from '../pipeline/hooks.js';
import type { Logger } from '../lib/logger.js';

/**
 * One structured log line per pipeline request (never content, never secrets): `request_id`,
 * `method`, `path`, `status`, `latency_ms`, `model`, `provider`, `upstream_model`, `attempts`,
 * `stream`, `virtual_key_id`, `input_tokens`, `output_tokens`, `cost_usd`, and on failure
 * `error_code`, `error` (and `cause` for internal errors). Absent values are left out.
 * The fields are written straight to JSON text (see `Logger.fieldsJson`): they are known in advance,
 * and going through an object and a generic serializer cost about 1% of a request's CPU.
 */
export function accessLogObserver(logger: Logger): RequestObserver {
  return {
    onRequestEnd(context: RequestContext) {
      const served = context.served;
      const latency = (context.endedAt ?? performance.now()) - context.startedAt;
      let line =
        `"request_id":${jsonString(context.id)}${text('method', context.method)}${text('path', context.path)}` +
        `,"status":${context.status},"latency_ms":${hundredths(latency)}` +
        text('model', context.requestedModel) +
        text('provider', served?.provider.name) +
        text('upstream_model', served?.model) +
        `,"attempts":${context.attempts.length},"stream":${context.stream}` +
        text('virtual_key_id', context.principal?.keyId) +
        count('input_tokens', context.usage?.inputTokens) +
        count('output_tokens', context.usage?.outputTokens) +
        costMember(context.cost);
      const error = context.error;
      if (error !== undefined) {
        line += `${text('error_code', error.code)},"error":${JSON.stringify(error.message)}`;
        if (error.code === 'internal_error') {
          // The cause may be anything (an Error, an object): the generic line serializes it.
          logger.warn('request failed', { ...JSON.parse(`{${line}}`), cause: error.cause });
          return;
        }
      }
      logger.fieldsJson(context.status >= 500 ? 'warn' : 'info', context.status >= 500 ? 'request failed' : 'request', line);
    },
  };
}

/**
 * `,"name":"value"` with the value JSON-escaped. The same few values (method, path, provider,
 * model, key id) come back on almost every line: their members are kept, up to a bound, instead of
 * escaped and joined again per request.
 */
const MEMBERS_KEPT = 4096;
const members = new Map<string, Map<string, string>>();

function text(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  let byValue = members.get(name);
  if (byValue === undefined) members.set(name, (byValue = new Map()));
  let member = byValue.get(value);
  if (member === undefined) {
    member = `,"${name}":${JSON.stringify(value)}`;
    if (byValue.size >= MEMBERS_KEPT) byValue.clear();
    byValue.set(value, member);
  }
  return member;
}

/**
 * The cost as its exact decimal text when the pricing gave one (a valid JSON number, and the
 * amount itself rather than the nearest double): turning a fraction like 0.0000072 into text is
 * V8's slow general conversion, a third of this line's cost.
 */
function costMember(cost: RequestCost | undefined): string {
  if (cost === undefined || !cost.known) return '';
  return cost.exact !== undefined && EXACT_DECIMAL.test(cost.exact) ? `,"cost_usd":${cost.exact}` : count('cost_usd', cost.usd);
}

const EXACT_DECIMAL = /^\d+(?:\.\d+)?$/;

/** A finite number as JSON (non-finite ones, which JSON cannot hold, are left out like absent ones). */
function count(name: string, value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : `,"${name}":${value}`;
}

/** Request ids are tokens (see request-id.ts) that JSON needs no escapes for; anything else is escaped. */
const PLAIN_TOKEN = /^[A-Za-z0-9._:-]*$/;

function jsonString(value: string): string {
  return PLAIN_TOKEN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * Milliseconds to two decimals, as JSON: written from whole numbers, which V8 turns into text from a
 * cache, where a fraction takes its slow general conversion.
 */
function hundredths(ms: number): string {
  const total = Math.round(ms * 100);
  if (!(total >= 0 && total <= 0x3fffffff)) return String(Math.round(ms * 100) / 100);
  const whole = Math.floor(total / 100);
  const fraction = total - whole * 100;
  if (fraction === 0) return `${whole}`;
  if (fraction < 10) return `${whole}.0${fraction}`;
  return fraction % 10 === 0 ? `${whole}.${fraction / 10}` : `${whole}.${fraction}`;
}
