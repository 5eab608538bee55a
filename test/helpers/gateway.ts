import { validateConfig } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/gateway.js';
import { createLogger } from '../../src/lib/logger.js';

export interface RunningGateway {
  gateway: Gateway;
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  /** Captured JSON log lines (for "no secret in logs" checks). */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Starts a real gateway on a random loopback port from a raw config object (validated exactly
 * as a config file would be). Storage defaults to memory unless the config says otherwise.
 */
export async function startGateway(raw: Record<string, unknown>, options: GatewayOptions = {}): Promise<RunningGateway> {
  const withDefaults = { storage: { type: 'memory' }, ...raw, server: { port: 0, host: '127.0.0.1', shutdown_grace_ms: 2000, ...(raw.server as object | undefined) } };
  const config: GatewayConfig = validateConfig(withDefaults, 'test config', process.env);
  const logs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (text) => {
      for (const line of text.split('\n')) if (line.length > 0) logs.push(line);
    },
  });
  const gateway = await createGateway(config, { configSource: 'test config', logger, ...options });
  const address = await gateway.listen(0, '127.0.0.1');
  return { gateway, url: address.url, logs, close: () => gateway.close() };
}
