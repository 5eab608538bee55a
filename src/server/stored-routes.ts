import { z } from 'zod';
import { ConfigError, formatIssue, type ConfigIssue } from '../config/config-error.js';
import { describeSchemaIssue } from '../config/issue-text.js';
import { routeSchema, type GatewayConfig } from '../config/schema.js';
import type { Logger } from '../lib/logger.js';
import type { RouteStore, StoredRoute } from '../routing/route-store.js';
import { GatewayError } from '../spec/index.js';

export type RouteDefinition = z.infer<typeof routeSchema>;

/** One route as `GET /admin/routes` shows it. */
export interface RouteView {
  name: string;
  /** `file`: as the config file defines it; `api`: defined or changed through the admin API. */
  source: 'file' | 'api';
  /** Whether the config file defines a route of this name too (`DELETE` then brings it back). */
  in_file: boolean;
  definition: RouteDefinition;
  /** The config file's definition, when the API changed it. */
  file_definition: RouteDefinition | null;
  revision: number | null;
  updated_by: string | null;
  updated_at: string | null;
}

/** Applies an effective config (the gateway's reload, audited or not). */
export type ApplyConfig = (effective: GatewayConfig, audited: boolean) => Promise<unknown>;

const NAME = /^[A-Za-z0-9_.:@-]{1,128}$/;

/**
 * Route definitions stored through the admin API, laid over the config file's: the effective config
 * is the file's with every stored route replacing (or adding) the one of its name, applied through
 * the gateway's reload, so every feature sees a change as it sees a reload. A timer polls the
 * store's revision so that replicas sharing the storage follow within `pollMs`.
 */
export class StoredRoutes {
  private rows = new Map<string, StoredRoute>();
  private definitions = new Map<string, RouteDefinition>();
  private seenRevision = -1;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Whether the last poll failed: a storage outage is logged once, not every poll. */
  private pollFailing = false;

  constructor(
    private fileConfig: GatewayConfig,
    private readonly store: RouteStore,
    private readonly apply: ApplyConfig,
    private readonly logger: Logger,
  ) {}

  /** The config file's config with the stored routes over it. */
  effective(file: GatewayConfig = this.fileConfig, definitions: ReadonlyMap<string, RouteDefinition> = this.definitions): GatewayConfig {
    if (definitions.size === 0) return file;
    return { ...file, routes: { ...file.routes, ...Object.fromEntries(definitions) } };
  }

