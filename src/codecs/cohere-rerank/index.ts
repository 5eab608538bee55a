import { GatewayError, type RerankRequest, type RerankResponse, type RerankResult } from '../../spec/index.js';
import type { RerankCodec } from '../codec.js';
import { isRecord } from '../cohere-chat/wire.js';

function invalidAnswer(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `Cohere answered rerank ${message}`, { retryable: true });
}

/**
 * Cohere's v2 rerank (https://docs.cohere.com/reference/rerank): `POST /v2/rerank` with
 * `{model, query, documents: [string], top_n?, max_tokens_per_doc?}`, answered by
 * `{id, results: [{index, relevance_score}], meta: {billed_units: {search_units}}}`, most relevant
 * first. v2 returns no documents: the
 * attempt fills them in from the request when asked.
 */
export const cohereRerankCodec: RerankCodec = {
  dialect: 'cohere-rerank',
  encodeRequest(request: RerankRequest, upstreamModel: string): Record<string, unknown> {
    const body: Record<string, unknown> = { model: upstreamModel, query: request.query, documents: request.documents };
    if (request.topN !== undefined) body.top_n = request.topN;
    if (request.maxTokensPerDocument !== undefined) body.max_tokens_per_doc = request.maxTokensPerDocument;
    return body;
  },
  decodeResponse(body: unknown): RerankResponse {
    if (!isRecord(body)) throw invalidAnswer('with something that is not an object.');
    if (!Array.isArray(body.results)) throw invalidAnswer('without `results`.');
    const results = body.results.map((entry, position): RerankResult => {
      if (!isRecord(entry) || typeof entry.index !== 'number' || !Number.isInteger(entry.index) || typeof entry.relevance_score !== 'number') {
        throw invalidAnswer(`with a result without an integer \`index\` and a numeric \`relevance_score\` (results[${position}]).`);
      }
      const result: RerankResult = { index: entry.index, relevanceScore: entry.relevance_score };
      if (isRecord(entry.document) && typeof entry.document.text === 'string') result.document = entry.document.text;
      return result;
    });
    const billed = isRecord(body.meta) && isRecord(body.meta.billed_units) ? body.meta.billed_units : {};
    const response: RerankResponse = { id: typeof body.id === 'string' ? body.id : '', model: '', results, usage: { inputTokens: undefined, outputTokens: undefined } };
    if (typeof billed.search_units === 'number') response.searchUnits = billed.search_units;
    return response;
  },
};

