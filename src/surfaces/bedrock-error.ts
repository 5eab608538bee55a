import { bedrockException, encodeBedrockError } from '../codecs/bedrock-converse/index.js';
import type { ErrorRenderer } from '../http/http-route.js';

/**
 * Errors under `/bedrock` as Bedrock Runtime answers them: `{"message": …}` with the exception's
 * name in `x-amzn-errortype` (which the AWS SDKs read to throw the typed exception) and Bedrock's
 * status for it (AccessDeniedException 403, ValidationException 400, ThrottlingException 429, …).
 */
export const renderBedrockError: ErrorRenderer = Object.assign((error: Parameters<ErrorRenderer>[0]) => encodeBedrockError(error), {
  status: (error: Parameters<ErrorRenderer>[0]) => bedrockException(error).status,
  headers: (error: Parameters<ErrorRenderer>[0]) => ({ 'x-amzn-errortype': bedrockException(error).name }),
});
