import type { ConfigIssue } from '../config/config-error.js';
import { expandEnvironment } from '../config/env.js';
import { mcpServerSchema, type McpServerConfig } from '../config/mcp-schema.js';
import type { Logger } from '../lib/logger.js';
import type { AuditSink } from '../pipeline/audit-sink.js';
import { GatewayError } from '../spec/index.js';
import type { Sealer } from '../lib/sealer.js';
import type { McpStore } from './server-store.js';
import type { ToolCatalog } from './tool-catalog.js';
import { ToolPrices } from './tool-prices.js';
import type { UpstreamOptions } from './upstream-server.js';

/** Shown instead of a header's or an environment variable's value. */
export const MASKED = '********';

/** A server as `GET /admin/mcp/servers` shows it: secrets masked, with its connection. */
export interface ServerView {
  name: string;
  source: 'config' | 'api';
  transport: McpServerConfig['transport'];
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  headers?: Record<string, string>;
  timeout_ms: number;
  tool_prices: Record<string, number>;
  price_per_call: number | null;
  oauth: { client_id: string | null; scopes: string[] } | null;
  state: string;
  last_error: string | null;
  tools: number;
  /** The tools the server lists (its own names; called as `<server>__<name>`) and the price of one call (null: unpriced). */
  tool_list: { name: string; price_usd: number | null }[];
}

/** A value that only names environment variables (`${GITHUB_TOKEN}`) is no secret and is shown; any other is masked. */
function masked(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value) ? value : MASKED]));
}

/** A URL with its password and query values masked (`?api_key=…` is a secret as often as not). */
function maskedUrl(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = MASKED;
  for (const name of [...new Set(url.searchParams.keys())]) url.searchParams.set(name, MASKED);
  return url.href;
}

/**
 * The upstream servers managed through the admin API, next to those of the config file: kept in
 * the gateway's storage (sealed when `mcp.oauth.encryption_key` is set), so they survive a restart,
 * and polled every `mcp.sync_interval_ms` for writes of other replicas. A server's header and
 * environment values may name environment variables (`${TOKEN}`), expanded when it connects, so the
 * secret itself need not be stored. Config servers are listed but not changed through the API.
 */
