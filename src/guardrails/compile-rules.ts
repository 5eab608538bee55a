import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import type { GatewayConfig } from '../config/schema.js';
import type { CompiledRule } from './compiled-rule.js';
import { BUILT_IN_DETECTORS } from './detectors/registry.js';

/**
 * Builds every configured rule's detector once (start-up and reload). What only the detectors know
 * is checked here and reported as config issues with the rule's path: an unknown type, a pattern
 * RE2 cannot compile.
 */
export async function compileRules(config: GatewayConfig, source: string): Promise<Map<string, CompiledRule>> {
  const rules = new Map<string, CompiledRule>();
  const issues: ConfigIssue[] = [];
  for (const [index, rule] of config.guardrails.rules.entries()) {
    const base = { name: rule.name, action: rule.action, input: rule.direction !== 'output', output: rule.direction !== 'input', restore: rule.restore, config: rule };
    if (rule.detector === 'webhook') {
      rules.set(rule.name, { ...base, detector: undefined });
      continue;
    }
    try {
      const detector = await BUILT_IN_DETECTORS[rule.detector]!.create(rule);
      rules.set(rule.name, { ...base, detector });
    } catch (error) {
      const field = rule.detector === 'regex' ? 'pattern' : 'types';
      issues.push({ path: `guardrails.rules[${index}].${field}`, message: (error as Error).message, fix: field === 'types' ? 'use one of the known types or leave `types` out to run them all' : 'rewrite the pattern without backreferences or lookaround' });
    }
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  return rules;
}
