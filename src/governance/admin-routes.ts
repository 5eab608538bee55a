import { randomBytes } from 'node:crypto';
import type { ProviderConfig } from '../config/provider-schema.js';
import type { HttpExchange, HttpMethod, HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import { GatewayError } from '../spec/index.js';
import { customerSchema, editable, keyBodySchema, keyCreateSchema, keyView, parseBody, providerLimitsSchema, rotateSchema, teamSchema, topUpSchema } from './admin-bodies.js';
import type { BudgetConfig } from '../config/governance-schema.js';
import type { CustomerRecord, KeyRecord, TeamRecord } from './entities.js';
import type { GovernanceService } from './governance-service.js';
import { counterName } from './limit-lines.js';
import { governanceOpenApi } from './openapi.js';
import { windowOf } from './periods.js';
import type { EntityRegistry } from './registry.js';
import type { SpendStore } from './spend-store.js';
import { entityUsage, keyUsage } from './usage-report.js';

export interface AdminRouteDependencies {
  service: GovernanceService;
  registry: EntityRegistry;
  spend: SpendStore;
  now: () => number;
  /** The configured providers (their config budgets and limits), as of the latest config reload. */
  providers: () => Readonly<Record<string, ProviderConfig>>;
}

/** The governance admin API (to be wrapped with `adminRoutes(admin.token, …)`). */
export function governanceAdminRoutes({ service, registry, spend, now, providers: configuredProviders }: AdminRouteDependencies): HttpRoute[] {
  const stamp = () => new Date(now()).toISOString();
  const routes: HttpRoute[] = [];
  const route = (method: HttpMethod, path: string, handler: (exchange: HttpExchange) => Promise<unknown>, status = 200) =>
    routes.push({
      method,
      path,
      handler: async (exchange) => {
        const body = await handler(exchange);
        if (status === 204) {
          exchange.response.writeHead(204).end();
          return;
        }
        sendJson(exchange.response, status, body);
      },
    });
  const afterSpendChange = () => service.flush().catch(() => {});

  // Virtual keys.
  route('GET', '/admin/keys', async () => ({ data: [...registry.keys.values()].map((entry) => keyView(entry.record)) }));
  route('GET', '/admin/keys/:id', async (exchange) => keyView(service.requireKey(exchange.params.id!)));
  route(
    'POST',
    '/admin/keys',
    async (exchange) => {
      const body = parseBody(keyCreateSchema, await exchange.readJson());
      const id = body.id ?? `key_${randomBytes(8).toString('hex')}`;
      if (registry.keys.has(id)) throw new GatewayError('conflict', `A virtual key \`${id}\` already exists.`);
      const { record, secret } = await service.createKey({ ...body, id, created_at: stamp(), source: 'api' });
      return { ...keyView(record), value: secret };
    },
    201,
  );
  route('PATCH', '/admin/keys/:id', async (exchange) => {
    const existing = service.requireKey(exchange.params.id!);
    const patch = (await exchange.readJson()) as Record<string, unknown>;
    const merged = parseBody(keyBodySchema, { ...editable(existing, ['key_hash', 'previous_key_hash', 'previous_valid_until']), ...patch, id: existing.id });
    const record: KeyRecord = { ...merged, key_hash: existing.key_hash, previous_key_hash: existing.previous_key_hash, previous_valid_until: existing.previous_valid_until, created_at: existing.created_at, source: existing.source };
    await service.putKey(record, 'update');
    return keyView(record);
  });
  route('DELETE', '/admin/keys/:id', async (exchange) => service.deleteEntity('virtual_key', exchange.params.id!), 204);
  route('POST', '/admin/keys/:id/rotate', async (exchange) => {
    const { grace_seconds: grace } = parseBody(rotateSchema, await readOptionalJson(exchange));
    const { record, secret } = await service.rotateKey(exchange.params.id!, grace);
    return { ...keyView(record), value: secret };
  });
  route('GET', '/admin/keys/:id/usage', async (exchange) => {
    const entry = registry.keys.get(exchange.params.id!);
    if (entry === undefined) throw new GatewayError('not_found', `No virtual key \`${exchange.params.id}\`.`);
    return { key: { id: entry.record.id, name: entry.record.name ?? null }, ...(await keyUsage(entry, registry, spend, now())) };
  });

  // Teams and customers share the same shape of routes.
  for (const kind of ['team', 'customer'] as const) {
    const plural = `/admin/${kind}s`;
    const schema = kind === 'team' ? teamSchema : customerSchema;
    const find = (id: string): TeamRecord | CustomerRecord => (kind === 'team' ? service.requireTeam(id) : service.requireCustomer(id));
    const put = (record: TeamRecord | CustomerRecord, action: 'create' | 'update') => (kind === 'team' ? service.putTeam(record as TeamRecord, action) : service.putCustomer(record, action));
    route('GET', plural, async () => ({ data: [...(kind === 'team' ? registry.teams : registry.customers).values()] }));
    route('GET', `${plural}/:id`, async (exchange) => find(exchange.params.id!));
    route(
      'POST',
      plural,
      async (exchange) => {
        const body = parseBody(schema, await exchange.readJson());
        if ((kind === 'team' ? registry.teams : registry.customers).has(body.id)) throw new GatewayError('conflict', `A ${kind} \`${body.id}\` already exists.`);
        const record = { ...body, created_at: stamp(), source: 'api' as const };
        await put(record, 'create');
        return record;
      },
      201,
    );
    route('PATCH', `${plural}/:id`, async (exchange) => {
      const existing = find(exchange.params.id!);
      const patch = (await exchange.readJson()) as Record<string, unknown>;
      const merged = parseBody(schema, { ...editable(existing), ...patch, id: existing.id });
      const record = { ...merged, created_at: existing.created_at, source: existing.source };
      await put(record, 'update');
      return record;
    });
    route('DELETE', `${plural}/:id`, async (exchange) => service.deleteEntity(kind, exchange.params.id!), 204);
    route('GET', `${plural}/:id/usage`, async (exchange) => {
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
    route('POST', `${path}/:id/reset-spend`, async (exchange) => {
      const entity = entityOf(exchange.params.id!);
      await spend.resetScope(scopeOf(entity.id));
      await afterSpendChange();
      service.audit('spend.reset', scopeOf(entity.id), {});
      return { id: entity.id, reset: true };
    });
    route('POST', `${path}/:id/top-up`, async (exchange) => {
      const entity = entityOf(exchange.params.id!);
      const body = parseBody(topUpSchema, await exchange.readJson());
      const budget = pickBudget(entity.budgets, body.period);
      const anchor = Date.parse(entity.created_at);
      const window = windowOf(budget.period, now(), budget.rolling, anchor);
      await spend.addCredit(counterName(scopeOf(entity.id), 'usd', budget.period, budget.rolling, window.start), window.end, body.amount_usd, now());
      await afterSpendChange();
      service.audit('budget.top_up', scopeOf(entity.id), { period: budget.period ?? 'lifetime', amount_usd: body.amount_usd });
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
    };
  };
  const requireProvider = (name: string) => {
    if (configuredProviders()[name] === undefined) throw new GatewayError('not_found', `No provider \`${name}\` is configured.`);
    return name;
  };
  route('GET', '/admin/providers', async () => ({ data: Object.keys(configuredProviders()).map(providerView) }));
  route('GET', '/admin/providers/:name', async (exchange) => providerView(requireProvider(exchange.params.name!)));
  route('PUT', '/admin/providers/:name/limits', async (exchange) => {
    const name = requireProvider(exchange.params.name!);
    const body = parseBody(providerLimitsSchema, await exchange.readJson());
    await service.setProviderLimits(name, { id: name, budgets: body.budgets, rate_limits: body.rate_limits, created_at: registry.providerLimits.get(name)?.created_at ?? stamp(), source: 'api' });
    return providerView(name);
  });
  route('DELETE', '/admin/providers/:name/limits', async (exchange) => {
    const name = requireProvider(exchange.params.name!);
    await service.setProviderLimits(name, undefined);
    return providerView(name);
  });
  route('GET', '/admin/providers/:name/usage', async (exchange) => {
    const view = providerView(requireProvider(exchange.params.name!));
    return { provider: { name: view.name }, ...(await entityUsage('provider', { id: view.name, budgets: view.budgets, rate_limits: view.rate_limits ?? undefined, created_at: new Date(0).toISOString() }, spend, now())) };
  });
  route('POST', '/admin/providers/:name/reset-spend', async (exchange) => {
    const name = requireProvider(exchange.params.name!);
    await spend.resetScope(`provider:${name}`);
    await afterSpendChange();
    service.audit('spend.reset', `provider:${name}`, {});
    return { name, reset: true };
  });

  route('POST', '/admin/providers/:name/top-up', async (exchange) => {
    const view = providerView(requireProvider(exchange.params.name!));
    const body = parseBody(topUpSchema, await exchange.readJson());
    const budget = pickBudget(view.budgets, body.period);
    // Provider windows are anchored at the epoch (a provider has no creation time).
    const window = windowOf(budget.period, now(), budget.rolling, 0);
    await spend.addCredit(counterName(`provider:${view.name}`, 'usd', budget.period, budget.rolling, window.start), window.end, body.amount_usd, now());
    await afterSpendChange();
    service.audit('budget.top_up', `provider:${view.name}`, { period: budget.period ?? 'lifetime', amount_usd: body.amount_usd });
    return { name: view.name, period: budget.period ?? 'lifetime', amount_usd: body.amount_usd, until: Number.isFinite(window.end) ? new Date(window.end).toISOString() : null };
  });

  routes.push({ method: 'GET', path: '/admin/openapi.json', handler: (exchange) => sendJson(exchange.response, 200, governanceOpenApi()) });
  return routes;
}

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

async function readOptionalJson(exchange: HttpExchange): Promise<unknown> {
  const length = exchange.request.headers['content-length'];
  if (length === '0' || (length === undefined && exchange.request.headers['transfer-encoding'] === undefined)) {
    exchange.request.resume();
    return {};
  }
  return exchange.readJson();
}
