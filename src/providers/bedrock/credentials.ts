import type { ProviderKey } from '../provider.js';

/** AWS access keys for SigV4 signing. */
export interface AwsCredentials {
  kind: 'aws';
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A Bedrock API key, sent as `Authorization: Bearer` (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html). */
export interface BedrockApiKey {
  kind: 'bearer';
  token: string;
}

/**
 * Reads a configured key: `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]` (AWS key ids, secrets
 * and session tokens never contain a colon) or else a Bedrock API key (base64 text, no colon either).
 */
export function credentialsOf(key: ProviderKey): AwsCredentials | BedrockApiKey {
  const fields = key.value.split(':');
  if ((fields.length === 2 || fields.length === 3) && fields.every((field) => field !== '')) {
    const [accessKeyId, secretAccessKey, sessionToken] = fields as [string, string, string | undefined];
    return sessionToken === undefined ? { kind: 'aws', accessKeyId, secretAccessKey } : { kind: 'aws', accessKeyId, secretAccessKey, sessionToken };
  }
  return { kind: 'bearer', token: key.value };
}
