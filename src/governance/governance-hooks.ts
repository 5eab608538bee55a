import type { ProviderConfig } from '../config/provider-schema.js';
import type { BudgetHold, BudgetHoldRequest, JournaledSpend } from '../pipeline/capabilities.js';
import { ContextSlot, type Principal, type RequestContext, type RequestCost } from '../pipeline/context.js';
import type { Admission, AdmissionEstimate, Governance } from '../pipeline/hooks.js';
import type { PlanResolver } from '../pipeline/plan-resolver.js';
import type { RoutePlan, Target } from '../pipeline/target.js';
import { GatewayError, type Usage } from '../spec/index.js';
import type { KeyProviderConfig } from '../config/governance-schema.js';
import type { CustomerRecord, KeyRecord, TeamRecord } from './entities.js';
import { hashKey, presentedKey } from './key-secret.js';
import { actualAmounts, addScopeLines, type LimitScope, type LineAmounts, type LineInfo } from './limit-lines.js';
import { refusalError } from './limit-errors.js';
import { LEDGER_ANSWER_TIMEOUT_MS, LedgerDeadline } from './ledger-deadline.js';
import { authorizePlan } from './model-access.js';
import type { EntityRegistry, KeyEntry } from './registry.js';
import type { Awaitable, LimitLine, ReserveResult, SpendStore } from './spend-store.js';
import { chargeOfCost, nanoUsd } from './usd-units.js';

export interface GovernanceHooksOptions {
  registry: EntityRegistry;
  store: SpendStore;
  resolver: PlanResolver;
  /** Global provider budgets and limits (`providers.<name>.budgets/rate_limits`). */
  providers: Readonly<Record<string, ProviderConfig>>;
  now: () => number;
  unpricedRequestUsd: number;
  /** Output tokens a token-limit reservation assumes when the request sets no `max_tokens`. */
  reservedOutputTokens: number;
  reservationTtlMs: number;
  /** `refuse` (default): a ledger that cannot answer refuses the request (503 ledger_unavailable); `serve`: the request goes on unmetered. */
  whenUnavailable?: 'refuse' | 'serve';
  /** Hears each request served unmetered because the ledger could not answer (`whenUnavailable: serve`). */
  onUnmetered?: (error: unknown) => void;
  /** Called after every settlement with the lines charged, for budget alerts. */
  onSettled?: (infos: readonly LineInfo[], lines: readonly LimitLine[]) => void;
  /** Hears the id of every reservation settled with its request's usage (SettlementNoteKeeper). */
  onSettledReservation?: (id: string) => void;
}

const NO_ADMISSION: Admission = { settle: () => undefined, release: () => undefined };
const NO_HOLD: BudgetHold = { settle: () => 0, release: () => undefined };

/**
 * The pipeline's Governance hooks: authentication by virtual key, model/provider authorization,
 * and admission against every level's limits with one atomic reservation.
 */
/** Presented keys whose hash is kept (see GovernanceHooks.knownHashes). */
const MAX_KNOWN_HASHES = 4_096;

export class GovernanceHooks implements Governance {
  /** Requests already counted against key/team/customer request limits (retries are not counted again). */
  private readonly counted = new ContextSlot<true>();
  private readonly providerScopes = new Map<string, LimitScope>();
  /** Entity record (replaced, never edited, on change) → its limits as a scope. */
  private readonly scopes = new WeakMap<object, LimitScope>();

  /**
   * Presented key → its SHA-256, for keys that were found: a client sends the same key on every
   * request, and hashing it cost about 2% of a request's CPU. Only the hash is ever compared (the
   * registry decides on it each time: revoked or rotated keys fail as before); unknown keys are
   * not remembered, so guessing cannot fill this. Cleared when full.
   */
  private readonly knownHashes = new Map<string, string>();

  /** A reservation the ledger does not answer in time is refused as unavailable (ledger-deadline.ts). */
  private readonly deadline = new LedgerDeadline(LEDGER_ANSWER_TIMEOUT_MS);
  /** Settles sent to a remote ledger and not answered yet: closing waits for them (settled()). */
  private readonly settling = new Set<Promise<void>>();

  constructor(private options: GovernanceHooksOptions) {
    for (const name of Object.keys(options.providers)) this.refreshProvider(name);
  }

  /**
   * Applies a reloaded config (new resolver, providers' global limits, settings) from the next
   * request on. Spend, reservations and in-flight admissions are untouched.
   */
  reconfigure(changes: Pick<GovernanceHooksOptions, 'resolver' | 'providers' | 'unpricedRequestUsd' | 'reservedOutputTokens' | 'reservationTtlMs' | 'whenUnavailable'>): void {
    this.options = { ...this.options, ...changes };
    this.providerScopes.clear();
    for (const name of Object.keys(changes.providers)) this.refreshProvider(name);
  }

