import type { Principal } from '../pipeline/context.js';
import type { BatchSummary } from './batch-input.js';

/** Where a file lives when the gateway keeps it itself (gateway-run batches' input and output files). */
export const GATEWAY_PROVIDER = 'gateway';

/** A file the gateway knows of: who owns it and where it is kept. */
export interface FileRecord {
  readonly id: string;
  /** The owner's virtual key id; null when the gateway runs without keys. */
  readonly owner: string | null;
  readonly team: string | null;
  /** The provider that keeps it, or `gateway`. */
  readonly provider: string;
  /** OpenAI's file object, as the provider (or the gateway) answered it at upload. */
  readonly object: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  /** Its lines' estimates, for a file uploaded with purpose `batch` (read once, at upload). */
  readonly summary?: BatchSummary;
  /**
   * The model calls about it at its provider are authorized by (a batch input's first line's, a
   * batch output's batch's), so that a key allowed only that model may use it; absent: `*`.
   */
  readonly model?: string;
}

/** Where a batch runs: the provider's OpenAI Batch API, the gateway itself, or the provider's own batch API it is translated to. */
export type BatchMode = 'native' | 'gateway' | 'translated';

/** A batch the gateway knows of: its owner, where it runs, its last known OpenAI batch object. */
export interface BatchRecord {
  readonly id: string;
  readonly owner: string | null;
  readonly team: string | null;
  /** The caller who submitted it, as its lines run and are logged (the key's id, team, customer, tags). */
  readonly principal: Principal | undefined;
  /** The provider it runs at (native), or the provider the worst case was held on (gateway-run). */
  readonly provider: string;
  readonly mode: BatchMode;
  /** The provider's id of a translated batch (its own batch API's). */
  readonly upstreamId?: string;
  /** OpenAI's batch object, as last seen. */
  object: Record<string, unknown>;
  /** What its worst case was at submission, in USD. */
  readonly worstUsd: number;
  /** Whether its lines were priced, logged and charged (native batches, once done). */
  settled: boolean;
  readonly createdAt: number;
}

export type LineState = 'pending' | 'done' | 'failed';

/** One request of a gateway-run batch. */
export interface BatchLine {
  readonly index: number;
  readonly customId: string;
  /** The line's `body`, as JSON text. */
  readonly body: string;
  state: LineState;
  /** Its line of the output (done) or error (failed) file, as JSON text. */
  output: string | null;
}

/** Whether `principal` may see a record owned by `owner` of `team`: its own, or its team's when files are shared. */
export function visibleTo(record: { owner: string | null; team: string | null }, principal: Principal | undefined, shareWithTeam: boolean): boolean {
  if (principal === undefined) return record.owner === null;
  if (record.owner === principal.keyId) return true;
  return shareWithTeam && record.team !== null && record.team === (principal.teamId ?? null);
}
