import { GatewayError, type ChatRequest, type ContentPart, type Message, type Tool, type ToolChoice } from '../../spec/index.js';
import { cachePointOf, pushCachePoint } from './cache-point.js';
import { encodeFile, encodeImage } from './media.js';
import { isRecord, type ConverseContentBlock, type ConverseMessage, type ConverseRole } from './wire-types.js';

/**
 * `reasoningEffort` → thinking budget for Anthropic models, which take extended thinking through
 * `additionalModelRequestFields.thinking` (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html).
 */
export const THINKING_BUDGET_BY_EFFORT: Readonly<Record<string, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 16384 };

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

/** Text, images and documents: what user messages and tool results may hold. Empty text is dropped (Bedrock rejects blank text blocks). */
function encodeUserParts(content: readonly ContentPart[], param: string): ConverseContentBlock[] {
  const blocks: ConverseContentBlock[] = [];
  content.forEach((part, index) => {
    const partParam = `${param}[${index}]`;
    switch (part.type) {
      case 'text':
        if (part.text !== '') blocks.push({ text: part.text });
        break;
      case 'image':
        blocks.push(encodeImage(part, partParam));
        break;
      case 'file':
        blocks.push(encodeFile(part, partParam, index));
        break;
      default:
        throw invalid(`Bedrock accepts only text, images and documents here, not ${part.type}.`, partParam);
    }
    pushCachePoint(blocks, part.providerOptions);
  });
  return blocks;
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('Tool call arguments are not valid JSON; Bedrock needs them as an object.', param);
  }
  if (!isRecord(parsed)) throw invalid('Tool call arguments must be a JSON object for Bedrock.', param);
  return parsed;
}

function encodeAssistant(message: Extract<Message, { role: 'assistant' }>, param: string): ConverseContentBlock[] {
  const blocks: ConverseContentBlock[] = [];
  message.content.forEach((part, index) => {
    switch (part.type) {
      case 'text':
        if (part.text !== '') blocks.push({ text: part.text });
        break;
      case 'reasoning':
        // Models reject reasoning they did not sign, so unsigned reasoning (another provider's) is dropped.
        if (part.signature !== undefined && part.signature !== '') blocks.push({ reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } });
        break;
      case 'redacted-reasoning':
        blocks.push({ reasoningContent: { redactedContent: part.data } });
        break;
      case 'file':
        // Documents come from the user only; an assistant's file has nowhere to go.
        break;
      case 'image':
        throw invalid('Bedrock does not accept images in assistant messages.', `${param}.content[${index}]`);
    }
    pushCachePoint(blocks, part.providerOptions);
  });
  (message.toolCalls ?? []).forEach((call, index) => {
    blocks.push({ toolUse: { toolUseId: call.id, name: call.name, input: parseArguments(call.arguments, `${param}.tool_calls[${index}].arguments`) } });
    pushCachePoint(blocks, call.providerOptions);
  });
  return blocks;
}

function encodeToolResult(message: Extract<Message, { role: 'tool' }>, param: string): ConverseContentBlock {
  const content = encodeUserParts(message.content, `${param}.content`).filter((block) => !('cachePoint' in block));
  const result: Record<string, unknown> = { toolUseId: message.toolCallId, content };
  if (message.isError === true) result.status = 'error';
  return { toolResult: result };
}

/**
 * Spec messages → Converse `system` and `messages`. System messages, wherever they are, go to the
 * top-level `system`; tool results become `toolResult` blocks of a user turn; consecutive turns of
 * the same role are merged, because Converse requires user and assistant turns to alternate.
 * Messages left empty are skipped.
 */
export function encodeMessages(messages: readonly Message[]): { system: ConverseContentBlock[]; messages: ConverseMessage[] } {
  const system: ConverseContentBlock[] = [];
  const turns: ConverseMessage[] = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    let role: ConverseRole;
    let blocks: ConverseContentBlock[];
    switch (message.role) {
      case 'system':
        message.content.forEach((part, partIndex) => {
          if (part.type !== 'text') throw invalid('Bedrock system prompts take text only.', `${param}.content[${partIndex}]`);
          if (part.text !== '') system.push({ text: part.text });
          pushCachePoint(system, part.providerOptions);
        });
        pushCachePoint(system, message.providerOptions);
        return;
      case 'user':
        role = 'user';
        blocks = encodeUserParts(message.content, `${param}.content`);
        break;
      case 'tool':
        role = 'user';
        blocks = [encodeToolResult(message, param)];
        break;
      case 'assistant':
        role = 'assistant';
        blocks = encodeAssistant(message, param);
        break;
    }
    pushCachePoint(blocks, message.providerOptions);
    if (blocks.length === 0) return;
    const previous = turns[turns.length - 1];
    if (previous !== undefined && previous.role === role) previous.content.push(...blocks);
    else turns.push({ role, content: blocks });
  });
  return { system, messages: turns };
}

