import type { CompiledRule, GuardAction, GuardDirection } from './compiled-rule.js';
import type { Hit } from './text-scan.js';

/** What the request log, the audit log and metrics keep of one rule's decisions on one request. */
export interface GuardDecision {
  rule: string;
  action: GuardAction;
  direction: GuardDirection;
  /** Types found, e.g. `email`; never the values. */
  types: string[];
  count: number;
}

const PLACEHOLDER = /\[([A-Z][A-Z0-9_]*)_(\d+)\]/g;

/**
 * One request's guardrail state: the placeholders handed out (the same value gets the same
 * placeholder throughout the request) and the decisions taken.
 */
export class RequestGuard {
  readonly decisions: GuardDecision[] = [];
  private readonly placeholders = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  /** Placeholder → original value, for rules with `restore: true`. */
  private restorable: Map<string, string> | undefined;

  constructor(readonly input: readonly CompiledRule[], readonly output: readonly CompiledRule[]) {}

  /** Whether answers must be scanned for placeholders to put the values back. */
  get restores(): boolean {
    return this.restorable !== undefined;
  }

  record(hit: Hit, direction: GuardDirection): void {
    for (const decision of this.decisions) {
      if (decision.rule === hit.rule.name && decision.direction === direction) {
        decision.count++;
        if (!decision.types.includes(hit.type)) decision.types.push(hit.type);
        return;
      }
    }
    this.decisions.push({ rule: hit.rule.name, action: hit.rule.action, direction, types: [hit.type], count: 1 });
  }

  /** The typed placeholder of a value: `[EMAIL_1]`, the same one each time the value recurs. */
  placeholder(type: string, value: string, restore: boolean): string {
    const key = `${type}\u0000${value}`;
    let placeholder = this.placeholders.get(key);
    if (placeholder === undefined) {
      const label = type.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
      const next = (this.counters.get(label) ?? 0) + 1;
      this.counters.set(label, next);
      placeholder = `[${label}_${next}]`;
      this.placeholders.set(key, placeholder);
    }
    if (restore) (this.restorable ??= new Map()).set(placeholder, value);
    return placeholder;
  }

  /**
   * The text with its hits applied: redactions replaced by placeholders, every hit recorded.
   * Blocks are the caller's to handle before.
   */
  apply(text: string, hits: readonly Hit[], direction: GuardDirection, upTo = text.length): string {
    let out = '';
    let at = 0;
    for (const hit of hits) {
      if (hit.end > upTo) break;
      this.record(hit, direction);
      if (hit.rule.action !== 'redact') continue;
      out += text.slice(at, hit.start) + this.placeholder(hit.type, text.slice(hit.start, hit.end), hit.rule.restore && direction === 'input');
      at = hit.end;
    }
    return at === 0 ? text.slice(0, upTo) : out + text.slice(at, upTo);
  }

  /** Puts back the values of restorable placeholders. */
  restore(text: string): string {
    const restorable = this.restorable;
    if (restorable === undefined || !text.includes('[')) return text;
    return text.replace(PLACEHOLDER, (placeholder) => restorable.get(placeholder) ?? placeholder);
  }
}
