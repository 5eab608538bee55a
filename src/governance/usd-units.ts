import { FEMTO_PER_NANO, nanoFromFemto, usdNumber, type FemtoUsd } from '../pricing/money.js';
import type { RequestCost } from '../pipeline/context.js';

/**
 * The spend ledger counts USD in whole nano-USD (10⁻⁹ USD): integers add exactly (as doubles up to
 * 2^53, about $9 million per counter window; in Redis with HINCRBY), where floats drifted.
 * A request is charged its exact cost (femto-USD, see pricing/money.ts) rounded half up to nano-USD,
 * once; the request log records that same charge, so a budget's counter equals the sum of its
 * requests' charges exactly (`tollgate reconcile`).
 */
export const NANO_PER_USD = 1e9;

/** A USD amount from config or an estimate (`10.5`, `0.000123`) → whole nano-USD, rounded. */
export function nanoUsd(usd: number): number {
  return Number.isFinite(usd) ? Math.round(usd * NANO_PER_USD) : usd;
}

/** What a request with a known cost is charged: its exact amount rounded half up to nano-USD. */
export function chargeOfCost(cost: RequestCost): number {
  const femto = cost.femtoUsd;
  if (femto === undefined) return nanoUsd(cost.usd);
  // A request's cost is almost always below 2^53 femto-USD (about $9): there, integer arithmetic on
  // doubles is exact, and the per-request path divides no bigint.
  if (femto >= 0n && femto <= MAX_SAFE_FEMTO) return nanoOfSafeFemto(Number(femto));
  return Number(nanoFromFemto(femto));
}

const MAX_SAFE_FEMTO = BigInt(Number.MAX_SAFE_INTEGER);
const FEMTO_PER_NANO_NUMBER = 1e6;

/** A non-negative safe integer of femto-USD → nano-USD rounded half up, exactly (as nanoFromFemto). */
export function nanoOfSafeFemto(femto: number): number {
  let quotient = Math.floor(femto / FEMTO_PER_NANO_NUMBER);
  // The division rounds; the remainder, computed exactly, puts the quotient right.
  let remainder = femto - quotient * FEMTO_PER_NANO_NUMBER;
  while (remainder < 0) {
    quotient--;
    remainder += FEMTO_PER_NANO_NUMBER;
  }
  while (remainder >= FEMTO_PER_NANO_NUMBER) {
    quotient++;
    remainder -= FEMTO_PER_NANO_NUMBER;
  }
  return remainder * 2 >= FEMTO_PER_NANO_NUMBER ? quotient + 1 : quotient;
}

/** Nano-USD → exact femto-USD. */
export function femtoOfNano(nano: number): FemtoUsd {
  return BigInt(Math.round(nano)) * FEMTO_PER_NANO;
}

/** Nano-USD → the nearest double of the USD amount (for JSON and messages). */
export function usdOfNano(nano: number): number {
  return Number.isFinite(nano) ? usdNumber(femtoOfNano(nano)) : nano;
}
