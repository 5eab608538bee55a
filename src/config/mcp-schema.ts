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

/** The MCP gateway (src/mcp): upstream servers and named tool groups. */
export const mcpSchema = z.strictObject({
  servers: z.record(serverName, mcpServerSchema).default({}),
  /** Group name → tool patterns; a key that has the group may use its tools, and `/mcp/<group>` serves them. */
  groups: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'group names may use letters, digits, `_` and `-`'), z.array(toolPattern)).default({}),
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
});

export type McpConfig = z.infer<typeof mcpSchema>;
export type McpServerConfig = z.infer<typeof mcpServerSchema>;
export type McpPermissions = z.infer<typeof mcpPermissionsSchema>;

interface McpSections {
  mcp: McpConfig;
  virtual_keys: readonly { mcp?: McpPermissions | undefined }[];
  teams: readonly { mcp?: McpPermissions | undefined }[];
  customers: readonly { mcp?: McpPermissions | undefined }[];
}

/** Every group a key, team or customer names must be one of `mcp.groups`; servers with `oauth` need the encryption key and the redirect URL. */
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
    });
  }
}
