export { bedrockAdapter, converseUrl } from './bedrock-adapter.js';
export { credentialsOf, type AwsCredentials, type BedrockApiKey } from './credentials.js';
export { signRequest, SIGNING_SERVICE } from './sigv4.js';
