import { GatewayError, type EmbeddingResponse } from '../../spec/index.js';
import type { EmbeddingCodec } from '../codec.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidAnswer(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `Vertex AI answered embeddings ${message}`, { retryable: true });
}

function notADialect(): never {
  throw new GatewayError('operation_not_supported', 'Vertex AI embeddings are not a caller dialect.');
}

/**
 * Vertex AI text embeddings (`text-embedding-005`, `gemini-embedding-001`, …) through `:predict`
 * (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api):
 * `{instances: [{content}], parameters: {outputDimensionality?}}` answered by
 * `{predictions: [{embeddings: {values, statistics: {token_count}}}]}`. Usage is the sum of the
 * token counts. Upstream half only.
 */
export const vertexEmbeddingCodec: EmbeddingCodec = {
  dialect: 'vertex-predict',
  decodeRequest: notADialect,
  encodeRequest(request) {
    const instances = request.input.map((item, index) => {
      if (typeof item !== 'string') throw new GatewayError('unsupported_parameter', 'Vertex AI embeds text only, not token arrays.', { param: `input[${index}]` });
      return { content: item };
    });
    return request.dimensions === undefined ? { instances } : { instances, parameters: { outputDimensionality: request.dimensions } };
  },
  decodeResponse(body: unknown): EmbeddingResponse {
    if (!isRecord(body) || !Array.isArray(body.predictions)) throw invalidAnswer('without `predictions`.');
    let tokens: number | undefined;
    const embeddings = body.predictions.map((prediction, index) => {
      const embedding = isRecord(prediction) && isRecord(prediction.embeddings) ? prediction.embeddings : undefined;
      const values = embedding?.values;
      if (!Array.isArray(values) || !values.every((value) => typeof value === 'number')) throw invalidAnswer(`without numeric \`values\` (predictions[${index}]).`);
      const count = isRecord(embedding!.statistics) ? embedding!.statistics.token_count : undefined;
      if (typeof count === 'number') tokens = (tokens ?? 0) + count;
      return values as number[];
    });
    return { model: '', embeddings, usage: { inputTokens: tokens, outputTokens: undefined } };
  },
  encodeResponse: notADialect,
};
