import { GatewayError, type ChatRequest, type ContentPart, type Message, type ResponseFormat, type Tool, type ToolChoice } from '../../spec/index.js';
import { createCallIdSource, decodeModelParts } from './parts.js';
import type { GeminiPart } from './wire.js';

type JsonObject = Record<string, unknown>;

/** Fields the gateway's Gemini surface injects: the model (from the URL) and whether it streams. */
const INJECTED_FIELDS = new Set(['model', 'stream']);
const MODELLED_FIELDS = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig']);
const NUMBER_CONFIG_FIELDS = ['maxOutputTokens', 'temperature', 'topP', 'topK', 'seed', 'candidateCount', 'presencePenalty', 'frequencyPenalty'] as const;
const MODELLED_CONFIG_FIELDS = new Set<string>([...NUMBER_CONFIG_FIELDS, 'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'thinkingConfig']);

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, param: string): JsonObject {
  if (!isObject(value)) throw invalid(`\`${param}\` must be an object.`, param);
  return value;
}

function expectArray(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`\`${param}\` must be an array.`, param);
  return value;
}

function expectString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(`\`${param}\` must be a string.`, param);
  return value;
}

function optionalNumber(value: unknown, param: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`\`${param}\` must be a number.`, param);
  return value;
}

/** Checks one part's shape; exactly one data field must be set. */
function validatePart(value: unknown, param: string): GeminiPart {
  const part = expectObject(value, param);
  const dataFields = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'].filter((field) => part[field] !== undefined);
  if (dataFields.length !== 1) {
    const known = ['executableCode', 'codeExecutionResult', 'toolCall', 'toolResponse'].find((field) => part[field] !== undefined);
    if (known !== undefined) throw new GatewayError('unsupported_parameter', `Parts of type \`${known}\` are not supported by Tollgate.`, { param: `${param}.${known}` });
    throw invalid('A part must have exactly one of `text`, `inlineData`, `fileData`, `functionCall`, `functionResponse`.', param);
  }
  if (part.text !== undefined) expectString(part.text, `${param}.text`);
  if (part.thought !== undefined && typeof part.thought !== 'boolean') throw invalid(`\`${param}.thought\` must be a boolean.`, `${param}.thought`);
  if (part.thoughtSignature !== undefined) expectString(part.thoughtSignature, `${param}.thoughtSignature`);
  if (part.inlineData !== undefined) {
    const inline = expectObject(part.inlineData, `${param}.inlineData`);
    const mimeType = expectString(inline.mimeType, `${param}.inlineData.mimeType`);
    expectString(inline.data, `${param}.inlineData.data`);
    if (!mimeType.startsWith('image/')) throw new GatewayError('unsupported_parameter', `Inline data of type \`${mimeType}\` is not supported; only images are.`, { param: `${param}.inlineData.mimeType` });
  }
  if (part.fileData !== undefined) {
    const file = expectObject(part.fileData, `${param}.fileData`);
    expectString(file.fileUri, `${param}.fileData.fileUri`);
    if (file.mimeType !== undefined) {
      const mimeType = expectString(file.mimeType, `${param}.fileData.mimeType`);
      if (!mimeType.startsWith('image/')) throw new GatewayError('unsupported_parameter', `File data of type \`${mimeType}\` is not supported; only images are.`, { param: `${param}.fileData.mimeType` });
    }
  }
  if (part.functionCall !== undefined) {
    const call = expectObject(part.functionCall, `${param}.functionCall`);
    expectString(call.name, `${param}.functionCall.name`);
    if (call.id !== undefined) expectString(call.id, `${param}.functionCall.id`);
    if (call.args !== undefined) expectObject(call.args, `${param}.functionCall.args`);
  }
  if (part.functionResponse !== undefined) {
    const response = expectObject(part.functionResponse, `${param}.functionResponse`);
    expectString(response.name, `${param}.functionResponse.name`);
    if (response.id !== undefined) expectString(response.id, `${param}.functionResponse.id`);
    expectObject(response.response, `${param}.functionResponse.response`);
  }
  return part as GeminiPart;
}

function userPart(part: GeminiPart): ContentPart | undefined {
  if (typeof part.text === 'string') return part.thought === true ? undefined : { type: 'text', text: part.text };
  if (part.inlineData !== undefined) return { type: 'image', data: part.inlineData.data, mediaType: part.inlineData.mimeType };
  if (part.fileData !== undefined) return { type: 'image', url: part.fileData.fileUri, ...(part.fileData.mimeType !== undefined ? { mediaType: part.fileData.mimeType } : {}) };
  return undefined;
}

/** `{output}` / `{error}` / any object → the tool message's text and error flag. */
function toolResult(response: JsonObject): { text: string; isError: boolean } {
  const isError = response.error !== undefined && response.output === undefined;
  const value = isError ? response.error : response.output !== undefined ? response.output : response;
  return { text: typeof value === 'string' ? value : JSON.stringify(value), isError };
}

