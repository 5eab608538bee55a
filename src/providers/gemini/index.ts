export { geminiAdapter, geminiModelUrl, geminiOptionsSchema, GEMINI_DEFAULT_BASE_URL, type GeminiOptions } from './gemini-adapter.js';
