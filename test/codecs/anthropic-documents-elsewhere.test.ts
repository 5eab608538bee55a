import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicMessagesCodec } from '../../src/codecs/anthropic-messages/index.js';
import { geminiCodec } from '../../src/codecs/gemini/index.js';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';

/** Documents a Claude Code caller sends, re-encoded for the other dialects' upstreams. */
const PDF = 'JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoK';
const inbound = anthropicMessagesCodec.decodeRequest({
  model: 'route',
  max_tokens: 100,
  messages: [
    {
      role: 'user',
      content: [
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'report.pdf', cache_control: { type: 'ephemeral' } },
        { type: 'document', source: { type: 'url', url: 'https://example.com/paper.pdf' } },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Plain notes.' } },
        { type: 'text', text: 'Summarise.', cache_control: { type: 'ephemeral' } },
      ],
    },
  ],
});

test('OpenAI chat: an inline PDF becomes a file part; URL and text documents it cannot take are skipped; cache marks are not sent', () => {
  const body = openaiChatCodec.encodeRequest(inbound, 'gpt-4o');
  assert.deepEqual(body.messages, [
    {
      role: 'user',
      content: [
        { type: 'file', file: { file_data: `data:application/pdf;base64,${PDF}`, filename: 'report.pdf' } },
        { type: 'text', text: 'Summarise.' },
      ],
    },
  ]);
});

test('Gemini: inline PDF and text as inlineData, the URL as fileData', () => {
  const body = geminiCodec.encodeRequest(inbound, 'gemini-2.5-flash');
  assert.deepEqual(body.contents, [
    {
      role: 'user',
      parts: [
        { inlineData: { mimeType: 'application/pdf', data: PDF } },
        { fileData: { fileUri: 'https://example.com/paper.pdf', mimeType: 'application/pdf' } },
        { inlineData: { mimeType: 'text/plain', data: Buffer.from('Plain notes.').toString('base64') } },
        { text: 'Summarise.' },
      ],
    },
  ]);
});
