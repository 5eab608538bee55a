import { GatewayError } from '../../spec/index.js';
import { isRecord } from './wire-types.js';

/** Field readers for inbound bodies: each throws `invalid_request` naming the wire path at fault. */

export function invalidRequest(message: string, param: string | undefined): GatewayError {
  return new GatewayError('invalid_request', message, param === undefined ? {} : { param });
}

/**
 * A block's unsupported `type` → `invalid_request` naming it: `'<type>'` when it is a string; a
 * `type` that is not a string (an object, a number) is named as such, never turned into text
 * (`String({toString: 1})` throws).
 */
export function unsupportedType(value: unknown, param: string, message: (type: string) => string): GatewayError {
  if (typeof value === 'string') return invalidRequest(message(`'${value}'`), param);
  return invalidRequest(`${param} must be a string, got ${describe(value)}.`, param);
}

/** What a value is, for messages: `null`, `an array`, `an object`, `a number`, …, `nothing` when absent. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function requireRecord(value: unknown, param: string): Record<string, unknown> {
  if (!isRecord(value)) throw invalidRequest(`${param} must be an object.`, param);
  return value;
}

export function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalidRequest(`${param} must be a string.`, param);
  return value;
}

export function optionalString(value: unknown, param: string): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, param);
}

export function optionalNumber(value: unknown, param: string, minimum: number, maximum: number = Infinity): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidRequest(`${param} must be a number.`, param);
  if (value < minimum || value > maximum) throw invalidRequest(`${param} must be between ${minimum} and ${maximum}.`, param);
  return value;
}

export function optionalInteger(value: unknown, param: string, minimum: number): number | undefined {
  const number = optionalNumber(value, param, minimum);
  if (number !== undefined && !Number.isInteger(number)) throw invalidRequest(`${param} must be an integer.`, param);
  return number;
}

export function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`${param} must be a boolean.`, param);
  return value;
}

export function requireArray(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalidRequest(`${param} must be an array.`, param);
  return value;
}