  /** Reads the store and applies what it holds (at start-up and on every poll that sees a new revision). */
  sync(): Promise<void> {
    return this.serial(async () => {
      const revision = await this.store.revision();
      if (revision === this.seenRevision) return;
      const rows = await this.store.routes();
      const definitions = new Map<string, RouteDefinition>();
      const live = new Map<string, StoredRoute>();
      for (const row of rows) {
        if (row.definition === null) continue;
        const parsed = routeSchema.safeParse(parseJson(row.definition));
        if (!parsed.success) {
          this.logger.error('stored route ignored: it no longer validates', { route: row.name });
          continue;
        }
        definitions.set(row.name, parsed.data);
        live.set(row.name, row);
      }
      const changed = fingerprint(definitions) !== fingerprint(this.definitions);
      this.seenRevision = revision;
      if (!changed) {
        this.rows = live;
        return;
      }
      try {
        await this.apply(this.effective(this.fileConfig, definitions), false);
        this.rows = live;
        this.definitions = definitions;
        this.logger.info('stored routes applied', { revision, routes: [...definitions.keys()] });
      } catch (error) {
        // Another replica's route may name a provider this one lacks: keep what runs, say why.
        this.logger.error('stored routes not applied; the running routes stay in effect', { revision, error: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  /** `POST /admin/reload` and `gateway.reload`: a new file config, with the stored routes kept over it. */
  reloadFile<T>(next: GatewayConfig, reload: (effective: GatewayConfig) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const report = await reload(this.effective(next));
      this.fileConfig = next;
      // The next poll reads the store again: stored routes this file could not take before (a provider it lacked) may fit now.
      this.seenRevision = -1;
      return report;
    });
  }

  list(): RouteView[] {
    const names = new Set([...Object.keys(this.fileConfig.routes), ...this.definitions.keys()]);
    return [...names].sort().map((name) => this.view(name)!);
  }

  view(name: string): RouteView | undefined {
    const stored = this.definitions.get(name);
    const file = this.fileConfig.routes[name];
    if (stored === undefined && file === undefined) return undefined;
    const row = stored === undefined ? undefined : this.rows.get(name);
    return {
      name,
      source: stored === undefined ? 'file' : 'api',
      in_file: file !== undefined,
      definition: (stored ?? file)!,
      file_definition: stored === undefined ? null : (file ?? null),
      revision: row?.revision ?? null,
      updated_by: row?.updated_by ?? null,
      updated_at: row?.updated_at ?? null,
    };
  }

  /** Validates, applies, then stores a whole route definition. Throws `invalid_request` naming the path and the fix. */
  put(name: string, body: unknown, actor: string): Promise<RouteView> {
    checkName(name);
    const parsed = routeSchema.safeParse(body);
    if (!parsed.success) {
      const raw = { routes: { [name]: body } };
      const issues = parsed.error.issues.map((issue) => describeSchemaIssue({ ...issue, path: ['routes', name, ...issue.path] } as typeof issue, raw, raw));
      throw invalid(issues);
    }
    return this.change(name, parsed.data, actor);
  }

  /** Removes the stored definition: the file's route of that name (if any) is in effect again. */
  revert(name: string, actor: string): Promise<RouteView | null> {
    checkName(name);
    if (!this.definitions.has(name)) throw new GatewayError('not_found', `No route \`${name}\` was changed through the admin API; a route of the config file is changed by a PUT first.`);
    return this.change(name, null, actor).then(() => this.view(name) ?? null);
  }

  start(pollMs: number): void {
    this.timer = setInterval(() => {
      this.sync().then(
        () => {
          if (this.pollFailing) this.logger.info('stored routes poll works again');
          this.pollFailing = false;
        },
        (error: unknown) => {
          if (!this.pollFailing) this.logger.warn('stored routes poll failed; the running routes stay in effect', { error: error instanceof Error ? error.message : String(error) });
          this.pollFailing = true;
        },
      );
    }, pollMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queue.catch(() => undefined);
  }

  private change(name: string, definition: RouteDefinition | null, actor: string): Promise<RouteView> {
    return this.serial(async () => {
      const next = new Map(this.definitions);
      if (definition === null) next.delete(name);
      else next.set(name, definition);
      try {
        await this.apply(this.effective(this.fileConfig, next), false);
      } catch (error) {
        if (error instanceof ConfigError) throw invalid(error.issues);
        throw error;
      }
      let revision: number;
      try {
        revision = await this.store.put(name, definition === null ? null : JSON.stringify(definition), actor);
      } catch (error) {
        await this.apply(this.effective(), false).catch(() => undefined);
        throw error;
      }
      this.definitions = next;
      if (definition === null) this.rows.delete(name);
      else this.rows.set(name, { name, definition: JSON.stringify(definition), revision, updated_by: actor, updated_at: new Date().toISOString() });
      return this.view(name)!;
    }) as Promise<RouteView>;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => undefined).then(work);
    this.queue = run;
    return run;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new GatewayError('invalid_request', `\`${name.slice(0, 60)}\` is not a valid route name: use 1 to 128 letters, digits, \`_\`, \`.\`, \`:\`, \`@\` or \`-\`.`, { param: 'name' });
}

function invalid(issues: readonly ConfigIssue[]): GatewayError {
  return new GatewayError('invalid_request', `The route was not saved; the running routes stay in effect.\n${issues.map(formatIssue).join('\n')}`, issues[0] === undefined ? {} : { param: issues[0].path });
}

function fingerprint(definitions: ReadonlyMap<string, RouteDefinition>): string {
  return JSON.stringify([...definitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
