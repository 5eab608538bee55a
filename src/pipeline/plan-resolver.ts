import type { RoutePlan } from './target.js';

/** Turns the model a caller asked for into a plan. Implemented by routing's ModelResolver. */
export interface PlanResolver {
  /** Throws `model_not_found`. `fallbacks` are appended as extra groups. */
  resolve(model: string, fallbacks?: readonly string[]): RoutePlan;
  /**
   * A plan of one provider, for a request addressed to it (the pass-through route): its target is
   * `model` at that provider, or `*` when the request names none. Throws `provider_not_found`.
   */
  provider?(name: string, model: string | undefined): RoutePlan;
  /** Every model name a caller may send. */
  models(): readonly string[];
}
