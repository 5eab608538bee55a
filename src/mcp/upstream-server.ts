import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError, ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../config/mcp-schema.js';
import type { Logger } from '../lib/logger.js';
import { GatewayError } from '../spec/index.js';
import { ToolPrices } from './tool-prices.js';

/** The longest wait between two reconnection attempts. */
export const MAX_BACKOFF_MS = 5_000;
const FIRST_BACKOFF_MS = 100;
const CONNECT_TIMEOUT_MS = 10_000;
/** Bytes of each stderr chunk of a stdio server kept in the debug log. */
const STDERR_LINE_BYTES = 2_000;

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** What an upstream server is built with besides its config. */
export interface UpstreamOptions {
  /** OAuth for http and sse servers (the SDK's client auth): the transport sends its bearer token and refreshes it. */
  authProvider?: OAuthClientProvider;
  /** Runs before each connection attempt (the OAuth provider reads its stored tokens again). */
  beforeConnect?: () => Promise<void>;
}

/**
 * One upstream MCP server, through the official SDK's client: connects, lists its tools (again on
 * `notifications/tools/list_changed`), and when the connection is lost (a stdio process exits, an
 * HTTP server stops answering) reconnects with exponential backoff capped at MAX_BACKOFF_MS. Its
 * last known tools stay listed while it is down; calls fail `tool_server_unavailable` until it is back.
 */
