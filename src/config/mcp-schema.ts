import { z } from 'zod';

/** `<server>__<tool>` with `*` matching any run of characters. */
const toolPattern = z.string().min(1).max(256);
const serverName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'MCP server names may use letters, digits, `_` and `-`').refine((name) => !name.includes('__'), 'MCP server names may not contain `__` (it separates server and tool)');

/** One upstream MCP server. */
export const mcpServerSchema = z
  .strictObject({
    transport: z.enum(['stdio', 'http', 'sse']),
    /** stdio: the program to start, its arguments and extra environment variables. */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    /** http, sse: the server's endpoint. */
    url: z.url().optional(),
    /** http, sse: headers sent with every request (`Authorization: Bearer ${TOKEN}`). */
    headers: z.record(z.string(), z.string()).default({}),
    /** Milliseconds a tool call may take before it fails. */
    timeout_ms: z.number().int().positive().default(60_000),
    /** Agent mode: this server's tools (their own names, `*` wildcards) the gateway runs itself when a model calls them. */
    auto_execute: z.array(toolPattern).default([]),
  })
  .superRefine((server, context) => {
    if (server.transport === 'stdio' && server.command === undefined) context.addIssue({ code: 'custom', path: ['command'], message: 'a stdio MCP server needs a `command`' });
    if (server.transport !== 'stdio' && server.url === undefined) context.addIssue({ code: 'custom', path: ['url'], message: `an ${server.transport} MCP server needs a \`url\`` });
  });

/** Adding the key's tools to model requests (docs/mcp.md, "Tools in model requests"). */
export const mcpInjectSchema = z.strictObject({
  /** Add the allowed tools to the chat, Messages and Responses requests of every key with an `mcp` section (a key's `mcp.inject` decides for it). */
  enabled: z.boolean().default(false),
});

/** Agent mode: the gateway runs the tool calls of auto-executable tools and calls the model again. */
export const mcpAgentSchema = z.strictObject({
  /** Tools (`<server>__<tool>` patterns) the gateway runs itself when the model calls them. */
  auto_execute: z.array(toolPattern).default([]),
  /** Rounds of tool calls a request may run before the model's next answer is returned as it is. */
  max_depth: z.number().int().min(1).max(50).default(5),
  /** Milliseconds one tool call may take (the server's `timeout_ms` applies too); a timeout is fed back to the model as the tool's error. */
  tool_timeout_ms: z.number().int().positive().default(30_000),
});

/** The MCP gateway (src/mcp): upstream servers and named tool groups. */
export const mcpSchema = z.strictObject({
  inject: mcpInjectSchema.default({ enabled: false }),
  agent: mcpAgentSchema.default({ auto_execute: [], max_depth: 5, tool_timeout_ms: 30_000 }),
  servers: z.record(serverName, mcpServerSchema).default({}),
  /** Group name → tool patterns; a key that has the group may use its tools, and `/mcp/<group>` serves them. */
  groups: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'group names may use letters, digits, `_` and `-`'), z.array(toolPattern)).default({}),
});

/** A virtual key's (team's, customer's) MCP tool permissions. */
export const mcpPermissionsSchema = z.strictObject({
  allow: z.array(toolPattern).default([]),
  block: z.array(toolPattern).default([]),
  groups: z.array(z.string().min(1)).default([]),
});

/** A virtual key's MCP section: its permissions, and whether its tools are added to its model requests (overrides `mcp.inject.enabled`). */
export const mcpKeySchema = mcpPermissionsSchema.extend({
  inject: z.boolean().optional(),
});

export type McpConfig = z.infer<typeof mcpSchema>;
export type McpServerConfig = z.infer<typeof mcpServerSchema>;
export type McpPermissions = z.infer<typeof mcpPermissionsSchema>;
export type McpKeySettings = z.infer<typeof mcpKeySchema>;
export type McpAgentConfig = z.infer<typeof mcpAgentSchema>;

interface McpSections {
  mcp: McpConfig;
  virtual_keys: readonly { mcp?: McpPermissions | undefined }[];
  teams: readonly { mcp?: McpPermissions | undefined }[];
  customers: readonly { mcp?: McpPermissions | undefined }[];
}

/** Every group a key, team or customer names must be one of `mcp.groups`. */
export function checkMcpReferences(config: McpSections, context: z.core.$RefinementCtx): void {
  for (const section of ['virtual_keys', 'teams', 'customers'] as const) {
    config[section].forEach((entity, index) => {
      entity.mcp?.groups.forEach((group, groupIndex) => {
        if (!(group in config.mcp.groups)) context.addIssue({ code: 'custom', path: [section, index, 'mcp', 'groups', groupIndex], message: `unknown MCP tool group "${group}" (define it under mcp.groups)` });
      });
    });
  }
}
