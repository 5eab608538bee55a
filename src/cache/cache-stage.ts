import type { CacheConfig, CacheOverride } from '../config/cache-schema.js';
import type { SpeechRequest, SpeechResponse } from '../pipeline/audio-attempt.js';
import { ContextSlot, type CacheOutcome, type RequestContext } from '../pipeline/context.js';
import type { RawChatCall, RawStageAnswer, RequestStage, StageAnswer, StageCall, StreamTap } from '../pipeline/stages.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse } from '../spec/index.js';
import type { CacheEntry, ExactStore } from './cache-entry.js';
import { requestSettings, scopeRoute, SettingsTable, type RequestSettings } from './cache-settings.js';
import { chatKey, embeddingKey, speechKey } from './request-key.js';
import { InFlight, type Leader } from './in-flight.js';
import { Lru } from './lru.js';
import { RawIndex, type RawRoute } from './raw-index.js';
import type { RouteIdentity } from './route-identity.js';
import { recordingTap } from './stream-recorder.js';
import type { SemanticLayer, SemanticMatch } from './semantic-layer.js';
import { prepareSpeech, recordingSpeech, replayedSpeech, SPEECH, type PreparedSpeech, type StoredSpeech } from './speech-answer.js';

/** A miss on its way to the provider: what to store once the answer is known. */
interface Pending {
  readonly id: string;
  readonly namespace: string;
  readonly operation: string;
  readonly ttlMs: number;
  /** Whether the answer is stored (`x-tollgate-cache-no-store: true` looks up only). */
  readonly store: boolean;
  /** The semantic layer's note of the prompt, to index the answer under (semantic mode). */
  readonly semantic: unknown;
  /** Set when this miss is the one identical requests wait for (InFlight): ended with the request. */
  readonly lead: Leader | undefined;
  response: unknown;
}

/** What a hit of an entry reuses (see CacheStage.prepared). */
interface PreparedHit {
  readonly entry: CacheEntry;
  readonly answer: unknown;
  /** The answer as each dialect renders it (StageAnswer.rendered). */
  readonly rendered: Map<string, Buffer>;
  readonly savedUsd: string;
  readonly exactOutcome: CacheOutcome;
}

/** Entries whose prepared hit is kept (their parsed answers stay in memory beside the store's)... */
const PREPARED_HITS = 2_000;
/** ...and their stored bodies' size at most: a prepared hit holds its answer parsed and rendered, a few times that (audio: once). */
const PREPARED_BYTES = 32 * 1024 * 1024;

const PENDING = new ContextSlot<Pending>();
/** The raw index's key of the request's body, made by answerRaw and used again when an exact hit is remembered. */
const RAW_KEY = new ContextSlot<string>();
const BYPASS: CacheOutcome = Object.freeze({ layer: 'bypass' });
const MISS: CacheOutcome = Object.freeze({ layer: 'miss' });

/** The config's routes, with their `cache` settings. */
export type RouteSettings = Readonly<Record<string, { cache?: CacheOverride | undefined }>>;

export interface CacheStageParts {
  store: ExactStore;
  routes: RouteIdentity;
  semantic: SemanticLayer | undefined;
  now: () => number;
}

/**
 * The response cache as a `cache` stage: before dispatch it answers from the exact layer (then
 * the semantic one); a miss records the answer on its way out (whole, or streamed through a tap)
 * and stores it when the request ended well. Settings are resolved per key at start-up and reload.
 */
export class CacheStage implements RequestStage {
  readonly name = 'cache';
  readonly phase = 'cache' as const;
  private config: CacheConfig;
  private settings: SettingsTable;
  private parts: CacheStageParts;
  private readonly preparedHits = new Lru<string, PreparedHit>(PREPARED_HITS, undefined, { max: PREPARED_BYTES, weigh: (hit) => hit.entry.body.length });
  private readonly rawIndex = new RawIndex();
  private readonly inFlight = new InFlight();

  constructor(config: CacheConfig, routes: RouteSettings, parts: CacheStageParts) {
    this.config = config;
    this.settings = new SettingsTable(config, routes);
    this.parts = parts;
  }

  /** A reloaded config: new settings, route names and embedding layer; entries stay. */
  reconfigure(config: CacheConfig, routes: RouteSettings, parts: Partial<CacheStageParts>): void {
    this.config = config;
    this.settings = new SettingsTable(config, routes);
    this.parts = { ...this.parts, ...parts };
  }

