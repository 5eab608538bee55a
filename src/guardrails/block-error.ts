import { GatewayError } from '../spec/index.js';

/**
 * The refusal of a request or answer: names the rule, the type and where it was found, never the
 * matched text. `where` reads like `message 1, character 12` or `the answer (choice 0), character 40`.
 */
export function blockedError(rule: string, what: string, where: string): GatewayError {
  return new GatewayError('guardrail_blocked', `Blocked by guardrail rule "${rule}": ${what} found in ${where}.`);
}
