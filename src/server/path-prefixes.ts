import { adminPathPrefix, type AdminAccessInput } from '../admin/admin-auth.js';
import { encodeAnthropicError } from '../codecs/anthropic-messages/error.js';
import { encodeGeminiError } from '../codecs/gemini/error.js';
import type { PathPrefix } from '../http/http-route.js';
import { renderBedrockError } from '../surfaces/bedrock-error.js';

/**
 * The prefixes whose errors are not in OpenAI's envelope (the default): the native Anthropic,
 * Gemini and Bedrock APIs answer 404, 405, 408, 413 and `shutting_down` in their own, and the admin API checks
 * its token before answering any of them.
 */
export function pathPrefixes(admin: AdminAccessInput): PathPrefix[] {
  return [{ prefix: '/anthropic', renderError: encodeAnthropicError }, { prefix: '/gemini', renderError: encodeGeminiError }, { prefix: '/bedrock', renderError: renderBedrockError }, adminPathPrefix(admin)];
}