  beforeDispatch(context: RequestContext, call: StageCall): StageAnswer | undefined | Promise<StageAnswer | undefined> {
    if (call.operation !== 'chat' && call.operation !== 'embeddings' && call.operation !== SPEECH) return undefined;
    const routed = this.parts.routes.of(call.model);
    if (routed === undefined) return undefined;
    const principal = context.principal;
    const settings = this.settings.of(principal?.cache, routed.route);
    if (!settings.enabled) return undefined;
    const asked = requestSettings(settings, principal, context.headers);
    if (asked === 'off' || (call.operation === 'chat' && this.excluded(call.request as ChatRequest))) return this.mark(context, BYPASS);
    const route = scopeRoute(routed.identity, settings, context.surface, context.operation);
    const scope = { namespace: asked.namespace, route };
    const id = call.operation === 'chat' ? chatKey(scope, call.request as ChatRequest) : call.operation === SPEECH ? speechKey(scope, (call.request as SpeechRequest).body) : embeddingKey(scope, call.request as EmbeddingRequest);
    const now = this.parts.now();
    const found = this.parts.store.get(id, now);
    if (found instanceof Promise) return found.then((entry) => this.afterExact(context, call, asked, id, route, entry));
    return this.afterExact(context, call, asked, id, route, found);
  }

  /**
   * A chat body this caller sent before (raw-index.ts): the entry its exact key names, when the
   * namespace and route that key holds are still the request's own and the entry is still stored;
   * undefined (decode as usual) otherwise. Each check is the one beforeDispatch makes.
   */
  answerRaw(context: RequestContext, raw: RawChatCall): RawStageAnswer | undefined | Promise<RawStageAnswer | undefined> {
    // The cache off for everyone (as far as the key's own settings do not say otherwise): nothing to remember the bytes for.
    if (!this.settings.anyEnabled && context.principal?.cache?.enabled !== true) return undefined;
    raw.keep();
    if (!this.rawIndex.mayHold(raw.body.length)) return undefined;
    const key = RawIndex.keyOf(context, raw);
    RAW_KEY.set(context, key);
    const seen = this.rawIndex.get(key);
    if (seen === undefined) return undefined;
    const routed = this.parts.routes.of(seen.request.model);
    if (routed === undefined) return undefined;
    const settings = this.settings.of(context.principal?.cache, routed.route);
    if (!settings.enabled || scopeRoute(routed.identity, settings, context.surface, context.operation) !== seen.route) return undefined;
    let asked: RequestSettings | 'off';
    try {
      asked = requestSettings(settings, context.principal, context.headers);
    } catch {
      // A malformed header: decoded as usual, the request is refused where it always is.
      return undefined;
    }
    if (asked === 'off' || asked.namespace !== seen.namespace || this.excluded(seen.request) || !raw.admits(seen.request)) return undefined;
    const found = this.parts.store.get(seen.id, this.parts.now());
    if (found instanceof Promise) return found.then((entry) => this.rawHit(context, seen, entry));
    return this.rawHit(context, seen, found);
  }

  afterResponse(context: RequestContext, _call: StageCall, response: unknown): unknown {
    const pending = PENDING.get(context);
    if (pending === undefined || !pending.store) return undefined;
    // Audio is streamed through: recorded on its way, stored once the last byte went out.
    if (pending.operation === SPEECH) return recordingSpeech(response as SpeechResponse, this.config.max_entry_bytes, (stored: StoredSpeech) => (pending.response = stored));
    pending.response = response;
    return undefined;
  }

  openStream(context: RequestContext): StreamTap | undefined {
    const pending = PENDING.get(context);
    if (pending === undefined || !pending.store) return undefined;
    return recordingTap(this.config.max_entry_bytes, (response) => {
      pending.response = response;
    });
  }

  /** The request is over: a miss that was answered well is stored now, its cost known; requests waiting for it go on. */
  onRequestEnd(context: RequestContext): void {
    const pending = PENDING.get(context);
    if (pending === undefined) return;
    PENDING.set(context, undefined);
    try {
      this.store(context, pending);
    } finally {
      if (pending.lead !== undefined) this.inFlight.end(pending.id, pending.lead);
    }
  }

