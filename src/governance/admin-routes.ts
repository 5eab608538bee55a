import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { ProviderConfig } from '../config/provider-schema.js';
import type { ProviderDefinitionView } from '../pipeline/capabilities.js';
import type { RouteDescription } from '../http/route-description.js';
import type { HttpExchange, HttpMethod, HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import { GatewayError } from '../spec/index.js';
import { adminActorOf } from '../admin/admin-auth.js';
import { customerSchema, editable, keyBodySchema, keyCreateSchema, keyView, parseBody, providerLimitsSchema, rotateSchema, teamSchema, topUpSchema } from './admin-bodies.js';
import type { BudgetConfig } from '../config/governance-schema.js';
import type { CustomerRecord, KeyRecord, TeamRecord } from './entities.js';
import type { GovernanceService } from './governance-service.js';
import { counterName } from './limit-lines.js';
import { windowOf } from './periods.js';
import type { EntityRegistry } from './registry.js';
import type { SpendStore } from './spend-store.js';
import { entityUsage, keyUsage } from './usage-report.js';
import { nanoUsd } from './usd-units.js';

/** A governance admin route and its description: the document is made from the routes themselves. */
export interface AdminRoute extends HttpRoute {
  readonly description: RouteDescription;
}

export interface AdminRouteDependencies {
  service: GovernanceService;
  registry: EntityRegistry;
  spend: SpendStore;
  now: () => number;
  /** The configured providers (their config budgets and limits), as of the latest config reload. */
  providers: () => Readonly<Record<string, ProviderConfig>>;
  /** Each provider's definition and where it comes from (the gateway's `PROVIDER_DEFINITIONS`), when known. */
  definitionOf?: (name: string) => ProviderDefinitionView | undefined;
}

/** The governance admin API (to be wrapped with `adminRoutes(admin, …)`). */
export function governanceAdminRoutes({ service, registry, spend, now, providers: configuredProviders, definitionOf }: AdminRouteDependencies): AdminRoute[] {
  const stamp = () => new Date(now()).toISOString();
  const routes: AdminRoute[] = [];
  // The handler gets what the description's body schema parses to (undefined without one).
  const route = <Schema extends z.ZodType = z.ZodUndefined>(method: HttpMethod, path: string, description: RouteDescription & { body?: Schema }, handler: (exchange: HttpExchange, body: z.output<Schema>) => Promise<unknown>) => {
    const status = description.status ?? 200;
    const schema = description.body;
    routes.push({
      method,
      path,
      description,
      handler: async (exchange) => {
        const body = (schema === undefined ? undefined : parseBody(schema, await (description.bodyOptional ? readOptionalJson(exchange) : exchange.readJson()))) as z.output<Schema>;
        const answer = await handler(exchange, body);
        if (status === 204) {
          exchange.response.writeHead(204).end();
          return;
        }
        // One entity answers with its version as its ETag too (for `If-Match` on the next write).
        const version = (answer as { version?: unknown } | undefined)?.version;
        sendJson(exchange.response, status, answer, typeof version === 'number' ? { etag: `"${version}"` } : {});
      },
    });
  };
  const afterSpendChange = () => service.flush().catch(() => {});

  // Virtual keys.
  route('GET', '/admin/keys', { tag: 'keys', summary: 'List keys', answer: 'VirtualKeyList' }, async () => ({ data: [...registry.keys.values()].map((entry) => keyView(entry.record)) }));
  route('GET', '/admin/keys/:id', { tag: 'keys', summary: 'Read one', answer: 'VirtualKey' }, async (exchange) => keyView(service.requireKey(exchange.params.id!)));
  route(
    'POST',
    '/admin/keys',
    { tag: 'keys', summary: 'Create a key; `value` in the answer is its secret, shown once', status: 201, answer: 'VirtualKey', body: keyCreateSchema },
    async (exchange, body) => {
      const id = body.id ?? `key_${randomBytes(8).toString('hex')}`;
      const { record, secret } = await service.as(adminActorOf(exchange.request)).createKey({ ...body, id, created_at: stamp(), source: 'api' });
      return { ...keyView(record), value: secret };
    },
  );
  route('PATCH', '/admin/keys/:id', { tag: 'keys', summary: PATCH_SUMMARY, answer: 'VirtualKey', patch: keyBodySchema }, async (exchange) => {
    const { patch, expected } = await readPatch(exchange);
    // Merged into the stored key, not this replica's copy: fields the patch leaves out keep what any replica last wrote.
    const record = await service.as(adminActorOf(exchange.request)).update<KeyRecord>('virtual_key', exchange.params.id!, expected, (existing) => {
      const merged = parseBody(keyBodySchema, { ...editable(existing, ['key_hash', 'previous_key_hash', 'previous_valid_until']), ...patch, id: existing.id });
      return { ...merged, key_hash: existing.key_hash, previous_key_hash: existing.previous_key_hash, previous_valid_until: existing.previous_valid_until, created_at: existing.created_at, source: existing.source };
    });
    return keyView(record);
  });
  route('DELETE', '/admin/keys/:id', { tag: 'keys', summary: DELETE_SUMMARY, status: 204 }, async (exchange) => service.as(adminActorOf(exchange.request)).deleteEntity('virtual_key', exchange.params.id!, expectedVersion(exchange, undefined)));
  route('POST', '/admin/keys/:id/rotate', { tag: 'keys', summary: 'New secret; the old one keeps working for grace_seconds (default 3600)', answer: 'VirtualKey', body: rotateSchema, bodyOptional: true }, async (exchange, { grace_seconds: grace }) => {
    const { record, secret } = await service.as(adminActorOf(exchange.request)).rotateKey(exchange.params.id!, grace, expectedVersion(exchange, undefined));
    return { ...keyView(record), value: secret };
  });
  route('GET', '/admin/keys/:id/usage', { tag: 'keys', summary: USAGE_SUMMARY, answer: 'Usage' }, async (exchange) => {
    const entry = registry.keys.get(exchange.params.id!);
    if (entry === undefined) throw new GatewayError('not_found', `No virtual key \`${exchange.params.id}\`.`);
    return { key: { id: entry.record.id, name: entry.record.name ?? null }, ...(await keyUsage(entry, registry, spend, now())) };
  });

  // Every budget of every key, team, customer and provider, the most used first: the console's "nearest their limit".
  route('GET', '/admin/budgets', { tag: 'budgets', summary: BUDGETS_SUMMARY, query: [{ name: 'limit', description: '1 to 1000 (20 by default)' }] }, async (exchange) => {
    const raw = exchange.query.get('limit');
    const limit = raw === null || raw === '' ? 20 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new GatewayError('invalid_request', '`limit` must be an integer from 1 to 1000.', { param: 'limit' });
    const entities: { level: 'key' | 'team' | 'customer' | 'provider'; entity: { id: string; budgets: BudgetConfig[]; created_at: string } }[] = [];
    for (const { record } of registry.keys.values()) if (record.budgets.length > 0) entities.push({ level: 'key', entity: record });
    for (const record of registry.teams.values()) if (record.budgets.length > 0) entities.push({ level: 'team', entity: record });
    for (const record of registry.customers.values()) if (record.budgets.length > 0) entities.push({ level: 'customer', entity: record });
    for (const name of Object.keys(configuredProviders())) {
      const view = providerView(name);
      if (view.budgets.length > 0) entities.push({ level: 'provider', entity: { id: name, budgets: view.budgets, created_at: new Date(0).toISOString() } });
    }
    const budgets = [];
    for (const { level, entity } of entities) {
      // Only the budgets: rate limits are not what this list ranks.
      for (const usage of (await entityUsage(level, { id: entity.id, budgets: entity.budgets, created_at: entity.created_at }, spend, now())).budgets) {
        const room = usage.max_usd + usage.credit_usd;
        budgets.push({ ...usage, used_fraction: room <= 0 ? 1 : Math.min(1, (usage.spent_usd + usage.reserved_usd) / room) });
      }
    }
    budgets.sort((left, right) => right.used_fraction - left.used_fraction || left.entity.localeCompare(right.entity));
    return { data: budgets.slice(0, limit), total: budgets.length };
  });

  // Teams and customers share the same shape of routes.
  for (const kind of ['team', 'customer'] as const) {
    const plural = `/admin/${kind}s`;
    const schema = kind === 'team' ? teamSchema : customerSchema;
    const find = (id: string): TeamRecord | CustomerRecord => (kind === 'team' ? service.requireTeam(id) : service.requireCustomer(id));
    const tag = `${kind}s`;
    const component = kind === 'team' ? 'Team' : 'Customer';
    route('GET', plural, { tag, summary: `List ${tag}`, answer: `${component}List` }, async () => ({ data: [...(kind === 'team' ? registry.teams : registry.customers).values()] }));
    route('GET', `${plural}/:id`, { tag, summary: 'Read one', answer: component }, async (exchange) => find(exchange.params.id!));
    route(
      'POST',
      plural,
      { tag, summary: `Create a ${kind}`, status: 201, answer: component, body: schema },
      async (exchange, body) => service.as(adminActorOf(exchange.request)).create<TeamRecord | CustomerRecord>(kind, { ...body, created_at: stamp(), source: 'api' as const }),
    );
    route('PATCH', `${plural}/:id`, { tag, summary: PATCH_SUMMARY, answer: component, patch: schema }, async (exchange) => {
      const { patch, expected } = await readPatch(exchange);
      return service.as(adminActorOf(exchange.request)).update<TeamRecord | CustomerRecord>(kind, exchange.params.id!, expected, (existing) => {
        const merged = parseBody(schema, { ...editable(existing), ...patch, id: existing.id });
        return { ...merged, created_at: existing.created_at, source: existing.source };
      });
    });
    route('DELETE', `${plural}/:id`, { tag, summary: DELETE_SUMMARY, status: 204 }, async (exchange) => service.as(adminActorOf(exchange.request)).deleteEntity(kind, exchange.params.id!, expectedVersion(exchange, undefined)));
    route('GET', `${plural}/:id/usage`, { tag, summary: USAGE_SUMMARY, answer: 'Usage' }, async (exchange) => {
      const entity = find(exchange.params.id!);
      return { [kind]: { id: entity.id, name: entity.name ?? null }, ...(await entityUsage(kind, entity, spend, now())) };
    });
  }

  // Spend reset and top-ups, for all three levels.
  for (const [kind, path] of [
    ['virtual_key', '/admin/keys'],
    ['team', '/admin/teams'],
    ['customer', '/admin/customers'],
  ] as const) {
    const scopeOf = (id: string) => (kind === 'virtual_key' ? `key:${id}` : `${kind}:${id}`);
    const entityOf = (id: string): KeyRecord | TeamRecord | CustomerRecord => (kind === 'virtual_key' ? service.requireKey(id) : kind === 'team' ? service.requireTeam(id) : service.requireCustomer(id));
    const tag = path.slice('/admin/'.length);
    route('POST', `${path}/:id/reset-spend`, { tag, summary: 'Zero the spend and counters of the current windows' }, async (exchange) => {
      const entity = entityOf(exchange.params.id!);
      await spend.resetScope(scopeOf(entity.id));
      await afterSpendChange();
      service.as(adminActorOf(exchange.request)).audit('spend.reset', scopeOf(entity.id), {});
      return { id: entity.id, reset: true };
    });
    route('POST', `${path}/:id/top-up`, { tag, summary: 'Add USD to a budget for its current window', body: topUpSchema }, async (exchange, body) => {
      const entity = entityOf(exchange.params.id!);
      const budget = pickBudget(entity.budgets, body.period);
      const anchor = Date.parse(entity.created_at);
      const window = windowOf(budget.period, now(), budget.rolling, anchor);
      await spend.addCredit(counterName(scopeOf(entity.id), 'usd', budget.period, budget.rolling, window.start), window.end, nanoUsd(body.amount_usd), now());
      await afterSpendChange();
      service.as(adminActorOf(exchange.request)).audit('budget.top_up', scopeOf(entity.id), { period: budget.period ?? 'lifetime', amount_usd: body.amount_usd });
      return { id: entity.id, period: budget.period ?? 'lifetime', amount_usd: body.amount_usd, until: Number.isFinite(window.end) ? new Date(window.end).toISOString() : null };
    });
  }

  // Providers' global budgets and limits: the config's, or an admin override.
  const providerView = (name: string) => {
    const override = registry.providerLimits.get(name);
    const config = configuredProviders()[name]!;
    return {
      name,
      type: config.type,
      source: override === undefined ? 'config' : 'api',
      budgets: override?.budgets ?? config.budgets ?? [],
      rate_limits: (override === undefined ? config.rate_limits : override.rate_limits) ?? null,
      ...definitionOf?.(name),
    };
  };
  const requireProvider = (name: string) => {
    if (configuredProviders()[name] === undefined) throw new GatewayError('not_found', `No provider \`${name}\` is configured.`);
    return name;
  };
  route('GET', '/admin/providers', { tag: 'providers', summary: 'Every provider with its global budgets and limits (`source`: config or api) and its definition (`definition`, secrets shown as `{"set": true}`; `definition_source`: file or api)' }, async () => ({ data: Object.keys(configuredProviders()).map(providerView) }));
  route('GET', '/admin/providers/:name', { tag: 'providers', summary: 'One provider' }, async (exchange) => providerView(requireProvider(exchange.params.name!)));
  route('PUT', '/admin/providers/:name/limits', { tag: 'providers', summary: "Replace the provider's global budgets and rate limits (overrides the config until deleted)", body: providerLimitsSchema }, async (exchange, body) => {
    const name = requireProvider(exchange.params.name!);
    await service.as(adminActorOf(exchange.request)).setProviderLimits(name, { id: name, budgets: body.budgets, rate_limits: body.rate_limits, created_at: registry.providerLimits.get(name)?.created_at ?? stamp(), source: 'api' });
    return providerView(name);
  });
  route('DELETE', '/admin/providers/:name/limits', { tag: 'providers', summary: "Drop the override: back to the config's limits" }, async (exchange) => {
    const name = requireProvider(exchange.params.name!);
    await service.as(adminActorOf(exchange.request)).setProviderLimits(name, undefined);
    return providerView(name);
  });
  route('GET', '/admin/providers/:name/usage', { tag: 'providers', summary: 'Spend and counters of the provider', answer: 'Usage' }, async (exchange) => {
    const view = providerView(requireProvider(exchange.params.name!));
    return { provider: { name: view.name }, ...(await entityUsage('provider', { id: view.name, budgets: view.budgets, rate_limits: view.rate_limits ?? undefined, created_at: new Date(0).toISOString() }, spend, now())) };
  });
  route('POST', '/admin/providers/:name/reset-spend', { tag: 'providers', summary: "Zero the provider's counters" }, async (exchange) => {
    const name = requireProvider(exchange.params.name!);
    await spend.resetScope(`provider:${name}`);
    await afterSpendChange();
    service.as(adminActorOf(exchange.request)).audit('spend.reset', `provider:${name}`, {});
    return { name, reset: true };
  });

  route('POST', '/admin/providers/:name/top-up', { tag: 'providers', summary: "Add USD to one of the provider's global budgets for its current window", body: topUpSchema }, async (exchange, body) => {
    const view = providerView(requireProvider(exchange.params.name!));
    const budget = pickBudget(view.budgets, body.period);
    // Provider windows are anchored at the epoch (a provider has no creation time).
    const window = windowOf(budget.period, now(), budget.rolling, 0);
    await spend.addCredit(counterName(`provider:${view.name}`, 'usd', budget.period, budget.rolling, window.start), window.end, nanoUsd(body.amount_usd), now());
    await afterSpendChange();
    service.as(adminActorOf(exchange.request)).audit('budget.top_up', `provider:${view.name}`, { period: budget.period ?? 'lifetime', amount_usd: body.amount_usd });
    return { name: view.name, period: budget.period ?? 'lifetime', amount_usd: body.amount_usd, until: Number.isFinite(window.end) ? new Date(window.end).toISOString() : null };
  });

  return routes;
}

const PATCH_SUMMARY =
  'Change fields (merged into the stored entity, then validated as a whole); effective on the next request, on every replica within a second. `If-Match: "<version>"` (or a `version` field) makes it conditional: 409 `version_conflict` when the entity changed since';
const DELETE_SUMMARY = 'Delete (not for entities defined in the config file); `If-Match: "<version>"` or `?version=` makes it conditional';
const BUDGETS_SUMMARY = 'Every budget of every key, team, customer and provider with its spend, the most used (`used_fraction` of max plus credit) first';
const USAGE_SUMMARY = 'Spend and remaining room per budget and rate limit';

function pickBudget(budgets: readonly BudgetConfig[], period: string | undefined): BudgetConfig {
  if (budgets.length === 0) throw new GatewayError('invalid_request', 'This entity has no budget to top up.');
  if (period === undefined) {
    if (budgets.length === 1) return budgets[0]!;
    throw new GatewayError('invalid_request', `This entity has ${budgets.length} budgets: name one with \`period\` (${budgets.map((budget) => budget.period ?? 'lifetime').join(', ')}).`, { param: 'period' });
  }
  const found = budgets.find((budget) => (budget.period ?? 'lifetime') === period);
  if (found === undefined) throw new GatewayError('invalid_request', `No budget with period \`${period}\`.`, { param: 'period' });
  return found;
}

/** A PATCH body and the version it names (`If-Match`, else its `version` field, which is not a field to change). */
async function readPatch(exchange: HttpExchange): Promise<{ patch: Record<string, unknown>; expected: number | undefined }> {
  const body = (await exchange.readJson()) ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'Invalid body: (body): expected an object');
  const { version, ...patch } = body as Record<string, unknown>;
  return { patch, expected: expectedVersion(exchange, version) };
}

/** The version a write is conditional on: `If-Match: "3"` (or W/"3"), else `version` (a body field or the query's). */
function expectedVersion(exchange: HttpExchange, field: unknown): number | undefined {
  const header = exchange.request.headers['if-match'];
  if (header !== undefined && header.trim() !== '*') {
    const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
    if (match === null) throw new GatewayError('invalid_request', 'If-Match: expected one entity version as its ETag, like "3"', { param: 'If-Match' });
    return Number(match[1]);
  }
  const value = field ?? exchange.query.get('version') ?? undefined;
  if (value === undefined) return undefined;
  const version = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw new GatewayError('invalid_request', 'version: expected the positive integer version the change was made from', { param: 'version' });
  return version;
}

async function readOptionalJson(exchange: HttpExchange): Promise<unknown> {
  const length = exchange.request.headers['content-length'];
  if (length === '0' || (length === undefined && exchange.request.headers['transfer-encoding'] === undefined)) {
    exchange.request.resume();
    return {};
  }
  return exchange.readJson();
}
