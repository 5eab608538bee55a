import type { Logger } from '../lib/logger.js';
import type { InternalEmbedder } from '../pipeline/capabilities.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ChatRequest, Message } from '../spec/index.js';
import type { CacheEntry, ExactStore } from './cache-entry.js';
import { canonicalJson } from './canonical-json.js';
import { answerParameters, digest } from './request-key.js';
import type { SemanticLayer, SemanticMatch } from './semantic-layer.js';
import { normalized, type VectorIndex, type VectorMeta } from './vector-index.js';

export interface SemanticSettings {
  /** The embedding model, as a caller would name it. */
  readonly model: string;
  /** Earlier turns embedded with the last user turn; longer conversations are not cached semantically. */
  readonly historyTurns: number;
  readonly excludeSystemPrompt: boolean;
  /** Whether prompts that carry tool results are looked up and stored too. */
  readonly toolResults: boolean;
}

/** Longest text embedded (characters): a longer prompt is cached exactly only, not sent to the embedding model. */
const MAX_EMBEDDED_CHARS = 32_000;

/** A vector one process indexed, for the others that keep their own index (`tollgate --workers`, embedded index). */
export interface IndexedVector {
  readonly model: string;
  readonly vector: number[];
  readonly meta: VectorMeta;
}

/** What the semantic layer of one worker tells the others (SemanticCache.shareVectors / hearVectors). */
export interface VectorNews {
  readonly added?: readonly IndexedVector[];
  /** An admin's deletion: a namespace, an entry, or everything (neither). */
  readonly forgotten?: { readonly namespace?: string; readonly id?: string };
}

/** A request as the semantic layer knows it, between the lookup and the store. */
interface Note {
  readonly namespace: string;
  /** Namespace, route, answer-changing parameters (and the system prompt when it is not embedded), hashed. */
  readonly filter: string;
  readonly text: string;
  /** Filled by the lookup: the embedding, its model, so the answer is indexed under it. */
  vector?: number[];
  model?: string;
}

/**
 * The semantic layer: the prompt's last user turn (with up to `historyTurns` earlier turns, and the
 * system prompt unless excluded) embedded through the gateway's own providers, and the nearest
 * earlier prompt with the same filter looked up in the vector index of that embedding model and
 * dimension (a change of either opens another index rather than mixing vectors). The answer is
 * the exact store's entry the vector points to.
 */
export class SemanticCache implements SemanticLayer {
  private readonly indexes = new Map<string, Promise<VectorIndex>>();
  private failureLogged = false;
  /** Where this process's news goes (`--workers` with an embedded index; see cluster-cache.ts), and the vectors indexed this turn. */
  private announce: ((news: VectorNews) => void) | undefined;
  private added: IndexedVector[] = [];

  constructor(
    private settings: SemanticSettings,
    private readonly embed: InternalEmbedder,
    private readonly store: ExactStore,
    private readonly openIndex: (model: string, dimensions: number) => Promise<VectorIndex>,
    private readonly logger: Logger,
  ) {}

  reconfigure(settings: SemanticSettings): void {
    this.settings = settings;
  }

  prepare(namespace: string, route: string, request: ChatRequest): Note | undefined {
    const { settings } = this;
    let system = '';
    const turns: Message[] = [];
    for (const message of request.messages) {
      if (message.role === 'system') system += textOnly(message.content) ?? '\u0000';
      else if (message.role === 'tool' && !settings.toolResults) return undefined;
      else turns.push(message);
    }
    const last = turns.at(-1);
    if (last === undefined || last.role !== 'user' || turns.length - 1 > settings.historyTurns) return undefined;
    let text = settings.excludeSystemPrompt || system === '' ? '' : `system: ${system}\n`;
    for (const turn of turns) {
      const content = textOnly(turn.content);
      // Images and files are not embedded: such prompts are cached exactly only.
      if (content === undefined) return undefined;
      if (turn.role === 'assistant' && turn.toolCalls !== undefined && turn.toolCalls.length > 0 && !settings.toolResults) return undefined;
      text += `${turn.role}: ${content}\n`;
      if (text.length > MAX_EMBEDDED_CHARS) return undefined;
    }
    const filter = digest(canonicalJson({ v: 1, ns: namespace, route, embedding: settings.model, parameters: answerParameters(request), system: settings.excludeSystemPrompt ? system : undefined }));
    return { namespace, filter, text };
  }

