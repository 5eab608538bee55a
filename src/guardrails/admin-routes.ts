import type { GuardrailRuleConfig } from '../config/guardrails-schema.js';
import type { GatewayConfig } from '../config/schema.js';
import type { HttpRoute } from '../http/http-route.js';
import type { RouteDescription } from '../http/route-description.js';
import { sendJson } from '../http/respond.js';

export interface GuardrailsAdminRoute extends HttpRoute {
  readonly description: RouteDescription;
}

/** A rule as `GET /admin/guardrails` shows it: what it checks, what it does and for whom; no secret. */
export interface GuardrailRuleView {
  name: string;
  detector: GuardrailRuleConfig['detector'];
  types: string[] | null;
  action: GuardrailRuleConfig['action'];
  direction: GuardrailRuleConfig['direction'];
  restore: boolean;
  /** keywords: how many words (the words are not shown: they can spell out what they guard, as a regex pattern can). */
  words: number | null;
  /** webhook: where it posts (without user, password or query), its timeout, failure policy and header names. */
  webhook: { url: string; timeout_ms: number; on_error: 'allow' | 'block'; header_names: string[] } | null;
  /** Where it runs: for everyone (`guardrails.apply`), and the customers, teams and keys whose `apply` lists it. */
  scopes: { everyone: boolean; customers: string[]; teams: string[]; virtual_keys: string[] };
}

/** A webhook URL without what may be a credential: its userinfo, query and fragment. */
function publicUrl(text: string): string {
  const url = new URL(text);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href;
}

function idsApplying(entities: readonly { id: string; guardrails?: { apply: readonly string[] } | undefined }[], rule: string): string[] {
  return entities.filter((entity) => entity.guardrails?.apply.includes(rule) === true).map((entity) => entity.id);
}

/** Every configured rule as shown to any admin role. */
export function guardrailsView(config: GatewayConfig): GuardrailRuleView[] {
  return config.guardrails.rules.map((rule) => ({
    name: rule.name,
    detector: rule.detector,
    types: rule.types ?? null,
    action: rule.action,
    direction: rule.direction,
    restore: rule.restore,
    words: rule.words?.length ?? null,
    webhook: rule.detector === 'webhook' && rule.url !== undefined ? { url: publicUrl(rule.url), timeout_ms: rule.timeout_ms, on_error: rule.on_error, header_names: Object.keys(rule.headers).sort() } : null,
    scopes: {
      everyone: config.guardrails.apply.includes(rule.name),
      customers: idsApplying(config.customers, rule.name),
      teams: idsApplying(config.teams, rule.name),
      virtual_keys: idsApplying(config.virtual_keys, rule.name),
    },
  }));
}

/** `GET /admin/guardrails`: the rules of the running config, read-only (they are set in the config file; to be wrapped with `adminRoutes`). */
export function guardrailsAdminRoutes(config: () => GatewayConfig): GuardrailsAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/guardrails',
      description: { tag: 'guardrails', summary: 'The configured guardrail rules: detector, types, action, direction and where they apply; no pattern, word, webhook credential or header value', answer: 'GuardrailRules' },
      handler: (exchange) => sendJson(exchange.response, 200, { rules: guardrailsView(config()) }),
    },
  ];
}

const strings = { type: 'array', items: { type: 'string' } };

/** The answer of `GET /admin/guardrails`, for the OpenAPI document. */
export const guardrailsApiSchemas: Readonly<Record<string, unknown>> = {
  GuardrailRules: {
    type: 'object',
    required: ['rules'],
    properties: {
      rules: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'detector', 'types', 'action', 'direction', 'restore', 'words', 'webhook', 'scopes'],
          properties: {
            name: { type: 'string' },
            detector: { type: 'string', enum: ['secrets', 'pii', 'regex', 'keywords', 'webhook'] },
            types: { type: ['array', 'null'], items: { type: 'string' } },
            action: { type: 'string', enum: ['block', 'redact', 'log'] },
            direction: { type: 'string', enum: ['input', 'output', 'both'] },
            restore: { type: 'boolean' },
            words: { type: ['integer', 'null'], description: 'keywords: how many words (not the words)' },
            webhook: {
              type: ['object', 'null'],
              required: ['url', 'timeout_ms', 'on_error', 'header_names'],
              properties: { url: { type: 'string', description: 'Without user, password, query or fragment' }, timeout_ms: { type: 'integer' }, on_error: { type: 'string', enum: ['allow', 'block'] }, header_names: strings },
            },
            scopes: {
              type: 'object',
              required: ['everyone', 'customers', 'teams', 'virtual_keys'],
              properties: { everyone: { type: 'boolean' }, customers: strings, teams: strings, virtual_keys: strings },
            },
          },
        },
      },
    },
  },
};
