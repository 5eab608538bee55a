import { anthropicMessagesCodec } from '../../codecs/anthropic-messages/index.js';
import { GatewayError } from '../../spec/index.js';
import type { NoOptions } from '../no-options.js';
import type { ChatBatchApi, ProviderKey, ProviderSettings, UpstreamHttpRequest } from '../provider.js';

/**
 * Anthropic's Message Batches (https://docs.anthropic.com/en/api/creating-message-batches):
 * `POST /v1/messages/batches` with `requests: [{custom_id, params}]` (each `params` a Messages
 * body, not streamed), `GET /v1/messages/batches/{id}` (`processing_status`: `in_progress`,
 * `canceling`, `ended`), `POST …/{id}/cancel`, and `GET …/{id}/results`: JSON lines of
 * `{custom_id, result: {type: succeeded | errored | canceled | expired, message | error}}`.
 * The results are read from the batch's own path under the configured base URL, never from the
 * `results_url` an answer names, so the key only ever goes where the config sends it.
 */
export function anthropicMessageBatches(messagesUrl: (baseUrl: string) => string, version: string): ChatBatchApi<NoOptions> {
  const headersFor = (key: ProviderKey | undefined, settings: ProviderSettings<NoOptions>): Record<string, string> => ({
    'content-type': 'application/json',
    'anthropic-version': version,
    ...settings.headers,
    ...(key === undefined ? {} : { 'x-api-key': key.value }),
  });
  const batches = (settings: ProviderSettings<NoOptions>) => `${messagesUrl(settings.baseUrl)}/batches`;
  const call = (url: string, method: UpstreamHttpRequest['method'], key: ProviderKey | undefined, settings: ProviderSettings<NoOptions>): UpstreamHttpRequest => ({ url, method, headers: headersFor(key, settings) });
  return {
    buildCreate(items, key, settings) {
      const requests = items.map((item) => {
        const { stream: _stream, ...params } = anthropicMessagesCodec.encodeRequest({ ...item.request, stream: false }, item.upstreamModel);
        return { custom_id: item.customId, params };
      });
      return { ...call(batches(settings), 'POST', key, settings), body: JSON.stringify({ requests }) };
    },
    buildRetrieve: (id, key, settings) => call(`${batches(settings)}/${encodeURIComponent(id)}`, 'GET', key, settings),
    buildCancel: (id, key, settings) => call(`${batches(settings)}/${encodeURIComponent(id)}/cancel`, 'POST', key, settings),
    buildResults: (id, key, settings) => call(`${batches(settings)}/${encodeURIComponent(id)}/results`, 'GET', key, settings),
    readState(body) {
      const batch = body as { id?: unknown; processing_status?: unknown } | null;
      if (batch === null || typeof batch !== 'object' || typeof batch.id !== 'string') throw new GatewayError('upstream_invalid_response', 'Anthropic answered a message batch without an id.');
      const status = batch.processing_status === 'ended' ? 'ended' : batch.processing_status === 'canceling' ? 'cancelling' : 'in_progress';
      return { id: batch.id, status };
    },
    readResult(line) {
      const entry = line as { custom_id?: unknown; result?: { type?: unknown; message?: unknown; error?: { error?: { type?: unknown; message?: unknown } } } } | null;
      if (entry === null || typeof entry !== 'object' || typeof entry.custom_id !== 'string') throw new GatewayError('upstream_invalid_response', 'A message batch result has no custom_id.');
      const result = entry.result;
      if (result?.type === 'succeeded') return { customId: entry.custom_id, response: anthropicMessagesCodec.decodeResponse(result.message) };
      if (result?.type === 'errored') {
        const error = result.error?.error;
        const status = error?.type === 'invalid_request_error' ? 400 : 500;
        return { customId: entry.custom_id, error: { status, message: typeof error?.message === 'string' ? error.message : 'The request failed at Anthropic.' } };
      }
      return { customId: entry.custom_id, error: { status: 499, message: result?.type === 'expired' ? 'The request expired before Anthropic processed it.' : 'The request was canceled before Anthropic processed it.' } };
    },
  };
}
