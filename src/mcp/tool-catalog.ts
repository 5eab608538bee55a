import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpConfig, McpServerConfig } from '../config/mcp-schema.js';
import type { Logger } from '../lib/logger.js';
import type { Principal, RequestCost } from '../pipeline/context.js';
import { GatewayError } from '../spec/index.js';
import type { ToolPermissions } from './tool-permissions.js';
import type { ToolSource } from './tool-source.js';
import { UpstreamServer, type UpstreamOptions } from './upstream-server.js';

/** Separates a server's name from its tool's in the names Tollgate exposes. */
export const SEPARATOR = '__';

/**
 * Every upstream MCP server's tools under namespaced names (`<server>__<tool>`), and the calls to
 * them, filtered by the caller's permissions. Permission checks come first, so a refused caller
 * learns nothing of what servers exist.
 */
export class ToolCatalog implements ToolSource {
  readonly servers = new Map<string, UpstreamServer>();

  constructor(
    config: McpConfig,
    private readonly logger: Logger,
    private permissions: ToolPermissions,
    /** What each server is built with besides its config (its OAuth provider). */
    options: (name: string, config: McpServerConfig) => UpstreamOptions = () => ({}),
  ) {
    for (const [name, server] of Object.entries(config.servers)) this.servers.set(name, new UpstreamServer(name, server, logger, undefined, options(name, server)));
  }

  start(): void {
    for (const server of this.servers.values()) server.start();
  }

  /** Adds or replaces a server at run time (the admin API) and connects it; the one it replaces is closed. */
  async upsert(name: string, config: McpServerConfig, options: UpstreamOptions = {}): Promise<UpstreamServer> {
    const previous = this.servers.get(name);
    const server = new UpstreamServer(name, config, this.logger, undefined, options);
    this.servers.set(name, server);
    server.start();
    await previous?.close();
    return server;
  }

  /** Removes a server at run time and closes its connection; false when there was none. */
  async remove(name: string): Promise<boolean> {
    const server = this.servers.get(name);
    if (server === undefined) return false;
    this.servers.delete(name);
    await server.close();
    return true;
  }

  setPermissions(permissions: ToolPermissions): void {
    this.permissions = permissions;
  }

  /** The tools the caller may use, namespaced; within `group` only when given. */
  list(principal: Principal | undefined, group?: string): Tool[] {
    const tools: Tool[] = [];
    for (const server of this.servers.values()) {
      for (const tool of server.tools) {
        const name = `${server.name}${SEPARATOR}${tool.name}`;
        if (group !== undefined && !this.permissions.inGroup(group, name)) continue;
        if (!this.permissions.check(principal, name).allowed) continue;
        tools.push({ ...tool, name });
      }
    }
    return tools;
  }

  /** Why the caller may not call `name` (within `group`), or undefined when it may. */
  refusal(principal: Principal | undefined, name: string, group?: string): GatewayError | undefined {
    if (group !== undefined && !this.permissions.inGroup(group, name)) return new GatewayError('tool_not_allowed', `Tool \`${name}\` is not allowed: not in group "${group}".`);
    const verdict = this.permissions.check(principal, name);
    return verdict.allowed ? undefined : new GatewayError('tool_not_allowed', verdict.reason);
  }

  /** What one call of a namespaced tool costs, when its server prices it. */
  costOf(name: string): RequestCost | undefined {
    const split = name.indexOf(SEPARATOR);
    return split <= 0 ? undefined : this.servers.get(name.slice(0, split))?.prices.of(name.slice(split + SEPARATOR.length));
  }

  /** Calls a namespaced tool for the caller. Throws GatewayError: tool_not_allowed, tool_not_found, tool_server_unavailable, tool_call_failed. */
  async call(principal: Principal | undefined, name: string, args: Record<string, unknown> | undefined, signal: AbortSignal, group?: string): Promise<CallToolResult> {
    const refused = this.refusal(principal, name, group);
    if (refused !== undefined) throw refused;
    const split = name.indexOf(SEPARATOR);
    const server = split <= 0 ? undefined : this.servers.get(name.slice(0, split));
    const tool = name.slice(split + SEPARATOR.length);
    if (server === undefined) throw new GatewayError('tool_not_found', `No MCP server offers \`${name}\` (tools are named \`<server>${SEPARATOR}<tool>\`).`);
    if (server.state === 'connected' && !server.tools.some((listed) => listed.name === tool)) throw new GatewayError('tool_not_found', `No tool \`${name}\`: MCP server \`${server.name}\` has no tool \`${tool}\`.`);
    return server.call(tool, args, signal);
  }

  /** Throws naming the servers that are not connected (readiness); one waiting for an admin's OAuth authorization does not count (the admin needs a ready gateway to give it). */
  health(): void {
    const down = [...this.servers.values()].filter((server) => server.state !== 'connected' && !server.needsAuthorization);
    if (down.length > 0) throw new Error(`MCP servers not connected: ${down.map((server) => `${server.name} (${server.lastError ?? server.state})`).join(', ')}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.close()));
  }
}
