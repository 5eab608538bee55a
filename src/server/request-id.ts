import { randomUUID } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

/** Reuses the caller's `x-request-id` when it is a sane token; otherwise makes one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SAFE_ID.test(value) ? value : randomUUID();
}
