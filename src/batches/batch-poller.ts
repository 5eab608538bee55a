import type { Logger } from '../lib/logger.js';
import { targetOf } from '../pipeline/target.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { refreshBatch, type BatchesContext } from './batch-endpoints.js';

/** Longest a background refresh of one batch may take. */
const REFRESH_TIMEOUT_MS = 120_000;

/**
 * Polls the provider for every batch running there that is not settled yet, every
 * `batches.poll_interval_ms`, so that a batch nobody retrieves is still priced, logged and charged
 * soon after it ends (rather than its hold being charged in full when it expires). One poll at a
 * time; a batch whose provider is gone from the config is skipped.
 */
export class BatchPoller {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly shared: BatchesContext,
    private readonly transport: HttpTransport,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const interval = this.shared.settings().batches.poll_interval_ms;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        if (!this.stopped) this.start();
      });
    }, interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  private async poll(): Promise<void> {
    let batches;
    try {
      batches = await this.shared.store.unsettledProviderBatches();
    } catch (error) {
      this.logger.warn('batches: could not list the batches to poll', { error: (error as Error)?.message });
      return;
    }
    for (const record of batches) {
      if (this.stopped) return;
      const provider = this.shared.settings().providers.get(record.provider);
      if (provider === undefined) continue;
      try {
        await refreshBatch(this.shared, targetOf(provider, typeof record.object.model === 'string' ? record.object.model : '*'), record, this.transport, AbortSignal.timeout(REFRESH_TIMEOUT_MS));
      } catch (error) {
        this.logger.warn('batches: could not poll a batch', { batch: record.id, provider: record.provider, error: (error as Error)?.message });
      }
    }
  }
}
