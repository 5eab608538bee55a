import { existsSync } from 'node:fs';
import { open as openFile, readFile, rename } from 'node:fs/promises';
import { underNamespace, type VectorHit, type VectorIndex, type VectorMeta } from './vector-index.js';

/** Vectors room is made for at first; the index doubles as it fills, up to its maximum. */
const INITIAL_CAPACITY = 1024;
/** HNSW parameters: links per node, and the candidate lists of building and searching. */
const M = 16;
const EF_CONSTRUCTION = 100;
const EF_SEARCH = 64;
/**
 * Neighbours a lookup first takes without a filter (as many as the search visits anyway). hnswlib calls a JavaScript filter for every node
 * it visits (about three times the cost of a plain search, bench/semantic-index.ts), so a lookup
 * first takes the nearest few unfiltered and keeps the nearest with its filter; only when none of
 * them has it (a namespace with few entries among many) does it search again with the filter.
 */
const UNFILTERED_NEIGHBOURS = EF_SEARCH;

/**
 * What the index uses of hnswlib-node's HierarchicalNSW (declared here, so the build does not need
 * the optional native package: it is loaded only when the semantic layer runs).
 */
interface HierarchicalNSW {
  initIndex(options: { maxElements: number; m?: number; efConstruction?: number; randomSeed?: number; allowReplaceDeleted?: boolean }): void;
  readIndex(filename: string, allowReplaceDeleted?: boolean): Promise<boolean>;
  writeIndex(filename: string): Promise<boolean>;
  resizeIndex(maxElements: number): void;
  addPoint(point: number[], label: number, replaceDeleted?: boolean): void;
  markDelete(label: number): void;
  searchKnn(query: number[], neighbors: number, filter?: (label: number) => boolean): { distances: number[]; neighbors: number[] };
  getCurrentCount(): number;
  getMaxElements(): number;
  setEf(ef: number): void;
}

interface HnswLibrary {
  HierarchicalNSW: new (space: 'cosine' | 'l2' | 'ip', dimensions: number) => HierarchicalNSW;
}

/** The optional package's name, kept out of a literal import so the build does not look for its types. */
const PACKAGE = 'hnswlib-node';

let library: Promise<HnswLibrary> | undefined;

/** hnswlib-node, loaded on first use (a native addon: only gateways with the semantic layer pay for it). */
function loadLibrary(): Promise<HnswLibrary> {
  library ??= (import(PACKAGE) as Promise<{ default?: HnswLibrary } & HnswLibrary>).then((module) => module.default ?? module);
  return library;
}

/** Labels written per turn of the event loop while the map beside the graph is saved. */
const LABELS_PER_TURN = 2_000;

/** Where an index is saved, how often, and who hears of a failed save. */
export interface IndexPersistence {
  readonly path: string;
  /** A change is written at most this long after it (debounced); also at close. */
  readonly intervalMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * The semantic layer's vectors in an HNSW graph (hnswlib) in this process: cosine space, labels
 * numbered as vectors arrive, each label's entry, namespace, filter and expiry in a map beside it.
 * Past `maxElements` the oldest vector's slot is reused. With `persistence`, the graph and the map
 * are written to `<path>` and `<path>.json` within `intervalMs` of a change and at close, and read
 * back at start-up: a crash loses at most the last interval's vectors. The graph is written by
 * hnswlib on a thread of libuv's pool and the map a few thousand labels per turn of the event loop;
 * changes wait for a save in progress (searches do not).
 */
export class HnswVectorIndex implements VectorIndex {
  readonly kind = 'embedded';
  private readonly labels = new Map<number, VectorMeta>();
  private readonly byEntry = new Map<string, number>();
  private nextLabel = 0;
  private capacity: number;
  private readonly path: string | undefined;
  /** Changed since the last save. */
  private dirty = false;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private closed = false;

  private constructor(private readonly index: HierarchicalNSW, private readonly dimensions: number, private readonly maxElements: number, private readonly persistence: IndexPersistence | undefined, capacity: number) {
    this.capacity = capacity;
    this.path = persistence?.path;
  }

  static async open(dimensions: number, maxElements: number, persistence: IndexPersistence | undefined): Promise<HnswVectorIndex> {
    const path = persistence?.path;
    const { HierarchicalNSW: Hnsw } = await loadLibrary();
    const index = new Hnsw('cosine', dimensions);
    if (path !== undefined && existsSync(path) && existsSync(`${path}.json`)) {
      try {
        const saved = JSON.parse(await readFile(`${path}.json`, 'utf8')) as { dimensions: number; nextLabel: number; labels: [number, VectorMeta][] };
        if (saved.dimensions === dimensions) {
          await index.readIndex(path, true);
          const opened = new HnswVectorIndex(index, dimensions, maxElements, persistence, index.getMaxElements());
          opened.nextLabel = saved.nextLabel;
          for (const [label, meta] of saved.labels) opened.remember(label, meta);
          index.setEf(EF_SEARCH);
          return opened;
        }
      } catch {
        // An unreadable file starts a new index (its entries stay in the exact layer).
      }
    }
    const capacity = Math.min(INITIAL_CAPACITY, maxElements);
    index.initIndex({ maxElements: capacity, m: M, efConstruction: EF_CONSTRUCTION, randomSeed: 100, allowReplaceDeleted: true });
    index.setEf(EF_SEARCH);
    return new HnswVectorIndex(index, dimensions, maxElements, persistence, capacity);
  }

