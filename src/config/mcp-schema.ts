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
    /** USD per call of the tools whose name (`<tool>`, or `<server>__<tool>`) matches the pattern; the first match wins. */
    tool_prices: z.record(z.string().min(1).max(256), z.number().min(0).max(1_000_000)).default({}),
    /** USD per call of this server's tools that no `tool_prices` pattern names. */
    price_per_call: z.number().min(0).max(1_000_000).optional(),
    /** http, sse: OAuth 2.1 towards the server (discovery, dynamic client registration, PKCE); started by an admin (docs/mcp.md). */
    oauth: z
      .strictObject({
        /** A client registered beforehand; without it the gateway registers itself (dynamic client registration). */
        client_id: z.string().min(1).optional(),
        client_secret: z.string().min(1).optional(),
        /** Scopes to ask for (space-joined). */
        scopes: z.array(z.string().min(1)).default([]),
      })
      .optional(),
  })
  .superRefine((server, context) => {
    if (server.transport === 'stdio' && server.oauth !== undefined) context.addIssue({ code: 'custom', path: ['oauth'], message: 'OAuth is for http and sse MCP servers; a stdio server takes its secrets in `env`' });
    if (server.transport === 'stdio' && server.command === undefined) context.addIssue({ code: 'custom', path: ['command'], message: 'a stdio MCP server needs a `command`' });
    if (server.transport !== 'stdio' && server.url === undefined) context.addIssue({ code: 'custom', path: ['url'], message: `an ${server.transport} MCP server needs a \`url\`` });
  });

/** Code mode (docs/mcp.md): four meta-tools and a QuickJS sandbox instead of every tool's schema, for keys with `mcp.mode: code`. */
export const codeModeSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Milliseconds one execution may take, its tool calls included. */
  timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
  /** Milliseconds the interpreter itself may run in one execution, summed over its slices (waiting for tool calls does not count). */
  cpu_ms: z.number().int().min(10).max(60_000).default(1_000),
  /** MiB of memory one execution's sandbox may use (its WebAssembly memory; 16 at least). */
  memory_mb: z.number().int().min(16).max(1024).default(64),
  /** Tool calls one execution may make. */
  max_tool_calls: z.number().int().positive().max(10_000).default(100),
  /** Executions that may run at once, process-wide. */
  max_concurrent: z.number().int().positive().max(256).default(4),
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
  code_mode: codeModeSchema.default(codeModeSchema.parse({})),
  /** Whether `POST /admin/mcp/servers` may add stdio servers (programs the gateway starts on its host); off by default. */
  allow_api_stdio: z.boolean().default(false),
  /** How often a replica looks for servers added, changed or deleted through another replica's admin API. */
  sync_interval_ms: z.number().int().min(100).default(5_000),
  /** OAuth towards upstream servers, and the sealing of what the gateway stores for MCP (tokens, admin-added servers' headers). */
  oauth: z
    .strictObject({
      /** Key for AES-256-GCM (any text of 32+ characters, hashed to 256 bits): `${TOLLGATE_MCP_KEY}`. Required by servers with `oauth`. */
      encryption_key: z.string().min(32, 'use at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
      /** The gateway's public URL of `GET /mcp/oauth/callback` (the redirect URI registered with authorization servers). */
      redirect_url: z.url().optional(),
    })
    .default({}),
});

/** A virtual key's (team's, customer's) MCP tool permissions. */
export const mcpPermissionsSchema = z.strictObject({
  allow: z.array(toolPattern).default([]),
  block: z.array(toolPattern).default([]),
  groups: z.array(z.string().min(1)).default([]),
  /** `code`: the four code-mode meta-tools instead of the tools themselves (needs `mcp.code_mode.enabled`); `classic`: the tools. Unset: the team's, then the customer's, then classic. */
  mode: z.enum(['classic', 'code']).optional(),
});

/** A virtual key's MCP section: its permissions, and whether its tools are added to its model requests (overrides `mcp.inject.enabled`). */
export const mcpKeySchema = mcpPermissionsSchema.extend({
  inject: z.boolean().optional(),
});

export type McpConfig = z.infer<typeof mcpSchema>;
export type CodeModeConfig = z.infer<typeof codeModeSchema>;
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

/** Every group a key, team or customer names must be one of `mcp.groups`; `mode: code` needs code mode enabled; servers with `oauth` need the encryption key and the redirect URL. */
export function checkMcpReferences(config: McpSections, context: z.core.$RefinementCtx): void {
  for (const [name, server] of Object.entries(config.mcp.servers)) {
    if (server.oauth === undefined) continue;
    if (config.mcp.oauth.encryption_key === undefined) context.addIssue({ code: 'custom', path: ['mcp', 'servers', name, 'oauth'], message: 'OAuth tokens are stored encrypted: set mcp.oauth.encryption_key (e.g. "${TOLLGATE_MCP_KEY}")' });
    if (config.mcp.oauth.redirect_url === undefined) context.addIssue({ code: 'custom', path: ['mcp', 'servers', name, 'oauth'], message: 'set mcp.oauth.redirect_url to the public URL of GET /mcp/oauth/callback' });
  }
  for (const section of ['virtual_keys', 'teams', 'customers'] as const) {
    config[section].forEach((entity, index) => {
      entity.mcp?.groups.forEach((group, groupIndex) => {
        if (!(group in config.mcp.groups)) context.addIssue({ code: 'custom', path: [section, index, 'mcp', 'groups', groupIndex], message: `unknown MCP tool group "${group}" (define it under mcp.groups)` });
      });
      if (entity.mcp?.mode === 'code' && !config.mcp.code_mode.enabled) context.addIssue({ code: 'custom', path: [section, index, 'mcp', 'mode'], message: 'code mode is off: set mcp.code_mode.enabled: true, or remove `mode: code`' });
    });
  }
}