export class ManagedServers {
  /** Stored revision each API server was applied at. */
  private readonly applied = new Map<string, number>();
  private readonly stored = new Map<string, McpServerConfig>();
  private seen = -1;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly catalog: ToolCatalog,
    private readonly store: McpStore,
    private readonly sealer: Sealer,
    private readonly configServers: () => Readonly<Record<string, McpServerConfig>>,
    private readonly options: (name: string, config: McpServerConfig) => UpstreamOptions,
    private readonly logger: Logger,
    /** `mcp.allow_api_stdio`: whether the API may add servers that run a program on the gateway's host. */
    private readonly allowStdio = false,
    private readonly audit?: AuditSink,
  ) {}

  /** An admin change in the audit log (`mcp_server.create`, …), with the server as shown: secrets masked. */
  private record(action: string, name: string, details: Record<string, unknown>): void {
    try {
      this.audit?.append({ actor: 'admin', action, target: name, details });
    } catch (error) {
      this.logger.error('audit append failed', { action, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Loads the stored servers, then polls for changes every `intervalMs`. */
  async start(intervalMs: number): Promise<void> {
    this.timer = setInterval(() => void this.sync().catch((error: unknown) => this.logger.warn('mcp server sync failed', { error: error instanceof Error ? error.message : String(error) })), intervalMs);
    this.timer.unref();
    await this.sync();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Applies the stored servers whose revision changed since the last look (one sync at a time). */
  sync(): Promise<void> {
    this.syncing ??= this.load().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  list(): ServerView[] {
    return [...this.catalog.servers.keys()].sort().map((name) => this.view(name)!);
  }

  view(name: string): ServerView | undefined {
    const server = this.catalog.servers.get(name);
    const fromConfig = this.configServers()[name];
    const config = fromConfig ?? this.stored.get(name);
    if (server === undefined || config === undefined) return undefined;
    const prices = new ToolPrices(name, config);
    return {
      name,
      source: fromConfig === undefined ? 'api' : 'config',
      transport: config.transport,
      ...(config.transport === 'stdio' ? { command: config.command!, args: config.args, env: masked(config.env) } : { url: maskedUrl(config.url!), headers: masked(config.headers) }),
      timeout_ms: config.timeout_ms,
      tool_prices: config.tool_prices,
      price_per_call: config.price_per_call ?? null,
      oauth: config.oauth === undefined ? null : { client_id: config.oauth.client_id ?? null, scopes: config.oauth.scopes },
      state: server.state,
      last_error: server.lastError ?? null,
      tools: server.tools.length,
      tool_list: server.tools.map((tool) => ({ name: tool.name, price_usd: prices.of(tool.name)?.usd ?? null })),
    };
  }

  /** The config of a server (config file or API), unexpanded. */
  configOf(name: string): McpServerConfig | undefined {
    return this.configServers()[name] ?? this.stored.get(name);
  }

  async create(name: string, body: unknown): Promise<ServerView> {
    if (this.configOf(name) !== undefined) throw new GatewayError('conflict', `An MCP server \`${name}\` already exists.`);
    const config = parseServer(body);
    await this.write(name, config);
    const view = this.view(name)!;
    this.record('mcp_server.create', name, settingsOf(view));
    return view;
  }

  /** Merges `body` into an API server's config (a field given replaces the stored one: `headers` as a whole). */
  async update(name: string, body: unknown): Promise<ServerView> {
    const current = this.editable(name);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The body must be a JSON object of the fields to change.');
    const config = parseServer(unmasked(current, body as Record<string, unknown>));
    await this.write(name, config);
    const view = this.view(name)!;
    this.record('mcp_server.update', name, { ...settingsOf(view), fields: Object.keys(body) });
    return view;
  }

  async delete(name: string): Promise<void> {
    this.editable(name);
    const revision = await this.store.putServer(name, null);
    this.stored.delete(name);
    this.applied.set(name, revision);
    await this.catalog.remove(name);
    this.record('mcp_server.delete', name, {});
  }

  private editable(name: string): McpServerConfig {
    if (this.configServers()[name] !== undefined) throw new GatewayError('conflict', `MCP server \`${name}\` is defined in the config file; change it there.`);
    const stored = this.stored.get(name);
    if (stored !== undefined) return stored;
    throw new GatewayError('not_found', `No MCP server \`${name}\`.`);
  }

  private async write(name: string, config: McpServerConfig): Promise<void> {
    if (config.transport === 'stdio' && !this.allowStdio) throw new GatewayError('invalid_request', 'A stdio MCP server runs a program on the gateway\'s host: the admin API adds one only with `mcp.allow_api_stdio: true` (or define it in the config file).', { param: 'transport' });
    const expanded = expand(name, config);
    const options = this.options(name, expanded);
    const revision = await this.store.putServer(name, this.sealer.seal(JSON.stringify(config)));
    this.stored.set(name, config);
    this.applied.set(name, revision);
    await this.catalog.upsert(name, expanded, options);
  }

  /**
   * A reload changed the config file's servers (`configServers()` is already the new list):
   * changed and new ones are (re)connected, removed ones closed, unless the admin API holds a server
   * by that name, which then takes its place again.
   */
  async applyConfig(previous: Readonly<Record<string, McpServerConfig>>): Promise<void> {
    const next = this.configServers();
    for (const [name, config] of Object.entries(next)) {
      if (JSON.stringify(previous[name]) === JSON.stringify(config)) continue;
      await this.catalog.upsert(name, config, this.options(name, config));
    }
    for (const name of Object.keys(previous)) {
      if (next[name] !== undefined) continue;
      const stored = this.stored.get(name);
      if (stored === undefined) {
        await this.catalog.remove(name);
        continue;
      }
      try {
        const expanded = expand(name, stored);
        await this.catalog.upsert(name, expanded, this.options(name, expanded));
      } catch (error) {
        await this.catalog.remove(name);
        this.logger.warn('mcp server from storage not applied', { server: name, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private async load(): Promise<void> {
    const revision = await this.store.revision();
    if (revision === this.seen) return;
    const configured = this.configServers();
    for (const row of await this.store.servers()) {
      if (this.applied.get(row.name) === row.revision) continue;
      this.applied.set(row.name, row.revision);
      // A name the config file also defines is the config's: the stored server is kept, to return if the config drops it.
      const shadowed = configured[row.name] !== undefined;
      if (row.config === null) {
        if (this.stored.delete(row.name) && !shadowed) await this.catalog.remove(row.name);
        continue;
      }
      try {
        const config = mcpServerSchema.parse(JSON.parse(this.sealer.open(row.config)));
        this.stored.set(row.name, config);
        if (shadowed) continue;
        const expanded = expand(row.name, config);
        await this.catalog.upsert(row.name, expanded, this.options(row.name, expanded));
      } catch (error) {
        this.logger.warn('mcp server from storage not applied', { server: row.name, error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.seen = revision;
  }
}

/**
 * The stored config with `body`'s fields in place, where a value sent back as shown (a header or
 * variable `********`, the masked URL) keeps the stored secret: a client may PATCH what it read.
 */
function unmasked(current: McpServerConfig, body: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current, ...body };
  for (const field of ['headers', 'env'] as const) {
    const given = body[field];
    if (given === null || typeof given !== 'object' || Array.isArray(given)) continue;
    merged[field] = Object.fromEntries(Object.entries(given as Record<string, unknown>).map(([key, value]) => [key, value === MASKED && current[field][key] !== undefined ? current[field][key] : value]));
  }
  if (current.url !== undefined && body.url === maskedUrl(current.url)) merged.url = current.url;
  return merged;
}

/** A view without its connection state: what the audit log keeps of a change. */
function settingsOf(view: ServerView): Record<string, unknown> {
  const { state: _state, last_error: _error, tools: _tools, tool_list: _list, ...settings } = view;
  return settings;
}

function parseServer(body: unknown): McpServerConfig {
  const result = mcpServerSchema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  throw new GatewayError('invalid_request', `Invalid MCP server: ${problems.join('; ')}`, { param: result.error.issues[0]?.path.map(String).join('.') });
}

/** `${VAR}` references of headers and env, from this process's environment; an unset one refuses the server (naming the variable, never a value). */
function expand(name: string, config: McpServerConfig): McpServerConfig {
  const issues: ConfigIssue[] = [];
  const headers = expandEnvironment(config.headers, process.env, 'headers', issues) as Record<string, string>;
  const env = expandEnvironment(config.env, process.env, 'env', issues) as Record<string, string>;
  if (issues.length > 0) throw new GatewayError('invalid_request', `MCP server \`${name}\`: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
  return { ...config, headers, env };
}
