export { azureAdapter, azureOptionsSchema, AZURE_DEFAULT_API_VERSION, type AzureOptions } from './azure-adapter.js';
