import type { GatewayConfig } from '../config/schema.js';
import type { Principal } from '../pipeline/context.js';
import type { CompiledRule } from './compiled-rule.js';

/** The rules of one scope, split by direction and kind, built once and shared by every request of that scope. */
export interface RuleSet {
  readonly inputLocal: readonly CompiledRule[];
  readonly inputWebhooks: readonly CompiledRule[];
  readonly outputLocal: readonly CompiledRule[];
  readonly outputWebhooks: readonly CompiledRule[];
  /** Whether any rule runs at all. */
  readonly active: boolean;
}

export const NO_RULES: RuleSet = { inputLocal: [], inputWebhooks: [], outputLocal: [], outputWebhooks: [], active: false };

/**
 * Which rules run for whom: the top-level `apply` for everyone, plus the `apply` of the caller's
 * customer, team and virtual key. The rule set of each (key, team, customer) combination is built
 * at start-up for the config's keys (on first use for keys created later) and kept until the next reload; the combination comes from the
 * request's principal, so a key moved to another team (admin API) gets its new team's rules at once.
 */
export class RuleScopes {
  private readonly sets = new Map<string, RuleSet>();
  private readonly top: readonly string[];
  private readonly byCustomer = new Map<string, readonly string[]>();
  private readonly byTeam = new Map<string, readonly string[]>();
  private readonly byKey = new Map<string, readonly string[]>();
  readonly anonymous: RuleSet;

  constructor(
    private readonly rules: ReadonlyMap<string, CompiledRule>,
    config: GatewayConfig,
  ) {
    this.top = config.guardrails.apply;
    for (const customer of config.customers) if (customer.guardrails !== undefined) this.byCustomer.set(customer.id, customer.guardrails.apply);
    for (const team of config.teams) if (team.guardrails !== undefined) this.byTeam.set(team.id, team.guardrails.apply);
    for (const key of config.virtual_keys) if (key.guardrails !== undefined) this.byKey.set(key.id, key.guardrails.apply);
    this.anonymous = this.build(this.top);
    // The config's keys are built now, off the request path; keys created later are built on their first request.
    if (this.byCustomer.size > 0 || this.byTeam.size > 0 || this.byKey.size > 0) {
      const teamCustomer = new Map(config.teams.map((team) => [team.id, team.customer]));
      for (const key of config.virtual_keys) {
        const customerId = key.customer ?? (key.team === undefined ? undefined : teamCustomer.get(key.team));
        this.of({ keyId: key.id, ...(key.team === undefined ? {} : { teamId: key.team }), ...(customerId === undefined ? {} : { customerId }) });
      }
    }
  }

  /** The rule set of a caller (the top-level rules when the gateway has no governance). */
  of(principal: Principal | undefined): RuleSet {
    if (principal === undefined || (this.byCustomer.size === 0 && this.byTeam.size === 0 && this.byKey.size === 0)) return this.anonymous;
    const id = `${principal.keyId}\u0000${principal.teamId ?? ''}\u0000${principal.customerId ?? ''}`;
    let set = this.sets.get(id);
    if (set === undefined) {
      set = this.build([
        ...this.top,
        ...(principal.customerId === undefined ? [] : (this.byCustomer.get(principal.customerId) ?? [])),
        ...(principal.teamId === undefined ? [] : (this.byTeam.get(principal.teamId) ?? [])),
        ...(this.byKey.get(principal.keyId) ?? []),
      ]);
      // Bounded: keys created through the admin API are the only source of new combinations.
      if (this.sets.size > 100_000) this.sets.clear();
      this.sets.set(id, set);
    }
    return set;
  }

  private build(names: readonly string[]): RuleSet {
    const rules = [...new Set(names)].map((name) => this.rules.get(name)).filter((rule) => rule !== undefined);
    if (rules.length === 0) return NO_RULES;
    const local = rules.filter((rule) => rule.detector !== undefined);
    const webhooks = rules.filter((rule) => rule.detector === undefined);
    return {
      inputLocal: local.filter((rule) => rule.input),
      inputWebhooks: webhooks.filter((rule) => rule.input),
      outputLocal: local.filter((rule) => rule.output),
      outputWebhooks: webhooks.filter((rule) => rule.output),
      active: true,
    };
  }
}
