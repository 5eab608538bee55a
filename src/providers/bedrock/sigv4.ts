import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { UpstreamHttpRequest } from '../provider.js';
import type { AwsCredentials } from './credentials.js';

/** The SigV4 service name of the Bedrock runtime endpoints. */
export const SIGNING_SERVICE = 'bedrock';

/**
 * Signers by credentials and region, built once: SignatureV4 caches its derived signing key per
 * day, so reusing one saves four HMACs per request. Keyed by the credentials object, which the
 * adapter keeps per configured key.
 */
const signers = new WeakMap<AwsCredentials, Map<string, SignatureV4>>();

function signerFor(credentials: AwsCredentials, region: string): SignatureV4 {
  let byRegion = signers.get(credentials);
  if (byRegion === undefined) {
    byRegion = new Map();
    signers.set(credentials, byRegion);
  }
  let signer = byRegion.get(region);
  if (signer === undefined) {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    signer = new SignatureV4({ service: SIGNING_SERVICE, region, sha256: Sha256, credentials: sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken } });
    byRegion.set(region, signer);
  }
  return signer;
}

/**
 * Signs `request` with AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (temporary credentials) and
 * `authorization`. Every header present is signed, `host` included, so nothing may change them after.
 */
export async function signRequest(request: UpstreamHttpRequest, credentials: AwsCredentials, region: string, signingDate?: Date): Promise<UpstreamHttpRequest> {
  const url = new URL(request.url);
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const existing = query[name];
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const signed = await signerFor(credentials, region).sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { ...request.headers, host: url.host },
      body: request.bytes ?? request.body,
    },
    signingDate === undefined ? {} : { signingDate },
  );
  return { ...request, headers: signed.headers };
}
