import { GatewayError, type ModerationPart, type ModerationRequest, type ModerationResponse, type ModerationResult } from '../../spec/index.js';
import type { ModerationCodec } from '../codec.js';
import { describe, invalid, isObject, requireObject, requireString, readExtras } from '../openai-chat/read-fields.js';

export const OPENAI_MODERATIONS_DIALECT = 'openai-moderations';

const MODELED_FIELDS = new Set(['model', 'input', 'fallbacks']);

function invalidAnswer(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `The provider answered moderations ${message}`, { retryable: true });
}

/**
 * OpenAI's moderations (https://platform.openai.com/docs/api-reference/moderations): `POST /v1/moderations`
 * with `{model?, input: string | string[] | [{type: 'text', text} | {type: 'image_url', image_url: {url}}]}`,
 * answered by `{id, model, results: [{flagged, categories, category_scores, category_applied_input_types?}]}`.
 */
export const openaiModerationCodec: ModerationCodec = {
  dialect: OPENAI_MODERATIONS_DIALECT,
  decodeRequest(body: unknown, defaultModel: string): ModerationRequest {
    const wire = requireObject(body, 'body');
    // OpenAI's `model` is optional (it picks its latest moderation model); the gateway routes by it.
    const model = wire.model === undefined || wire.model === null ? defaultModel : requireString(wire.model, 'model');
    if (model.length === 0) throw invalid('model', '`model` is empty.');
    const request: ModerationRequest = { model, ...decodeInput(wire.input) };
    readExtras(wire, MODELED_FIELDS, OPENAI_MODERATIONS_DIALECT, request);
    return request;
  },
  encodeRequest(request: ModerationRequest, upstreamModel: string): Record<string, unknown> {
    const input = request.singleInput === true && typeof request.input[0] === 'string' ? request.input[0] : request.input.map((item) => (typeof item === 'string' ? item : item.type === 'text' ? { type: 'text', text: item.text } : { type: 'image_url', image_url: { url: item.url } }));
    const body: Record<string, unknown> = { model: upstreamModel, input };
    if (request.extraDialect === OPENAI_MODERATIONS_DIALECT) for (const [key, value] of Object.entries(request.extra ?? {})) body[key] ??= value;
    return body;
  },
  decodeResponse(body: unknown): ModerationResponse {
    if (!isObject(body)) throw invalidAnswer('with something that is not an object.');
    if (!Array.isArray(body.results)) throw invalidAnswer('without `results`.');
    const results = body.results.map((entry, position): ModerationResult => {
      if (!isObject(entry) || typeof entry.flagged !== 'boolean' || !isObject(entry.categories) || !isObject(entry.category_scores)) {
        throw invalidAnswer(`with a result without \`flagged\`, \`categories\` and \`category_scores\` (results[${position}]).`);
      }
      const result: ModerationResult = { flagged: entry.flagged, categories: booleans(entry.categories), categoryScores: numbers(entry.category_scores) };
      if (isObject(entry.category_applied_input_types)) {
        const applied: Record<string, string[]> = {};
        for (const [name, types] of Object.entries(entry.category_applied_input_types)) if (Array.isArray(types)) applied[name] = types.filter((type): type is string => typeof type === 'string');
        result.categoryAppliedInputTypes = applied;
      }
      return result;
    });
    return { id: typeof body.id === 'string' ? body.id : '', model: typeof body.model === 'string' ? body.model : '', results, usage: { inputTokens: undefined, outputTokens: undefined } };
  },
  encodeResponse(response: ModerationResponse, model: string): unknown {
    return {
      id: response.id,
      model,
      results: response.results.map((result) => ({
        flagged: result.flagged,
        categories: result.categories,
        category_scores: result.categoryScores,
        ...(result.categoryAppliedInputTypes === undefined ? {} : { category_applied_input_types: result.categoryAppliedInputTypes }),
      })),
    };
  },
};

function decodeInput(input: unknown): Pick<ModerationRequest, 'input' | 'singleInput'> {
  if (input === undefined || input === null) throw invalid('input', '`input` is required.');
  if (typeof input === 'string') return { input: [input], singleInput: true };
  if (!Array.isArray(input)) throw invalid('input', `\`input\` must be a string or an array, got ${describe(input)}.`);
  if (input.length === 0) throw invalid('input', '`input` must not be empty.');
  if (input.every((item) => typeof item === 'string')) return { input: input as string[] };
  return {
    input: input.map((item, index): ModerationPart => {
      const param = `input[${index}]`;
      if (!isObject(item)) throw invalid(param, `\`${param}\` must be a text or image_url part like the other items, got ${describe(item)}.`);
      if (item.type === 'text') return { type: 'text', text: requireString(item.text, `${param}.text`) };
      if (item.type === 'image_url') return { type: 'image', url: requireString(requireObject(item.image_url, `${param}.image_url`).url, `${param}.image_url.url`) };
      throw invalid(`${param}.type`, `\`${param}.type\` must be \`text\` or \`image_url\`.`);
    }),
  };
}

function booleans(record: Record<string, unknown>): Record<string, boolean> {
  const result: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(record)) if (typeof value === 'boolean') result[name] = value;
  return result;
}

function numbers(record: Record<string, unknown>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, value] of Object.entries(record)) if (typeof value === 'number') result[name] = value;
  return result;
}
