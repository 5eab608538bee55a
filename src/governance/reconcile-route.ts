import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import type { RequestCharges } from '../pipeline/capabilities.js';
import { GatewayError } from '../spec/index.js';
import { withUnloggedSettlements } from './settlement-notes.js';
import { parseRangeBound, reconcile, type ReconcileReport } from './reconcile.js';
import type { LedgerCounter, SpendStore } from './spend-store.js';
import type { GovernanceStore } from './storage/governance-store.js';

/** How long a second look waits when the first found differences (requests between settling and logging). */
const SETTLE_PAUSE_MS = 250;

export interface ReconcileSources {
  spend: SpendStore;
  /** Whether the ledger is kept by the counter flush (the memory ledger): ended windows it forgot are read from storage. */
  keptByFlush: boolean;
  store: GovernanceStore;
  /** Saves changed counters (the memory ledger's flush). */
  flushLedger(): Promise<void>;
  charges(): RequestCharges | undefined;
}

/** Every USD budget counter: the live ledger's, and (memory ledger) the stored ones of windows it no longer holds. */
export async function ledgerCounters(sources: Pick<ReconcileSources, 'spend' | 'keptByFlush' | 'store'>): Promise<LedgerCounter[]> {
  const live = await sources.spend.list('|usd|');
  if (!sources.keptByFlush) return live;
  const names = new Set(live.map((counter) => counter.counter));
  const stored = await sources.store.loadSpendCounters();
  for (const counter of stored) {
    if (names.has(counter.counter)) continue;
    live.push({ counter: counter.counter, used: counter.used, reserved: 0, credit: counter.credit, expired: counter.expired ?? 0, expiredCount: counter.expiredCount ?? 0 });
  }
  return live;
}

/**
 * Reconciles in the running gateway: the request log's pending records are written first; when
 * windows still differ (a request between settling its spend and having its record enqueued), it
 * looks once more after a pause, and answers that second look.
 */
export async function reconcileLive(sources: ReconcileSources, range: { from?: number; to?: number }): Promise<ReconcileReport> {
  const charges = sources.charges();
  if (charges === undefined) throw new GatewayError('reconcile_unavailable', 'The request log is off (observability.request_log: false): there is nothing to reconcile the spend ledger with.');
  const look = async () => {
    await charges.flush();
    await sources.flushLedger();
    const counters = await withUnloggedSettlements(sources.spend, await ledgerCounters(sources), (requestIds) => charges.logged(requestIds));
    return reconcile(counters, (scope, fromMs, toMs) => charges.sum(scope, fromMs, toMs), range);
  };
  const first = await look();
  if (first.ok) return first;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS));
  return look();
}

/** `GET /admin/reconcile?from=&to=` (to be wrapped with `adminRoutes`). */
export function reconcileRoutes(sources: ReconcileSources): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/reconcile',
      description: {
        tag: 'reconcile',
        summary: 'Prove the spend ledger of every budget window equals the sum of its request-log charges, and name each difference',
        answer: 'ReconcileReport',
        query: [
          { name: 'from', description: 'Only budget windows that end after this time (ISO 8601 or epoch ms).' },
          { name: 'to', description: 'Only budget windows that start before this time (ISO 8601 or epoch ms).' },
        ],
      },
      handler: async (exchange) => {
        const range = { from: parseRangeBound('from', exchange.query.get('from')), to: parseRangeBound('to', exchange.query.get('to')) };
        const report = await reconcileLive(sources, { ...(range.from === undefined ? {} : { from: range.from }), ...(range.to === undefined ? {} : { to: range.to }) });
        sendJson(exchange.response, 200, report);
      },
    },
  ];
}
