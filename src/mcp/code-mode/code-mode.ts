import type { GatewayConfig } from '../../config/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { GatewayRequests } from '../../pipeline/capabilities.js';
import type { ToolCaller, ToolSource } from '../tool-source.js';
import { AuditedToolSource } from './audited-tool-source.js';
import { CodeModeSource, type CodeModeSettings } from './code-mode-source.js';
import { ModeSwitchSource, ToolModes } from './mode-switch.js';
import { SandboxPool } from './sandbox-pool.js';

/** Interpreter stack of one execution: deep recursion fails with `stack overflow` inside the sandbox. */
const STACK_BYTES = 256 * 1024;
/** Characters of an execution's returned value (as JSON) and of its console output. */
const MAX_RESULT_CHARS = 100_000;
const MAX_CONSOLE_CHARS = 20_000;

function settingsOf(config: GatewayConfig): CodeModeSettings {
  const codeMode = config.mcp.code_mode;
  return {
    maxConcurrent: codeMode.max_concurrent,
    limits: { timeoutMs: codeMode.timeout_ms, cpuMs: codeMode.cpu_ms, memoryBytes: codeMode.memory_mb * 1024 * 1024, stackBytes: STACK_BYTES, maxResultChars: MAX_RESULT_CHARS, maxConsoleChars: MAX_CONSOLE_CHARS, maxToolCalls: codeMode.max_tool_calls },
  };
}

/** Code mode as the MCP module uses it: the ToolSource to serve, and what a reload changes. */
export interface CodeMode {
  readonly tools: ToolSource;
  /** Calls a tool of `tools` inside its record's context: meta-tools for keys in code mode, else the catalog's through `classic`. */
  readonly call: ToolCaller;
  reconfigure(config: GatewayConfig): void;
  /** Stops the sandbox threads. */
  close(): Promise<void>;
}

/**
 * Wraps the catalog: callers whose key is in code mode get the four meta-tools, whose tool calls
 * go through the catalog each as a logged `operation` record; everyone else gets the catalog
 * itself. With code mode off the catalog is served as it is. Executions run in sandbox threads, the first started (and QuickJS compiled) at start-up.
 */
export function createCodeMode(catalog: ToolSource, classic: ToolCaller, config: GatewayConfig, requests: () => GatewayRequests, operation: string, logger: Logger): CodeMode {
  let modes = new ToolModes(config);
  const sandbox = new SandboxPool();
  const code = new CodeModeSource(new AuditedToolSource(catalog, classic, requests, operation), settingsOf(config), sandbox);
  if (config.mcp.code_mode.enabled) {
    sandbox.warm();
    logger.info('mcp code mode enabled', { max_concurrent: config.mcp.code_mode.max_concurrent, memory_mb: config.mcp.code_mode.memory_mb });
  }
  return {
    tools: config.mcp.code_mode.enabled ? new ModeSwitchSource(catalog, code, () => modes) : catalog,
    call: config.mcp.code_mode.enabled ? (context, name, args, group) => (modes.of(context.principal) === 'code' ? code.call(context.principal, name, args, context.signal, group) : classic(context, name, args, group)) : classic,
    reconfigure(next) {
      modes = new ToolModes(next);
      code.reconfigure(settingsOf(next));
    },
    close: () => sandbox.close(),
  };
}
