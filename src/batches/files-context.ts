import type { BatchesConfig, FilesConfig } from '../config/files-batches-schema.js';
import type { ProviderConfig } from '../config/provider-schema.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { HttpExchange } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { BudgetHolder, GatewayRequests } from '../pipeline/capabilities.js';
import type { RequestContext } from '../pipeline/context.js';
import type { CostCalculator } from '../pipeline/cost.js';
import type { PlanResolver } from '../pipeline/plan-resolver.js';
import type { ProviderInstance } from '../providers/instance.js';
import type { GatewayError } from '../spec/index.js';
import type { BatchStore } from './batch-store.js';
import type { OwnerScope } from './batch-store.js';

/** What the files and batches routes read, replaced as a whole on reload. */
export interface FilesSettings {
  readonly files: FilesConfig;
  readonly batches: BatchesConfig;
  readonly providerConfigs: Readonly<Record<string, ProviderConfig>>;
  readonly providers: ReadonlyMap<string, ProviderInstance>;
  readonly resolver: PlanResolver;
  readonly costs: CostCalculator | undefined;
  readonly unpricedRequestUsd: number;
  readonly idleTimeoutMs: number;
}

/** The shared parts of the files and batches routes. */
export interface FilesContext {
  readonly store: BatchStore;
  settings(): FilesSettings;
  requests(): GatewayRequests;
  /** Governance's budget holds; undefined when governance is off. */
  holds(): BudgetHolder | undefined;
}

/** The records a caller sees: its key's own, and its team's with `files.share_with_team`. */
export function scopeOf(context: RequestContext, settings: FilesSettings): OwnerScope {
  const principal = context.principal;
  if (principal === undefined) return { owner: null };
  return settings.files.share_with_team && principal.teamId !== undefined ? { owner: principal.keyId, team: principal.teamId } : { owner: principal.keyId };
}

/** An answer the gateway gives itself: costs nothing, and says so. */
export function freeAnswer(context: RequestContext): void {
  context.cost = { usd: 0, known: true, femtoUsd: 0n, exact: '0' };
  context.responseHeaders['x-tollgate-cost'] = '0';
}

export function sendOpenAIJson(exchange: HttpExchange, context: RequestContext, body: unknown): void {
  sendJson(exchange.response, 200, body, context.responseHeaders);
}

export function sendOpenAIError(exchange: HttpExchange, context: RequestContext, error: GatewayError): void {
  sendError(exchange.response, error, encodeOpenAIError, context.responseHeaders);
}

/** OpenAI's list envelope over records newest first, paged by `after` (an id) and `limit`. */
export function listPage(data: readonly Record<string, unknown>[], query: URLSearchParams, defaultLimit: number): Record<string, unknown> {
  const limit = Math.min(10_000, Math.max(1, Number.parseInt(query.get('limit') ?? '', 10) || defaultLimit));
  const after = query.get('after');
  let start = 0;
  if (after !== null) {
    const at = data.findIndex((item) => item.id === after);
    start = at < 0 ? data.length : at + 1;
  }
  const page = data.slice(start, start + limit);
  return { object: 'list', data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: start + limit < data.length };
}
