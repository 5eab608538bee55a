import type { z } from 'zod';
import { ConfigError, formatIssue, type ConfigIssue } from '../config/config-error.js';
import { describeSchemaIssue } from '../config/issue-text.js';
import type { ProviderConfig } from '../config/provider-schema.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../lib/logger.js';
import type { Sealer } from '../lib/sealer.js';
import type { DefinitionStore, StoredDefinition } from '../storage/definition-store.js';
import { GatewayError } from '../spec/index.js';

/** The config sections the admin API changes at run time, each a record of named definitions. */
export type SectionKey = 'routes' | 'providers';

type Definitions = { routes: GatewayConfig['routes'][string]; providers: ProviderConfig };
export type RouteDefinition = Definitions['routes'];

/** One section's storage and rules. */
export interface SectionSpec<K extends SectionKey> {
  key: K;
  /** `route`, `provider`: in messages. */
  noun: string;
  /** The config file's schema of one definition: the API validates with it, so errors read as the file's would. */
  schema: z.ZodType<Definitions[K]>;
  /** Which names the API takes. */
  name: RegExp;
  nameRule: string;
  store: DefinitionStore;
  /** Seals each stored definition (providers: their keys' secrets); none: stored as JSON. A sealer without a key stores plain JSON, with a warning. */
  sealer?: Sealer;
  /** The setting that holds the sealer's key, for that warning. */
  sealerSetting?: string;
}

/** One definition as the admin API shows it (the caller masks what must not be shown). */
export interface DefinitionView<D> {
  name: string;
  /** `file`: as the config file defines it; `api`: defined or changed through the admin API. */
  source: 'file' | 'api';
  /** Whether the config file defines one of this name too (`DELETE` then brings it back). */
  in_file: boolean;
  definition: D;
  /** The config file's definition, when the API changed it. */
  file_definition: D | null;
  revision: number | null;
  updated_by: string | null;
  updated_at: string | null;
}
export type RouteView = DefinitionView<RouteDefinition>;

/** Applies an effective config (the gateway's reload, audited or not). */
export type ApplyConfig = (effective: GatewayConfig, audited: boolean) => Promise<unknown>;

class Section<K extends SectionKey> {
  rows = new Map<string, StoredDefinition>();
  definitions = new Map<string, Definitions[K]>();
  seenRevision = -1;
  constructor(readonly spec: SectionSpec<K>) {}
}

type Overlay = { [K in SectionKey]: ReadonlyMap<string, Definitions[K]> };

/**
 * Definitions stored through the admin API (routes, providers), laid over the config file's: the
 * effective config is the file's with every stored definition replacing (or adding) the one of its
 * name, applied through the gateway's reload, so every feature sees a change as it sees a reload. A
 * timer polls each section's revision so that replicas sharing the storage follow within `pollMs`.
 */
export class StoredDefinitions {
  private readonly sections: { [K in SectionKey]: Section<K> };
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Whether the last poll failed: a storage outage is logged once, not every poll. */
  private pollFailing = false;
  private warnedPlain = false;

  constructor(
    private fileConfig: GatewayConfig,
    specs: { [K in SectionKey]: SectionSpec<K> },
    private readonly apply: ApplyConfig,
    private readonly logger: Logger,
  ) {
    this.sections = { routes: new Section(specs.routes), providers: new Section(specs.providers) };
  }

  /** The config file's config with the stored definitions over it. */
  effective(file: GatewayConfig = this.fileConfig, overlay: Overlay = this.overlay()): GatewayConfig {
    if (overlay.routes.size === 0 && overlay.providers.size === 0) return file;
    return {
      ...file,
      providers: { ...file.providers, ...Object.fromEntries(overlay.providers) },
      routes: { ...file.routes, ...Object.fromEntries(overlay.routes) },
    };
  }

  /** The config file's config (the latest reloaded). */
  get file(): GatewayConfig {
    return this.fileConfig;
  }

