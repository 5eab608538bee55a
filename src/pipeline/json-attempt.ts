import type { ProviderKey, UpstreamHttpRequest } from '../providers/provider.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { readResponseText } from '../providers/transport/read-body.js';
import { GatewayError } from '../spec/index.js';
import type { Target } from './target.js';
import { scrubbed, sendAttempt } from './upstream-call.js';

/**
 * Sends a built request whose answer is one JSON body and decodes that body with `decode`:
 * the shared part of the moderation and image attempts. Throws GatewayError, scrubbed of the attempt's secrets.
 */
export async function sendJsonAttempt<Response>(target: Target, key: ProviderKey | undefined, built: UpstreamHttpRequest, transport: HttpTransport, signal: AbortSignal, decode: (body: unknown) => Response): Promise<Response> {
  const { response: answer, scrubber } = await sendAttempt(target, key, built, transport, signal);
  let text: string;
  try {
    text = await readResponseText(answer);
  } catch (error) {
    throw scrubbed(error, scrubber);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayError('upstream_invalid_response', `${target.provider.name} answered with a body that is not JSON.`, { retryable: true });
  }
  try {
    return decode(parsed);
  } catch (error) {
    throw scrubbed(error, scrubber);
  }
}
