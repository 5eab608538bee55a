import { createOpenAICompatibleAdapter } from './create-adapter.js';

export const openaiAdapter = createOpenAICompatibleAdapter({ type: 'openai', defaultBaseUrl: 'https://api.openai.com/v1', tokenCounting: true, completions: true, moderations: true, images: true, realtime: true, filesAndBatches: true });
