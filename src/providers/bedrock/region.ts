import { z } from 'zod';

/** Bedrock runtime endpoints: https://docs.aws.amazon.com/general/latest/gr/bedrock.html. */

export const DEFAULT_REGION = 'us-east-1';

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const RUNTIME_HOST = /^bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** An AWS region name such as `us-east-1` or `eu-central-1`. */
export const regionSchema = z.string().regex(REGION_PATTERN, 'must be an AWS region name, e.g. us-east-1');

/** The endpoint for a region; `.cn` regions live under amazonaws.com.cn. */
export function runtimeBaseUrl(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** The signing region: `options.region`, else the one in a standard endpoint's host name, else us-east-1. */
export function signingRegion(configured: string | undefined, baseUrl: string): string {
  if (configured !== undefined) return configured;
  try {
    const match = RUNTIME_HOST.exec(new URL(baseUrl).hostname);
    if (match !== null) return match[1]!;
  } catch {
    // An unparsable base URL fails when the request is sent; signing falls back to the default region.
  }
  return DEFAULT_REGION;
}
