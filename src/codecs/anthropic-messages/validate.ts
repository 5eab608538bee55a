import { GatewayError } from '../../spec/index.js';
import { isRecord } from './wire-types.js';

/** Field readers for inbound bodies: each throws `invalid_request` naming the wire path at fault. */

export function invalidRequest(message: string, param: string | undefined): GatewayError {
  return new GatewayError('invalid_request', message, param === undefined ? {} : { param });
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
