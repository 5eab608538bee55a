import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { answerMessages, sendAnthropicError, summarizeMessages } from './anthropic-fake.js';
import { startFake, type FakeDialect, type FakeHandlerContext, type FakeUpstream, type RequestSummary } from './fake-upstream.js';
import { answerGenerateContent, GEMINI_FAKE_PNG, sendError as sendGoogleError, summarizeGenerateContent } from './gemini-fake.js';

/**
 * A loopback stand-in for Vertex AI and Google's OAuth token endpoint, on one port:
 *
 * - `POST /token` takes the JWT bearer grant (https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests):
 *   a form with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an RS256 `assertion`
 *   whose signature it verifies with the test key pair's public key, whose `iss` must be the
 *   account's email, `scope` the cloud-platform scope, and which must not be expired. It answers
 *   `{access_token, expires_in, token_type: "Bearer"}` with a fresh token each time.
 * - `POST /v1/projects/{project}/locations/{region}/publishers/google/models/{model}:generateContent`
 *   (`:streamGenerateContent?alt=sse`) answers in Gemini's format; `publishers/anthropic/models/{model}:rawPredict`
 *   (`:streamRawPredict`) in Anthropic's, requiring `anthropic_version: vertex-2023-10-16` and no
 *   `model` in the body (https://docs.anthropic.com/en/api/claude-on-vertex-ai); `:predict` answers
 *   text-embedding requests (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api).
 *   Each needs `Authorization: Bearer` with a token this fake issued and that has not expired.
 */
export interface VertexFake extends FakeUpstream {
  /** A service-account key file's JSON for the generated key pair, its `token_uri` this fake's `/token`. */
  serviceAccountJson(projectId?: string): string;
  /** Access tokens issued so far, oldest first. */
  readonly tokensIssued: readonly string[];
  /** Lifetime of the next tokens issued, in seconds (Google's is 3599). */
  tokenLifetimeSeconds: number;
}

export const VERTEX_TEST_PROJECT = 'tollgate-test-project';
export const VERTEX_TEST_REGION = 'us-central1';
const CLIENT_EMAIL = 'gateway@tollgate-test-project.iam.gserviceaccount.com';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePath(path: string): { project: string; region: string; publisher: string; model: string; method: string; query: string } | undefined {
  const match = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/([^/]+)\/models\/([^/:?]+):([A-Za-z]+)(?:\?(.*))?$/.exec(path);
  if (match === null) return undefined;
  return { project: decodeURIComponent(match[1]!), region: decodeURIComponent(match[2]!), publisher: match[3]!, model: decodeURIComponent(match[4]!), method: match[5]!, query: match[6] ?? '' };
}

function base64urlJson(part: string): Json | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function sendOAuthError(response: ServerResponse, status: number, error: string, description: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify({ error, error_description: description }));
}

