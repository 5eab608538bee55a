import { providerSchema } from '../config/provider-schema.js';
import { routeSchema, type GatewayConfig } from '../config/schema.js';
import { Sealer } from '../lib/sealer.js';
import { openDefinitionStore } from '../storage/definition-store.js';
import type { Storage } from '../storage/storage.js';
import type { SectionKey, SectionSpec } from './stored-definitions.js';

/**
 * The config sections the admin API changes at run time: `routes` (table `routing_routes`) and
 * `providers` (table `routing_providers`, sealed with `storage.encryption_key`: they hold keys).
 */
export function definitionSections(storage: Storage, config: GatewayConfig): { [K in SectionKey]: SectionSpec<K> } {
  return {
    routes: { key: 'routes', noun: 'route', schema: routeSchema, name: /^[A-Za-z0-9_.:@-]{1,128}$/, nameRule: '1 to 128 letters, digits, `_`, `.`, `:`, `@` or `-`', store: openDefinitionStore(storage, 'routing_routes') },
    providers: {
      key: 'providers',
      noun: 'provider',
      schema: providerSchema,
      name: /^[A-Za-z0-9_.-]{1,128}$/,
      nameRule: '1 to 128 letters, digits, `_`, `.` or `-`',
      store: openDefinitionStore(storage, 'routing_providers'),
      // Nothing is written anywhere with memory storage: nothing to seal, nothing to warn about.
      ...(storage.kind === 'memory' ? {} : { sealer: new Sealer(config.storage.encryption_key, 'storage.encryption_key') }),
      sealerSetting: 'storage.encryption_key',
    },
  };
}
