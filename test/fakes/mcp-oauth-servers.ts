import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { answerStatelessly } from './stateless-mcp.js';

/** What the authorization server fake saw, for assertions. */
export interface AuthorizationLog {
  registrations: number;
  /** Code exchanges refused because the PKCE verifier did not match the challenge. */
  pkceFailures: number;
  codeExchanges: number;
  refreshes: number;
  /** `resource` parameters seen on /authorize and /token (RFC 8707). */
  resources: string[];
}

export interface OAuthFakes {
  /** The protected MCP server's endpoint. */
  mcpUrl: string;
  issuer: string;
  log: AuthorizationLog;
  /** Access tokens issued so far are refused from now on (as if they expired); refresh tokens stay valid. */
  expireAccessTokens(): void;
  /** Bearer tokens the MCP server accepted, in order. */
  accepted: string[];
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function listen(server: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * An OAuth 2.1 authorization server (RFC 8414 metadata, RFC 7591 dynamic client registration, the
 * authorization-code grant with PKCE S256 only, refresh tokens that rotate) and an MCP server that
 * requires its bearer tokens (RFC 9728 protected-resource metadata, `WWW-Authenticate` on 401),
 * both on loopback. `/authorize` approves at once (the test is the user) and redirects with the code.
 */
export async function startOAuthFakes(): Promise<OAuthFakes> {
  const log: AuthorizationLog = { registrations: 0, pkceFailures: 0, codeExchanges: 0, refreshes: 0, resources: [] };
  const clients = new Map<string, { redirectUris: string[] }>();
  const codes = new Map<string, { clientId: string; challenge: string; redirectUri: string }>();
  const accessTokens = new Set<string>();
  const refreshTokens = new Map<string, string>();
  const accepted: string[] = [];
  let issuer = '';
  let mcpBase = '';

  const issue = (clientId: string) => {
    const access = `at-${randomBytes(12).toString('hex')}`;
    const refresh = `rt-${randomBytes(12).toString('hex')}`;
    accessTokens.add(access);
    refreshTokens.set(refresh, clientId);
    return { access_token: access, token_type: 'Bearer', expires_in: 3600, refresh_token: refresh };
  };

  const authorization = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', issuer);
      if (request.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
        return json(response, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          registration_endpoint: `${issuer}/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
        });
      }
      if (request.method === 'POST' && url.pathname === '/register') {
        const metadata = JSON.parse(await readBody(request)) as { redirect_uris?: string[] };
        if (!Array.isArray(metadata.redirect_uris) || metadata.redirect_uris.length === 0) return json(response, 400, { error: 'invalid_redirect_uri' });
        log.registrations++;
        const clientId = `client-${randomBytes(6).toString('hex')}`;
        clients.set(clientId, { redirectUris: metadata.redirect_uris });
        return json(response, 201, { ...metadata, client_id: clientId, client_id_issued_at: Math.floor(Date.now() / 1000), token_endpoint_auth_method: 'none' });
      }
      if (request.method === 'GET' && url.pathname === '/authorize') {
        const query = url.searchParams;
        const client = clients.get(query.get('client_id') ?? '');
        const redirectUri = query.get('redirect_uri') ?? '';
        if (client === undefined || !client.redirectUris.includes(redirectUri)) return json(response, 400, { error: 'invalid_client' });
        if (query.get('response_type') !== 'code' || query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) return json(response, 400, { error: 'invalid_request', error_description: 'PKCE S256 is required' });
        log.resources.push(query.get('resource') ?? '');
        const code = `code-${randomBytes(8).toString('hex')}`;
        codes.set(code, { clientId: query.get('client_id')!, challenge: query.get('code_challenge')!, redirectUri });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        back.searchParams.set('state', query.get('state') ?? '');
        response.writeHead(302, { location: back.href }).end();
        return;
      }
      if (request.method === 'POST' && url.pathname === '/token') {
        const form = new URLSearchParams(await readBody(request));
        if (form.get('grant_type') === 'authorization_code') {
          const entry = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          if (entry === undefined || entry.clientId !== form.get('client_id') || entry.redirectUri !== form.get('redirect_uri')) return json(response, 400, { error: 'invalid_grant' });
          const verifier = form.get('code_verifier') ?? '';
          if (createHash('sha256').update(verifier).digest('base64url') !== entry.challenge) {
            log.pkceFailures++;
            return json(response, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          }
          log.codeExchanges++;
          log.resources.push(form.get('resource') ?? '');
          return json(response, 200, issue(entry.clientId));
        }
        if (form.get('grant_type') === 'refresh_token') {
          const clientId = refreshTokens.get(form.get('refresh_token') ?? '');
          if (clientId === undefined || clientId !== form.get('client_id')) return json(response, 400, { error: 'invalid_grant' });
          refreshTokens.delete(form.get('refresh_token')!);
          log.refreshes++;
          return json(response, 200, issue(clientId));
        }
        return json(response, 400, { error: 'unsupported_grant_type' });
      }
      json(response, 404, { error: 'not_found' });
    })().catch(() => response.destroy());
  });
  issuer = await listen(authorization);

  const resource = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && (url.pathname === '/.well-known/oauth-protected-resource/mcp' || url.pathname === '/.well-known/oauth-protected-resource')) {
      return json(response, 200, { resource: `${mcpBase}/mcp`, authorization_servers: [issuer], bearer_methods_supported: ['header'] });
    }
    if (url.pathname !== '/mcp') return json(response, 404, { error: 'not_found' });
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!accessTokens.has(token)) {
      response.writeHead(401, { 'www-authenticate': `Bearer error="invalid_token", resource_metadata="${mcpBase}/.well-known/oauth-protected-resource/mcp"`, 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_token' }));
      request.resume();
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    accepted.push(token);
    const server = new McpServer({ name: 'vault', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Says which token called', inputSchema: { note: z.string().optional() } }, () => ({ content: [{ type: 'text', text: `token ${token.slice(0, 6)}…` }] }));
    answerStatelessly(server, request, response);
  });
  mcpBase = await listen(resource);

  const close = (server: HttpServer) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    mcpUrl: `${mcpBase}/mcp`,
    issuer,
    log,
    accepted,
    expireAccessTokens: () => accessTokens.clear(),
    close: async () => {
      await close(authorization);
      await close(resource);
    },
  };
}