function encodeTool(tool: Tool): Record<string, unknown>[] {
  // Converse wants an object schema; OpenAI callers may send `{}`.
  const schema = tool.parameters.type === undefined ? { type: 'object', properties: {}, ...tool.parameters } : tool.parameters;
  const spec: Record<string, unknown> = { name: tool.name, inputSchema: { json: schema } };
  if (tool.description !== undefined) spec.description = tool.description;
  const wire: Record<string, unknown>[] = [{ toolSpec: spec }];
  const cachePoint = cachePointOf(tool.providerOptions);
  if (cachePoint !== undefined) wire.push({ cachePoint });
  return wire;
}

function encodeToolChoice(choice: ToolChoice | undefined): Record<string, unknown> | undefined {
  switch (choice?.type) {
    case undefined:
    case 'none':
      return undefined;
    case 'auto':
      return { auto: {} };
    case 'required':
      return { any: {} };
    case 'tool':
      return { tool: { name: choice.name } };
  }
}

function usesTools(messages: readonly ConverseMessage[]): boolean {
  return messages.some((message) => message.content.some((block) => 'toolUse' in block || 'toolResult' in block));
}

function thinkingBudgetOf(request: ChatRequest): number | undefined {
  if (request.thinkingBudget !== undefined) return request.thinkingBudget;
  const effort = request.reasoningEffort;
  if (effort === undefined || effort === 'none') return undefined;
  const budget = THINKING_BUDGET_BY_EFFORT[effort];
  if (budget === undefined) {
    throw new GatewayError('unsupported_parameter', `Bedrock has no thinking budget for reasoning effort '${effort}'; use minimal, low, medium or high.`, { param: 'reasoning_effort' });
  }
  return budget;
}

/** Anthropic models on Bedrock: ids like `anthropic.claude-…`, `us.anthropic.claude-…`, or an ARN naming one. */
function isAnthropicModel(modelId: string): boolean {
  return /(^|[.:/])anthropic\./.test(modelId);
}

/**
 * Spec request → Converse body. The model is not in the body: it is in the URL
 * (`/model/{modelId}/converse`), which the provider adapter builds.
 *
 * - `maxOutputTokens`, `temperature`, `topP`, `stop` → `inferenceConfig`.
 * - What Converse does not model goes to `additionalModelRequestFields`, in the model family's own
 *   names: `top_k`, and for Anthropic models `thinking` (budget from `thinkingBudget` or
 *   `reasoningEffort`). Other families get no thinking field (their reasoning switches differ).
 * - `toolChoice: none` has no Converse word: the choice is left out, and the tools too unless the
 *   history holds tool calls (Converse then requires `toolConfig`).
 * - `responseFormat` json_schema is refused (no portable Converse field); json_object is dropped.
 * - `seed`, penalties, `user` and `parallelToolCalls` have no Converse equivalent and are dropped;
 *   `n` > 1 is refused.
 */
export function encodeRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  if (request.n !== undefined && request.n > 1) throw new GatewayError('unsupported_parameter', 'Bedrock returns one choice per request; n must be 1.', { param: 'n' });
  if (request.responseFormat?.type === 'json_schema') {
    throw new GatewayError('unsupported_parameter', 'Bedrock Converse has no JSON schema response format; describe the shape in the prompt or use a tool.', { param: 'response_format' });
  }
  const { system, messages } = encodeMessages(request.messages);
  const body: Record<string, unknown> = { messages };
  if (system.length > 0) body.system = system;

  const inference: Record<string, unknown> = {};
  if (request.maxOutputTokens !== undefined) inference.maxTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.topP !== undefined) inference.topP = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) inference.stopSequences = request.stop;

  const additional: Record<string, unknown> = {};
  if (request.topK !== undefined) additional.top_k = request.topK;
  const thinkingBudget = thinkingBudgetOf(request);
  if (thinkingBudget !== undefined && isAnthropicModel(upstreamModel)) {
    additional.thinking = { type: 'enabled', budget_tokens: thinkingBudget };
    // Thinking tokens count toward maxTokens, which must exceed the budget.
    const maxTokens = typeof inference.maxTokens === 'number' ? inference.maxTokens : undefined;
    if (maxTokens !== undefined && maxTokens <= thinkingBudget) inference.maxTokens = maxTokens + thinkingBudget;
  }

  const tools = request.tools ?? [];
  const noneChosen = request.toolChoice?.type === 'none';
  if (tools.length > 0 && (!noneChosen || usesTools(messages))) {
    const toolConfig: Record<string, unknown> = { tools: tools.flatMap(encodeTool) };
    const toolChoice = encodeToolChoice(request.toolChoice);
    if (toolChoice !== undefined) toolConfig.toolChoice = toolChoice;
    body.toolConfig = toolConfig;
  }

  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  return body;
}
