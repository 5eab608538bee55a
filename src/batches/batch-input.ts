import { openaiChatCodec } from '../codecs/openai-chat/index.js';
import { estimateInputTokens, estimateTextTokens } from '../pipeline/estimate-tokens.js';
import { GatewayError } from '../spec/index.js';

/** The endpoints a batch line may call. */
export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings', '/v1/completions', '/v1/responses'];
/** The endpoints the gateway runs itself (batches of providers without a Batch API). */
export const GATEWAY_RUN_ENDPOINTS = ['/v1/chat/completions'];

/** Longest line of an input file. */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** One request of a batch input file (OpenAI's `{custom_id, method, url, body}`). */
export interface InputLine {
  readonly index: number;
  readonly customId: string;
  readonly url: string;
  readonly body: Record<string, unknown>;
  readonly model: string;
}

/** A line's share of a batch's worst case: its prompt estimate and its own output bound (absent: the model's). */
export interface LineEstimate {
  readonly model: string;
  readonly inputTokens: number;
  /** `max_tokens`/`max_completion_tokens`/`max_output_tokens`; undefined when the line sets none; 0 for embeddings. */
  readonly maxOutputTokens: number | undefined;
}

/** What an input file holds, as read once (at upload or submission): its lines' estimates, or why it cannot be a batch. */
export interface BatchSummary {
  readonly problem?: string;
  readonly url?: string;
  readonly lines: readonly LineEstimate[];
}

/** The lines of a JSONL byte stream, without their line breaks; blank lines skipped. Throws past `MAX_LINE_BYTES`. */
export async function* jsonLines(source: AsyncIterable<Buffer>): AsyncIterable<string> {
  let carry: Buffer[] = [];
  let carried = 0;
  for await (const chunk of source) {
    let start = 0;
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, at);
      const line = carried === 0 ? piece.toString('utf8') : Buffer.concat([...carry, piece]).toString('utf8');
      carry = [];
      carried = 0;
      start = at + 1;
      if (line.trim() !== '') yield line;
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start));
      carried += chunk.length - start;
      if (carried > MAX_LINE_BYTES) throw new GatewayError('invalid_request', `A line of the input file is longer than ${MAX_LINE_BYTES} bytes.`, { param: 'input_file_id' });
    }
  }
  if (carried > 0) {
    const line = Buffer.concat(carry).toString('utf8');
    if (line.trim() !== '') yield line;
  }
}

function invalidLine(index: number, message: string): GatewayError {
  return new GatewayError('invalid_request', `Line ${index + 1} of the input file: ${message}`, { param: 'input_file_id' });
}

/** Reads one line (`index` from 0); throws GatewayError `invalid_request` naming the line. */
export function parseLine(text: string, index: number): InputLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidLine(index, 'not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidLine(index, 'not a JSON object.');
  const line = parsed as Record<string, unknown>;
  if (typeof line.custom_id !== 'string' || line.custom_id.length === 0 || line.custom_id.length > 512) throw invalidLine(index, '`custom_id` must be a non-empty string.');
  if (line.method !== 'POST') throw invalidLine(index, '`method` must be "POST".');
  if (typeof line.url !== 'string' || !BATCH_ENDPOINTS.includes(line.url)) throw invalidLine(index, `\`url\` must be one of ${BATCH_ENDPOINTS.join(', ')}.`);
  const body = line.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidLine(index, '`body` must be a JSON object.');
  const model = (body as Record<string, unknown>).model;
  if (typeof model !== 'string' || model.length === 0) throw invalidLine(index, '`body.model` must name a model.');
  return { index, customId: line.custom_id, url: line.url, body: body as Record<string, unknown>, model };
}

/** A line's prompt estimate and output bound, as for a request of its endpoint. */
export function estimateLine(line: InputLine): LineEstimate {
  const body = line.body;
  if (line.url === '/v1/embeddings') {
    const input = body.input;
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))) : [];
    return { model: line.model, inputTokens: estimateTextTokens(texts), maxOutputTokens: 0 };
  }
  if (line.url === '/v1/chat/completions') {
    try {
      const request = openaiChatCodec.decodeRequest(body);
      return { model: line.model, inputTokens: estimateInputTokens(request), maxOutputTokens: request.maxOutputTokens };
    } catch (error) {
      throw invalidLine(line.index, GatewayError.is(error) ? error.message : 'the body is not a chat completion request.');
    }
  }
  // Legacy completions and Responses: the prompt's text, and the line's own bound.
  const bound = [body.max_tokens, body.max_output_tokens].find((value) => typeof value === 'number' && Number.isInteger(value) && value > 0) as number | undefined;
  return { model: line.model, inputTokens: estimateTextTokens([JSON.stringify(body.prompt ?? body.input ?? '')]), maxOutputTokens: bound };
}

/**
 * Reads an input file: every line parsed and estimated, all lines calling one endpoint, custom ids
 * unique, at most `maxLines`. A file that cannot be a batch gets its `problem` (said at submission,
 * since any file may be uploaded with purpose `batch`).
 */
export async function summarize(source: AsyncIterable<Buffer>, maxLines: number): Promise<BatchSummary> {
  const lines: LineEstimate[] = [];
  const ids = new Set<string>();
  let url: string | undefined;
  try {
    for await (const text of jsonLines(source)) {
      if (lines.length >= maxLines) return { problem: `The input file holds more than ${maxLines} lines (batches.max_lines).`, lines: [] };
      const line = parseLine(text, lines.length);
      if (ids.has(line.customId)) throw invalidLine(line.index, `\`custom_id\` "${line.customId.slice(0, 100)}" is used twice.`);
      ids.add(line.customId);
      if (url !== undefined && line.url !== url) throw invalidLine(line.index, `every line of a batch calls one endpoint; this one calls ${line.url}, the first ${url}.`);
      url = line.url;
      lines.push(estimateLine(line));
    }
  } catch (error) {
    if (!GatewayError.is(error)) throw error;
    return { problem: error.message, lines: [] };
  }
  if (lines.length === 0) return { problem: 'The input file holds no requests.', lines: [] };
  return { url: url!, lines };
}
