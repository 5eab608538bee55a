import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { McpServerConfig } from '../../config/mcp-schema.js';
import type { Sealer } from '../../lib/sealer.js';
import type { McpStore } from '../server-store.js';

/** How long an authorization an admin started may take to come back to the callback. */
export const PENDING_TTL_MS = 10 * 60_000;

/** What the gateway keeps of one server's OAuth, sealed in `mcp_oauth` under the server's name. */
interface OAuthDocument {
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  /** When the access token expires (epoch ms), from `expires_in` at the time it was saved. */
  expiresAt?: number;
  discovery?: OAuthDiscoveryState;
}

/** An authorization an admin started: its state, PKCE verifier and start time, sealed in `mcp_oauth` under `<server>#pending` (only admin flows write it). */
interface Pending {
  state: string;
  verifier: string;
  startedAt: number;
}

/**
 * The SDK's OAuthClientProvider for one upstream server, its state in the gateway's storage
 * (sealed with AES-256-GCM) so every replica shares it and a restart keeps it. The SDK does the
 * protocol: discovery (protected-resource and authorization-server metadata), dynamic client
 * registration, PKCE, the code exchange and refreshing on a 401.
 *
 * Only an admin starts an authorization, with an `interactive` provider of its own (see
 * OAuthFlows): the connection's provider, meeting a 401 without a usable token, refreshes if it
 * can and otherwise fails — its attempt neither touches the pending authorization nor sends anyone
 * anywhere. State values are `<server>.<random>`, so the callback knows the server.
 */
export class GatewayOAuthProvider implements OAuthClientProvider {
  private document: OAuthDocument = {};
  private pending: Pending | undefined;
  /** The URL the SDK would send the user to (interactive providers). */
  authorizationUrl: URL | undefined;

  constructor(
    readonly server: string,
    private readonly config: NonNullable<McpServerConfig['oauth']>,
    private readonly redirect: string,
    private readonly store: McpStore,
    private readonly sealer: Sealer,
    private readonly interactive = false,
  ) {}

  /** Reads the stored state again (before each connection, and before the callback: another replica may have written it). */
  async reload(): Promise<void> {
    const stored = await this.store.oauth(this.server);
    this.document = stored === undefined ? {} : (JSON.parse(this.sealer.open(stored)) as OAuthDocument);
    if (!this.interactive) return;
    const pending = await this.store.oauth(`${this.server}#pending`);
    this.pending = pending === undefined ? undefined : (JSON.parse(this.sealer.open(pending)) as Pending);
  }

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Tollgate',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.config.client_secret === undefined ? 'none' : 'client_secret_post',
      ...(this.config.scopes.length === 0 ? {} : { scope: this.config.scopes.join(' ') }),
    };
  }

  state(): string {
    const state = `${this.server}.${randomBytes(24).toString('base64url')}`;
    // Kept only for an authorization an admin starts (saveCodeVerifier stores them together).
    if (this.interactive) this.pending = { state, verifier: '', startedAt: Date.now() };
    return state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    if (this.config.client_id !== undefined) return { client_id: this.config.client_id, ...(this.config.client_secret === undefined ? {} : { client_secret: this.config.client_secret }) };
    return this.document.client;
  }

  async saveClientInformation(client: OAuthClientInformationMixed): Promise<void> {
    // A client given in the config is not stored (its secret stays in the config).
    if (this.config.client_id !== undefined) return;
    this.document.client = client;
    await this.write();
  }

  tokens(): OAuthTokens | undefined {
    return this.document.tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    // A refresh answer may leave the refresh token out: the old one stays valid then.
    const refresh = tokens.refresh_token ?? this.document.tokens?.refresh_token;
    this.document.tokens = { ...tokens, ...(refresh === undefined ? {} : { refresh_token: refresh }) };
    if (tokens.expires_in !== undefined) this.document.expiresAt = Date.now() + tokens.expires_in * 1000;
    else delete this.document.expiresAt;
    await this.write();
  }

  redirectToAuthorization(url: URL): void {
    if (this.interactive) this.authorizationUrl = url;
  }

  async saveCodeVerifier(verifier: string): Promise<void> {
    if (!this.interactive || this.pending === undefined) return;
    this.pending.verifier = verifier;
    await this.store.putOAuth(`${this.server}#pending`, this.sealer.seal(JSON.stringify(this.pending)));
  }

  codeVerifier(): string {
    const pending = this.pending;
    if (pending === undefined || pending.verifier === '') throw new Error('no OAuth authorization is pending for this server');
    return pending.verifier;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.document.discovery;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    this.document.discovery = state;
    await this.write();
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all' || scope === 'client') delete this.document.client;
    if (scope === 'all' || scope === 'tokens') {
      delete this.document.tokens;
      delete this.document.expiresAt;
    }
    if (scope === 'all' || scope === 'discovery') delete this.document.discovery;
    await this.write();
    if ((scope === 'all' || scope === 'verifier') && this.interactive) await this.finishPending();
  }

  /** Drops the tokens before a new authorization replaces them. */
  async dropTokens(): Promise<void> {
    delete this.document.tokens;
    delete this.document.expiresAt;
    await this.write();
  }

  /** Whether `state` is the one of the authorization pending here, not yet expired (compared in constant time). */
  pendingMatches(state: string, now: number): boolean {
    const pending = this.pending;
    if (pending === undefined || pending.verifier === '' || now - pending.startedAt > PENDING_TTL_MS) return false;
    const expected = Buffer.from(pending.state);
    const given = Buffer.from(state);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** The authorization came back (exchanged or failed): its state is used up. */
  async finishPending(): Promise<void> {
    this.pending = undefined;
    await this.store.putOAuth(`${this.server}#pending`, null);
  }

  /** What the admin API shows: whether there is a token and when it expires; never a token. */
  status(): { authorized: boolean; expires_at: string | null; refreshable: boolean; pending: boolean; client_registered: boolean } {
    return {
      authorized: this.document.tokens !== undefined,
      expires_at: this.document.expiresAt === undefined ? null : new Date(this.document.expiresAt).toISOString(),
      refreshable: this.document.tokens?.refresh_token !== undefined,
      pending: this.pending !== undefined && this.pending.verifier !== '',
      client_registered: this.clientInformation() !== undefined,
    };
  }

  private async write(): Promise<void> {
    await this.store.putOAuth(this.server, this.sealer.seal(JSON.stringify(this.document)));
  }
}
