export { geminiAdapter, geminiModelUrl, GEMINI_DEFAULT_BASE_URL } from './gemini-adapter.js';
