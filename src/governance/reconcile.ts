import type { ChargeScope, ChargeSum } from '../pipeline/capabilities.js';
import { formatUsd } from '../pricing/money.js';
import { GatewayError } from '../spec/index.js';
import { windowOf } from './periods.js';
import type { LedgerCounter } from './spend-store.js';
import { femtoOfNano } from './usd-units.js';

/**
 * Reconciliation: the spend ledger's settled amount of every budget window (key, team, customer,
 * a key's provider, a provider) against the sum of the ledger charges its request log records
 * carry (`charged_nano_usd`). Both count whole nano-USD, so they are equal exactly, or the window is
 * named as a difference. What may legitimately tell them apart is handled here or documented in
 * docs/governance.md ("Reconciliation"):
 * - reservations in flight are `reserved`, never `used`: they are not compared (shown as `in_flight_usd`);
 * - reservations that expired unsettled (a replica killed mid-request) were charged their estimate
 *   with no request record: the ledger keeps that part apart (`expired`), the comparison leaves it
 *   out and the window lists it as explained;
 * - settlements of a shared ledger (Redis) whose request records a replica never stored (it was
 *   killed between settling and its log's next batch) stay noted in the ledger (SettlementNotes):
 *   the comparison leaves them out too, and the window lists them as explained (`unlogged_usd`);
 * - records not yet written (the log writes in batches) are flushed first by the admin endpoint;
 *   the CLI on the memory ledger compares only the records the stored counters include (the
 *   journal watermark saved with them).
 */

/** One budget window as reconciled. Amounts are exact decimal USD text; `*_nano_usd` the same in nano-USD. */
export interface ReconciledWindow {
  counter: string;
  level: 'key' | 'team' | 'customer' | 'key_provider' | 'provider';
  entity: string;
  provider: string | null;
  period: string;
  rolling: boolean;
  window_start: string;
  window_end: string | null;
  /** The ledger's settled spend less what expired reservations and unlogged settlements charged. */
  ledger_usd: string;
  log_usd: string;
  /** ledger − log. */
  difference_usd: string;
  ledger_nano_usd: number;
  log_nano_usd: number;
  difference_nano_usd: number;
  /** Request (or attempt) records charged in the window. */
  records: number;
  /** Charged by reservations that expired unsettled; not in `ledger_usd`. */
  expired_usd: string;
  expired_reservations: number;
  /** Settled by requests whose records their replica never stored (it died first); not in `ledger_usd`. */
  unlogged_usd: string;
  unlogged_requests: number;
  /** Reserved by requests in flight (never compared). */
  in_flight_usd: string;
}

export interface ReconcileReport {
  ok: boolean;
  from: string | null;
  to: string | null;
  /** Budget windows compared. */
  checked: number;
  differences: ReconciledWindow[];
  /** Windows that agree once expired reservations' charges are set apart. */
  explained: ReconciledWindow[];
}

/** Where the log's charges are summed, and which stored records count (a journal watermark). */
export type ChargeSummer = (scope: ChargeScope, fromMs: number, toMs: number) => Promise<ChargeSum>;

interface ParsedCounter {
  scope: string;
  charge: ChargeScope;
  level: ReconciledWindow['level'];
  entity: string;
  provider: string | null;
  period: string | undefined;
  rolling: boolean;
  start: number;
  end: number;
}

/** `key:k1/provider:openai|usd|1d|1767225600000` → its scope and window; undefined when it is not a USD budget counter. */
export function parseBudgetCounter(counter: string): ParsedCounter | undefined {
  const parts = counter.split('|');
  if (parts.length < 4 || parts[parts.length - 3] !== 'usd') return undefined;
  const start = Number(parts[parts.length - 1]);
  let period: string | undefined = parts[parts.length - 2]!;
  const scope = parts.slice(0, -3).join('|');
  if (!Number.isFinite(start)) return undefined;
  const rolling = period !== 'lifetime' && period.endsWith('r');
  if (rolling) period = period.slice(0, -1);
  if (period === 'lifetime') period = undefined;
  let window;
  try {
    window = windowOf(period, start, rolling, start);
  } catch {
    return undefined;
  }
  const [head, sub] = scope.split('/provider:') as [string, string | undefined];
  const colon = head.indexOf(':');
  if (colon < 0) return undefined;
  const kind = head.slice(0, colon);
  const id = head.slice(colon + 1);
  let charge: ChargeScope;
  let level: ReconciledWindow['level'];
  if (sub !== undefined) {
    if (kind !== 'key') return undefined;
    charge = { key: id, provider: sub };
    level = 'key_provider';
  } else if (kind === 'key') [charge, level] = [{ key: id }, 'key'];
  else if (kind === 'team') [charge, level] = [{ team: id }, 'team'];
  else if (kind === 'customer') [charge, level] = [{ customer: id }, 'customer'];
  else if (kind === 'provider') [charge, level] = [{ provider: id }, 'provider'];
  else return undefined;
  return { scope, charge, level, entity: id, provider: charge.provider ?? null, period, rolling, start: window.start, end: window.end };
}

