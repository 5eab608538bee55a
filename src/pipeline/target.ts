import type { ProviderInstance } from '../providers/instance.js';
import type { ProviderKey } from '../providers/provider.js';
import type { UpstreamTimeouts } from '../providers/transport/http-transport.js';

/** One place a request can be sent: a provider instance and the model name it is sent as. */
export interface Target {
  readonly provider: ProviderInstance;
  /** The model name sent upstream. */
  readonly model: string;
  /** `provider/model`, as shown in headers, logs and metrics. */
  readonly ref: string;
  /** Relative weight within its group (weighted strategy). */
  readonly weight: number;
  /** The provider key the router chose for this attempt; when absent the attempt picks one itself. */
  readonly key?: ProviderKey;
  /** Timeouts the router computed for this attempt (provider config and request override); else `timeout_ms`. */
  readonly timeouts?: UpstreamTimeouts;
}

export type Strategy = 'weighted' | 'latency' | 'least-busy';

/** Candidates that are alternatives for one another, picked by a strategy. */
export interface TargetGroup {
  /** A route name, or the model as asked. */
  readonly name: string;
  readonly strategy: Strategy;
  readonly targets: readonly Target[];
}

/** Everything a request may be tried on, in order: the primary group, then each fallback. */
export interface RoutePlan {
  readonly requested: string;
  /** The route that matched, if the model named one. */
  readonly route: string | undefined;
  readonly groups: readonly TargetGroup[];
}

export function targetOf(provider: ProviderInstance, model: string, weight = 1): Target {
  return { provider, model, ref: `${provider.name}/${model}`, weight };
}
