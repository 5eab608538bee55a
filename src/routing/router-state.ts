import type { RoutingConfig } from '../config/routing-schema.js';
import type { UpstreamTimeouts } from '../providers/transport/http-transport.js';
import type { RouterEnvironment } from './clock.js';
import type { HealthRegistry } from './health-registry.js';

/** What every routing session of one router shares. */
export interface RouterState {
  config: RoutingConfig;
  readonly health: HealthRegistry;
  readonly environment: RouterEnvironment;
  /** Per provider name, from `timeout_ms` and `timeouts`. */
  timeouts: ReadonlyMap<string, UpstreamTimeouts>;
}