/**
 * Compares every USD budget counter whose window overlaps [from, to) (all when unbounded) with the
 * log's charges in that whole window.
 */
export async function reconcile(counters: readonly LedgerCounter[], sum: ChargeSummer, range: { from?: number; to?: number } = {}): Promise<ReconcileReport> {
  const from = range.from ?? Number.NEGATIVE_INFINITY;
  const to = range.to ?? Number.POSITIVE_INFINITY;
  const report: ReconcileReport = { ok: true, from: isoOrNull(range.from), to: isoOrNull(range.to), checked: 0, differences: [], explained: [] };
  const sorted = [...counters].sort((left, right) => (left.counter < right.counter ? -1 : left.counter > right.counter ? 1 : 0));
  for (const counter of sorted) {
    const parsed = parseBudgetCounter(counter.counter);
    if (parsed === undefined) continue;
    if (!(parsed.start < to && parsed.end > from)) continue;
    report.checked++;
    const logged = await sum(parsed.charge, parsed.start, parsed.end);
    const unlogged = counter.unlogged ?? 0;
    const ledger = counter.used - counter.expired - unlogged;
    const window: ReconciledWindow = {
      counter: counter.counter,
      level: parsed.level,
      entity: parsed.entity,
      provider: parsed.provider,
      period: parsed.period ?? 'lifetime',
      rolling: parsed.rolling,
      window_start: new Date(Math.max(parsed.start, 0)).toISOString(),
      window_end: Number.isFinite(parsed.end) ? new Date(parsed.end).toISOString() : null,
      ledger_usd: usd(ledger),
      log_usd: usd(logged.nanoUsd),
      difference_usd: usd(ledger - logged.nanoUsd),
      ledger_nano_usd: ledger,
      log_nano_usd: logged.nanoUsd,
      difference_nano_usd: ledger - logged.nanoUsd,
      records: logged.records,
      expired_usd: usd(counter.expired),
      expired_reservations: counter.expiredCount,
      unlogged_usd: usd(unlogged),
      unlogged_requests: counter.unloggedCount ?? 0,
      in_flight_usd: usd(counter.reserved),
    };
    if (window.difference_nano_usd !== 0) report.differences.push(window);
    else if (counter.expired !== 0 || unlogged !== 0) report.explained.push(window);
  }
  report.ok = report.differences.length === 0;
  return report;
}

/** The report as text: one line per difference (and per explained window), then the verdict. */
export function formatReport(report: ReconcileReport): string {
  const lines: string[] = [];
  const range = report.from === null && report.to === null ? 'all windows' : `windows overlapping ${report.from ?? '-∞'} .. ${report.to ?? '∞'}`;
  for (const window of report.differences) {
    lines.push(
      `DIFFERENCE ${describe(window)}: ledger $${window.ledger_usd}, request log $${window.log_usd} (${window.records} records), difference $${window.difference_usd}` +
        (window.expired_reservations > 0 ? `; expired reservations charged $${window.expired_usd} more (${window.expired_reservations})` : ''),
    );
  }
  for (const window of report.explained) {
    const parts: string[] = [];
    if (window.expired_reservations > 0) parts.push(`$${window.expired_usd} charged by ${window.expired_reservations} expired reservation(s)`);
    if (window.unlogged_requests > 0) parts.push(`$${window.unlogged_usd} settled by ${window.unlogged_requests} request(s) whose replica stopped before logging them`);
    lines.push(`explained ${describe(window)}: ledger $${window.ledger_usd} = request log $${window.log_usd} (${window.records} records), plus ${parts.join(' and ')}`);
  }
  lines.push(
    report.ok
      ? `reconciled: ${report.checked} budget window(s) (${range}) agree with the request log exactly`
      : `NOT reconciled: ${report.differences.length} of ${report.checked} budget window(s) (${range}) differ from the request log`,
  );
  return `${lines.join('\n')}\n`;
}

function describe(window: ReconciledWindow): string {
  const who = window.level === 'key_provider' ? `key ${window.entity} provider ${window.provider}` : `${window.level} ${window.entity}`;
  const period = window.rolling ? `${window.period} rolling` : window.period;
  return `${who} ${period} window ${window.window_start} .. ${window.window_end ?? '∞'} [${window.counter}]`;
}

function usd(nano: number): string {
  return formatUsd(femtoOfNano(nano));
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** `from`/`to` as given to the CLI or the endpoint (ISO 8601 or epoch ms); a clear error otherwise. */
export function parseRangeBound(name: string, value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new GatewayError('invalid_request', `\`${name}\` must be an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(value.slice(0, 64))}.`);
  return ms;
}
