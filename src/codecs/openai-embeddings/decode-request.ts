import type { EmbeddingRequest } from '../../spec/index.js';
import { describe, invalid, optionalInteger, optionalString, requireObject, requireString, readExtras } from '../openai-chat/read-fields.js';

export const OPENAI_EMBEDDINGS_DIALECT = 'openai-embeddings';

const MODELED_FIELDS = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user', 'fallbacks']);

/** An OpenAI `/v1/embeddings` body → spec request. `input` may be a string, strings, token ids or lists of token ids. */
export function decodeEmbeddingRequest(body: unknown): EmbeddingRequest {
  const wire = requireObject(body, 'body');
  if (wire.model === undefined || wire.model === null) throw invalid('model', '`model` is required.');
  const model = requireString(wire.model, 'model');
  if (model.length === 0) throw invalid('model', '`model` is empty.');
  const request: EmbeddingRequest = { model, ...decodeInput(wire.input) };
  const dimensions = optionalInteger(wire.dimensions, 'dimensions', 1);
  if (dimensions !== undefined) request.dimensions = dimensions;
  const format = optionalString(wire.encoding_format, 'encoding_format');
  if (format !== undefined) {
    if (format !== 'float' && format !== 'base64') throw invalid('encoding_format', '`encoding_format` must be `float` or `base64`.');
    request.encodingFormat = format;
  }
  const user = optionalString(wire.user, 'user');
  if (user !== undefined) request.user = user;
  readExtras(wire, MODELED_FIELDS, OPENAI_EMBEDDINGS_DIALECT, request);
  return request;
}

function decodeInput(input: unknown): Pick<EmbeddingRequest, 'input' | 'singleInput'> {
  if (input === undefined || input === null) throw invalid('input', '`input` is required.');
  if (typeof input === 'string') return { input: [input], singleInput: true };
  if (!Array.isArray(input)) throw invalid('input', `\`input\` must be a string or an array, got ${describe(input)}.`);
  if (input.length === 0) throw invalid('input', '`input` must not be empty.');
  if (input.every((item) => typeof item === 'string')) return { input: input as string[] };
  if (input.every(isTokenId)) return { input: [input as number[]], singleInput: true };
  if (typeof input[0] === 'string') {
    const index = input.findIndex((item) => typeof item !== 'string');
    throw invalid(`input[${index}]`, `\`input[${index}]\` must be a string like the other items, got ${describe(input[index])}.`);
  }
  return {
    input: input.map((item, index) => {
      if (!Array.isArray(item) || item.length === 0 || !item.every(isTokenId)) {
        throw invalid(`input[${index}]`, `\`input[${index}]\` must be a string or a non-empty list of token ids, like the other items.`);
      }
      return item as number[];
    }),
  };
}

function isTokenId(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
