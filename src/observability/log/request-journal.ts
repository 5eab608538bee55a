import type { RequestJournal } from '../../pipeline/capabilities.js';
import type { LogWriter } from './log-writer.js';
import type { NumberedLogStore } from './log-store.js';

/**
 * The request log as a journal (REQUEST_JOURNAL). `baseline`: the store's highest id when this run
 * began, read before its first batch; replay reads only below it, so what this run logs itself
 * (and the ledger already counted) is never charged twice, however late the replay runs.
 */
export function requestJournal(store: NumberedLogStore, writer: LogWriter, baseline: number): RequestJournal {
  return {
    mark: () => writer.positions.accepted,
    durable: (mark) => writer.durable(mark),
    spendAfter: (watermark) => store.spendBetween(watermark, baseline),
  };
}