  private store(context: RequestContext, pending: Pending): void {
    if (!pending.store || pending.response === undefined || context.error !== undefined || context.status !== 200 || context.served === undefined) return;
    const response = pending.operation === 'embeddings' ? withoutFormat(pending.response as EmbeddingResponse) : pending.response;
    const body = JSON.stringify(response);
    if (body.length > this.config.max_entry_bytes) return;
    const now = this.parts.now();
    const entry: CacheEntry = { id: pending.id, namespace: pending.namespace, operation: pending.operation, body, savedUsd: context.cost?.known ? context.cost.usd : 0, createdAt: now, expiresAt: now + pending.ttlMs };
    this.parts.store.put(entry);
    if (pending.semantic !== undefined) this.parts.semantic?.add(pending.semantic, entry);
  }

  private afterExact(context: RequestContext, call: StageCall, asked: RequestSettings, id: string, route: string, entry: CacheEntry | undefined, mayWait = true): StageAnswer | undefined | Promise<StageAnswer | undefined> {
    if (entry !== undefined) {
      // The body, sent again, will find this entry before it is decoded. Remembered from the first hit
      // rather than when the answer is stored: most stored answers are never asked for again.
      const raw = this.rawOf(context, call, asked.namespace, id, route);
      if (raw !== undefined) this.rawIndex.set(raw.key, raw.bodyBytes, raw.route);
      return this.hit(context, call.operation, call.request, entry, 'exact', undefined);
    }
    if (mayWait && asked.coalesce && waitsForLeader(call)) {
      const leader = this.inFlight.leaderOf(id);
      if (leader !== undefined) return this.follow(context, call, asked, id, route, leader);
    }
    const semantic = this.parts.semantic;
    if (asked.mode === 'semantic' && call.operation === 'chat' && semantic !== undefined) {
      const note = semantic.prepare(asked.namespace, route, call.request as ChatRequest);
      if (note !== undefined) {
        return semantic.search(context, note, asked.threshold, this.parts.now()).then((match) => (match !== undefined ? this.semanticHit(context, call, match) : this.miss(context, call, asked, id, note)));
      }
    }
    return this.miss(context, call, asked, id, undefined);
  }

  /**
   * An identical request is on its way to the provider: this one waits for it to end, then looks the
   * entry up again. Its answer stored, this is an exact hit; otherwise (it failed, was not stored, or
   * this caller left) this request goes on as a miss of its own, without waiting again.
   */
  private async follow(context: RequestContext, call: StageCall, asked: RequestSettings, id: string, route: string, leader: Leader): Promise<StageAnswer | undefined> {
    await this.inFlight.wait(leader, context.signal);
    // The caller left or timed out while waiting: nothing to look up, embed or store for it.
    if (context.signal.aborted) return this.mark(context, MISS);
    const entry = await this.parts.store.get(id, this.parts.now());
    const answer = await this.afterExact(context, call, asked, id, route, entry, false);
    if (entry !== undefined && answer !== undefined) {
      context.cache = { ...context.cache!, coalesced: true };
      context.responseHeaders['x-tollgate-cache-coalesced'] = 'true';
    }
    return answer;
  }

  private semanticHit(context: RequestContext, call: StageCall, match: SemanticMatch): StageAnswer | undefined {
    return this.hit(context, call.operation, call.request, match.entry, 'semantic', match.similarity);
  }

  private rawHit(context: RequestContext, seen: RawRoute, entry: CacheEntry | undefined): RawStageAnswer | undefined {
    if (entry === undefined || entry.operation !== 'chat') return undefined;
    const answer = this.hit(context, 'chat', seen.request, entry, 'exact', undefined);
    return answer === undefined ? undefined : { answer: answer.answer, rendered: answer.rendered, request: seen.request };
  }

  private hit(context: RequestContext, operation: string, request: unknown, entry: CacheEntry, layer: 'exact' | 'semantic', similarity: number | undefined): StageAnswer | undefined {
    const prepared = this.prepared(entry);
    if (prepared === undefined) return undefined;
    let answer = prepared.answer;
    if (operation === 'embeddings') {
      const format = (request as EmbeddingRequest).encodingFormat;
      answer = { ...(answer as EmbeddingResponse), ...(format === undefined ? {} : { encodingFormat: format }) };
    } else if (operation === SPEECH) {
      answer = replayedSpeech(answer as PreparedSpeech);
    }
    context.cache = similarity === undefined ? prepared.exactOutcome : { layer, entryId: entry.id, savedUsd: entry.savedUsd, similarity };
    context.responseHeaders['x-tollgate-cache'] = layer === 'exact' ? 'hit-exact' : 'hit-semantic';
    context.responseHeaders['x-tollgate-cache-saved-usd'] = prepared.savedUsd;
    if (similarity !== undefined) context.responseHeaders['x-tollgate-cache-similarity'] = similarity.toFixed(4);
    return operation === 'chat' ? { answer: answer as ChatResponse, rendered: prepared.rendered } : { answer };
  }

