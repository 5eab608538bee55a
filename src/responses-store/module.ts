import type { ResponsesConfig } from '../config/responses-schema.js';
import { STORED_RESPONSES } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleContext } from '../pipeline/module.js';
import type { Storage } from '../storage/storage.js';
import { conversationStages } from './conversation-stages.js';
import { MemoryResponseStore } from './memory-response-store.js';
import { ResponseKeeper } from './response-keeper.js';
import type { ResponseStore } from './response-store.js';
import { aesGcmSealer, keyFrom, PLAIN } from './sealer.js';

const DAY_MS = 86_400_000;

async function openStore(storage: Storage): Promise<ResponseStore> {
  if (storage.kind === 'memory') return new MemoryResponseStore();
  // Loaded only when used, beside the storage they need.
  const { SqliteResponseStore, PostgresResponseStore } = await import('./sql-response-store.js');
  return storage.kind === 'sqlite' ? new SqliteResponseStore(storage.db) : PostgresResponseStore.open(storage.pool);
}

/**
 * Stored responses of the OpenAI Responses API (`store`, `previous_response_id`, background
 * responses), in the gateway's storage: a conversation continues whatever provider answers each
 * turn. Provides STORED_RESPONSES for the surface's retrieve, input items, delete and cancel routes.
 */
export async function responsesStoreModule(context: ModuleContext): Promise<GatewayModule> {
  let settings: ResponsesConfig = context.config.responses;
  const sealer = settings.encryption_key === undefined ? PLAIN : aesGcmSealer(keyFrom(settings.encryption_key));
  const keeper = new ResponseKeeper(await openStore(context.storage), sealer, () => settings.retention_days * DAY_MS, context.logger);
  context.capabilities.provide(STORED_RESPONSES, keeper, 'responses-store');
  const startPurging = (minutes: number) => {
    const timer = setInterval(() => void keeper.purge(), minutes * 60_000);
    timer.unref();
    return timer;
  };
  let purging = startPurging(settings.purge_interval_minutes);
  void keeper.purge();
  return {
    name: 'responses-store',
    stages: conversationStages(keeper, { storeDefault: () => settings.store_default }, context.logger),
    reconfigure(next) {
      // The encryption key is read at start-up only: rows sealed with one key do not open with another.
      const interval = settings.purge_interval_minutes;
      settings = { ...next.config.responses, ...(settings.encryption_key === undefined ? {} : { encryption_key: settings.encryption_key }) };
      if (settings.purge_interval_minutes !== interval) {
        clearInterval(purging);
        purging = startPurging(settings.purge_interval_minutes);
      }
    },
    async close() {
      clearInterval(purging);
      await keeper.settle();
    },
  };
}
