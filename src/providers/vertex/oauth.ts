import { JWT } from 'google-auth-library';
import { GatewayError } from '../../spec/index.js';
import type { ServiceAccount } from './service-account.js';
import type { AccessToken } from './token-source.js';

/** The OAuth scope Vertex AI accepts (https://cloud.google.com/vertex-ai/docs/authentication). */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** The token endpoint google-auth-library posts to. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const TOKEN_TIMEOUT_MS = 15_000;

/**
 * Exchanges a JWT signed with the account's private key for an access token (the OAuth 2.0 JWT
 * bearer grant, https://developers.google.com/identity/protocols/oauth2/service-account), through
 * google-auth-library. The library always posts to Google's endpoint; an account whose `token_uri`
 * names another (a private endpoint, a test's loopback fake) has the request sent there instead.
 * Failures become GatewayErrors that carry the endpoint's `error` and description, never the key.
 */
export async function fetchAccessToken(account: ServiceAccount, providerName: string): Promise<AccessToken> {
  const client = new JWT({ email: account.clientEmail, key: account.privateKey, ...(account.privateKeyId === undefined ? {} : { keyId: account.privateKeyId }), scopes: [CLOUD_PLATFORM_SCOPE], transporterOptions: { timeout: TOKEN_TIMEOUT_MS } });
  const tokenUri = account.tokenUri;
  if (tokenUri !== undefined && tokenUri !== GOOGLE_TOKEN_URL) {
    const target = new URL(tokenUri);
    client.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (config.url.href === GOOGLE_TOKEN_URL) config.url = target;
        return config;
      },
    });
  }
  let credentials;
  try {
    credentials = await client.authorize();
  } catch (error) {
    throw tokenError(error, providerName);
  }
  if (typeof credentials.access_token !== 'string' || credentials.access_token === '') {
    throw new GatewayError('upstream_auth_failed', `The token endpoint of provider \`${providerName}\` answered without an access token.`, { retryable: false });
  }
  return { token: credentials.access_token, expiresAt: typeof credentials.expiry_date === 'number' ? credentials.expiry_date : Date.now() + 3_600_000 };
}

function tokenError(error: unknown, providerName: string): GatewayError {
  const response = (error as { response?: { status?: unknown; data?: unknown } }).response;
  if (response === undefined || typeof response.status !== 'number') {
    return new GatewayError('upstream_unreachable', `Could not get an access token for provider \`${providerName}\`: the token endpoint could not be reached.`, { retryable: true, cause: error });
  }
  const data = typeof response.data === 'object' && response.data !== null ? (response.data as Record<string, unknown>) : {};
  const said = [data.error, data.error_description].filter((part) => typeof part === 'string' && part !== '').join(': ').slice(0, 300);
  const text = `The token endpoint refused the service-account key of provider \`${providerName}\` (HTTP ${response.status}${said === '' ? '' : `, ${said}`}).`;
  if (response.status >= 500 || response.status === 429) return new GatewayError('upstream_error', text, { retryable: true, upstreamStatus: response.status });
  return new GatewayError('upstream_auth_failed', text, { retryable: false, upstreamStatus: response.status });
}