  /**
   * The entry's answer parsed (and as each dialect renders it), its saved cost as the header says it and its log outcome, kept for
   * the entries hit most recently: a hit then parses and formats nothing. The answer is shared by
   * every hit of the entry (nothing downstream changes an answer a stage gave).
   */
  private prepared(entry: CacheEntry): PreparedHit | undefined {
    const known = this.preparedHits.get(entry.id);
    // The same entry (stores that read it anew each time, Redis, give an equal one): a new answer under the id is prepared anew.
    if (known !== undefined && (known.entry === entry || (known.entry.createdAt === entry.createdAt && known.entry.body === entry.body))) return known;
    let answer: unknown;
    try {
      answer = JSON.parse(entry.body);
      if (entry.operation === SPEECH) answer = prepareSpeech(answer as StoredSpeech);
    } catch {
      return undefined;
    }
    const prepared: PreparedHit = { entry, answer, rendered: new Map(), savedUsd: formatUsd(entry.savedUsd), exactOutcome: Object.freeze({ layer: 'exact', entryId: entry.id, savedUsd: entry.savedUsd }) };
    this.preparedHits.set(entry.id, prepared);
    return prepared;
  }

  private miss(context: RequestContext, call: StageCall, asked: RequestSettings, id: string, semantic: unknown): undefined {
    this.mark(context, MISS);
    if (asked.store) {
      const lead = asked.coalesce ? this.inFlight.lead(id) : undefined;
      PENDING.set(context, { id, namespace: asked.namespace, operation: call.operation, ttlMs: asked.ttlMs, store: true, semantic, lead, response: undefined });
    }
    return undefined;
  }

  /** A request the cache did not answer: `miss` or `bypass`, in the log and the response header alike. */
  private mark(context: RequestContext, outcome: CacheOutcome): undefined {
    context.cache = outcome;
    context.responseHeaders['x-tollgate-cache'] = outcome.layer;
    return undefined;
  }

  /**
   * The raw index's key of a chat request that came with its bytes, and what to remember under it:
   * the request as decoded (no stage ahead changed it, StageCall.raw) and its exact key's scope.
   */
  private rawOf(context: RequestContext, call: StageCall, namespace: string, id: string, route: string): { key: string; bodyBytes: number; route: RawRoute } | undefined {
    const raw = call.operation === 'chat' ? (call as { readonly raw?: RawChatCall }).raw : undefined;
    // The request the bytes decode to, unchanged: no stage ahead replaced it, rewrote the model, or acts on it.
    const request = raw?.decoded;
    if (raw === undefined || request === undefined || call.request !== request || call.model !== request.model || !raw.admits(request)) return undefined;
    return { key: RAW_KEY.get(context) ?? RawIndex.keyOf(context, raw), bodyBytes: raw.body.length, route: { request, id, namespace, route } };
  }

  /** The configured exclusions: a temperature above the bound, `user` or `seed` set. */
  private excluded(request: ChatRequest): boolean {
    const config = this.config;
    if (config.max_temperature !== undefined && (request.temperature ?? 1) > config.max_temperature) return true;
    if (config.exclude_user && request.user !== undefined) return true;
    if (config.exclude_seed && request.seed !== undefined) return true;
    return false;
  }
}

/**
 * Whether a request waits for an identical one in flight: whole chat answers and embeddings, which
 * then take no longer than the first one does. A streamed request goes at once (waiting would hold
 * back its first token for the whole answer), and so does speech (its audio streams).
 */
function waitsForLeader(call: StageCall): boolean {
  return call.operation === 'embeddings' || (call.operation === 'chat' && !(call.request as ChatRequest).stream);
}

function withoutFormat(response: EmbeddingResponse): EmbeddingResponse {
  const { encodingFormat: _format, ...rest } = response;
  return rest;
}

/** USD with up to 10 decimals and no trailing zeros. */
function formatUsd(usd: number): string {
  return usd.toFixed(10).replace(/\.?0+$/, '') || '0';
}
