import type { PlanResolver } from '../pipeline/plan-resolver.js';

/** Names remembered at most; past it the memo starts again (callers may send many names). */
const MAX_NAMES = 10_000;

/**
 * What a model name routes to, as the exact key holds it: the route's name, or the targets an
 * alias or model name resolves to. Two names for the same targets share entries; a reload that
 * points a name elsewhere changes its key. Undefined for a name nothing serves (the pipeline then
 * answers `model_not_found` as usual). Memoised per name.
 */
export class RouteIdentity {
  private readonly known = new Map<string, string | undefined>();

  constructor(private readonly resolver: PlanResolver) {}

  of(model: string): string | undefined {
    if (this.known.has(model)) return this.known.get(model);
    let identity: string | undefined;
    try {
      const plan = this.resolver.resolve(model);
      identity = plan.route !== undefined ? `route:${plan.route}` : `targets:${plan.groups.map((group) => group.targets.map((target) => target.ref).sort().join(',')).join('>')}`;
    } catch {
      identity = undefined;
    }
    if (this.known.size >= MAX_NAMES) this.known.clear();
    this.known.set(model, identity);
    return identity;
  }
}
