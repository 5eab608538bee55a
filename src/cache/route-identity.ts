import type { PlanResolver } from '../pipeline/plan-resolver.js';

/** Names remembered at most; past it the memo starts again (callers may send many names). */
const MAX_NAMES = 10_000;

/** What a model name routes to. */
export interface Routed {
  /** As the exact key holds it: `route:<name>`, or `targets:<refs>` for an alias or model name. */
  readonly identity: string;
  /** The route's name, when the name resolves to a route (whose `cache` settings then apply). */
  readonly route: string | undefined;
}

/**
 * What a model name routes to, as the exact key holds it: the route's name, or the targets an
 * alias or model name resolves to. Two names for the same targets share entries; a reload that
 * points a name elsewhere changes its key. Undefined for a name nothing serves (the pipeline then
 * answers `model_not_found` as usual). Memoised per name.
 */
export class RouteIdentity {
  private readonly known = new Map<string, Routed | undefined>();

  constructor(private readonly resolver: PlanResolver) {}

  of(model: string): Routed | undefined {
    const known = this.known.get(model);
    if (known !== undefined || this.known.has(model)) return known;
    let routed: Routed | undefined;
    try {
      const plan = this.resolver.resolve(model);
      routed =
        plan.route !== undefined
          ? { identity: `route:${plan.route}`, route: plan.route }
          : { identity: `targets:${plan.groups.map((group) => group.targets.map((target) => target.ref).sort().join(',')).join('>')}`, route: undefined };
    } catch {
      routed = undefined;
    }
    if (this.known.size >= MAX_NAMES) this.known.clear();
    this.known.set(model, routed);
    return routed;
  }
}
