import type { GuardrailRuleConfig } from '../config/guardrails-schema.js';
import type { Detector } from './detectors/detector.js';

export type GuardAction = 'block' | 'redact' | 'log';
export type GuardDirection = 'input' | 'output';

/** A rule ready to run: a local detector, or a webhook check. */
export interface CompiledRule {
  readonly name: string;
  readonly action: GuardAction;
  readonly input: boolean;
  readonly output: boolean;
  readonly restore: boolean;
  /** Local detectors; undefined for a webhook rule. */
  readonly detector: Detector | undefined;
  readonly config: GuardrailRuleConfig;
}

/** Precedence when two rules find the same text: the strictest action wins. */
export const ACTION_RANK: Record<GuardAction, number> = { block: 0, redact: 1, log: 2 };
