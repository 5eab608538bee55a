import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load.js';
import { openSpendStore } from '../governance/open-spend-store.js';
import { formatReport, parseRangeBound, reconcile } from '../governance/reconcile.js';
import { withUnloggedSettlements } from '../governance/settlement-notes.js';
import type { LedgerCounter } from '../governance/spend-store.js';
import { openGovernanceStore } from '../governance/storage/open-governance-store.js';
import { createLogger } from '../lib/logger.js';
import { openLogStore } from '../observability/log/open-log-store.js';
import { openStorage } from '../storage/storage.js';

export interface ReconcileArguments {
  config: string;
  from: string | undefined;
  to: string | undefined;
  json: boolean;
}

/**
 * `tollgate reconcile --config <file> [--from <iso>] [--to <iso>] [--json]`: compares the spend
 * ledger the config names (the Redis ledger, or the counters the memory ledger saved in storage)
 * with the request log in the config's storage, budget window by budget window. Exit 0 when every
 * window agrees exactly, 1 when any differs (each printed), 2 on a bad config or range.
 *
 * On the memory ledger the stored counters are as of their last flush, saved with the journal
 * watermark of the request records they include: only records up to it are summed, so a running
 * gateway's unsaved counters and unwritten records do not show as differences.
 */
export async function runReconcile(args: ReconcileArguments): Promise<number> {
  let range: { from?: number; to?: number };
  try {
    const from = parseRangeBound('--from', args.from);
    const to = parseRangeBound('--to', args.to);
    range = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
  } catch (error) {
    process.stderr.write(`tollgate: ${(error as Error).message}\n`);
    return 2;
  }
  let config;
  try {
    config = await loadConfigFile(args.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (config.storage.type === 'memory') {
    process.stderr.write('tollgate: storage.type is memory, so there is no stored request log (nor stored spend) to reconcile.\n');
    return 2;
  }
  if (!config.observability.request_log) {
    process.stderr.write('tollgate: observability.request_log is off, so there is no request log to reconcile the spend ledger with.\n');
    return 2;
  }
  const logger = createLogger({ level: 'error', stream: process.stderr });
  const storage = await openStorage(config.storage);
  try {
    const logs = await openLogStore(storage, logger);
    try {
      const governance = await openGovernanceStore(storage);
      let counters: LedgerCounter[];
      let throughId: number | undefined;
      if (config.governance.spend_store.type === 'redis') {
        const ledger = await openSpendStore(config.governance.spend_store, logger, args.config);
        try {
          counters = await withUnloggedSettlements(ledger.store, await ledger.store.list('|usd|'), (requestIds) => logs.loggedRequestIds(requestIds));
        } finally {
          await ledger.close();
        }
      } else {
        throughId = await governance.loadJournalWatermark();
        counters = (await governance.loadSpendCounters()).map((counter) => ({ counter: counter.counter, used: counter.used, reserved: 0, credit: counter.credit, expired: counter.expired ?? 0, expiredCount: counter.expiredCount ?? 0 }));
      }
      const report = await reconcile(counters, (scope, fromMs, toMs) => logs.chargeSum(scope, fromMs, toMs, throughId), range);
      process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      return report.ok ? 0 : 1;
    } finally {
      await logs.close?.();
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    logger.flush();
    await storage.close();
  }
}
