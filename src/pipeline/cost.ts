import type { BilledUnits, Usage } from '../spec/index.js';
import type { RequestCost } from './context.js';
import type { Target } from './target.js';

/** Prices requests. The pricing catalog implements it; the pipeline only asks these two questions. */
export interface CostCalculator {
  /**
   * The exact cost of `usage` on `target`; `known: false` when the price or the usage is unknown.
   * `batch`: at the provider's batch rates (`batch_input`/`batch_output`), for lines of a native batch.
   */
  cost(target: Target, usage: Usage | undefined, options?: { readonly batch?: boolean }): RequestCost;
  /**
   * Worst-case cost of an attempt, for budget reservations; undefined when the model has no price.
   * `units`: what an operation priced per unit expects to bill (images, searches), or that it is
   * free unless priced (moderations: 0 rather than undefined).
   */
  maxCost(target: Target, inputTokens: number, maxOutputTokens: number | undefined, units?: BilledUnits): number | undefined;
  /** The output tokens an attempt may produce: `max_tokens` or the configured default, capped at the model's output limit. */
  reservedOutput(target: Target, maxOutputTokens: number | undefined): number;
  /** The exact sum of several costs (the turns of a conducted request); unknown when one is. */
  total?(costs: readonly RequestCost[]): RequestCost;
}
