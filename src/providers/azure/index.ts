export { azureAdapter, AZURE_DEFAULT_API_VERSION } from './azure-adapter.js';
