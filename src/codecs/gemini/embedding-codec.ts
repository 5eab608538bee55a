import { GatewayError, type EmbeddingRequest, type EmbeddingResponse } from '../../spec/index.js';
import type { EmbeddingCodec } from '../codec.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

/** One `EmbedContentRequest` → its text, model and options. */
function decodeOne(value: unknown, param: string): { text: string; model: string | undefined; dimensions: number | undefined; rest: JsonObject } {
  if (!isObject(value)) throw invalid(`\`${param}\` must be an object.`, param);
  const { content, model, outputDimensionality, ...rest } = value;
  if (!isObject(content) || !Array.isArray(content.parts)) throw invalid(`\`${param}.content.parts\` must be an array.`, `${param}.content.parts`);
  const text = content.parts
    .map((part, index) => {
      if (!isObject(part) || typeof part.text !== 'string') throw invalid('Only text parts can be embedded.', `${param}.content.parts[${index}].text`);
      return part.text;
    })
    .join('\n');
  if (model !== undefined && typeof model !== 'string') throw invalid(`\`${param}.model\` must be a string.`, `${param}.model`);
  if (outputDimensionality !== undefined && (typeof outputDimensionality !== 'number' || !Number.isInteger(outputDimensionality) || outputDimensionality <= 0)) {
    throw invalid(`\`${param}.outputDimensionality\` must be a positive integer.`, `${param}.outputDimensionality`);
  }
  return { text, model: model?.replace(/^models\//, ''), dimensions: outputDimensionality, rest };
}

/**
 * Gemini embeddings: `models/{model}:batchEmbedContents` with
 * `{requests: [{model: "models/x", content: {parts: [{text}]}, outputDimensionality?}]}` answered
 * by `{embeddings: [{values}]}`. A single `:embedContent` body (`{content}`) is read too. Gemini
 * reports no token usage for embeddings, so usage stays unknown unless `usageMetadata` is present.
 */
export const geminiEmbeddingCodec: EmbeddingCodec = {
  dialect: 'gemini',

  decodeRequest(body: unknown): EmbeddingRequest {
    if (!isObject(body)) throw invalid('The request body must be a JSON object.', 'body');
    const single = body.requests === undefined;
    if (!single && !Array.isArray(body.requests)) throw invalid('`requests` must be an array.', 'requests');
    const items = single ? [decodeOne(body, 'body')] : (body.requests as unknown[]).map((entry, index) => decodeOne(entry, `requests[${index}]`));
    if (items.length === 0) throw invalid('`requests` must not be empty.', 'requests');
    const injected = typeof body.model === 'string' ? body.model.replace(/^models\//, '') : undefined;
    const model = (single ? injected : (injected ?? items[0]!.model)) ?? items[0]!.model;
    if (model === undefined || model.length === 0) throw invalid('The model is missing (it is part of the URL).', 'model');
    const request: EmbeddingRequest = { model, input: items.map((item) => item.text), ...(single ? { singleInput: true } : {}) };
    if (items[0]!.dimensions !== undefined) request.dimensions = items[0]!.dimensions;
    const extra = items[0]!.rest;
    delete extra.model;
    if (Object.keys(extra).length > 0) {
      request.extra = extra;
      request.extraDialect = 'gemini';
    }
    return request;
  },

  encodeRequest(request: EmbeddingRequest, upstreamModel: string): Record<string, unknown> {
    const model = `models/${upstreamModel.replace(/^models\//, '')}`;
    const extra = request.extraDialect === 'gemini' ? (request.extra ?? {}) : {};
    const requests = request.input.map((item, index) => {
      if (typeof item !== 'string') throw new GatewayError('unsupported_parameter', 'Gemini embeds text only, not token arrays.', { param: `input[${index}]` });
      return { ...extra, model, content: { parts: [{ text: item }] }, ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}) };
    });
    return { requests };
  },

  decodeResponse(body: unknown): EmbeddingResponse {
    if (!isObject(body)) throw new GatewayError('upstream_invalid_response', 'Gemini answered embeddings with something that is not an object.', { retryable: true });
    const entries = Array.isArray(body.embeddings) ? body.embeddings : isObject(body.embedding) ? [body.embedding] : undefined;
    if (entries === undefined) throw new GatewayError('upstream_invalid_response', 'Gemini answered embeddings without `embeddings`.', { retryable: true });
    const embeddings = entries.map((entry) => {
      const values = isObject(entry) ? entry.values : undefined;
      if (!Array.isArray(values) || !values.every((value) => typeof value === 'number')) {
        throw new GatewayError('upstream_invalid_response', 'Gemini answered an embedding without numeric `values`.', { retryable: true });
      }
      return values as number[];
    });
    const usageMetadata = isObject(body.usageMetadata) ? body.usageMetadata : undefined;
    const promptTokens = typeof usageMetadata?.promptTokenCount === 'number' ? usageMetadata.promptTokenCount : undefined;
    return { model: '', embeddings, usage: { inputTokens: promptTokens, outputTokens: promptTokens === undefined ? undefined : 0 } };
  },

  encodeResponse(response: EmbeddingResponse): unknown {
    return { embeddings: response.embeddings.map((values) => ({ values })) };
  },
};