  /** Rebuilds a provider's global limits: the admin override if any, else the config's. */
  refreshProvider(name: string): void {
    const config = this.options.providers[name];
    if (config === undefined) return;
    const override = this.options.registry.providerLimits.get(name);
    const budgets = override?.budgets ?? config.budgets;
    const rateLimits = override === undefined ? config.rate_limits : override.rate_limits;
    if ((budgets?.length ?? 0) === 0 && rateLimits === undefined) this.providerScopes.delete(name);
    else this.providerScopes.set(name, { level: 'provider', scope: `provider:${name}`, label: `provider "${name}"`, budgets, rateLimits, maxConcurrent: undefined, anchor: 0 });
  }

  authenticate(context: RequestContext): Principal | undefined {
    const registry = this.options.registry;
    if (!registry.keysRequired) return undefined;
    const entry = this.keyFromHeaders(context);
    return principalOf(entry.record, registry);
  }

  /** The key entry a request presents; throws `invalid_api_key` / `key_inactive` / `key_expired`. */
  keyFromHeaders(context: Pick<RequestContext, 'headers'>): KeyEntry {
    const value = presentedKey(context.headers);
    if (value === undefined) {
      throw new GatewayError('invalid_api_key', 'Send a virtual key as `Authorization: Bearer <key>`, `x-api-key`, `x-goog-api-key` or `x-tollgate-key`.');
    }
    const now = this.options.now();
    const hash = this.knownHashes.get(value) ?? hashKey(value);
    const entry = this.options.registry.findByHash(hash, now);
    if (entry === undefined) throw new GatewayError('invalid_api_key', 'The virtual key is not valid.');
    this.rememberHash(value, hash);
    if (!entry.record.active) throw new GatewayError('key_inactive', `The virtual key \`${entry.record.id}\` has been deactivated.`);
    if (entry.expiresAt !== undefined && now >= entry.expiresAt) {
      throw new GatewayError('key_expired', `The virtual key \`${entry.record.id}\` expired at ${new Date(entry.expiresAt).toISOString()}.`);
    }
    return entry;
  }

  private rememberHash(value: string, hash: string): void {
    if (this.knownHashes.has(value)) return;
    if (this.knownHashes.size >= MAX_KNOWN_HASHES) this.knownHashes.clear();
    this.knownHashes.set(value, hash);
  }

  authorize(context: RequestContext, plan: RoutePlan): RoutePlan {
    const principal = context.principal;
    if (principal === undefined) return plan;
    const entry = this.entryOf(principal);
    return authorizePlan(entry, plan, this.options.resolver);
  }

  allowsModel(principal: Principal | undefined, model: string): boolean {
    if (principal === undefined) return true;
    try {
      authorizePlan(this.entryOf(principal), this.options.resolver.resolve(model), this.options.resolver);
      return true;
    } catch {
      return false;
    }
  }

  /** Synchronous on an in-memory spend store; a promise when the store is remote (Redis). */
  admit(context: RequestContext, target: Target, estimate: AdmissionEstimate): Admission | Promise<Admission> {
    const { store, now: clock } = this.options;
    const now = clock();
    // The ledger counts nano-USD (usd-units.ts).
    const usd = nanoUsd(estimate.maxCostUsd ?? this.options.unpricedRequestUsd);
    const tokens = estimate.inputTokens + (estimate.maxOutputTokens ?? this.options.reservedOutputTokens);
    const lines: LimitLine[] = [];
    const infos: LineInfo[] = [];
    const principal = context.principal;
    const firstCount = this.counted.get(context) === undefined;
    this.addLines(principal === undefined ? undefined : this.entryOf(principal), target.provider.name, usd, tokens, firstCount, now, lines, infos);
    if (lines.length === 0) return NO_ADMISSION;

    let reserved: Awaitable<ReserveResult>;
    try {
      reserved = store.reserve(lines, now, this.options.reservationTtlMs);
    } catch (error) {
      return this.unavailable(error);
    }
    if (reserved instanceof Promise) {
      const late = (result: ReserveResult) => this.releaseLate(result, lines, actualAmounts(lines, infos, 0, 0, true), infos, context.id);
      return this.deadline.bound(reserved, late).then((result) => this.admitted(context, result, lines, infos, usd, tokens, now, firstCount), (error: unknown) => this.unavailable(error));
    }
    return this.admitted(context, reserved, lines, infos, usd, tokens, now, firstCount);
  }

