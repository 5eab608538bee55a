import type { QdrantClient } from '@qdrant/js-client-rest';
import { digest } from './request-key.js';
import { underNamespace, type VectorHit, type VectorIndex, type VectorMeta } from './vector-index.js';

interface Payload {
  entry_id: string;
  namespace: string;
  /** The namespace and every namespace above it, so clearing one clears its sub-namespaces. */
  namespaces: string[];
  filter: string;
  expires_at: number;
}

/** Connects the official Qdrant REST client (imported only when the config names Qdrant). */
export async function connectQdrant(url: string, apiKey: string | undefined): Promise<QdrantClient> {
  const { QdrantClient: Client } = await import('@qdrant/js-client-rest');
  return new Client({ url, ...(apiKey === undefined ? {} : { apiKey }), checkCompatibility: false, timeout: 10_000 });
}

/**
 * The semantic layer's vectors in a Qdrant collection (cosine distance), one per embedding model
 * and dimension, through Qdrant's REST API. Each point carries its entry, namespaces, filter and
 * expiry as payload; a search asks for the nearest point with the same filter that has not expired.
 */
export class QdrantVectorIndex implements VectorIndex {
  readonly kind = 'qdrant';
  private created: Promise<void> | undefined;

  constructor(private readonly client: QdrantClient, private readonly collection: string, private readonly dimensions: number) {}

  async search(vector: number[], filter: string, now: number): Promise<VectorHit | undefined> {
    if (vector.length !== this.dimensions) return undefined;
    await this.ensureCollection();
    const found = await this.client.query(this.collection, {
      query: vector,
      limit: 1,
      with_payload: true,
      filter: { must: [{ key: 'filter', match: { value: filter } }, { key: 'expires_at', range: { gt: now } }] },
    });
    const point = found.points[0];
    const payload = point?.payload as Payload | undefined | null;
    if (point === undefined || payload === undefined || payload === null || typeof payload.entry_id !== 'string') return undefined;
    return { meta: { entryId: payload.entry_id, namespace: payload.namespace, filter: payload.filter, expiresAt: payload.expires_at }, similarity: Math.max(0, Math.min(1, point.score)) };
  }

  async add(vector: number[], meta: VectorMeta): Promise<void> {
    if (vector.length !== this.dimensions) return;
    await this.ensureCollection();
    const payload: Payload = { entry_id: meta.entryId, namespace: meta.namespace, namespaces: ancestors(meta.namespace), filter: meta.filter, expires_at: meta.expiresAt };
    await this.client.upsert(this.collection, { wait: true, points: [{ id: pointId(meta.entryId), vector, payload: payload as unknown as Record<string, unknown> }] });
  }

  async forget(scope: { namespace?: string; id?: string }): Promise<void> {
    if (scope.id !== undefined) {
      await this.client.delete(this.collection, { wait: true, points: [pointId(scope.id)] });
      return;
    }
    if (scope.namespace !== undefined) {
      await this.client.delete(this.collection, { wait: true, filter: { must: [{ key: 'namespaces', match: { value: scope.namespace } }] } });
      return;
    }
    await this.client.deleteCollection(this.collection);
    this.created = undefined;
  }

  async size(): Promise<number> {
    await this.ensureCollection();
    return (await this.client.count(this.collection, { exact: true })).count;
  }

  async close(): Promise<void> {}

  private ensureCollection(): Promise<void> {
    this.created ??= (async () => {
      const { exists } = await this.client.collectionExists(this.collection);
      if (!exists) await this.client.createCollection(this.collection, { vectors: { size: this.dimensions, distance: 'Cosine' } });
    })().catch((error: unknown) => {
      this.created = undefined;
      throw error;
    });
    return this.created;
  }
}

/** A Qdrant point id (a UUID, which Qdrant requires) made from the whole entry id. */
export function pointId(entryId: string): string {
  const hex = digest(entryId).slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function ancestors(namespace: string): string[] {
  const parts = namespace.split('/');
  return parts.map((_, index) => parts.slice(0, index + 1).join('/')).filter((each) => underNamespace(namespace, each));
}
