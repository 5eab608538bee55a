import { adminRoutes } from '../admin/admin-auth.js';
import { METRIC_COUNTERS } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleContext } from '../pipeline/module.js';
import { guardrailsAdminRoutes, guardrailsApiSchemas } from './admin-routes.js';
import { compileRules } from './compile-rules.js';
import { GuardMetrics } from './guard-metrics.js';
import { guardStage } from './guard-stage.js';
import { RuleScopes } from './rule-scopes.js';

/**
 * Guardrails (docs/guardrails.md): named rules (secrets, personal data, RE2 patterns, word lists,
 * webhooks) applied to the prompt before routing and to the answer, whole or streamed, by scope
 * (everyone, a customer, a team, a virtual key), blocking, redacting or only logging; the rules
 * are read at `GET /admin/guardrails`.
 */
export async function guardrailsModule(context: ModuleContext): Promise<GatewayModule> {
  let scopes = new RuleScopes(await compileRules(context.config, context.configSource), context.config);
  let config = context.config;
  const metrics = new GuardMetrics();
  return {
    name: 'guardrails',
    stages: [guardStage({ scopes: () => scopes, audit: context.audit, metrics })],
    apiSchemas: guardrailsApiSchemas,
    routes: adminRoutes(context.config.admin, guardrailsAdminRoutes(() => config)),
    connect(capabilities) {
      metrics.connect(capabilities.optional(METRIC_COUNTERS));
    },
    async reconfigure(next) {
      // Built before the swap: a reload with a broken rule is refused and the running rules stay.
      scopes = new RuleScopes(await compileRules(next.config, next.configSource), next.config);
      config = next.config;
    },
  };
}
