import { anthropicMessagesCodec } from '../codecs/anthropic-messages/index.js';
import type { HttpRoute } from '../http/http-route.js';
import { chatEndpoint } from './chat-endpoint.js';
import type { SurfaceDependencies } from './surface.js';

/**
 * Anthropic's Messages API, for callers built on it (Claude Code: `ANTHROPIC_BASE_URL=http://host:port/anthropic`).
 * Requests may go to any configured provider; Anthropic upstreams get the caller's bytes back unchanged.
 */
export function anthropicRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const renderError = anthropicMessagesCodec.encodeError.bind(anthropicMessagesCodec);
  const handler = pipeline.chatHandler(chatEndpoint({ surface: 'anthropic', codec: anthropicMessagesCodec, alwaysIncludeUsage: true }));
  return [{ method: 'POST', path: '/anthropic/v1/messages', handler, renderError, ownsHeaders: true }];
}
