import type { RoutePlan } from './target.js';

/** Turns the model a caller asked for into a plan. Implemented by routing's ModelResolver. */
export interface PlanResolver {
  /** Throws `model_not_found`. `fallbacks` are appended as extra groups. */
  resolve(model: string, fallbacks?: readonly string[]): RoutePlan;
  /** Every model name a caller may send. */
  models(): readonly string[];
}
