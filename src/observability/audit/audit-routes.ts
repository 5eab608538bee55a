import type { HttpExchange, HttpRoute } from '../../http/http-route.js';
import { sendJson } from '../../http/respond.js';
import { GatewayError } from '../../spec/index.js';
import type { AuditLog } from './audit-log.js';
import { parseChainHead } from './chain-head.js';

function integer(exchange: HttpExchange, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = exchange.query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new GatewayError('invalid_request', `\`${name}\` must be an integer from ${min} to ${max}.`, { param: name });
  return value;
}

/** `GET /admin/audit` (entries, filterable, paged by seq) and `GET /admin/audit/verify` (to be wrapped with adminRoutes). */
export function auditRoutes(audit: AuditLog): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/audit',
      description: {
        tag: 'audit',
        summary: 'Audit log entries in chain order, filtered and paged by sequence number',
        query: [
          { name: 'after_seq', description: 'Entries after this sequence number' },
          { name: 'before_seq', description: 'Entries before this sequence number (with order=desc: the next page back)' },
          { name: 'limit', description: '1 to 1000 (100 by default)' },
          { name: 'actor', description: 'Who acted' },
          { name: 'action', description: 'What was done (`key.create`, `config.reload`, …)' },
          { name: 'target', description: 'What it was done to' },
          { name: 'order', description: 'asc (the default) or desc' },
        ],
      },
      async handler(exchange) {
        await audit.flush();
        const order = exchange.query.get('order') === 'desc' ? 'desc' : 'asc';
        const entries = await audit.store.list({
          afterSeq: integer(exchange, 'after_seq', undefined, 0, Number.MAX_SAFE_INTEGER),
          beforeSeq: integer(exchange, 'before_seq', undefined, 1, Number.MAX_SAFE_INTEGER),
          limit: integer(exchange, 'limit', 100, 1, 1000)!,
          actor: exchange.query.get('actor') ?? undefined,
          action: exchange.query.get('action') ?? undefined,
          target: exchange.query.get('target') ?? undefined,
          order,
        });
        sendJson(exchange.response, 200, { entries });
      },
    },
    {
      method: 'GET',
      path: '/admin/audit/verify',
      description: { tag: 'audit', summary: "Checks the hash chain from its start (and that it reaches a head you kept)", query: [{ name: 'expect_head', description: '`<seq>:<hash>` of a head recorded earlier' }] },
      async handler(exchange) {
        const expected = exchange.query.get('expect_head');
        const verdict = await audit.verify(expected === null || expected === '' ? undefined : parseChainHead(expected, 'expect_head'));
        sendJson(exchange.response, 200, { ok: verdict.ok, entries: verdict.entries, first_bad_seq: verdict.firstBadSeq, reason: verdict.reason, head_seq: verdict.head?.seq ?? null, head_hash: verdict.head?.hash ?? null });
      },
    },
  ];
}
