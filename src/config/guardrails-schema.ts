import { z } from 'zod';

/**
 * Config schemas of the guardrails feature (src/guardrails). They live in config/ because the
 * config folder imports nothing else of ours; src/guardrails owns their meaning and checks what
 * only it knows (a detector's types, a pattern's syntax) at start-up.
 */

/**
 * The types of the built-in detectors with fixed types, so a config naming another is refused while
 * it is validated (start-up and reload alike). src/guardrails/detectors implements exactly these (a test holds them together).
 */
export const DETECTOR_TYPES: Readonly<Record<'secrets' | 'pii', readonly string[]>> = {
  secrets: ['anthropic_api_key', 'openai_api_key', 'google_api_key', 'provider_api_key', 'aws_access_key', 'aws_secret_key', 'github_token', 'gitlab_token', 'slack_token', 'stripe_key', 'jwt', 'private_key', 'connection_string', 'generic_secret'],
  pii: ['email', 'credit_card', 'iban', 'us_ssn', 'phone', 'ip_address'],
};

const ruleName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'rule names may use letters, digits and `_ . : -` (1–64 characters)');

export const guardrailRuleSchema = z.strictObject({
  name: ruleName,
  /** `secrets`, `pii`, `regex` (a linear-time RE2 pattern), `keywords` (a word list) or `webhook` (an external check). */
  detector: z.enum(['secrets', 'pii', 'regex', 'keywords', 'webhook']),
  /** Which of the detector's types run (all when absent), e.g. `[email, credit_card]`; for regex and keywords, the placeholder's type. */
  types: z.array(z.string().min(1)).min(1).optional(),
  /** regex: the pattern (RE2 syntax: no backreferences or lookaround). */
  pattern: z.string().min(1).optional(),
  /** keywords: the words or phrases, matched case-insensitively on word boundaries. */
  words: z.array(z.string().min(1)).min(1).optional(),
  /** webhook: where the check is POSTed. */
  url: z.url({ message: 'must be an absolute http(s) URL' }).optional(),
  /** Which way it checks: the prompt (`input`), the answer (`output`), or `both`. */
  direction: z.enum(['input', 'output', 'both']).default('both'),
  /** `block` refuses (400 `guardrail_blocked`), `redact` masks with typed placeholders, `log` only records. */
  action: z.enum(['block', 'redact', 'log']).default('block'),
  /** redact: put the original values back where the answer repeats their placeholders (same request only). */
  restore: z.boolean().default(false),
  /** webhook: how long the check may take. */
  timeout_ms: z.number().int().positive().max(60_000).default(1_000),
  /** webhook: what a timeout or failure means: `allow` (fail open) or `block` (fail closed). */
  on_error: z.enum(['allow', 'block']).default('block'),
  /** webhook: extra headers sent with each check (e.g. an authorization). */
  headers: z.record(z.string(), z.string()).default({}),
});

export const guardrailsSchema = z.strictObject({
  /** Named rules; a rule runs only where an `apply` lists it. */
  rules: z.array(guardrailRuleSchema).default([]),
  /** Rules that run for every request. */
  apply: z.array(z.string().min(1)).default([]),
});

/** `guardrails: { apply: [...] }` under a customer, team or virtual key: rules added for that scope and below. */
export const scopedGuardrailsSchema = z.strictObject({
  apply: z.array(z.string().min(1)).default([]),
});

export type GuardrailRuleConfig = z.infer<typeof guardrailRuleSchema>;
export type GuardrailsConfig = z.infer<typeof guardrailsSchema>;

interface GuardrailSections {
  guardrails: GuardrailsConfig;
  customers: readonly { guardrails?: { apply: readonly string[] } | undefined }[];
  teams: readonly { guardrails?: { apply: readonly string[] } | undefined }[];
  virtual_keys: readonly { guardrails?: { apply: readonly string[] } | undefined }[];
}

const NEEDS: Record<string, 'pattern' | 'words' | 'url' | undefined> = { regex: 'pattern', keywords: 'words', webhook: 'url', secrets: undefined, pii: undefined };

/** Each rule has what its detector needs, names are unique, and every `apply` names defined rules. */
export function checkGuardrailReferences(config: GuardrailSections, context: z.core.$RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => context.addIssue({ code: 'custom', path, message });
  const names = new Set<string>();
  config.guardrails.rules.forEach((rule, index) => {
    if (names.has(rule.name)) issue(['guardrails', 'rules', index, 'name'], `duplicate guardrail rule name "${rule.name}"`);
    names.add(rule.name);
    const needed = NEEDS[rule.detector];
    if (needed !== undefined && rule[needed] === undefined) issue(['guardrails', 'rules', index, needed], `a ${rule.detector} rule needs \`${needed}\``);
    for (const field of ['pattern', 'words', 'url'] as const) {
      if (field !== needed && rule[field] !== undefined) issue(['guardrails', 'rules', index, field], `\`${field}\` is for ${field === 'pattern' ? 'regex' : field === 'words' ? 'keywords' : 'webhook'} rules, not ${rule.detector}`);
    }
    if ((rule.detector === 'secrets' || rule.detector === 'pii') && rule.types !== undefined) {
      const known = DETECTOR_TYPES[rule.detector];
      const unknown = rule.types.filter((type) => !known.includes(type));
      if (unknown.length > 0) issue(['guardrails', 'rules', index, 'types'], `unknown ${rule.detector} type ${unknown.map((type) => `"${type}"`).join(', ')}; known types: ${known.join(', ')}`);
    }
    if (rule.detector === 'webhook' && rule.action === 'redact') issue(['guardrails', 'rules', index, 'action'], 'a webhook rule can block or log, not redact');
  });
  const check = (apply: readonly string[], path: (string | number)[]) =>
    apply.forEach((name, index) => {
      if (!names.has(name)) issue([...path, index], `unknown guardrail rule "${name}": define it under guardrails.rules or remove it from this list`);
    });
  check(config.guardrails.apply, ['guardrails', 'apply']);
  for (const section of ['customers', 'teams', 'virtual_keys'] as const) {
    config[section].forEach((entity, index) => {
      if (entity.guardrails !== undefined) check(entity.guardrails.apply, [section, index, 'guardrails', 'apply']);
    });
  }
}
