import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sleep, startFake, type FakeDialect, type FakeHandlerContext, type FakeReply, type FakeUpstream, type RequestSummary } from './fake-upstream.js';

/**
 * A loopback stand-in for bedrock-runtime.<region>.amazonaws.com: `POST /model/{modelId}/converse`
 * and `/converse-stream`, answering as the Converse API documents
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html, …/API_runtime_ConverseStream.html):
 * JSON bodies, binary AWS event-stream frames for streams, errors as `{"message"}` with the
 * exception name in `x-amzn-ErrorType`. Written from the docs, not from our codec.
 *
 * Authentication is checked as AWS would: a bearer token (Bedrock API key) is accepted as is; a
 * SigV4 `Authorization` must be well-formed and its signature must match the one recomputed here
 * with the test credentials, over the headers it claims to sign and the body's SHA-256.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A FakeReply with Bedrock-only extras: an exception frame inside a 200 stream. */
export interface BedrockFakeReply extends FakeReply {
  /** Streaming only: after `afterEvents` events (default 0), send this exception frame and end the stream. */
  streamException?: { type: string; message: string; afterEvents?: number };
}

export interface BedrockFakeOptions {
  /** Access key id → secret access key the fake accepts. */
  credentials?: Record<string, string>;
}

export const TEST_ACCESS_KEY_ID = 'TESTACCESSKEY';
export const TEST_SECRET_ACCESS_KEY = 'test-secret-value';

const ERROR_NAMES: Record<number, string> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

const STOP_REASONS: Record<NonNullable<FakeReply['finish']>, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'content_filtered',
};

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream)$/;
const eventStream = new EventStreamCodec(toUtf8, fromUtf8);

function sendError(response: ServerResponse, status: number, name: string, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-request-id', 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`, ...headers });
  response.end(JSON.stringify({ message }));
}

/** Bedrock's usage: `inputTokens` leaves out cache reads and writes, reported in their own fields. */
function usageOf(reply: FakeReply): Json {
  const usage = reply.usage ?? { input: 0, output: 0 };
  const cacheRead = usage.cachedInput ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  const inputTokens = usage.input - cacheRead - cacheWrite;
  const wire: Json = { inputTokens, outputTokens: usage.output, totalTokens: usage.input + usage.output };
  if (usage.cachedInput !== undefined) wire.cacheReadInputTokens = cacheRead;
  if (usage.cacheWrite !== undefined) wire.cacheWriteInputTokens = cacheWrite;
  return wire;
}

function stopReasonOf(reply: FakeReply): string {
  return STOP_REASONS[reply.finish ?? (reply.toolCalls?.length ? 'tool-calls' : 'stop')];
}

function signatureOf(reasoning: string): string {
  return `fake-signature-${Buffer.from(reasoning).toString('base64').slice(0, 16)}`;
}

function contentOf(reply: FakeReply): Json[] {
  const content: Json[] = [];
  if (reply.reasoning) content.push({ reasoningContent: { reasoningText: { text: reply.reasoning, signature: signatureOf(reply.reasoning) } } });
  if (reply.text) content.push({ text: reply.text });
  for (const call of reply.toolCalls ?? []) content.push({ toolUse: { toolUseId: call.id, name: call.name, input: JSON.parse(call.arguments || '{}') } });
  return content;
}

function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function fragments(text: string, size = 6): string[] {
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) result.push(text.slice(start, start + size));
  return result;
}

/** One event frame. Bedrock pads payloads with a `p` field of filler characters; clients ignore it. */
function eventFrame(type: string, payload: Json): Uint8Array {
  return eventStream.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ ...payload, p: 'abcdefghij' })),
  });
}

