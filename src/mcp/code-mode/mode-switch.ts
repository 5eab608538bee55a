import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpPermissions } from '../../config/mcp-schema.js';
import type { Principal } from '../../pipeline/context.js';
import type { ToolSource } from '../tool-source.js';

export type ToolMode = 'classic' | 'code';

interface ModeSections {
  virtual_keys: readonly { id: string; team?: string | undefined; mcp?: McpPermissions | undefined }[];
  teams: readonly { id: string; mcp?: McpPermissions | undefined }[];
  customers: readonly { id: string; mcp?: McpPermissions | undefined }[];
}

/**
 * Which keys use code mode: a key's own `mcp.mode`, else its team's, else its customer's, else
 * classic. Compiled at start-up and on reload; callers without a key are classic.
 */
export class ToolModes {
  private readonly keys = new Map<string, ToolMode>();
  private readonly teams = new Map<string, ToolMode>();
  private readonly customers = new Map<string, ToolMode>();

  constructor(config: ModeSections) {
    for (const key of config.virtual_keys) if (key.mcp?.mode !== undefined) this.keys.set(key.id, key.mcp.mode);
    for (const team of config.teams) if (team.mcp?.mode !== undefined) this.teams.set(team.id, team.mcp.mode);
    for (const customer of config.customers) if (customer.mcp?.mode !== undefined) this.customers.set(customer.id, customer.mcp.mode);
  }

  of(principal: Principal | undefined): ToolMode {
    if (principal === undefined) return 'classic';
    return this.keys.get(principal.keyId) ?? (principal.teamId === undefined ? undefined : this.teams.get(principal.teamId)) ?? (principal.customerId === undefined ? undefined : this.customers.get(principal.customerId)) ?? 'classic';
  }
}

/**
 * The ToolSource `/mcp`, the tool-execute endpoint and tool injection serve: the catalog's tools
 * for classic callers, code mode's four meta-tools for callers whose key is in code mode.
 */
export class ModeSwitchSource implements ToolSource {
  constructor(
    private readonly classic: ToolSource,
    private readonly code: ToolSource,
    private readonly modes: () => ToolModes,
  ) {}

  list(principal: Principal | undefined, group?: string): Tool[] {
    return (this.modes().of(principal) === 'code' ? this.code : this.classic).list(principal, group);
  }

  call(principal: Principal | undefined, name: string, args: Record<string, unknown> | undefined, signal: AbortSignal, group?: string): Promise<CallToolResult> {
    return (this.modes().of(principal) === 'code' ? this.code : this.classic).call(principal, name, args, signal, group);
  }
}
