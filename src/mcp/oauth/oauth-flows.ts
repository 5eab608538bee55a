import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { McpServerConfig } from '../../config/mcp-schema.js';
import type { Logger } from '../../lib/logger.js';
import { GatewayError } from '../../spec/index.js';
import type { Sealer } from '../../lib/sealer.js';
import type { McpStore } from '../server-store.js';
import type { UpstreamOptions } from '../upstream-server.js';
import { GatewayOAuthProvider } from './oauth-provider.js';

export interface OAuthSettings {
  /** The public URL of `GET /mcp/oauth/callback`. */
  redirectUrl: string | undefined;
  sealer: Sealer;
  store: McpStore;
  logger: Logger;
  /** Connects a server again at once (after its authorization completed). */
  reconnect: (server: string) => void;
  /** Admin actions and completed authorizations (`mcp_oauth.start`, `mcp_oauth.authorize`, `mcp_oauth.forget`); never a token. */
  audit?: (action: string, server: string, actor: string) => void;
}

/** The message of a failed OAuth step, without anything that could be a secret: the SDK's OAuth errors name the error code and the server's description. */
function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}

/**
 * OAuth 2.1 towards the upstream servers that have `oauth` (docs/mcp.md): one provider per server
 * given to its transport, the admin's start (`POST /admin/mcp/servers/{name}/oauth/start`) and the
 * authorization server's redirect back (`GET /mcp/oauth/callback`).
 */
export class OAuthFlows {
  private readonly providers = new Map<string, { provider: GatewayOAuthProvider; url: string; config: NonNullable<McpServerConfig['oauth']> }>();

  constructor(private readonly settings: OAuthSettings) {}

  /** The transport options of a server: its provider when it has `oauth` (the config is expanded). */
  optionsFor(name: string, config: McpServerConfig): UpstreamOptions {
    if (config.oauth === undefined || config.transport === 'stdio') {
      this.providers.delete(name);
      return {};
    }
    const { redirectUrl, sealer, store } = this.settings;
    if (redirectUrl === undefined || !sealer.encrypts) throw new GatewayError('invalid_request', `MCP server \`${name}\` has \`oauth\`: set mcp.oauth.encryption_key and mcp.oauth.redirect_url first.`, { param: 'oauth' });
    const provider = new GatewayOAuthProvider(name, config.oauth, redirectUrl, store, sealer);
    this.providers.set(name, { provider, url: config.url!, config: config.oauth });
    return { authProvider: provider, beforeConnect: () => provider.reload() };
  }

  /** Starts an authorization: discovery and registration as needed, then the URL the admin (or the user) opens. */
  async start(name: string): Promise<{ authorization_url: string | null; authorized: boolean }> {
    const entry = this.entry(name);
    const provider = this.interactive(name, entry);
    let url: URL | undefined;
    try {
      await provider.reload();
      // A new authorization replaces the tokens (a stored refresh token the server refuses would otherwise end the flow).
      await provider.dropTokens();
      await auth(provider, { serverUrl: entry.url, ...(scopeOf(provider) === undefined ? {} : { scope: scopeOf(provider)! }) });
      url = provider.authorizationUrl;
    } catch (error) {
      throw new GatewayError('mcp_oauth_failed', `OAuth for MCP server \`${name}\` could not start: ${reasonOf(error)}`);
    }
    if (url === undefined) {
      this.settings.reconnect(name);
      return { authorization_url: null, authorized: true };
    }
    this.settings.logger.info('mcp oauth started', { server: name });
    this.settings.audit?.('mcp_oauth.start', name, 'admin');
    return { authorization_url: url.href, authorized: false };
  }

  /** The redirect back: checks the state, exchanges the code (with the PKCE verifier), stores the tokens and reconnects. Returns the server's name. */
  async callback(query: URLSearchParams): Promise<string> {
    const state = query.get('state') ?? '';
    const name = state.slice(0, Math.max(0, state.indexOf('.')));
    const entry = this.providers.get(name);
    if (entry === undefined) throw new GatewayError('invalid_request', 'Unknown or expired OAuth state: start the authorization again.', { param: 'state' });
    const provider = this.interactive(name, entry);
    await provider.reload();
    if (!provider.pendingMatches(state, Date.now())) throw new GatewayError('invalid_request', 'Unknown or expired OAuth state: start the authorization again.', { param: 'state' });
    const denied = query.get('error');
    const code = query.get('code');
    try {
      if (denied !== null) throw new GatewayError('mcp_oauth_failed', `The authorization server refused the authorization of MCP server \`${name}\`: ${denied.slice(0, 100)}${query.get('error_description') === null ? '' : ` (${query.get('error_description')!.slice(0, 200)})`}`);
      if (code === null || code === '') throw new GatewayError('invalid_request', 'The callback has no `code`.', { param: 'code' });
      await auth(provider, { serverUrl: entry.url, authorizationCode: code });
    } catch (error) {
      await provider.finishPending().catch(() => {});
      if (GatewayError.is(error)) throw error;
      throw new GatewayError('mcp_oauth_failed', `OAuth for MCP server \`${name}\` failed exchanging the code: ${reasonOf(error)}`);
    }
    await provider.finishPending();
    // The connection's provider takes the new tokens now (a connected server would otherwise meet them only after a reload).
    await entry.provider.reload();
    this.settings.logger.info('mcp oauth authorized', { server: name });
    // The callback carries no admin token: the actor is the authorization the admin started.
    this.settings.audit?.('mcp_oauth.authorize', name, 'oauth-callback');
    this.settings.reconnect(name);
    return name;
  }

  async status(name: string): Promise<ReturnType<GatewayOAuthProvider['status']>> {
    const provider = this.interactive(name, this.entry(name));
    await provider.reload();
    return provider.status();
  }

  /** Forgets the tokens (and a pending authorization); the registered client stays. */
  async forget(name: string): Promise<void> {
    const provider = this.interactive(name, this.entry(name));
    await provider.reload();
    await provider.invalidateCredentials('tokens');
    await provider.invalidateCredentials('verifier');
    this.settings.audit?.('mcp_oauth.forget', name, 'admin');
  }

  /** A provider of its own for an admin's flow, on the same stored state as the connection's. */
  private interactive(name: string, entry: { config: NonNullable<McpServerConfig['oauth']> }): GatewayOAuthProvider {
    const { redirectUrl, sealer, store } = this.settings;
    return new GatewayOAuthProvider(name, entry.config, redirectUrl!, store, sealer, true);
  }

  private entry(name: string): { provider: GatewayOAuthProvider; url: string; config: NonNullable<McpServerConfig['oauth']> } {
    const entry = this.providers.get(name);
    if (entry === undefined) throw new GatewayError('invalid_request', `MCP server \`${name}\` does not use OAuth (or does not exist).`);
    return entry;
  }
}

function scopeOf(provider: GatewayOAuthProvider): string | undefined {
  return provider.clientMetadata.scope;
}
