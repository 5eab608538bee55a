import { Gauge, type Registry } from 'prom-client';
import type { LabelGuard } from './label-guard.js';

type CircuitState = 'closed' | 'open' | 'half-open';
const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'half-open', 'open'];

/** What the metrics need of routing's health report (`routingHealth(config)` returns a superset). */
export interface HealthView {
  readonly targets: readonly { readonly provider: string; readonly model: string; readonly state: CircuitState; readonly inFlight: number }[];
  readonly keys: readonly { readonly provider: string; readonly keyId: string; readonly state: CircuitState }[];
}

/** What the metrics need of one budget in governance's snapshot (the `GET /v1/usage` figures). */
export interface BudgetView {
  readonly level: string;
  readonly entity: string;
  readonly period: string;
  readonly rolling: boolean;
  readonly max_usd: number;
  readonly credit_usd: number;
  readonly spent_usd: number;
  readonly reserved_usd: number;
  readonly remaining_usd: number;
}

/**
 * State owned by other features, read when /metrics is scraped (never on the request path).
 * Each returns undefined when its feature is not loaded.
 */
export interface StateSources {
  readonly health?: () => HealthView | undefined;
  readonly budgets?: () => Promise<readonly BudgetView[]> | undefined;
}

export interface StateGuards {
  readonly providers: LabelGuard;
  readonly models: LabelGuard;
  readonly keys: LabelGuard;
  readonly teams: LabelGuard;
  readonly customers: LabelGuard;
}

/**
 * Gauges filled by prom-client `collect()` callbacks at scrape time: circuit state per target and
 * per provider key, in-flight attempts per target, and budget limit/used/reserved/remaining per
 * virtual key, team and customer. Entities past the label cap are left out (an `other` gauge would
 * mix unrelated values).
 */
export function registerStateGauges(registry: Registry, sources: StateSources, guards: StateGuards): void {
  const registers = [registry];
  const health = sharedPerScrape(() => sources.health?.());
  if (sources.health !== undefined) {
    new Gauge({
      name: 'tollgate_target_circuit_state',
      help: 'Circuit breaker state per target: 1 for the current state, 0 for the others.',
      labelNames: ['provider', 'model', 'state'],
      registers,
      // Under `--workers N`: a state any worker is in shows as 1.
      aggregator: 'max',
      async collect() {
        this.reset();
        for (const target of (await health())?.targets ?? []) {
          const provider = guards.providers.admit(target.provider);
          const model = guards.models.admit(target.model);
          if (provider === undefined || model === undefined) continue;
          for (const state of CIRCUIT_STATES) this.set({ provider, model, state }, target.state === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'tollgate_key_circuit_state',
      help: 'Circuit breaker state per provider key: 1 for the current state, 0 for the others.',
      labelNames: ['provider', 'key_id', 'state'],
      registers,
      aggregator: 'max',
      async collect() {
        this.reset();
        for (const key of (await health())?.keys ?? []) {
          const provider = guards.providers.admit(key.provider);
          if (provider === undefined) continue;
          for (const state of CIRCUIT_STATES) this.set({ provider, key_id: key.keyId, state }, key.state === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'tollgate_target_in_flight',
      help: 'Upstream attempts in flight per target.',
      labelNames: ['provider', 'model'],
      registers,
      async collect() {
        this.reset();
        for (const target of (await health())?.targets ?? []) {
          const provider = guards.providers.admit(target.provider);
          const model = guards.models.admit(target.model);
          if (provider !== undefined && model !== undefined) this.set({ provider, model }, target.inFlight);
        }
      },
    });
  }
  if (sources.budgets !== undefined) {
    const budgets = sharedPerScrape(async () => (await sources.budgets?.()) ?? []);
    const budgetGauge = (name: string, help: string, value: (budget: BudgetView) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['level', 'id', 'period'],
        registers,
        // Every worker reads the same shared ledger: one copy, not the sum.
        aggregator: 'max',
        async collect() {
          this.reset();
          let rows: readonly BudgetView[];
          try {
            rows = (await budgets()) ?? [];
          } catch {
            // The ledger is unreachable (Redis outage): no budget series rather than a failed scrape.
            return;
          }
          for (const budget of rows) {
            const labels = budgetLabels(budget, guards);
            if (labels !== undefined) this.set(labels, value(budget));
          }
        },
      });
    budgetGauge('tollgate_budget_limit_usd', 'Budget ceiling in USD (max_usd plus top-up credit) of the current window.', (budget) => budget.max_usd + budget.credit_usd);
    budgetGauge('tollgate_budget_used_usd', 'Settled spend in USD in the budget\'s current window.', (budget) => budget.spent_usd);
    budgetGauge('tollgate_budget_reserved_usd', 'USD reserved by requests in flight in the budget\'s current window.', (budget) => budget.reserved_usd);
    budgetGauge('tollgate_budget_remaining_usd', 'USD left in the budget\'s current window (limit − used − reserved, at least 0).', (budget) => budget.remaining_usd);
  }
}

const LEVELS: Record<string, { label: string; guard: keyof StateGuards }> = {
  key: { label: 'virtual_key', guard: 'keys' },
  team: { label: 'team', guard: 'teams' },
  customer: { label: 'customer', guard: 'customers' },
};

function budgetLabels(budget: BudgetView, guards: StateGuards): { level: string; id: string; period: string } | undefined {
  const level = LEVELS[budget.level];
  if (level === undefined) return undefined;
  const id = guards[level.guard].admit(budget.entity);
  if (id === undefined) return undefined;
  return { level: level.label, id, period: budget.rolling ? `${budget.period}_rolling` : budget.period };
}

/**
 * prom-client starts every metric's `collect()` in the same tick of one scrape: the gauges fed by
 * one source share a single read of it, forgotten once it settles so the next scrape reads afresh.
 */
function sharedPerScrape<T>(read: () => T | Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      const current = Promise.resolve().then(read);
      pending = current;
      const forget = () => {
        if (pending === current) pending = undefined;
      };
      current.then(forget, forget);
    }
    return pending;
  };
}