function decodeContents(value: unknown): Message[] {
  const contents = expectArray(value, 'contents');
  if (contents.length === 0) throw invalid('`contents` must not be empty.', 'contents');
  const messages: Message[] = [];
  const nextCallId = createCallIdSource();
  // Calls not yet answered, by function name: a functionResponse without `id` answers the oldest.
  const unanswered = new Map<string, string[]>();
  contents.forEach((entry, contentIndex) => {
    const param = `contents[${contentIndex}]`;
    const content = expectObject(entry, param);
    const role = content.role ?? 'user';
    if (role !== 'user' && role !== 'model') throw invalid('`role` must be `user` or `model`.', `${param}.role`);
    const parts = expectArray(content.parts, `${param}.parts`).map((part, partIndex) => validatePart(part, `${param}.parts[${partIndex}]`));
    if (role === 'model') {
      const decoded = decodeModelParts(parts, nextCallId);
      for (const call of decoded.toolCalls) unanswered.set(call.name, [...(unanswered.get(call.name) ?? []), call.id]);
      messages.push({ role: 'assistant', content: decoded.content, ...(decoded.toolCalls.length > 0 ? { toolCalls: decoded.toolCalls } : {}) });
      return;
    }
    let pending: ContentPart[] = [];
    const flush = () => {
      if (pending.length > 0) messages.push({ role: 'user', content: pending });
      pending = [];
    };
    parts.forEach((part, partIndex) => {
      if (part.functionCall !== undefined) throw invalid('`functionCall` parts belong in `model` turns.', `${param}.parts[${partIndex}].functionCall`);
      if (part.functionResponse === undefined) {
        const decoded = userPart(part);
        if (decoded !== undefined) pending.push(decoded);
        return;
      }
      flush();
      const response = part.functionResponse;
      const waiting = unanswered.get(response.name) ?? [];
      let toolCallId = response.id;
      if (toolCallId !== undefined) {
        const position = waiting.indexOf(toolCallId);
        if (position >= 0) waiting.splice(position, 1);
      } else toolCallId = waiting.shift() ?? response.name;
      const { text, isError } = toolResult(response.response);
      messages.push({ role: 'tool', toolCallId, name: response.name, content: [{ type: 'text', text }], ...(isError ? { isError } : {}) });
    });
    flush();
  });
  return messages;
}

function decodeSystem(value: unknown): Message | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { role: 'system', content: [{ type: 'text', text: value }] };
  const content = expectObject(value, 'systemInstruction');
  const parts = expectArray(content.parts, 'systemInstruction.parts');
  const text = parts.map((part, index) => expectString(expectObject(part, `systemInstruction.parts[${index}]`).text, `systemInstruction.parts[${index}].text`)).join('\n');
  return { role: 'system', content: [{ type: 'text', text }] };
}

function decodeTools(value: unknown, extra: JsonObject): Tool[] | undefined {
  if (value === undefined) return undefined;
  const tools: Tool[] = [];
  const other: unknown[] = [];
  expectArray(value, 'tools').forEach((entry, toolIndex) => {
    const tool = expectObject(entry, `tools[${toolIndex}]`);
    if (tool.functionDeclarations === undefined) {
      // Google's built-in tools (googleSearch, codeExecution, …) pass through to Gemini only.
      other.push(tool);
      return;
    }
    expectArray(tool.functionDeclarations, `tools[${toolIndex}].functionDeclarations`).forEach((declarationValue, declarationIndex) => {
      const param = `tools[${toolIndex}].functionDeclarations[${declarationIndex}]`;
      const declaration = expectObject(declarationValue, param);
      const name = expectString(declaration.name, `${param}.name`);
      const description = declaration.description === undefined ? undefined : expectString(declaration.description, `${param}.description`);
      const schema = declaration.parametersJsonSchema ?? declaration.parameters;
      const parameters = schema === undefined ? { type: 'object', properties: {} } : expectObject(schema, `${param}.parameters`);
      tools.push({ name, ...(description !== undefined ? { description } : {}), parameters });
    });
  });
  if (other.length > 0) extra.tools = other;
  return tools.length > 0 ? tools : undefined;
}

function decodeToolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined) return undefined;
  const toolConfig = expectObject(value, 'toolConfig');
  if (toolConfig.functionCallingConfig === undefined) return undefined;
  const config = expectObject(toolConfig.functionCallingConfig, 'toolConfig.functionCallingConfig');
  const mode = config.mode === undefined ? 'AUTO' : expectString(config.mode, 'toolConfig.functionCallingConfig.mode');
  const allowed = config.allowedFunctionNames === undefined ? [] : expectArray(config.allowedFunctionNames, 'toolConfig.functionCallingConfig.allowedFunctionNames');
  switch (mode) {
    case 'AUTO':
    case 'VALIDATED':
    case 'MODE_UNSPECIFIED':
      return { type: 'auto' };
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
      // One allowed name is a forced tool; several cannot be expressed in the spec and mean "some tool".
      if (allowed.length === 1) return { type: 'tool', name: expectString(allowed[0], 'toolConfig.functionCallingConfig.allowedFunctionNames[0]') };
      return { type: 'required' };
    default:
      throw invalid('`mode` must be one of AUTO, ANY, NONE, VALIDATED.', 'toolConfig.functionCallingConfig.mode');
  }
}

