import type { AuditEntry } from './audit-entry.js';
import type { AuditListQuery } from './audit-store.js';

export function matchesAuditQuery(entry: AuditEntry, query: AuditListQuery): boolean {
  if (query.afterSeq !== undefined && entry.seq <= query.afterSeq) return false;
  if (query.beforeSeq !== undefined && entry.seq >= query.beforeSeq) return false;
  if (query.actor !== undefined && entry.actor !== query.actor) return false;
  if (query.action !== undefined && entry.action !== query.action) return false;
  if (query.target !== undefined && entry.target !== query.target) return false;
  return true;
}
