import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicMessagesCodec } from '../../src/codecs/anthropic-messages/index.js';
import { bedrockConverseCodec } from '../../src/codecs/bedrock-converse/index.js';
import type { UpstreamChatCodec } from '../../src/codecs/codec.js';
import { FREQUENCY_PENALTY, JSON_OBJECT_FORMAT, PARALLEL_TOOL_CALLS, PRESENCE_PENALTY, SEED, TOP_K, USER, type DroppableField } from '../../src/codecs/dropped-fields.js';
import { geminiCodec } from '../../src/codecs/gemini/index.js';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { openaiResponsesCodec } from '../../src/codecs/openai-responses/index.js';
import type { ChatRequest } from '../../src/spec/index.js';

const BASE: ChatRequest = {
  model: 'm',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  stream: false,
  maxOutputTokens: 100,
  tools: [{ name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: {} } }],
};

/** Each droppable field set on its own. */
const WITH: [DroppableField, Partial<ChatRequest>][] = [
  [SEED, { seed: 7 }],
  [PRESENCE_PENALTY, { presencePenalty: 0.5 }],
  [FREQUENCY_PENALTY, { frequencyPenalty: 0.5 }],
  [USER, { user: 'user-1' }],
  [TOP_K, { topK: 5 }],
  [PARALLEL_TOOL_CALLS, { parallelToolCalls: false }],
  [JSON_OBJECT_FORMAT, { responseFormat: { type: 'json_object' } }],
];

const CODECS: [string, UpstreamChatCodec][] = [
  ['openai-chat', openaiChatCodec],
  ['anthropic-messages', anthropicMessagesCodec],
  ['gemini', geminiCodec],
  ['bedrock-converse', bedrockConverseCodec],
  ['openai-responses', openaiResponsesCodec],
];

for (const [name, codec] of CODECS) {
  test(`${name}: droppedFields lists exactly the fields its encoder leaves out`, () => {
    const plain = codec.encodeRequest(BASE, 'upstream-model');
    for (const [field, change] of WITH) {
      const encoded = codec.encodeRequest({ ...BASE, ...change }, 'upstream-model');
      const listed = codec.droppedFields?.includes(field) === true;
      if (listed) assert.deepEqual(encoded, plain, `${field.name} is listed as dropped but changed the body`);
      else assert.notDeepEqual(encoded, plain, `${field.name} is not listed as dropped but the body ignores it`);
    }
  });
}