function headerOf(context: FakeHandlerContext, name: string): string | undefined {
  const value = context.request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function summarize(path: string, body: unknown): RequestSummary | undefined {
  const target = parsePath(path);
  if (target === undefined) return undefined;
  const summary = target.publisher === 'anthropic' ? summarizeMessages(body) : summarizeGenerateContent(target.model, target.method, body);
  if (summary === undefined) return undefined;
  return { ...summary, model: target.model, stream: target.method === 'streamRawPredict' || target.method === 'streamGenerateContent' };
}

export async function startVertexFake(): Promise<VertexFake> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const verifier: KeyObject = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
  const tokens = new Map<string, number>();
  const issued: string[] = [];
  let url = '';

  function issueToken(context: FakeHandlerContext): void {
    const form = new URLSearchParams(typeof context.body === 'string' ? context.body : '');
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return sendOAuthError(context.response, 400, 'unsupported_grant_type', 'Invalid grant_type.');
    const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
    if (header === undefined || claims === undefined || signature === undefined) return sendOAuthError(context.response, 400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.');
    if (base64urlJson(header)?.alg !== 'RS256') return sendOAuthError(context.response, 400, 'invalid_grant', 'Invalid JWT: unsupported algorithm.');
    if (!verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), verifier, Buffer.from(signature, 'base64url'))) return sendOAuthError(context.response, 400, 'invalid_grant', 'Invalid JWT Signature.');
    const payload = base64urlJson(claims) ?? {};
    const now = Math.floor(Date.now() / 1000);
    if (payload.iss !== CLIENT_EMAIL) return sendOAuthError(context.response, 400, 'invalid_grant', 'Invalid issuer.');
    if (typeof payload.scope !== 'string' || !payload.scope.split(' ').includes(SCOPE)) return sendOAuthError(context.response, 400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    if (typeof payload.exp !== 'number' || payload.exp <= now) return sendOAuthError(context.response, 400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.');
    const token = `ya29.fake-${issued.length + 1}-${Math.random().toString(36).slice(2, 10)}`;
    issued.push(token);
    tokens.set(token, Date.now() + fake.tokenLifetimeSeconds * 1000);
    context.response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    context.response.end(JSON.stringify({ access_token: token, expires_in: fake.tokenLifetimeSeconds, token_type: 'Bearer' }));
  }

  const dialect: FakeDialect = {
    summarize,
    takesReply: (path) => path !== '/token',
    async handle(context) {
      const { response } = context;
      const path = context.path;
      if (context.request.method === 'POST' && path === '/token') return issueToken(context);
      const target = parsePath(path);
      if (context.request.method !== 'POST' || target === undefined) return sendGoogleError(response, 404, `The requested URL ${path} was not found on this server.`);
      const authorization = headerOf(context, 'authorization') ?? '';
      const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : '';
      const expiry = tokens.get(token);
      if (expiry === undefined || expiry <= Date.now()) return sendGoogleError(response, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      if (target.project !== VERTEX_TEST_PROJECT || target.region !== VERTEX_TEST_REGION) return sendGoogleError(response, 403, `Permission denied on resource project ${target.project}.`);
      if (target.publisher === 'anthropic') {
        if (target.method !== 'rawPredict' && target.method !== 'streamRawPredict') return sendGoogleError(response, 404, `Method not found: ${target.method}`);
        const body = isObject(context.body) ? context.body : {};
        if (body.anthropic_version !== 'vertex-2023-10-16') return sendAnthropicError(response, 400, 'anthropic_version: Field required');
        if ('model' in body) return sendAnthropicError(response, 400, 'model: Extra inputs are not permitted');
        if ((body.stream === true) !== (target.method === 'streamRawPredict')) return sendAnthropicError(response, 400, 'stream must be true for streamRawPredict and absent for rawPredict');
        return answerMessages(context, target.model, body.stream === true);
      }
      if (target.publisher !== 'google') return sendGoogleError(response, 404, `Publisher ${target.publisher} not found.`);
      if (target.method === 'predict') {
        if (context.reply.error) return sendGoogleError(response, context.reply.error.status, context.reply.error.message, context.reply.error.retryAfterSeconds);
        const instances = isObject(context.body) && Array.isArray(context.body.instances) ? context.body.instances : [];
        const parameters = isObject(context.body) && isObject(context.body.parameters) ? context.body.parameters : {};
        if (isObject(instances[0]) && typeof instances[0].prompt === 'string') {
          // Imagen: `sampleCount` images, base64.
          const count = typeof parameters.sampleCount === 'number' ? parameters.sampleCount : 1;
          response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
          response.end(JSON.stringify({ predictions: Array.from({ length: count }, () => ({ bytesBase64Encoded: GEMINI_FAKE_PNG, mimeType: 'image/png' })) }));
          return;
        }
        const dimensions = typeof parameters.outputDimensionality === 'number' ? parameters.outputDimensionality : 4;
        const predictions = instances.map((instance) => {
          const text = isObject(instance) && typeof instance.content === 'string' ? instance.content : '';
          return { embeddings: { values: Array.from({ length: dimensions }, (_, index) => (text.length + index) / 100), statistics: { token_count: text.split(/\s+/).filter(Boolean).length, truncated: false } } };
        });
        response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        response.end(JSON.stringify({ predictions, metadata: { billableCharacterCount: 10 } }));
        return;
      }
      return answerGenerateContent(context, target);
    },
  };

  const upstream = await startFake(dialect);
  url = upstream.url;
  const fake: VertexFake = {
    url: upstream.url,
    requests: upstream.requests,
    enqueue: upstream.enqueue,
    close: upstream.close,
    get aborted() {
      return upstream.aborted;
    },
    tokensIssued: issued,
    tokenLifetimeSeconds: 3599,
    serviceAccountJson(projectId: string = VERTEX_TEST_PROJECT): string {
      return JSON.stringify({
        type: 'service_account',
        project_id: projectId,
        private_key_id: 'test-key-id-1',
        private_key: pem,
        client_email: CLIENT_EMAIL,
        client_id: '100000000000000000001',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: `${url}/token`,
        universe_domain: 'googleapis.com',
      });
    },
  };
  return fake;
}
