export { anthropicAdapter, anthropicMessagesUrl, ANTHROPIC_VERSION } from './anthropic-adapter.js';
