import { GatewayError, type GatewayOptions } from '../../spec/index.js';

/**
 * Small readers for untrusted JSON: each returns the value with its type, `undefined` when the
 * field is absent or null (OpenAI accepts null for every optional field), or throws
 * `invalid_request` naming the field's path.
 */
export type JsonObject = Record<string, unknown>;

export function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function requireObject(value: unknown, param: string): JsonObject {
  if (!isObject(value)) throw invalid(param, `\`${param}\` must be an object, got ${describe(value)}.`);
  return value;
}

export function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(param, `\`${param}\` must be a string, got ${describe(value)}.`);
  return value;
}

export function optionalString(value: unknown, param: string): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, param);
}

export function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(param, `\`${param}\` must be a boolean, got ${describe(value)}.`);
  return value;
}

export function optionalNumber(value: unknown, param: string, range?: { min?: number; max?: number }): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(param, `\`${param}\` must be a number, got ${describe(value)}.`);
  if (range?.min !== undefined && value < range.min) throw invalid(param, `\`${param}\` must be at least ${range.min}, got ${value}.`);
  if (range?.max !== undefined && value > range.max) throw invalid(param, `\`${param}\` must be at most ${range.max}, got ${value}.`);
  return value;
}

export function optionalInteger(value: unknown, param: string, min?: number): number | undefined {
  const number = optionalNumber(value, param);
  if (number === undefined) return undefined;
  if (!Number.isInteger(number)) throw invalid(param, `\`${param}\` must be an integer, got ${number}.`);
  if (min !== undefined && number < min) throw invalid(param, `\`${param}\` must be at least ${min}, got ${number}.`);
  return number;
}

export function requireArray(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(param, `\`${param}\` must be an array, got ${describe(value)}.`);
  return value;
}

/** Reads a number from a response (upstream) body: anything that is not a finite number is unknown. */
export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Where a decoded request keeps the gateway's own options and the body fields its codec does not model. */
interface Extras {
  gateway?: GatewayOptions;
  extra?: Record<string, unknown>;
  extraDialect?: string;
}

/**
 * The part every OpenAI-dialect operation decoder shares: the caller's per-request `fallbacks`, and
 * every field outside `modeled` kept in `extra` for an upstream that speaks `dialect`.
 */
export function readExtras(wire: Record<string, unknown>, modeled: ReadonlySet<string>, dialect: string, request: Extras): void {
  if (wire.fallbacks !== undefined && wire.fallbacks !== null) {
    request.gateway = { fallbacks: requireArray(wire.fallbacks, 'fallbacks').map((item, index) => requireString(item, `fallbacks[${index}]`)) };
  }
  for (const [key, value] of Object.entries(wire)) {
    if (modeled.has(key) || value === undefined) continue;
    (request.extra ??= {})[key] = value;
    request.extraDialect = dialect;
  }
}