function exceptionFrame(type: string, message: string): Uint8Array {
  return eventStream.encode({
    headers: {
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

function streamFrames(reply: BedrockFakeReply): Uint8Array[] {
  const frames = [eventFrame('messageStart', { role: 'assistant' })];
  let index = 0;
  if (reply.reasoning) {
    for (const text of pieces(reply.reasoning)) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { text } } }));
    frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { signature: signatureOf(reply.reasoning) } } }));
    frames.push(eventFrame('contentBlockStop', { contentBlockIndex: index++ }));
  }
  if (reply.text) {
    for (const text of pieces(reply.text)) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: index, delta: { text } }));
    frames.push(eventFrame('contentBlockStop', { contentBlockIndex: index++ }));
  }
  for (const call of reply.toolCalls ?? []) {
    frames.push(eventFrame('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: call.id, name: call.name } } }));
    for (const input of fragments(call.arguments)) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input } } }));
    frames.push(eventFrame('contentBlockStop', { contentBlockIndex: index++ }));
  }
  frames.push(eventFrame('messageStop', { stopReason: stopReasonOf(reply) }));
  frames.push(eventFrame('metadata', { usage: usageOf(reply), metrics: { latencyMs: 42 } }));
  const exception = reply.streamException;
  if (exception !== undefined) {
    const cut = frames.slice(0, exception.afterEvents ?? 0);
    cut.push(exceptionFrame(exception.type, exception.message));
    return cut;
  }
  return frames;
}

async function writeFrames(context: FakeHandlerContext, frames: Uint8Array[]): Promise<void> {
  const { response, reply } = context;
  response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'fake-request-id' });
  let index = 0;
  for (const frame of frames) {
    if (context.closed()) return;
    if (reply.breakAfterEvents !== undefined && index >= reply.breakAfterEvents) {
      response.socket?.destroy();
      return;
    }
    response.write(frame);
    index++;
    if (reply.eventIntervalMs) await sleep(reply.eventIntervalMs);
  }
  response.end();
}

function headerOf(context: FakeHandlerContext, name: string): string | undefined {
  const value = context.request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** `20250101T120000Z` → Date. */
function amzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return match === null ? undefined : new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
}

/**
 * Checks a SigV4 request the way AWS does; returns an error (exception name, message) or undefined.
 * The fake harness hands over the parsed JSON body; our gateway sends `JSON.stringify` output,
 * which re-serialising reproduces byte for byte, so the body hash is checked against that.
 */
async function verifySignature(context: FakeHandlerContext, authorization: string, credentials: Record<string, string>): Promise<{ status: number; name: string; message: string } | undefined> {
  const match = AUTHORIZATION.exec(authorization);
  if (match === null) return { status: 400, name: 'IncompleteSignatureException', message: 'Authorization header requires Credential, SignedHeaders and Signature.' };
  const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string, string];
  const secret = credentials[accessKeyId];
  if (secret === undefined) return { status: 403, name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (service !== 'bedrock') return { status: 403, name: 'InvalidSignatureException', message: `Credential should be scoped to correct service: 'bedrock'.` };
  const date = amzDate(headerOf(context, 'x-amz-date') ?? '');
  if (date === undefined || !headerOf(context, 'x-amz-date')!.startsWith(day)) return { status: 403, name: 'InvalidSignatureException', message: 'x-amz-date is missing or does not match the credential scope.' };
  const body = context.body === undefined ? '' : JSON.stringify(context.body);
  const bodyHash = createHash('sha256').update(body).digest('hex');
  if (headerOf(context, 'x-amz-content-sha256') !== bodyHash) return { status: 403, name: 'InvalidSignatureException', message: 'The body does not match x-amz-content-sha256.' };
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return { status: 403, name: 'InvalidSignatureException', message: 'host and x-amz-date must be signed.' };
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = headerOf(context, name);
    if (value === undefined) return { status: 403, name: 'InvalidSignatureException', message: `Signed header ${name} is missing.` };
    headers[name] = value;
  }
  const sessionToken = headers['x-amz-security-token'];
  const signer = new SignatureV4({ service, region, sha256: Sha256, credentials: { accessKeyId, secretAccessKey: secret, ...(sessionToken === undefined ? {} : { sessionToken }) } });
  const [hostname, port] = headers.host!.split(':');
  const expected = await signer.sign(
    { method: context.request.method ?? 'POST', protocol: 'http:', hostname: hostname!, ...(port === undefined ? {} : { port: Number(port) }), path: context.path.split('?')[0]!, query: {}, headers, body },
    { signingDate: date },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1];
  if (expectedSignature !== signature) return { status: 403, name: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.' };
  return undefined;
}

