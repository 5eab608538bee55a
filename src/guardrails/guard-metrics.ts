import type { CounterFactory, MetricCounter } from '../pipeline/capabilities.js';
import type { GuardDecision } from './request-guard.js';

/** `tollgate_guardrail_decisions_total{rule, action, direction}`: findings per rule (a request counts each finding). */
export class GuardMetrics {
  private counter: MetricCounter | undefined;

  connect(factory: CounterFactory | undefined): void {
    this.counter = factory?.('tollgate_guardrail_decisions_total', 'Guardrail findings, by rule, action (block, redact, log) and direction (input, output).', ['rule', 'action', 'direction']);
  }

  count(decisions: readonly GuardDecision[]): void {
    const counter = this.counter;
    if (counter === undefined) return;
    for (const decision of decisions) counter.inc({ rule: decision.rule, action: decision.action, direction: decision.direction }, decision.count);
  }
}
