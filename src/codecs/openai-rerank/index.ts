import { GatewayError, type RerankRequest, type RerankResponse, type RerankResult } from '../../spec/index.js';
import type { RerankCodec, RerankSurfaceCodec } from '../codec.js';
import { describe, invalid, isObject, optionalBoolean, optionalInteger, requireArray, requireObject, requireString, readExtras } from '../openai-chat/read-fields.js';

export const OPENAI_RERANK_DIALECT = 'openai-rerank';

const MODELED_FIELDS = new Set(['model', 'query', 'documents', 'top_n', 'return_documents', 'max_tokens_per_doc', 'fallbacks']);

function invalidAnswer(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `The provider answered rerank ${message}`, { retryable: true });
}

/**
 * The rerank dialect of OpenAI-compatible servers (vLLM's, Together's and Jina's `POST /rerank`), which
 * is also what the gateway's own `/v1/rerank` speaks (Cohere-compatible): `{model, query,
 * documents: [string | {text}], top_n?, return_documents?, max_tokens_per_doc?}` answered by
 * `{id, model, results: [{index, relevance_score, document?: {text}}], usage?: {prompt_tokens | total_tokens},
 * meta?: {billed_units: {search_units}}}`, most relevant first.
 */
export const openaiRerankCodec: RerankCodec & RerankSurfaceCodec = {
  dialect: OPENAI_RERANK_DIALECT,
  decodeRequest(body: unknown): RerankRequest {
    const wire = requireObject(body, 'body');
    if (wire.model === undefined || wire.model === null) throw invalid('model', '`model` is required.');
    const model = requireString(wire.model, 'model');
    if (model.length === 0) throw invalid('model', '`model` is empty.');
    if (wire.query === undefined || wire.query === null) throw invalid('query', '`query` is required.');
    const query = requireString(wire.query, 'query');
    if (wire.documents === undefined || wire.documents === null) throw invalid('documents', '`documents` is required.');
    const documents = requireArray(wire.documents, 'documents').map((document, index) => {
      if (typeof document === 'string') return document;
      if (isObject(document) && typeof document.text === 'string') return document.text;
      throw invalid(`documents[${index}]`, `\`documents[${index}]\` must be a string or an object with \`text\`, got ${describe(document)}.`);
    });
    if (documents.length === 0) throw invalid('documents', '`documents` must not be empty.');
    const request: RerankRequest = { model, query, documents };
    const topN = optionalInteger(wire.top_n, 'top_n', 1);
    if (topN !== undefined) request.topN = topN;
    const returnDocuments = optionalBoolean(wire.return_documents, 'return_documents');
    if (returnDocuments !== undefined) request.returnDocuments = returnDocuments;
    const maxTokens = optionalInteger(wire.max_tokens_per_doc, 'max_tokens_per_doc', 1);
    if (maxTokens !== undefined) request.maxTokensPerDocument = maxTokens;
    readExtras(wire, MODELED_FIELDS, OPENAI_RERANK_DIALECT, request);
    return request;
  },
  encodeRequest(request: RerankRequest, upstreamModel: string): Record<string, unknown> {
    const body: Record<string, unknown> = { model: upstreamModel, query: request.query, documents: request.documents };
    if (request.topN !== undefined) body.top_n = request.topN;
    if (request.returnDocuments !== undefined) body.return_documents = request.returnDocuments;
    if (request.extraDialect === OPENAI_RERANK_DIALECT) for (const [key, value] of Object.entries(request.extra ?? {})) body[key] ??= value;
    return body;
  },
  decodeResponse(body: unknown): RerankResponse {
    if (!isObject(body)) throw invalidAnswer('with something that is not an object.');
    if (!Array.isArray(body.results)) throw invalidAnswer('without `results`.');
    const results = body.results.map((entry, position): RerankResult => {
      if (!isObject(entry) || typeof entry.index !== 'number' || !Number.isInteger(entry.index) || typeof entry.relevance_score !== 'number') {
        throw invalidAnswer(`with a result without an integer \`index\` and a numeric \`relevance_score\` (results[${position}]).`);
      }
      const result: RerankResult = { index: entry.index, relevanceScore: entry.relevance_score };
      if (typeof entry.document === 'string') result.document = entry.document;
      else if (isObject(entry.document) && typeof entry.document.text === 'string') result.document = entry.document.text;
      return result;
    });
    const usage = isObject(body.usage) ? body.usage : {};
    const tokens = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : typeof usage.total_tokens === 'number' ? usage.total_tokens : undefined;
    const response: RerankResponse = {
      id: typeof body.id === 'string' ? body.id : '',
      model: typeof body.model === 'string' ? body.model : '',
      results,
      usage: { inputTokens: tokens, outputTokens: tokens === undefined ? undefined : 0 },
    };
    const billed = isObject(body.meta) && isObject(body.meta.billed_units) ? body.meta.billed_units : {};
    if (typeof billed.search_units === 'number') response.searchUnits = billed.search_units;
    return response;
  },
  encodeResponse(response: RerankResponse, model: string): unknown {
    const body: Record<string, unknown> = {
      id: response.id,
      model,
      results: response.results.map((result) => ({ index: result.index, relevance_score: result.relevanceScore, ...(result.document === undefined ? {} : { document: { text: result.document } }) })),
    };
    if (response.usage.inputTokens !== undefined) body.usage = { prompt_tokens: response.usage.inputTokens, total_tokens: response.usage.inputTokens };
    if (response.searchUnits !== undefined) body.meta = { billed_units: { search_units: response.searchUnits } };
    return body;
  },
};
