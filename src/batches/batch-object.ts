import { randomBytes } from 'node:crypto';

/** OpenAI's batch statuses the gateway ends a batch in; a native batch in one of them is settled. */
export const TERMINAL_STATUSES = ['completed', 'failed', 'expired', 'cancelled'];

export function newBatchId(): string {
  return `batch_tg${randomBytes(12).toString('hex')}`;
}

/** The seconds OpenAI's objects count time in. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export interface BatchCreation {
  readonly input_file_id: string;
  readonly endpoint: string;
  readonly completion_window: string;
  readonly metadata?: Record<string, string> | null;
}

/** OpenAI's batch object of a batch the gateway runs, as created (status `validating`). */
export function gatewayBatchObject(id: string, creation: BatchCreation, total: number): Record<string, unknown> {
  const created = nowSeconds();
  return {
    id,
    object: 'batch',
    endpoint: creation.endpoint,
    errors: null,
    input_file_id: creation.input_file_id,
    completion_window: creation.completion_window,
    status: 'validating',
    output_file_id: null,
    error_file_id: null,
    created_at: created,
    in_progress_at: null,
    expires_at: created + 24 * 3600,
    finalizing_at: null,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total, completed: 0, failed: 0 },
    metadata: creation.metadata ?? null,
  };
}