export class UpstreamServer {
  state: ConnectionState = 'disconnected';
  lastError: string | undefined;
  /** True while the server refuses the gateway for want of an OAuth authorization only an admin can start. */
  needsAuthorization = false;
  /** Whether the current connection attempt met a 401 the SDK's auth could not fix. */
  private unauthorized = false;
  tools: readonly Tool[] = [];
  /** What a call of each tool costs (`tool_prices`, `price_per_call`). */
  readonly prices: ToolPrices;
  private client: Client | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private connected: Promise<void> | undefined;
  private resolveConnected: (() => void) | undefined;

  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly logger: Logger,
    /** Told whenever the tool list changes. */
    private readonly onTools: () => void = () => {},
    private readonly options: UpstreamOptions = {},
  ) {
    this.prices = new ToolPrices(name, config);
  }

  start(): void {
    void this.connect();
  }

  /** Resolves once connected (for tests and start-up waits), or after `timeoutMs`. */
  async whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.state === 'connected') return true;
    this.connected ??= new Promise((resolve) => (this.resolveConnected = resolve));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.connected, timeout]);
    clearTimeout(timer);
    return (this.state as ConnectionState) === 'connected';
  }

  async call(tool: string, args: Record<string, unknown> | undefined, signal: AbortSignal): Promise<CallToolResult> {
    const client = this.client;
    if (client === undefined || this.state !== 'connected') {
      throw new GatewayError('tool_server_unavailable', `MCP server \`${this.name}\` is not connected${this.lastError === undefined ? '' : ` (${this.lastError})`}; Tollgate is reconnecting.`);
    }
    try {
      return (await client.callTool({ name: tool, ...(args === undefined ? {} : { arguments: args }) }, undefined, { signal, timeout: this.config.timeout_ms })) as CallToolResult;
    } catch (error) {
      if (signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      // A JSON-RPC error is the server's answer; anything else means the connection is gone.
      if (!(error instanceof McpError) || error.code === -32000) this.lost(client, message);
      throw new GatewayError('tool_call_failed', `MCP server \`${this.name}\` failed the call of \`${tool}\`: ${message}`.slice(0, 2000));
    }
  }

  /** Whether the connected server declared `capability` (`prompts`, `resources`) when it was initialized. */
  offers(capability: 'prompts' | 'resources'): boolean {
    return this.state === 'connected' && this.client?.getServerCapabilities()?.[capability] !== undefined;
  }

  /**
   * Runs one request other than a tool call (prompts, resources) on the connection, with the call
   * timeout: throws `tool_server_unavailable` while down, `tool_call_failed` when the server fails it.
   */
  async request<T>(what: string, send: (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>, signal: AbortSignal): Promise<T> {
    const client = this.client;
    if (client === undefined || this.state !== 'connected') {
      throw new GatewayError('tool_server_unavailable', `MCP server \`${this.name}\` is not connected${this.lastError === undefined ? '' : ` (${this.lastError})`}; Tollgate is reconnecting.`);
    }
    try {
      return await send(client, { signal, timeout: this.config.timeout_ms });
    } catch (error) {
      if (signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof McpError) || error.code === -32000) this.lost(client, message);
      throw new GatewayError('tool_call_failed', `MCP server \`${this.name}\` failed ${what}: ${message}`.slice(0, 2000));
    }
  }

  async close(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    const client = new Client({ name: 'tollgate', version: '1' }, { capabilities: {} });
    client.onclose = () => this.lost(client, 'connection closed');
    this.unauthorized = false;
    client.onerror = (error) => {
      // The transport reports a 401 it could not fix (no token, refresh refused) here, before the connection closes.
      if (error instanceof UnauthorizedError) this.unauthorized = true;
      this.logger.debug('mcp server transport error', { server: this.name, error: error.message });
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void this.refresh(client));
    try {
      await this.options.beforeConnect?.();
      await client.connect(this.transport(), { timeout: CONNECT_TIMEOUT_MS });
      if ((this.state as ConnectionState) === 'closed') {
        await client.close();
        return;
      }
      this.client = client;
      await this.refresh(client);
      if (this.client !== client) return;
      this.state = 'connected';
      this.lastError = undefined;
      this.needsAuthorization = false;
      this.failures = 0;
      this.logger.info('mcp server connected', { server: this.name, tools: this.tools.length });
      this.resolveConnected?.();
      this.connected = undefined;
    } catch (error) {
      if (error instanceof UnauthorizedError) this.unauthorized = true;
      this.lost(client, error instanceof Error ? error.message : String(error));
    }
  }

  /** Connects again at once when not connected (an OAuth authorization just completed), instead of waiting out the backoff. */
  reconnect(): void {
    if (this.state !== 'disconnected') return;
    clearTimeout(this.timer);
    this.failures = 0;
    void this.connect();
  }

  private async refresh(client: Client): Promise<void> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: CONNECT_TIMEOUT_MS });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined && tools.length < 10_000);
    if (this.client !== client) return;
    this.tools = tools;
    this.onTools();
  }

  /** The connection `client` is over: drop it and reconnect after the backoff. Ignores a connection already replaced. */
  private lost(client: Client, reason: string): void {
    if (this.state === 'closed') {
      // A connection attempt that ends after close(): its transport (an SSE event source retries on its own) must not outlive the gateway.
      client.onclose = undefined;
      void client.close().catch(() => {});
      return;
    }
    if (this.client !== undefined && this.client !== client) return;
    if (this.client === undefined && this.state !== 'connecting') return;
    this.client = undefined;
    this.state = 'disconnected';
    // The SDK's auth needs a user: only an admin can start that (docs/mcp.md).
    this.needsAuthorization = this.unauthorized;
    this.lastError = (this.unauthorized ? `OAuth authorization needed: start it with POST /admin/mcp/servers/${this.name}/oauth/start` : reason).slice(0, 500);
    client.onclose = undefined;
    void client.close().catch(() => {});
    const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this.failures++);
    this.logger.warn('mcp server disconnected', { server: this.name, reason: this.lastError, retry_in_ms: delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
  }

  private transport(): Transport {
    const config = this.config;
    if (config.transport === 'stdio') {
      const transport = new StdioClientTransport({ command: config.command!, args: config.args, env: { ...getDefaultEnvironment(), ...config.env }, stderr: 'pipe' });
      transport.stderr?.on('data', (chunk: Buffer) => this.logger.debug('mcp server stderr', { server: this.name, text: chunk.toString('utf8', 0, Math.min(chunk.length, STDERR_LINE_BYTES)) }));
      return transport;
    }
    const url = new URL(config.url!);
    const requestInit = { headers: config.headers };
    const authProvider = this.options.authProvider;
    const options = authProvider === undefined ? { requestInit } : { requestInit, authProvider };
    return config.transport === 'http' ? new StreamableHTTPClientTransport(url, options) : new SSEClientTransport(url, options);
  }
}