  async search(context: RequestContext, prepared: unknown, threshold: number, now: number): Promise<SemanticMatch | undefined> {
    const note = prepared as Note;
    const model = this.settings.model;
    let vector: number[] | undefined;
    try {
      const response = await this.embed(context, model, [note.text]);
      vector = normalized(response.embeddings[0]);
    } catch (error) {
      this.reportFailure('the embedding call failed', error);
      return undefined;
    }
    if (vector === undefined) return undefined;
    note.vector = vector;
    note.model = model;
    try {
      const index = await this.indexFor(model, vector.length);
      const hit = await index.search(vector, note.filter, now);
      if (hit === undefined || hit.similarity < threshold) return undefined;
      const entry = await this.store.get(hit.meta.entryId, now);
      return entry === undefined ? undefined : { entry, similarity: hit.similarity };
    } catch (error) {
      this.reportFailure('the vector index failed', error);
      return undefined;
    }
  }

  add(prepared: unknown, entry: CacheEntry): void {
    const note = prepared as Note;
    const { vector, model } = note;
    if (vector === undefined || model === undefined) return;
    const meta: VectorMeta = { entryId: entry.id, namespace: entry.namespace, filter: note.filter, expiresAt: entry.expiresAt };
    this.addHere({ model, vector, meta });
    if (this.announce === undefined) return;
    // The turn's vectors go to the other workers in one message.
    if (this.added.length === 0) setImmediate(() => this.sendAdded());
    this.added.push({ model, vector, meta });
  }

  async forget(scope: { namespace?: string; id?: string }): Promise<void> {
    await this.forgetHere(scope);
    this.announce?.({ forgotten: scope });
  }

  /**
   * Shares this layer's index with the other processes that keep their own (`tollgate --workers` with
   * the embedded index): `send` gets the vectors indexed here and the admin's deletions; theirs come
   * back through `hearVectors`, so a prompt stored on one worker is found semantically on every one.
   */
  shareVectors(send: (news: VectorNews) => void): void {
    this.announce = send;
  }

  hearVectors(news: VectorNews): void {
    for (const added of news.added ?? []) this.addHere(added);
    if (news.forgotten !== undefined) void this.forgetHere(news.forgotten).catch((error: unknown) => this.reportFailure('forgetting vectors failed', error));
  }

  /** The open indexes (for the benchmark's memory figure and the admin state). */
  async opened(): Promise<VectorIndex[]> {
    return Promise.all(this.indexes.values());
  }

  async close(): Promise<void> {
    for (const index of this.indexes.values()) await (await index.catch(() => undefined))?.close();
  }

  private addHere({ model, vector, meta }: IndexedVector): void {
    void this.indexFor(model, vector.length)
      .then((index) => index.add(vector, meta))
      .catch((error: unknown) => this.reportFailure('indexing an answer failed', error));
  }

  private sendAdded(): void {
    const added = this.added;
    this.added = [];
    if (added.length > 0) this.announce?.({ added });
  }

  private async forgetHere(scope: { namespace?: string; id?: string }): Promise<void> {
    for (const index of this.indexes.values()) await (await index).forget(scope);
  }

  private indexFor(model: string, dimensions: number): Promise<VectorIndex> {
    const name = `${model}\u0000${dimensions}`;
    let index = this.indexes.get(name);
    if (index === undefined) {
      if (this.indexes.size > 0) this.logger.warn('cache: a new vector index for another embedding model or dimension; earlier vectors stay in their own', { model, dimensions });
      index = this.openIndex(model, dimensions);
      index.catch(() => this.indexes.delete(name));
      this.indexes.set(name, index);
    }
    return index;
  }

  private reportFailure(what: string, error: unknown): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    this.logger.warn(`cache: ${what}; semantic lookups miss meanwhile`, { error: (error as Error).message });
    setTimeout(() => (this.failureLogged = false), 60_000).unref();
  }
}

/** The text of a content list, or undefined when it holds anything but text. */
function textOnly(content: Message['content']): string | undefined {
  let text = '';
  for (const part of content) {
    if (part.type !== 'text') return undefined;
    text += part.text;
  }
  return text;
}
