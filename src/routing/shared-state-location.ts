import type { GatewayConfig } from '../config/schema.js';

/** Where shared circuits live, from `routing.shared_state` (and `governance.spend_store` for `auto`); undefined: local only. */
export function sharedStateLocation(config: GatewayConfig): { url: string; prefix: string } | undefined {
  const shared = config.routing.shared_state;
  if (shared.type === 'local') return undefined;
  if (shared.type === 'redis') return { url: shared.url!, prefix: shared.key_prefix ?? 'tollgate:{routing}:' };
  const ledger = config.governance.spend_store;
  if (ledger.type !== 'redis') return undefined;
  return { url: ledger.url!, prefix: shared.key_prefix ?? `${ledger.key_prefix ?? 'tollgate:{governance}:'}routing:` };
}
