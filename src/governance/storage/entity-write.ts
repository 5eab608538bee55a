import type { EntityWriteResult, StoredEntity } from './governance-store.js';

/**
 * Thrown inside a store's write transaction to roll it back when nothing is to be written (the
 * entity is missing or at another version), carrying the answer out of it.
 */
export class Unchanged extends Error {
  constructor(readonly result: EntityWriteResult | undefined) {
    super('unchanged');
  }
}

/** An insert that found the entity there already. */
export const UNCHANGED = new Unchanged(undefined);

/** Turns an Unchanged back into its answer (`fallback` for one without); rethrows anything else. */
export function unchanged<T>(fallback?: T): (error: unknown) => T {
  return (error) => {
    if (!(error instanceof Unchanged)) throw error;
    return (error.result ?? fallback) as T;
  };
}

/** Whether a conditional write may go ahead on `found` (the stored entity, if any) when it expects version `expected`. */
export function refusal(found: StoredEntity | undefined, expected: number | undefined): EntityWriteResult {
  if (found === undefined) return { status: 'missing' };
  if (expected !== undefined && found.version !== expected) return { status: 'conflict', current: found.version };
  return { status: 'written', entity: found };
}
