import type { ConfigIssue } from '../config/config-error.js';
import { canServe, hasKeyFor, listsModel, type ProviderInstance } from '../providers/instance.js';
import { GatewayError } from '../spec/index.js';
import type { PlanResolver } from '../pipeline/plan-resolver.js';
import { targetOf, type RoutePlan, type Strategy, type Target, type TargetGroup } from '../pipeline/target.js';

export interface RouteDefinition {
  targets: { model: string; weight: number }[];
  strategy: Strategy;
  fallbacks: string[];
}

export interface ResolverConfig {
  providers: ReadonlyMap<string, ProviderInstance>;
  aliases: Record<string, string>;
  routes: Record<string, RouteDefinition>;
}

const MAX_DEPTH = 8;

/**
 * Turns the `model` a caller asked for into a plan: a route, an alias, `provider/model` (split on
 * the first `/`), or a bare model served by the providers that list it. Routes and aliases are
 * resolved once at start-up; unknown models are refused (deny by default).
 */
export class ModelResolver implements PlanResolver {
  private readonly named = new Map<string, RoutePlan>();
  private readonly byModel = new Map<string, Target[]>();
  private readonly listed: string[];

  constructor(private readonly config: ResolverConfig, issues: ConfigIssue[] = []) {
    for (const instance of config.providers.values()) {
      // Only exact entries name a bare model; a wildcard entry is reached as `provider/model`.
      for (const model of instance.models?.exact ?? []) {
        if (!canServe(instance, model)) continue;
        const targets = this.byModel.get(model) ?? [];
        targets.push(targetOf(instance, model));
        this.byModel.set(model, targets);
      }
    }
    for (const name of Object.keys(config.routes)) {
      try {
        this.named.set(name, this.resolveRoute(name, 0, []));
      } catch (error) {
        issues.push({ path: `routes.${name}`, message: (error as Error).message, fix: 'point targets and fallbacks at configured `provider/model`s, models, aliases or routes' });
      }
    }
    for (const alias of Object.keys(config.aliases)) {
      if (this.named.has(alias)) continue;
      try {
        this.named.set(alias, { ...this.resolveUncached(config.aliases[alias]!, 1, [alias]), requested: alias });
      } catch (error) {
        issues.push({ path: `aliases.${alias}`, message: (error as Error).message, fix: 'alias a configured `provider/model`, model or route' });
      }
    }
    this.listed = [...new Set([...Object.keys(config.routes), ...Object.keys(config.aliases), ...this.byModel.keys(), ...this.directModels()])].sort();
  }

  /** The plan for `model`, plus `fallbacks` the caller sent with the request. Throws `model_not_found`. */
  resolve(model: string, fallbacks?: readonly string[]): RoutePlan {
    const plan = this.named.get(model) ?? this.resolveUncached(model, 0, []);
    if (fallbacks === undefined || fallbacks.length === 0) return plan;
    const groups = [...plan.groups];
    for (const fallback of fallbacks) groups.push(...this.resolve(fallback).groups);
    return { ...plan, groups };
  }

  provider(name: string, model: string | undefined): RoutePlan {
    const instance = this.config.providers.get(name);
    if (instance === undefined) {
      const known = [...this.config.providers.keys()].join(', ');
      throw new GatewayError('provider_not_found', `No provider is named \`${name.slice(0, 100)}\`${known === '' ? '' : `; configured: ${known}`}.`);
    }
    const requested = `${instance.name}/${model ?? '*'}`;
    return { requested, route: undefined, groups: [{ name: requested, strategy: 'weighted', targets: [targetOf(instance, model ?? '*')] }] };
  }

  /** Every model name a caller may send, for `GET /v1/models`. */
  models(): readonly string[] {
    return this.listed;
  }

  private *directModels(): Iterable<string> {
    for (const instance of this.config.providers.values()) {
      for (const model of instance.models?.exact ?? []) if (canServe(instance, model)) yield `${instance.name}/${model}`;
    }
  }

  private resolveRoute(name: string, depth: number, seen: string[]): RoutePlan {
    const route = this.config.routes[name]!;
    if (seen.includes(name)) throw new Error(`route cycle: ${[...seen, name].join(' → ')}`);
    if (depth > MAX_DEPTH) throw new Error(`routes nest deeper than ${MAX_DEPTH}`);
    const path = [...seen, name];
    const targets: Target[] = [];
    for (const target of route.targets) {
      const found = this.resolveUncached(target.model, depth + 1, path).groups[0]!.targets;
      const share = target.weight / found.length;
      for (const each of found) targets.push({ ...each, weight: share });
    }
    const groups: TargetGroup[] = [{ name, strategy: route.strategy, targets }];
    for (const fallback of route.fallbacks) groups.push(...this.resolveUncached(fallback, depth + 1, path).groups);
    return { requested: name, route: name, groups };
  }

  private resolveUncached(model: string, depth: number, seen: string[]): RoutePlan {
    if (this.config.routes[model] !== undefined) return this.named.get(model) ?? this.resolveRoute(model, depth, seen);
    const alias = this.config.aliases[model];
    if (alias !== undefined) {
      if (seen.includes(model) || depth > MAX_DEPTH) throw new Error(`alias cycle: ${[...seen, model].join(' → ')}`);
      return { ...this.resolveUncached(alias, depth + 1, [...seen, model]), requested: model };
    }
    const slash = model.indexOf('/');
    if (slash > 0) {
      const instance = this.config.providers.get(model.slice(0, slash));
      const upstreamModel = model.slice(slash + 1);
      if (instance !== undefined && upstreamModel.length > 0) {
        if (!listsModel(instance, upstreamModel)) throw this.notFound(model, `provider \`${instance.name}\` is not configured to serve \`${upstreamModel}\``);
        if (!hasKeyFor(instance, upstreamModel)) throw this.notFound(model, `no key of provider \`${instance.name}\` may serve \`${upstreamModel}\``);
        return { requested: model, route: undefined, groups: [{ name: model, strategy: 'weighted', targets: [targetOf(instance, upstreamModel)] }] };
      }
    }
    const targets = this.byModel.get(model);
    if (targets !== undefined) return { requested: model, route: undefined, groups: [{ name: model, strategy: 'weighted', targets }] };
    throw this.notFound(model, this.keyRestriction(model));
  }

  /** Why a bare model that some provider lists is still refused: none of that provider's keys may serve it. */
  private keyRestriction(model: string): string | undefined {
    for (const instance of this.config.providers.values()) {
      if (instance.models?.exact.has(model) === true && !hasKeyFor(instance, model)) return `no key of provider \`${instance.name}\` may serve \`${model}\``;
    }
    return undefined;
  }

  private notFound(model: string, reason: string | undefined): GatewayError {
    const known = this.listed === undefined ? [] : this.listed;
    const sample = known.slice(0, 20).join(', ');
    const more = known.length > 20 ? `, … (${known.length} in all, see GET /v1/models)` : '';
    const shown = model.length > 200 ? `${model.slice(0, 200)}…` : model;
    const message = `The model \`${shown}\` does not exist or is not configured${reason ? `: ${reason}` : ''}. ${known.length > 0 ? `Configured models: ${sample}${more}.` : 'No models are configured.'}`;
    return new GatewayError('model_not_found', message, { param: 'model' });
  }
}
