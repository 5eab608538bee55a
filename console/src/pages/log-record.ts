import type { RequestRecord } from '../../../src/observability/log/request-record.js';

/** A request log record as `GET /admin/logs` answers it (docs/observability.md, "The record"): a tool call's record also names its tool. */
export type LogRecord = RequestRecord & { tool?: string | null };
