export { bedrockAdapter, converseUrl } from './bedrock-adapter.js';
export { credentialsOf, type AwsCredentials, type BedrockApiKey } from './credentials.js';
