import type { ChargeScope } from '../../pipeline/capabilities.js';
import type { SqlValue } from '../../storage/sql-database.js';
import type { RequestRecord } from './request-record.js';

/**
 * Which records carry a scope's ledger charges. A key, team or customer is charged by each of its
 * requests (the request record holds the sum of its attempts' charges). A provider's budgets are
 * charged per attempt: a request with one attempt has no attempt record, so its request record
 * stands for it; a request with several is counted through its attempt records.
 */
export function chargeConditions(scope: ChargeScope, fromMs: number, toMs: number, throughId: number | undefined): { sql: string; params: SqlValue[] } {
  const clauses = ['charged_nano_usd is not null', 'ts >= ?'];
  const params: SqlValue[] = [fromMs];
  if (Number.isFinite(toMs)) {
    clauses.push('ts < ?');
    params.push(toMs);
  }
  if (throughId !== undefined) {
    clauses.push('id <= ?');
    params.push(throughId);
  }
  if (scope.provider === undefined) clauses.push("kind = 'request'");
  else {
    clauses.push("provider = ? and (kind = 'attempt' or (kind = 'request' and attempts <= 1))");
    params.push(scope.provider);
  }
  for (const [column, value] of [['virtual_key_id', scope.key], ['team_id', scope.team], ['customer_id', scope.customer]] as const) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    params.push(value);
  }
  return { sql: clauses.join(' and '), params };
}

/** chargeConditions for a record in memory. */
export function chargedIn(record: RequestRecord, scope: ChargeScope, fromMs: number, toMs: number): boolean {
  if (record.charged_nano_usd === null || record.charged_nano_usd === undefined) return false;
  const ts = Date.parse(record.timestamp);
  if (ts < fromMs || ts >= toMs) return false;
  if (scope.provider === undefined) {
    if (record.kind !== 'request') return false;
  } else if (record.provider !== scope.provider || (record.kind === 'request' && record.attempts > 1)) return false;
  if (scope.key !== undefined && record.virtual_key_id !== scope.key) return false;
  if (scope.team !== undefined && record.team_id !== scope.team) return false;
  if (scope.customer !== undefined && record.customer_id !== scope.customer) return false;
  return true;
}
