import { dropFields, legacyMaxTokens, renameField } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/**
 * https://docs.mistral.ai/api/ — the API forbids unknown fields (422 "Extra inputs are not
 * permitted"): `stream_options` is refused (usage comes in the last chunk anyway), the seed is
 * `random_seed`, and `user` and `reasoning_effort` are not part of its schema.
 */
export const mistralAdapter = createOpenAICompatibleAdapter({
  type: 'mistral',
  defaultBaseUrl: 'https://api.mistral.ai/v1',
  quirks: [legacyMaxTokens, renameField('seed', 'random_seed'), dropFields('stream_options', 'user', 'reasoning_effort')],
});
