import { GatewayError } from '../spec/index.js';
import type { StoredItemsPage, StoredResponses } from '../pipeline/capabilities.js';
import type { Logger } from '../lib/logger.js';
import { RUNNING, type ResponseStore, type StoredRow } from './response-store.js';
import type { Sealer } from './sealer.js';

type Json = Record<string, unknown>;

const MAX_ID_LENGTH = 128;

/** A stored response, opened. */
export interface OpenedResponse {
  readonly row: StoredRow;
  readonly response: Json;
  readonly items: Json[];
}

/** What is kept of a new response. */
export interface NewResponse {
  id: string;
  owner: string;
  background: boolean;
  response: Json;
  items: readonly unknown[];
}

/**
 * Keeps responses for their owners: seals and opens content, enforces the owner (another key's
 * response is not found), tracks the background runs of this replica so that a cancel can stop
 * them, and the writes still in flight so that a read right after an answer sees it.
 */
export class ResponseKeeper implements StoredResponses {
  private readonly running = new Map<string, AbortController>();
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: ResponseStore,
    private readonly sealer: Sealer,
    private readonly retentionMs: () => number,
    private readonly logger: Logger,
  ) {}

  /** Stores a new response (a finished one, or a background one as it starts). */
  async insert(response: NewResponse): Promise<void> {
    const now = Date.now();
    const status = String(response.response.status);
    const row: StoredRow = {
      id: response.id,
      owner: response.owner,
      status,
      background: response.background,
      createdAt: now,
      expiresAt: now + this.retentionMs(),
      response: this.sealer.seal(JSON.stringify(response.response), response.id),
      inputItems: this.sealer.seal(JSON.stringify(response.items), response.id),
    };
    await this.track(response.id, this.store.insert(row));
  }

  /** Stores the end of a background response, unless it was cancelled (or deleted) meanwhile. */
  async finish(id: string, response: Json): Promise<boolean> {
    return this.track(id, this.store.finish(id, RUNNING, String(response.status), this.sealer.seal(JSON.stringify(response), id)));
  }

  /** A background run of this replica, stopped by `abort` on cancel. */
  startRun(id: string): AbortSignal {
    const controller = new AbortController();
    this.running.set(id, controller);
    return controller.signal;
  }

  endRun(id: string): void {
    this.running.delete(id);
  }

  /** The owner's stored response, or undefined. */
  async load(id: string, owner: string | undefined): Promise<OpenedResponse | undefined> {
    // Ids are ours (`resp_` and 48 hex digits); anything far from that is not looked up.
    if (id.length > MAX_ID_LENGTH) return undefined;
    await this.writing.get(id)?.catch(() => undefined);
    const row = await this.store.get(id, Date.now());
    if (row === undefined || row.owner !== (owner ?? '')) return undefined;
    try {
      return { row, response: JSON.parse(this.sealer.open(row.response, id)) as Json, items: JSON.parse(this.sealer.open(row.inputItems, id)) as Json[] };
    } catch (error) {
      this.logger.error('stored response cannot be opened', { response_id: id, error: error instanceof Error ? error.message : String(error) });
      throw new GatewayError('internal_error', 'The stored response cannot be read (was `responses.encryption_key` changed?).');
    }
  }

  async get(id: string, owner: string | undefined): Promise<Json | undefined> {
    return (await this.load(id, owner))?.response;
  }

  async inputItems(id: string, owner: string | undefined, page: { after?: string; limit: number; order: 'asc' | 'desc' }): Promise<StoredItemsPage | undefined> {
    const found = await this.load(id, owner);
    if (found === undefined) return undefined;
    let items = page.order === 'desc' ? [...found.items].reverse() : found.items;
    if (page.after !== undefined) {
      const at = items.findIndex((item) => item.id === page.after);
      items = at === -1 ? [] : items.slice(at + 1);
    }
    const data = items.slice(0, page.limit);
    return { data, first_id: idOf(data[0]), last_id: idOf(data[data.length - 1]), has_more: items.length > page.limit };
  }

  async delete(id: string, owner: string | undefined): Promise<boolean> {
    const found = await this.load(id, owner);
    if (found === undefined) return false;
    this.running.get(id)?.abort(new GatewayError('response_cancelled', `Response ${id} was deleted before it finished.`));
    return this.store.delete(id);
  }

  async cancel(id: string, owner: string | undefined): Promise<Json | undefined> {
    const found = await this.load(id, owner);
    if (found === undefined) return undefined;
    if (!found.row.background) throw new GatewayError('response_not_cancellable', 'Only responses created with `background: true` can be cancelled.');
    if (!(RUNNING as readonly string[]).includes(found.row.status)) return found.response;
    const cancelled = { ...found.response, status: 'cancelled' };
    const changed = await this.finish(id, cancelled);
    this.running.get(id)?.abort(new GatewayError('response_cancelled', `Response ${id} was cancelled.`));
    // It finished in the meantime: what it finished with stands.
    return changed ? cancelled : ((await this.load(id, owner))?.response ?? cancelled);
  }

  /** Deletes expired responses. */
  async purge(): Promise<void> {
    try {
      const count = await this.store.purge(Date.now());
      if (count > 0) this.logger.info('expired stored responses purged', { count });
    } catch (error) {
      this.logger.warn('purging expired stored responses failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Waits for the writes in flight (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }

  private async track<T>(id: string, write: Promise<T>): Promise<T> {
    this.writing.set(id, write);
    try {
      return await write;
    } finally {
      if (this.writing.get(id) === write) this.writing.delete(id);
    }
  }
}

function idOf(item: Json | undefined): string | null {
  return typeof item?.id === 'string' ? item.id : null;
}