function decodeResponseFormat(config: JsonObject): ResponseFormat | undefined {
  const mimeType = config.responseMimeType === undefined ? undefined : expectString(config.responseMimeType, 'generationConfig.responseMimeType');
  const schemaValue = config.responseJsonSchema ?? config.responseSchema;
  const schemaParam = config.responseJsonSchema !== undefined ? 'generationConfig.responseJsonSchema' : 'generationConfig.responseSchema';
  if (schemaValue !== undefined) {
    if (mimeType !== 'application/json') throw invalid('A response schema needs `responseMimeType: "application/json"`.', 'generationConfig.responseMimeType');
    return { type: 'json_schema', name: 'response', schema: expectObject(schemaValue, schemaParam) };
  }
  if (mimeType === 'application/json') return { type: 'json_object' };
  if (mimeType === 'text/plain') return { type: 'text' };
  return undefined;
}

function decodeGenerationConfig(value: unknown, request: ChatRequest, extra: JsonObject): void {
  if (value === undefined) return;
  const config = expectObject(value, 'generationConfig');
  const numbers: Partial<Record<(typeof NUMBER_CONFIG_FIELDS)[number], number>> = {};
  for (const field of NUMBER_CONFIG_FIELDS) {
    const number = optionalNumber(config[field], `generationConfig.${field}`);
    if (number !== undefined) numbers[field] = number;
  }
  if (numbers.maxOutputTokens !== undefined) request.maxOutputTokens = numbers.maxOutputTokens;
  if (numbers.temperature !== undefined) request.temperature = numbers.temperature;
  if (numbers.topP !== undefined) request.topP = numbers.topP;
  if (numbers.topK !== undefined) request.topK = numbers.topK;
  if (numbers.seed !== undefined) request.seed = numbers.seed;
  if (numbers.candidateCount !== undefined) request.n = numbers.candidateCount;
  if (numbers.presencePenalty !== undefined) request.presencePenalty = numbers.presencePenalty;
  if (numbers.frequencyPenalty !== undefined) request.frequencyPenalty = numbers.frequencyPenalty;
  if (config.stopSequences !== undefined) {
    request.stop = expectArray(config.stopSequences, 'generationConfig.stopSequences').map((entry, index) => expectString(entry, `generationConfig.stopSequences[${index}]`));
  }
  const responseFormat = decodeResponseFormat(config);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  else if (config.responseMimeType !== undefined) extra.generationConfig = { responseMimeType: config.responseMimeType };
  if (config.thinkingConfig !== undefined) {
    const thinking = expectObject(config.thinkingConfig, 'generationConfig.thinkingConfig');
    const budget = optionalNumber(thinking.thinkingBudget, 'generationConfig.thinkingConfig.thinkingBudget');
    if (budget !== undefined) request.thinkingBudget = budget;
    if (thinking.thinkingLevel !== undefined) request.reasoningEffort = expectString(thinking.thinkingLevel, 'generationConfig.thinkingConfig.thinkingLevel').toLowerCase();
  }
  const unknown = Object.fromEntries(Object.entries(config).filter(([key]) => !MODELLED_CONFIG_FIELDS.has(key)));
  if (Object.keys(unknown).length > 0) extra.generationConfig = { ...(extra.generationConfig as JsonObject | undefined), ...unknown };
}

/**
 * A `generateContent` body → ChatRequest. Gemini puts the model in the URL, so the surface adds
 * it to the body as `model` (a `models/` prefix is accepted) and says whether the call streams
 * with `stream: true` (`:streamGenerateContent`). Fields Tollgate does not model (safetySettings,
 * cachedContent, built-in tools, other generationConfig fields) go to `extra`.
 */
export function decodeGeminiRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.', 'body');
  const model = body.model === undefined ? undefined : expectString(body.model, 'model').replace(/^models\//, '');
  if (model === undefined || model.length === 0) throw invalid('The model is missing (it is part of the URL: `models/{model}:generateContent`).', 'model');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw invalid('`stream` must be a boolean.', 'stream');
  const extra: JsonObject = {};
  const system = decodeSystem(body.systemInstruction);
  const messages = decodeContents(body.contents);
  const request: ChatRequest = { model, messages: system === undefined ? messages : [system, ...messages], stream: body.stream === true };
  const tools = decodeTools(body.tools, extra);
  if (tools !== undefined) request.tools = tools;
  const toolChoice = decodeToolChoice(body.toolConfig);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  decodeGenerationConfig(body.generationConfig, request, extra);
  for (const [key, value] of Object.entries(body)) if (!MODELLED_FIELDS.has(key) && !INJECTED_FIELDS.has(key)) extra[key] = value;
  if (Object.keys(extra).length > 0) {
    request.extra = extra;
    request.extraDialect = 'gemini';
  }
  if (request.stream) request.includeUsage = true;
  return request;
}