function handler(credentials: Record<string, string>): (context: FakeHandlerContext) => Promise<void> {
  return async (context) => {
    const { response } = context;
    const reply = context.reply as BedrockFakeReply;
    const route = ROUTE.exec(context.path.split('?')[0]!);
    if (context.request.method !== 'POST' || route === null) return sendError(response, 404, 'UnknownOperationException', `No route for ${context.request.method} ${context.path}.`);
    const authorization = headerOf(context, 'authorization');
    if (authorization === undefined) return sendError(response, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (!authorization.startsWith('Bearer ')) {
      const failure = await verifySignature(context, authorization, credentials);
      if (failure !== undefined) return sendError(response, failure.status, failure.name, failure.message);
    }
    if (reply.error) {
      const { status, message, type, retryAfterSeconds } = reply.error;
      const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
      return sendError(response, status, type ?? ERROR_NAMES[status] ?? (status >= 500 ? 'InternalServerException' : 'ValidationException'), message, headers);
    }
    if (route[2] === 'converse-stream') return writeFrames(context, streamFrames(reply));
    response.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-request-id' });
    response.end(JSON.stringify({ output: { message: { role: 'assistant', content: contentOf(reply) } }, stopReason: stopReasonOf(reply), usage: usageOf(reply), metrics: { latencyMs: 42 } }));
  };
}

function textOf(blocks: unknown): string {
  if (!Array.isArray(blocks)) return '';
  return blocks.map((block) => (isObject(block) && typeof block.text === 'string' ? block.text : isObject(block) && block.json !== undefined ? JSON.stringify(block.json) : '')).join('');
}

/** Reads a Converse request as documented: the model and streaming are in the path, tool results live in user turns. */
function summarize(path: string, body: unknown): RequestSummary | undefined {
  const route = ROUTE.exec(path.split('?')[0]!);
  if (route === null || !isObject(body)) return undefined;
  const messages: RequestSummary['messages'] = [];
  for (const message of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(message)) continue;
    const blocks = Array.isArray(message.content) ? message.content.filter(isObject) : [];
    if (message.role === 'assistant') {
      const toolCalls = blocks.filter((block) => isObject(block.toolUse)).map((block) => {
        const toolUse = block.toolUse as Json;
        return { id: String(toolUse.toolUseId), name: String(toolUse.name), arguments: toolUse.input };
      });
      messages.push({ role: 'assistant', text: textOf(blocks), images: [], toolCalls });
      continue;
    }
    for (const block of blocks) {
      if (!isObject(block.toolResult)) continue;
      messages.push({ role: 'tool', text: textOf(block.toolResult.content), images: [], toolCalls: [], toolCallId: String(block.toolResult.toolUseId) });
    }
    const rest = blocks.filter((block) => !isObject(block.toolResult));
    if (rest.length === 0) continue;
    const images = rest
      .filter((block) => isObject(block.image))
      .map((block) => {
        const image = block.image as Json;
        const source = isObject(image.source) ? image.source : {};
        return { data: String(source.bytes), mediaType: `image/${String(image.format)}` };
      });
    messages.push({ role: 'user', text: textOf(rest), images, toolCalls: [] });
  }
  const inference = isObject(body.inferenceConfig) ? body.inferenceConfig : {};
  const toolConfig = isObject(body.toolConfig) ? body.toolConfig : {};
  return {
    model: decodeURIComponent(route[1]!),
    stream: route[2] === 'converse-stream',
    system: Array.isArray(body.system) ? textOf(body.system) : undefined,
    messages,
    tools: Array.isArray(toolConfig.tools) ? toolConfig.tools.filter(isObject).filter((tool) => isObject(tool.toolSpec)).map((tool) => String((tool.toolSpec as Json).name)) : [],
    maxOutputTokens: typeof inference.maxTokens === 'number' ? inference.maxTokens : undefined,
    temperature: typeof inference.temperature === 'number' ? inference.temperature : undefined,
  };
}

export function bedrockFakeDialect(options: BedrockFakeOptions = {}): FakeDialect {
  return { summarize, handle: handler(options.credentials ?? { [TEST_ACCESS_KEY_ID]: TEST_SECRET_ACCESS_KEY }) };
}

export function startBedrockFake(options: BedrockFakeOptions = {}): Promise<FakeUpstream> {
  return startFake(bedrockFakeDialect(options));
}