  /** Reads the store and applies what it holds (at start-up and on every poll that sees a new revision). */
  sync(): Promise<void> {
    return this.serial(async () => {
      const seen = { routes: await this.sections.routes.spec.store.revision(), providers: await this.sections.providers.spec.store.revision() };
      if (seen.routes === this.sections.routes.seenRevision && seen.providers === this.sections.providers.seenRevision) return;
      const read = { routes: await this.read(this.sections.routes, seen.routes), providers: await this.read(this.sections.providers, seen.providers) };
      const next: Overlay = { routes: read.routes?.definitions ?? this.sections.routes.definitions, providers: read.providers?.definitions ?? this.sections.providers.definitions };
      const changed = fingerprint(next.routes) !== fingerprint(this.sections.routes.definitions) || fingerprint(next.providers) !== fingerprint(this.sections.providers.definitions);
      this.sections.routes.seenRevision = seen.routes;
      this.sections.providers.seenRevision = seen.providers;
      const keepRows = () => {
        if (read.routes !== undefined) this.sections.routes.rows = read.routes.live;
        if (read.providers !== undefined) this.sections.providers.rows = read.providers.live;
      };
      if (!changed) return keepRows();
      try {
        await this.apply(this.effective(this.fileConfig, next), false);
        keepRows();
        this.sections.routes.definitions = new Map(next.routes);
        this.sections.providers.definitions = new Map(next.providers);
        this.logger.info('stored routes and providers applied', { revision: seen.routes, provider_revision: seen.providers, routes: [...next.routes.keys()], providers: [...next.providers.keys()] });
      } catch (error) {
        // Another replica's route may name a provider this one lacks: keep what runs, say why.
        this.logger.error('stored routes or providers not applied; the running ones stay in effect', { revision: seen.routes, provider_revision: seen.providers, error: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  /** `POST /admin/reload` and `gateway.reload`: a new file config, with the stored definitions kept over it. */
  reloadFile<T>(next: GatewayConfig, reload: (effective: GatewayConfig) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const report = await reload(this.effective(next));
      this.fileConfig = next;
      // The next poll reads the store again: stored definitions this file could not take before (a provider it lacked) may fit now.
      this.sections.routes.seenRevision = -1;
      this.sections.providers.seenRevision = -1;
      return report;
    });
  }

  list<K extends SectionKey>(key: K): DefinitionView<Definitions[K]>[] {
    const names = new Set([...Object.keys(this.fileConfig[key]), ...this.sections[key].definitions.keys()]);
    return [...names].sort().map((name) => this.view(key, name)!);
  }

  view<K extends SectionKey>(key: K, name: string): DefinitionView<Definitions[K]> | undefined {
    const section = this.sections[key] as Section<K>;
    const stored = section.definitions.get(name);
    const file = (this.fileConfig[key] as Record<string, Definitions[K]>)[name];
    if (stored === undefined && file === undefined) return undefined;
    const row = stored === undefined ? undefined : section.rows.get(name);
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

  /** Validates, applies, then stores a whole definition. Throws `invalid_request` naming the path and the fix. */
  put<K extends SectionKey>(key: K, name: string, body: unknown, actor: string): Promise<DefinitionView<Definitions[K]>> {
    const spec = this.sections[key].spec;
    checkName(spec, name);
    const parsed = spec.schema.safeParse(body);
    if (!parsed.success) {
      const raw = { [key]: { [name]: body } };
      const issues = parsed.error.issues.map((issue) => describeSchemaIssue({ ...issue, path: [key, name, ...issue.path] } as typeof issue, raw, raw));
      throw invalid(spec.noun, issues);
    }
    return this.change(key, name, parsed.data, actor);
  }

  /** Removes the stored definition: the file's of that name (if any) is in effect again. */
  revert<K extends SectionKey>(key: K, name: string, actor: string): Promise<DefinitionView<Definitions[K]> | null> {
    const spec = this.sections[key].spec;
    checkName(spec, name);
    if (!this.sections[key].definitions.has(name)) throw new GatewayError('not_found', `No ${spec.noun} \`${name}\` was changed through the admin API; one of the config file is changed by a PUT first.`);
    return this.change(key, name, null, actor).then(() => this.view(key, name) ?? null);
  }

  start(pollMs: number): void {
    this.timer = setInterval(() => {
      this.sync().then(
        () => {
          if (this.pollFailing) this.logger.info('stored routes and providers poll works again');
          this.pollFailing = false;
        },
        (error: unknown) => {
          if (!this.pollFailing) this.logger.warn('stored routes and providers poll failed; the running ones stay in effect', { error: error instanceof Error ? error.message : String(error) });
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

  private overlay(): Overlay {
    return { routes: this.sections.routes.definitions, providers: this.sections.providers.definitions };
  }

  /** A section's rows when its revision moved: the definitions that still validate (and open), by name. */
  private async read<K extends SectionKey>(section: Section<K>, revision: number): Promise<{ definitions: Map<string, Definitions[K]>; live: Map<string, StoredDefinition> } | undefined> {
    if (revision === section.seenRevision) return undefined;
    const spec = section.spec;
    const definitions = new Map<string, Definitions[K]>();
    const live = new Map<string, StoredDefinition>();
    for (const row of await spec.store.rows()) {
      if (row.definition === null) continue;
      let text: string;
      try {
        text = spec.sealer === undefined ? row.definition : spec.sealer.open(row.definition);
      } catch (error) {
        this.logger.error(`stored ${spec.noun} ignored: it cannot be opened`, { [spec.noun]: row.name, error: error instanceof Error ? error.message : String(error) });
        continue;
      }
      const parsed = spec.schema.safeParse(parseJson(text));
      if (!parsed.success) {
        this.logger.error(`stored ${spec.noun} ignored: it no longer validates`, { [spec.noun]: row.name });
        continue;
      }
      definitions.set(row.name, parsed.data);
      live.set(row.name, row);
    }
    return { definitions, live };
  }

  private change<K extends SectionKey>(key: K, name: string, definition: Definitions[K] | null, actor: string): Promise<DefinitionView<Definitions[K]>> {
    const section = this.sections[key] as Section<K>;
    const spec = section.spec;
    return this.serial(async () => {
      const next = new Map(section.definitions);
      if (definition === null) next.delete(name);
      else next.set(name, definition);
      try {
        await this.apply(this.effective(this.fileConfig, { ...this.overlay(), [key]: next }), false);
      } catch (error) {
        if (error instanceof ConfigError) throw invalid(spec.noun, error.issues);
        throw error;
      }
      const text = definition === null ? null : JSON.stringify(definition);
      if (text !== null && spec.sealer !== undefined && !spec.sealer.encrypts && !this.warnedPlain) {
        this.warnedPlain = true;
        this.logger.warn(`${spec.noun} definitions are stored unencrypted, secrets included: set ${spec.sealerSetting ?? 'an encryption key'} to seal them`, { [spec.noun]: name });
      }
      let revision: number;
      try {
        revision = await spec.store.put(name, text === null || spec.sealer === undefined ? text : spec.sealer.seal(text), actor);
      } catch (error) {
        await this.apply(this.effective(), false).catch(() => undefined);
        throw error;
      }
      section.definitions = next;
      if (definition === null) section.rows.delete(name);
      else section.rows.set(name, { name, definition: text, revision, updated_by: actor, updated_at: new Date().toISOString() });
      return this.view(key, name)!;
    }) as Promise<DefinitionView<Definitions[K]>>;
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

function checkName(spec: SectionSpec<SectionKey>, name: string): void {
  if (!spec.name.test(name)) throw new GatewayError('invalid_request', `\`${name.slice(0, 60)}\` is not a valid ${spec.noun} name: use ${spec.nameRule}.`, { param: 'name' });
}

function invalid(noun: string, issues: readonly ConfigIssue[]): GatewayError {
  return new GatewayError('invalid_request', `The ${noun} was not saved; the running ${noun}s stay in effect.\n${issues.map(formatIssue).join('\n')}`, issues[0] === undefined ? {} : { param: issues[0].path });
}

function fingerprint(definitions: ReadonlyMap<string, unknown>): string {
  return JSON.stringify([...definitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
