/**
 * The parts of Google's Gemini `generateContent` wire format this codec reads and writes, and only
 * those. Reference: https://ai.google.dev/api/generate-content
 */

export interface GeminiInlineData {
  mimeType: string;
  /** Base64, no `data:` prefix. */
  data: string;
}

export interface GeminiFileData {
  fileUri: string;
  mimeType?: string;
}

export interface GeminiFunctionCall {
  /** Returned by newer models; the client echoes it in the matching functionResponse. */
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  /** By convention `{output}` for a result and `{error}` for a failure; any object is accepted. */
  response: Record<string, unknown>;
}

/** One part of a Content. Exactly one data field is set; `thought`/`thoughtSignature` may accompany it. */
export interface GeminiPart {
  text?: string;
  /** True when the text is a thought summary (reasoning). */
  thought?: boolean;
  /** Opaque base64 signature of the model's thinking, to be sent back verbatim on the next turn. */
  thoughtSignature?: string;
  inlineData?: GeminiInlineData;
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
}

export interface GeminiContent {
  role?: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface GeminiFunctionCallingConfig {
  mode: 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';
  allowedFunctionNames?: string[];
}

export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  includeThoughts?: boolean;
  thinkingLevel?: string;
}

export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  seed?: number;
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: GeminiThinkingConfig;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  /** Per-modality counts (ModalityTokenCount): `{ modality: 'TEXT' | 'IMAGE' | 'AUDIO' | 'VIDEO' | 'DOCUMENT', tokenCount }`. */
  promptTokensDetails?: GeminiModalityTokenCount[];
  cacheTokensDetails?: GeminiModalityTokenCount[];
  candidatesTokensDetails?: GeminiModalityTokenCount[];
}

export interface GeminiModalityTokenCount {
  modality?: string;
  tokenCount?: number;
}

export interface GeminiCandidate {
  content?: GeminiContent;
  finishReason?: string;
  index?: number;
}

export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** Google's error envelope (google.rpc.Status as JSON). */
export interface GeminiErrorEnvelope {
  error: {
    code: number;
    message: string;
    status: string;
    details?: Record<string, unknown>[];
  };
}
