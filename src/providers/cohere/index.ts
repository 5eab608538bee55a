export { cohereAdapter, cohereOptionsSchema, cohereUrl, COHERE_DEFAULT_BASE_URL, type CohereOptions } from './cohere-adapter.js';
