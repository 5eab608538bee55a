import { GatewayError, type EmbeddingRequest, type EmbeddingResponse } from '../../spec/index.js';
import type { EmbeddingCodec } from '../codec.js';
import { isRecord } from '../cohere-chat/wire.js';

/** Cohere's `input_type` values (https://docs.cohere.com/reference/embed). */
export type CohereInputType = 'search_document' | 'search_query' | 'classification' | 'clustering';

function invalidAnswer(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `Cohere answered embeddings ${message}`, { retryable: true });
}

/**
 * Cohere's v2 embed (`POST /v2/embed`): `{model, texts, input_type, embedding_types: ["float"],
 * output_dimension?}` answered by `{id, embeddings: {float: [[…]]}, meta: {billed_units: {input_tokens}}}`.
 * v3+ models require `input_type`: the provider's `options.input_type`, or `input_type` sent
 * beside the OpenAI fields. Upstream half only:
 * callers reach it through the OpenAI embeddings endpoint.
 */
export const cohereEmbeddingCodec: EmbeddingCodec = {
  dialect: 'cohere-embed',
  decodeRequest() {
    throw new GatewayError('operation_not_supported', 'Cohere embeddings are not a caller dialect.');
  },
  encodeRequest: (request, upstreamModel) => encodeCohereEmbedRequest(request, upstreamModel, DEFAULT_INPUT_TYPE),
  decodeResponse(body: unknown): EmbeddingResponse {
    if (!isRecord(body)) throw invalidAnswer('with something that is not an object.');
    const byType = isRecord(body.embeddings) ? body.embeddings.float : body.embeddings;
    if (!Array.isArray(byType)) throw invalidAnswer('without `embeddings.float`.');
    const embeddings = byType.map((vector) => {
      if (!Array.isArray(vector) || !vector.every((value) => typeof value === 'number')) throw invalidAnswer('with a vector that is not a list of numbers.');
      return vector as number[];
    });
    const billed = isRecord(body.meta) && isRecord(body.meta.billed_units) ? body.meta.billed_units : {};
    const inputTokens = typeof billed.input_tokens === 'number' ? billed.input_tokens : undefined;
    return { model: '', embeddings, usage: { inputTokens, outputTokens: undefined } };
  },
  encodeResponse() {
    throw new GatewayError('operation_not_supported', 'Cohere embeddings are not a caller dialect.');
  },
};

export const DEFAULT_INPUT_TYPE: CohereInputType = 'search_document';
const INPUT_TYPES: ReadonlySet<string> = new Set(['search_document', 'search_query', 'classification', 'clustering']);

/** The body for `upstreamModel`; an `input_type` the caller sent beside the OpenAI fields wins over `inputType`. */
export function encodeCohereEmbedRequest(request: EmbeddingRequest, upstreamModel: string, inputType: CohereInputType): Record<string, unknown> {
  const texts = request.input.map((item, index) => {
    if (typeof item !== 'string') throw new GatewayError('unsupported_parameter', 'Cohere embeds text only, not token arrays.', { param: `input[${index}]` });
    return item;
  });
  const asked = request.extra?.input_type;
  const body: Record<string, unknown> = { model: upstreamModel, texts, input_type: typeof asked === 'string' && INPUT_TYPES.has(asked) ? asked : inputType, embedding_types: ['float'] };
  if (request.dimensions !== undefined) body.output_dimension = request.dimensions;
  return body;
}
