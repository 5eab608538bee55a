import type { GatewayConfig } from '../config/schema.js';
import { SEPARATOR } from './tool-catalog.js';
import { compilePattern, firstMatch, type ToolPattern } from './tool-patterns.js';

/** Injection and agent mode as the config sets them, compiled at start-up and on reload. */
export interface AgentSettings {
  /** `mcp.inject.enabled`: the default for keys that do not say. */
  readonly injectByDefault: boolean;
  /** Keys' own `mcp.inject`, by key id. */
  readonly keyInject: ReadonlyMap<string, boolean>;
  readonly maxDepth: number;
  readonly toolTimeoutMs: number;
  /** Whether the gateway runs `tool` (`<server>__<tool>`) itself when a model calls it. */
  isAutoExecuted(tool: string): boolean;
  /** Whether any tool is auto-executable (agent mode is configured at all). */
  readonly agentConfigured: boolean;
}

/** `mcp.agent.auto_execute` (full names) and each server's `auto_execute` (its own tool names, prefixed here). */
export function agentSettingsOf(config: GatewayConfig): AgentSettings {
  const patterns: ToolPattern[] = config.mcp.agent.auto_execute.map(compilePattern);
  for (const [server, settings] of Object.entries(config.mcp.servers)) for (const pattern of settings.auto_execute) patterns.push(compilePattern(`${server}${SEPARATOR}${pattern}`));
  const keyInject = new Map<string, boolean>();
  for (const key of config.virtual_keys) if (key.mcp?.inject !== undefined) keyInject.set(key.id, key.mcp.inject);
  return {
    injectByDefault: config.mcp.inject.enabled,
    keyInject,
    maxDepth: config.mcp.agent.max_depth,
    toolTimeoutMs: config.mcp.agent.tool_timeout_ms,
    isAutoExecuted: (tool) => firstMatch(patterns, tool) !== undefined,
    agentConfigured: patterns.length > 0,
  };
}