  /**
   * Holds `request.usd` on every USD budget a request of the principal served by the provider is
   * charged on (BUDGET_HOLDS): one atomic reservation, refused with `budget_exceeded` naming the
   * first budget it does not fit (unless `force`), settled later with what was really spent. A
   * ledger that cannot answer refuses it (503 `ledger_unavailable`), or under `when_unavailable:
   * serve` gives a hold that charges nothing.
   */
  async hold(request: BudgetHoldRequest): Promise<BudgetHold> {
    const { store, now: clock } = this.options;
    const now = clock();
    const amount = nanoUsd(request.usd);
    const entry = request.principal === undefined ? undefined : this.entryOf(request.principal);
    const all: LimitLine[] = [];
    const allInfos: LineInfo[] = [];
    this.addLines(entry, request.provider, amount, 0, false, now, all, allInfos);
    // Money only: a hold is no request, takes no tokens and no concurrency slot.
    const lines: LimitLine[] = [];
    const infos: LineInfo[] = [];
    for (let index = 0; index < all.length; index++) {
      if (allInfos[index]!.metric !== 'usd') continue;
      lines.push(request.force === true ? { ...all[index]!, limit: Number.POSITIVE_INFINITY } : all[index]!);
      infos.push(allInfos[index]!);
    }
    if (lines.length === 0) return NO_HOLD;
    let result: ReserveResult;
    try {
      const reserved = store.reserve(lines, now, request.ttlMs ?? this.options.reservationTtlMs);
      result = reserved instanceof Promise ? await this.deadline.bound(reserved, (late) => this.releaseLate(late, lines, lines.map(() => 0), infos)) : reserved;
    } catch (error) {
      this.unavailable(error);
      return NO_HOLD;
    }
    if (!result.ok) throw refusalError(infos[result.index]!, result.state, lines[result.index]!.amount, now);
    const id = result.id;
    let done = false;
    const finish = (spent: number) => {
      if (done) return 0;
      done = true;
      this.track(store.settle(id, lines.map(() => spent)), () => this.options.onSettled?.(infos, lines));
      return spent;
    };
    return {
      settle: (usd) => finish(nanoUsd(Math.max(0, usd))),
      release: () => void finish(0),
    };
  }

  /**
   * A reservation the ledger made after its request stopped waiting (and was refused or served
   * unmetered) is released at once, as the request's own release would have: otherwise it would
   * hold its amounts until its TTL and then charge them to a request that was never served.
   */
  private releaseLate(result: ReserveResult, lines: LimitLine[], released: number[], infos: LineInfo[], requestId?: string): void {
    if (!result.ok) return;
    this.track(this.options.store.settle(result.id, released, lines, requestId), () => {
      if (requestId !== undefined) this.options.onSettledReservation?.(result.id);
      this.options.onSettled?.(infos, lines);
    });
  }

