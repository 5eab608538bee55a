/** What the semantic layer keeps with each vector. */
export interface VectorMeta {
  /** The exact-store entry holding the answer. */
  readonly entryId: string;
  readonly namespace: string;
  /** Namespace, route and every answer-changing parameter, hashed: only equal filters may match. */
  readonly filter: string;
  readonly expiresAt: number;
}

export interface VectorHit {
  readonly meta: VectorMeta;
  /** Cosine similarity (0–1 for the vectors embedding models give). */
  readonly similarity: number;
}

/**
 * Where the semantic layer keeps the vectors of one embedding model and dimension: an HNSW index
 * in this process (hnsw-vector-index.ts) or a Qdrant collection (qdrant-vector-index.ts).
 */
export interface VectorIndex {
  readonly kind: string;
  /** The nearest live vector with the same filter, or undefined. */
  search(vector: number[], filter: string, now: number): Promise<VectorHit | undefined>;
  add(vector: number[], meta: VectorMeta): Promise<void>;
  /** Removes the vectors of one entry, of a namespace and its sub-namespaces, or (no scope) all. */
  forget(scope: { namespace?: string; id?: string }): Promise<void>;
  /** Vectors held (live ones). */
  size(): number | Promise<number>;
  close(): Promise<void>;
}

/** Scales a vector to unit length (cosine similarity is then a dot product); undefined for a zero or malformed vector. */
export function normalized(vector: readonly number[] | undefined): number[] | undefined {
  if (vector === undefined || vector.length === 0) return undefined;
  let sum = 0;
  for (const value of vector) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    sum += value * value;
  }
  if (sum === 0) return undefined;
  const norm = Math.sqrt(sum);
  return vector.map((value) => value / norm);
}

/** Whether `namespace` is `parent` or below it. */
export function underNamespace(namespace: string, parent: string): boolean {
  return namespace === parent || namespace.startsWith(`${parent}/`);
}
