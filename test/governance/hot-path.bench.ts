/**
 * Micro-benchmark of governance on the request path (in memory): authenticate (SHA-256 + map
 * lookup), authorize (plan narrowing), admit (one atomic reservation over customer, team, key and
 * provider lines) and settle (with the budget-alert check that follows it). Run after building:
 * `node dist/test/governance/hot-path.bench.js`.
 */
import { GovernanceHooks } from '../../src/governance/governance-hooks.js';
import { MemorySpendStore } from '../../src/governance/memory-spend-store.js';
import type { LimitLine, SpendStore } from '../../src/governance/spend-store.js';
import { BudgetAlerts } from '../../src/governance/budget-alerts.js';
import type { LineInfo } from '../../src/governance/limit-lines.js';
import { MemoryGovernanceStore } from '../../src/governance/storage/memory-governance-store.js';
import { createLogger } from '../../src/lib/logger.js';
import { EntityRegistry } from '../../src/governance/registry.js';
import { hashKey } from '../../src/governance/key-secret.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import type { PlanResolver } from '../../src/pipeline/plan-resolver.js';
import type { RoutePlan } from '../../src/pipeline/target.js';
import type { ProviderInstance } from '../../src/providers/instance.js';
import type { ProviderConfig } from '../../src/config/provider-schema.js';

const provider = { name: 'openai' } as ProviderInstance;
const target = { provider, model: 'gpt-4o', ref: 'openai/gpt-4o', weight: 1 };
const plan: RoutePlan = { requested: 'openai/gpt-4o', route: undefined, groups: [{ name: 'openai/gpt-4o', strategy: 'weighted', targets: [target] }] };
const resolver: PlanResolver = { resolve: () => plan, models: () => ['openai/gpt-4o'] };
const created = '2026-01-01T00:00:00.000Z';
const registry = new EntityRegistry();
registry.customers.set('acme', { id: 'acme', budgets: [{ max_usd: 1e9, period: '1M', rolling: false }], metadata: {}, created_at: created, source: 'config' });
registry.teams.set('research', { id: 'research', customer: 'acme', budgets: [{ max_usd: 1e9, period: '1d', rolling: false }], rate_limits: { requests: { max: 1e9, period: '1m' } }, metadata: {}, created_at: created, source: 'config' });
registry.putKey({ id: 'k', key_hash: hashKey('vk-bench'), team: 'research', models: ['openai/*'], providers: [{ name: 'openai', weight: 1, models: undefined, budgets: [{ max_usd: 1e9, period: '1w', rolling: false }], rate_limits: undefined }], budgets: [{ max_usd: 1e9, period: '1d', rolling: false }], rate_limits: { requests: { max: 1e9, period: '1m' }, tokens: { max: 1e12, period: '1h' } }, max_concurrent: 1000, active: true, metadata: {}, created_at: created, source: 'config' });
const providers = { openai: { budgets: [{ max_usd: 1e9, period: '1M', rolling: false }] } as unknown as ProviderConfig };
const store = new MemorySpendStore();
/** Lines reserved by the last admission, to check the benchmark measures what it claims. */
let reservedLines = 0;
const counting: SpendStore = Object.assign(Object.create(store) as SpendStore, {
  reserve: (...args: Parameters<SpendStore['reserve']>) => {
    reservedLines = args[0].length;
    return store.reserve(...args);
  },
});
// After each settlement the module checks budget alert thresholds (a peek per budget line): counted too.
const alerts = new BudgetAlerts({ settings: { thresholds: [0.5, 0.8, 0.95], max_attempts: 5 }, store: new MemoryGovernanceStore(), spend: store, audit: { append() {} }, logger: createLogger({ level: 'silent' }), now: Date.now });
const onSettled = (infos: readonly LineInfo[], lines: readonly LimitLine[]) => {
  if (infos.some((info) => info.metric === 'usd')) void alerts.check(infos, lines).catch(() => {});
};
const hooks = new GovernanceHooks({ registry, store, resolver, providers, now: Date.now, unpricedRequestUsd: 0.01, reservedOutputTokens: 4_096, reservationTtlMs: 600_000, onSettled });

const headers = { authorization: 'Bearer vk-bench' };

async function once(): Promise<void> {
  // Only the fields governance reads; the pipeline's own context creation is not governance's cost.
  const context = { headers, principal: undefined, responseHeaders: {}, slots: [] } as unknown as RequestContext;
  context.principal = hooks.authenticate(context);
  const narrowed = hooks.authorize(context, plan);
  const admission = await hooks.admit(context, narrowed.groups[0]!.targets[0]!, { inputTokens: 500, maxOutputTokens: 256, maxCostUsd: 0.004 });
  admission.settle({ inputTokens: 480, outputTokens: 200 }, { usd: 0.003, known: true });
}

// Once through a counting ledger: customer budget; team budget and requests; key concurrency,
// requests, tokens and budget; the key's provider-config budget; the provider's global budget.
const checked = new GovernanceHooks({ registry, store: counting, resolver, providers, now: Date.now, unpricedRequestUsd: 0.01, reservedOutputTokens: 4_096, reservationTtlMs: 600_000 });
const probe = { headers, principal: undefined, responseHeaders: {}, slots: [] } as unknown as RequestContext;
probe.principal = checked.authenticate(probe);
(await checked.admit(probe, plan.groups[0]!.targets[0]!, { inputTokens: 500, maxOutputTokens: 256, maxCostUsd: 0.004 })).release();
if (reservedLines !== 9) throw new Error(`expected 9 limit lines, reserved ${reservedLines}`);

for (let index = 0; index < 20_000; index++) await once();
if (store.pending !== 0) throw new Error(`${store.pending} reservations left unsettled`);
const rounds = 200_000;
// Wall time, and this process's CPU time, which a machine shared with other work inflates far less.
const cpuStarted = process.cpuUsage();
const started = performance.now();
for (let index = 0; index < rounds; index++) await once();
const micros = ((performance.now() - started) * 1000) / rounds;
const cpu = process.cpuUsage(cpuStarted);
const cpuMicros = (cpu.user + cpu.system) / rounds;
console.log(`governance hot path: ${micros.toFixed(2)} µs per request wall, ${cpuMicros.toFixed(2)} µs CPU (authenticate + authorize + admit + settle, 9 limit lines)`);