  /**
   * Resolves once every settle sent so far is answered (or failed), at most LEDGER_ANSWER_TIMEOUT_MS:
   * the module closes the ledger after it, so a request that ended just before (one cut at the end
   * of the shutdown grace) does not lose its settle and leave its reservation to be charged at its TTL.
   */
  async settled(): Promise<void> {
    if (this.settling.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.settling]), new Promise((resolve) => (timer = setTimeout(resolve, LEDGER_ANSWER_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  /** Runs `then` once a settle is done; a remote one is kept in `settling` until it is answered. A failed settle leaves its reservation to expire. */
  private track(settle: Awaitable<void>, then: () => void): void {
    if (!(settle instanceof Promise)) return void Promise.resolve().then(then);
    const tracked = settle.then(then, () => {}).finally(() => this.settling.delete(tracked));
    this.settling.add(tracked);
  }

  /** The ledger could not answer: refused (503 ledger_unavailable), or served unmetered under `when_unavailable: serve`. */
  private unavailable(error: unknown): Admission {
    if (GatewayError.is(error) || this.options.whenUnavailable !== 'serve') throw ledgerError(error);
    this.options.onUnmetered?.(error);
    return NO_ADMISSION;
  }

  /**
   * The lines of every level a request of `entry` (none: a caller without a key) served by
   * `provider` is charged on, from the outermost: customer, team, key, the key's provider, the
   * provider. `countRequest` for the caller's own levels (a retry is not counted there again; it
   * is at the provider levels).
   */
  private addLines(entry: KeyEntry | undefined, provider: string, usd: number, tokens: number, countRequest: boolean, now: number, lines: LimitLine[], infos: LineInfo[]): void {
    if (entry !== undefined) {
      const registry = this.options.registry;
      const key = entry.record;
      const amounts: LineAmounts = { usd, tokens, countRequest };
      const customer = registry.customerOf(key);
      if (customer !== undefined) addScopeLines(this.scopeOf(customer, customerScope), amounts, now, lines, infos);
      const team = key.team === undefined ? undefined : registry.teams.get(key.team);
      if (team !== undefined) addScopeLines(this.scopeOf(team, teamScope), amounts, now, lines, infos);
      addScopeLines(this.scopeOf(entry, keyScope), amounts, now, lines, infos);
      const providerConfig = entry.providers?.get(provider);
      if (providerConfig !== undefined && (providerConfig.budgets.length > 0 || providerConfig.rate_limits !== undefined)) {
        const scope = this.scopes.get(providerConfig) ?? this.remember(providerConfig, keyProviderScope(entry, providerConfig));
        addScopeLines(scope, { usd, tokens, countRequest: true }, now, lines, infos);
      }
    }
    const providerScope = this.providerScopes.get(provider);
    if (providerScope !== undefined) addScopeLines(providerScope, { usd, tokens, countRequest: true }, now, lines, infos);
  }

  /**
   * Charges requests the request log kept and the stored counters lack (a crash lost them, see
   * GovernanceService.useJournal) to the budgets they were settled into, in the windows of their
   * arrival. Only spend: rate-limit windows are short, and have mostly ended by a restart. A key
   * deleted since is skipped; its provider's budgets are still charged. Returns how many were.
   */
  async replay(spends: readonly JournaledSpend[]): Promise<number> {
    const store = this.options.store;
    let charged = 0;
    for (const spend of spends) {
      const entry = spend.virtualKeyId === null ? undefined : this.options.registry.keys.get(spend.virtualKeyId);
      const all: LimitLine[] = [];
      const infos: LineInfo[] = [];
      const charge = spend.chargedNanoUsd ?? nanoUsd(spend.costUsd);
      this.addLines(entry, spend.provider ?? '', charge, 0, false, spend.receivedAt, all, infos);
      // Reserved at nothing under no limit, then settled: the ledger's own arithmetic, never a refusal.
      const lines: LimitLine[] = [];
      const used: number[] = [];
      for (let index = 0; index < all.length; index++) {
        if (infos[index]!.metric !== 'usd') continue;
        lines.push({ ...all[index]!, limit: Number.POSITIVE_INFINITY, amount: 0, chargeOnExpiry: 0 });
        used.push(charge);
      }
      if (lines.length === 0) continue;
      const reserved = await store.reserve(lines, spend.receivedAt, 0);
      if (!reserved.ok) continue;
      await store.settle(reserved.id, used);
      charged++;
    }
    return charged;
  }

  /** The admission for a reservation the store answered (or the refusal it explains). */
  private admitted(context: RequestContext, result: ReserveResult, lines: LimitLine[], infos: LineInfo[], usd: number, tokens: number, now: number, firstCount: boolean): Admission {
    const store = this.options.store;
    const principal = context.principal;
    if (!result.ok) throw refusalError(infos[result.index]!, result.state, lines[result.index]!.amount, now);
    if (firstCount && principal !== undefined) this.counted.set(context, true);
    this.setRateLimitHeaders(context, result.remaining, infos);

    let done = false;
    const finish = (actual: number[]) => {
      if (done) return;
      done = true;
      this.track(store.settle(result.id, actual, lines, context.id), () => {
        this.options.onSettledReservation?.(result.id);
        this.options.onSettled?.(infos, lines);
      });
    };
    return {
      settle: (usage: Usage | undefined, cost: RequestCost | undefined) => {
        // Unknown cost (no price, or no usage: a stream cut short before it) is charged the reservation.
        const spent = cost?.known === true ? chargeOfCost(cost) : usd;
        const used = usage?.inputTokens !== undefined && usage.outputTokens !== undefined ? usage.inputTokens + usage.outputTokens : tokens;
        if (done) return undefined;
        finish(actualAmounts(lines, infos, spent, used, false));
        return spent;
      },
      // After a settle (an attempt that threw once its answer was out) a release changes nothing.
      release: () => {
        if (done) return undefined;
        finish(actualAmounts(lines, infos, 0, 0, true));
        return 0;
      },
    };
  }

  /** One LimitScope per entity record, so that its strings and windows are built once, not per request. */
  private scopeOf<T extends object>(owner: T, build: (owner: T) => LimitScope): LimitScope {
    return this.scopes.get(owner) ?? this.remember(owner, build(owner));
  }

  private remember(owner: object, scope: LimitScope): LimitScope {
    this.scopes.set(owner, scope);
    return scope;
  }

  private entryOf(principal: Principal): KeyEntry {
    const entry = this.options.registry.keys.get(principal.keyId);
    if (entry === undefined) throw new GatewayError('invalid_api_key', 'The virtual key is not valid.');
    return entry;
  }

  /** `x-ratelimit-*` for the tightest request and token limits of the caller's own levels. */
  private setRateLimitHeaders(context: RequestContext, remaining: readonly number[], infos: readonly LineInfo[]): void {
    let requests = -1;
    let requestsLeft = Number.POSITIVE_INFINITY;
    let tokens = -1;
    let tokensLeft = Number.POSITIVE_INFINITY;
    for (let index = 0; index < infos.length; index++) {
      const info = infos[index]!;
      if (info.level === 'provider' || info.level === 'key_provider' || (info.metric !== 'requests' && info.metric !== 'tokens')) continue;
      const left = remaining[index]!;
      if (info.metric === 'requests' && left < requestsLeft) [requests, requestsLeft] = [index, left];
      else if (info.metric === 'tokens' && left < tokensLeft) [tokens, tokensLeft] = [index, left];
    }
    if (requests < 0 && tokens < 0) return;
    const now = this.options.now();
    const headers = context.responseHeaders;
    if (requests >= 0) {
      headers['x-ratelimit-limit-requests'] = String(infos[requests]!.limit);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(requestsLeft)));
      headers['x-ratelimit-reset-requests'] = `${Math.max(1, Math.ceil((infos[requests]!.windowEnd - now) / 1000))}s`;
    }
    if (tokens >= 0) {
      headers['x-ratelimit-limit-tokens'] = String(infos[tokens]!.limit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(tokensLeft)));
      headers['x-ratelimit-reset-tokens'] = `${Math.max(1, Math.ceil((infos[tokens]!.windowEnd - now) / 1000))}s`;
    }
  }
}

