/** One stored response, as the stores keep it (content already sealed when encryption is on). */
export interface StoredRow {
  id: string;
  /** The virtual key id that created it; `''` when the gateway runs without virtual keys. */
  owner: string;
  /** The response object's `status`: `queued`, `in_progress`, `completed`, `incomplete`, `failed`, `cancelled`. */
  status: string;
  background: boolean;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
  /** The response object as JSON (or its sealed form). */
  response: string;
  /** The input items (the whole conversation it answered) as a JSON array (or its sealed form). */
  inputItems: string;
}

/**
 * Where stored responses live: memory (tests), the SQLite file or PostgreSQL (shared by replicas).
 * Rows past `expiresAt` are never returned and are deleted by `purge`.
 */
export interface ResponseStore {
  insert(row: StoredRow): Promise<void>;
  get(id: string, now: number): Promise<StoredRow | undefined>;
  /** Replaces the status and response object while the status is one of `from`; false when it was not. */
  finish(id: string, from: readonly string[], status: string, response: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Deletes expired rows; returns how many. */
  purge(now: number): Promise<number>;
}

/** Statuses of a response still running. */
export const RUNNING = ['queued', 'in_progress'] as const;
