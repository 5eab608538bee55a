export { bedrockAdapter, bedrockOptionsSchema, converseUrl, type BedrockOptions } from './bedrock-adapter.js';
export { credentialsOf, type AwsCredentials, type BedrockApiKey } from './credentials.js';