function customerScope(customer: CustomerRecord): LimitScope {
  return { level: 'customer', scope: `customer:${customer.id}`, label: `customer "${customer.id}"`, budgets: customer.budgets, rateLimits: customer.rate_limits, maxConcurrent: undefined, anchor: Date.parse(customer.created_at) };
}

function teamScope(team: TeamRecord): LimitScope {
  return { level: 'team', scope: `team:${team.id}`, label: `team "${team.id}"`, budgets: team.budgets, rateLimits: team.rate_limits, maxConcurrent: undefined, anchor: Date.parse(team.created_at) };
}

function keyScope(entry: KeyEntry): LimitScope {
  const key = entry.record;
  return { level: 'key', scope: `key:${key.id}`, label: `virtual key "${key.id}"`, budgets: key.budgets, rateLimits: key.rate_limits, maxConcurrent: key.max_concurrent, anchor: entry.createdAt };
}

function keyProviderScope(entry: KeyEntry, provider: KeyProviderConfig): LimitScope {
  const key = entry.record;
  return {
    level: 'key_provider',
    scope: `key:${key.id}/provider:${provider.name}`,
    label: `provider "${provider.name}" of virtual key "${key.id}"`,
    budgets: provider.budgets,
    rateLimits: provider.rate_limits,
    maxConcurrent: undefined,
    anchor: entry.createdAt,
  };
}

export function principalOf(key: KeyRecord, registry: EntityRegistry): Principal {
  const customer = registry.customerOf(key);
  const team = key.team === undefined ? undefined : registry.teams.get(key.team);
  const mcp = key.mcp === undefined && team?.mcp === undefined && customer?.mcp === undefined ? undefined : { key: key.mcp, team: team?.mcp, customer: customer?.mcp };
  return {
    keyId: key.id,
    ...(key.name === undefined ? {} : { keyName: key.name }),
    ...(key.team === undefined ? {} : { teamId: key.team }),
    ...(customer === undefined ? {} : { customerId: customer.id }),
    metadata: key.metadata,
    ...(key.log_content === false ? { logContent: false } : {}),
    // MCP permissions set through the admin API count as those of the config (the mcp module reads them here).
    ...(mcp === undefined ? {} : { mcp }),
    ...(key.cache === undefined ? {} : { cache: key.cache }),
  };
}

/** A ledger that cannot answer refuses the request (never lets it through unmetered), and says why. */
/** A store failure as the caller sees it: refused, because the limits cannot be checked. */
function ledgerError(error: unknown): GatewayError {
  if (GatewayError.is(error)) return error;
  return new GatewayError('ledger_unavailable', 'The spend ledger is unreachable, so budgets and rate limits cannot be checked; the request was refused. Retry shortly.', { retryAfterMs: 1000, cause: error });
}
