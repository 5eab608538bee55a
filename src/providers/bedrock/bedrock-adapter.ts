import { z } from 'zod';
import { bedrockConverseCodec } from '../../codecs/bedrock-converse/index.js';
import type { ProviderAdapter, ProviderKey } from '../provider.js';
import { credentialsOf, type AwsCredentials, type BedrockApiKey } from './credentials.js';
import { DEFAULT_REGION, regionSchema, runtimeBaseUrl, signingRegion } from './region.js';

export const bedrockOptionsSchema = z.strictObject({
  /** Picks the endpoint when no `base_url` is set, and the SigV4 signing region. */
  region: regionSchema.optional(),
});

export type BedrockOptions = z.infer<typeof bedrockOptionsSchema>;

/**
 * Model ids go into the path percent-encoded, `:` and `/` included (`anthropic.claude-…-v1:0`, an
 * inference profile ARN), as the AWS SDKs do; the signer then encodes the path once more, as SigV4
 * requires for every service but S3.
 */
export function converseUrl(baseUrl: string, modelId: string, stream: boolean): string {
  const encoded = encodeURIComponent(modelId).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${baseUrl}/model/${encoded}/${stream ? 'converse-stream' : 'converse'}`;
}

/** Parsed credentials per configured key, so each key's text is split once and its signer reused. */
const parsedKeys = new WeakMap<ProviderKey, AwsCredentials | BedrockApiKey>();

function credentialsFor(key: ProviderKey): AwsCredentials | BedrockApiKey {
  let credentials = parsedKeys.get(key);
  if (credentials === undefined) {
    credentials = credentialsOf(key);
    parsedKeys.set(key, credentials);
  }
  return credentials;
}

/**
 * Amazon Bedrock through the Converse API. The region comes from `options.region` (default
 * us-east-1), which also picks the endpoint when no `base_url` is set. A key is either AWS access
 * keys `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]`, signed with SigV4 (service `bedrock`), or
 * a Bedrock API key sent as a bearer token. Streams come back as AWS event-stream frames.
 */
export const bedrockAdapter: ProviderAdapter<BedrockOptions> = {
  type: 'bedrock',
  optionsSchema: bedrockOptionsSchema,
  chatCodec: bedrockConverseCodec,
  requiresKey: true,
  defaultBaseUrlFor(options) {
    return runtimeBaseUrl(options.region ?? DEFAULT_REGION);
  },
  buildChatRequest(request, upstreamModel, key, settings) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: request.stream ? 'application/vnd.amazon.eventstream' : 'application/json',
      ...settings.headers,
    };
    if (key !== undefined) {
      const credentials = credentialsFor(key);
      if (credentials.kind === 'bearer') headers.authorization = `Bearer ${credentials.token}`;
    }
    return {
      url: converseUrl(settings.baseUrl, upstreamModel, request.stream),
      method: 'POST',
      headers,
      body: JSON.stringify(bedrockConverseCodec.encodeRequest(request, upstreamModel)),
      framing: 'aws-eventstream',
    };
  },
  secretsOf(key) {
    const credentials = credentialsFor(key);
    if (credentials.kind === 'bearer') return [credentials.token];
    return credentials.sessionToken === undefined ? [credentials.accessKeyId, credentials.secretAccessKey] : [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken];
  },
  async sign(request, key, settings) {
    if (key === undefined) return request;
    const credentials = credentialsFor(key);
    if (credentials.kind !== 'aws') return request;
    const { signRequest } = await (sigv4 ??= import('./sigv4.js'));
    return signRequest(request, credentials, signingRegion(settings.options.region, settings.baseUrl));
  },
};

/** The SigV4 signer and its AWS libraries load on the first signed request, so gateways without Bedrock never carry them. */
let sigv4: Promise<typeof import('./sigv4.js')> | undefined;
