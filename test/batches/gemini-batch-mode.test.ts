import assert from 'node:assert/strict';
import { test } from 'node:test';
import { geminiAdapter } from '../../src/providers/gemini/gemini-adapter.js';
import { geminiDownloadUrl } from '../../src/providers/gemini/batch-mode.js';
import { GatewayError } from '../../src/spec/index.js';

/** The Gemini batch-mode wire details the loopback tests do not reach: state names, bare batches, names that may not go in a URL. */

const api = geminiAdapter.chatBatches!;
const settings = { name: 'gemini', type: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com/v1beta', headers: {}, options: { function_call_ids: true } };
const key = { id: 'k', value: 'AIzaSecret', weight: 1, models: undefined };

test('the download URL sits next to the configured API version, on the configured host', () => {
  assert.equal(geminiDownloadUrl('https://generativelanguage.googleapis.com/v1beta', 'files/abc'), 'https://generativelanguage.googleapis.com/download/v1beta/files/abc:download?alt=media');
  assert.equal(geminiDownloadUrl('http://127.0.0.1:9/proxy/v1beta/', 'files/abc'), 'http://127.0.0.1:9/proxy/download/v1beta/files/abc:download?alt=media');
  assert.equal(geminiDownloadUrl('http://127.0.0.1:9', 'files/abc'), 'http://127.0.0.1:9/download/v1beta/files/abc:download?alt=media');
});

test("the batch's state is read from an operation or a bare batch, BATCH_STATE_ or JOB_STATE_", () => {
  assert.deepEqual(api.readState({ name: 'batches/a1', metadata: { state: 'BATCH_STATE_RUNNING' } }), { id: 'batches/a1', status: 'in_progress' });
  assert.deepEqual(api.readState({ name: 'batches/a1', state: 'JOB_STATE_PENDING' }), { id: 'batches/a1', status: 'in_progress' });
  const ended = api.readState({ name: 'batches/a1', metadata: { state: 'JOB_STATE_SUCCEEDED' }, done: true, response: { responsesFile: 'files/out' } });
  assert.deepEqual(ended, { id: 'batches/a1', status: 'ended', resultsRef: 'files/out' });
  assert.equal(api.buildResults('batches/a1', key, settings, ended).url, 'https://generativelanguage.googleapis.com/download/v1beta/files/out:download?alt=media');
  const expired = api.readState({ name: 'batches/a1', metadata: { state: 'BATCH_STATE_EXPIRED' }, done: true });
  assert.deepEqual(expired, { id: 'batches/a1', status: 'ended', results: [], failure: 'The Gemini batch expired before it was processed.' });
  // Inline responses also read from the batch's own `output`.
  const inline = api.readState({ name: 'batches/a1', state: 'BATCH_STATE_SUCCEEDED', output: { inlinedResponses: { inlinedResponses: [{ metadata: { key: 'x' }, response: {} }] } } });
  assert.equal(inline.results?.length, 1);
});

test('names that are not `batches/{id}` or `files/{id}` never reach a URL', () => {
  const refused = (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response';
  assert.throws(() => api.readState({ name: 'batches/../../evil', metadata: { state: 'BATCH_STATE_RUNNING' } }), refused);
  assert.throws(() => api.readState({ metadata: { state: 'BATCH_STATE_RUNNING' } }), refused);
  assert.throws(() => api.buildRetrieve('batches/a?x=1', key, settings), refused);
  assert.throws(() => api.buildResults('batches/a1', key, settings, { id: 'batches/a1', status: 'ended', resultsRef: 'https://elsewhere.example/files/x' }), refused);
  const retrieve = api.buildRetrieve('batches/a1', key, settings);
  assert.equal(retrieve.url, 'https://generativelanguage.googleapis.com/v1beta/batches/a1');
  assert.equal(retrieve.headers['x-goog-api-key'], 'AIzaSecret');
  assert.ok(!retrieve.url.includes('AIza'), 'the key never goes in the URL');
  assert.equal(api.buildCancel('batches/a1', key, settings).url, 'https://generativelanguage.googleapis.com/v1beta/batches/a1:cancel');
});

test('a result is read from inline metadata.key or a file line key; google.rpc codes become HTTP statuses', () => {
  assert.deepEqual(api.readResult({ key: 'f', error: { code: 8, message: 'Quota.' } }), { customId: 'f', error: { status: 429, message: 'Quota.' } });
  assert.deepEqual(api.readResult({ metadata: { key: 'i' }, error: { code: 99 } }), { customId: 'i', error: { status: 500, message: 'The request failed at Gemini.' } });
  const answer = api.readResult({ metadata: { key: 'ok' }, response: { candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }], modelVersion: 'gemini-2.5-flash' } });
  assert.equal(answer.customId, 'ok');
  assert.equal(answer.response?.model, 'gemini-2.5-flash');
  assert.throws(() => api.readResult({ response: {} }), (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response');
});