  async search(vector: number[], filter: string, now: number): Promise<VectorHit | undefined> {
    if (vector.length !== this.dimensions || this.labels.size === 0) return undefined;
    const matches = (label: number) => {
      const meta = this.labels.get(label);
      return meta !== undefined && meta.filter === filter && meta.expiresAt > now;
    };
    // hnswlib returns no more neighbours than it holds, deleted ones included.
    const nearest = this.index.searchKnn(vector, Math.min(UNFILTERED_NEIGHBOURS, this.index.getCurrentCount()));
    let found: { label: number; distance: number } | undefined;
    for (let index = 0; index < nearest.neighbors.length; index++) {
      const label = nearest.neighbors[index]!;
      if (!matches(label)) continue;
      const distance = nearest.distances[index]!;
      if (found === undefined || distance < found.distance) found = { label, distance };
    }
    if (found === undefined) {
      const filtered = this.index.searchKnn(vector, 1, matches);
      const label = filtered.neighbors[0];
      const distance = filtered.distances[0];
      if (label === undefined || distance === undefined) return undefined;
      found = { label, distance };
    }
    const meta = this.labels.get(found.label);
    return meta === undefined ? undefined : { meta, similarity: Math.max(0, Math.min(1, 1 - found.distance)) };
  }

  async add(vector: number[], meta: VectorMeta): Promise<void> {
    if (vector.length !== this.dimensions) return;
    while (this.saving !== undefined) await this.saving;
    const previous = this.byEntry.get(meta.entryId);
    if (previous !== undefined) this.drop(previous);
    const slots = this.index.getCurrentCount();
    const free = slots - this.labels.size;
    if (free === 0 && slots >= this.capacity) {
      if (this.capacity < this.maxElements) {
        this.capacity = Math.min(this.capacity * 2, this.maxElements);
        this.index.resizeIndex(this.capacity);
      } else {
        // Full: the oldest vector (the first label in insertion order) gives up its slot.
        const oldest = this.labels.keys().next().value as number;
        this.drop(oldest);
      }
    }
    const label = this.nextLabel++;
    this.index.addPoint(vector, label, this.index.getCurrentCount() > this.labels.size);
    this.remember(label, meta);
    this.changed();
  }

  async forget(scope: { namespace?: string; id?: string }): Promise<void> {
    while (this.saving !== undefined) await this.saving;
    for (const [label, meta] of [...this.labels]) {
      if (scope.id !== undefined && meta.entryId !== scope.id) continue;
      if (scope.namespace !== undefined && !underNamespace(meta.namespace, scope.namespace)) continue;
      this.drop(label);
      this.changed();
    }
  }

  size(): number {
    return this.labels.size;
  }

  /** Bytes the graph takes, by hnswlib's layout: each slot's vector and level-0 links, plus upper levels (about 1/M of nodes). */
  memoryBytes(): number {
    const perSlot = this.dimensions * 4 + (M * 2 * 4 + 4) + 8 + (M * 4 + 4) / M + 16;
    return Math.round(this.capacity * perSlot);
  }

  /** Writes the changes not saved yet, now; resolves once they are on disk. */
  async flush(): Promise<void> {
    while (this.saving !== undefined) await this.saving;
    this.save();
    await this.saving;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }

  /** A change: saved within the interval (one timer at a time, not one per change). */
  private changed(): void {
    this.dirty = true;
    if (this.persistence === undefined || this.saveTimer !== undefined || this.closed) return;
    this.saveTimer = setTimeout(() => this.save(), this.persistence.intervalMs);
    this.saveTimer.unref();
  }

  private save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.dirty || this.persistence === undefined || this.saving !== undefined) return;
    this.dirty = false;
    const persistence = this.persistence;
    this.saving = this.write(persistence.path)
      .catch((error: unknown) => {
        // Tried again with the next change (or at close).
        this.dirty = true;
        persistence.onError(error);
      })
      .finally(() => {
        this.saving = undefined;
      });
  }

  /** The graph (hnswlib writes it off the event loop), then the labels in steps, each to a temporary file renamed over the last save. */
  private async write(path: string): Promise<void> {
    await this.index.writeIndex(`${path}.tmp`);
    const file = await openFile(`${path}.json.tmp`, 'w');
    try {
      let text = `{"dimensions":${this.dimensions},"nextLabel":${this.nextLabel},"labels":[`;
      let count = 0;
      for (const item of this.labels) {
        text += (count === 0 ? '' : ',') + JSON.stringify(item);
        if (++count % LABELS_PER_TURN === 0) {
          await file.write(text);
          text = '';
        }
      }
      await file.write(`${text}]}`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(`${path}.tmp`, path);
    await rename(`${path}.json.tmp`, `${path}.json`);
  }

  private remember(label: number, meta: VectorMeta): void {
    this.labels.set(label, meta);
    this.byEntry.set(meta.entryId, label);
  }

  private drop(label: number): void {
    const meta = this.labels.get(label);
    if (meta === undefined) return;
    this.labels.delete(label);
    if (this.byEntry.get(meta.entryId) === label) this.byEntry.delete(meta.entryId);
    this.index.markDelete(label);
  }
}
