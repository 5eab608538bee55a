import { z } from 'zod';

/** 32 bytes, as 64 hex digits or base64 (44 characters with padding). */
function isAes256Key(text: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return true;
  return /^[A-Za-z0-9+/]{43}=?$/.test(text) && Buffer.from(text, 'base64').length === 32;
}

/** Stored responses of the OpenAI Responses API (`store`, `previous_response_id`, background responses). */
export const responsesSchema = z.strictObject({
  /** Whether a request that does not say `store` is stored (OpenAI's default is true). */
  store_default: z.boolean().default(true),
  /** Days a stored response is kept; expired ones are purged in the background. */
  retention_days: z.number().positive().default(30),
  /** AES-256-GCM key for stored content (input items and response objects); without it content is stored as plain JSON. */
  encryption_key: z.string().refine(isAes256Key, 'expected a 32-byte key as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)').optional(),
  /** Minutes between purges of expired responses. */
  purge_interval_minutes: z.number().positive().default(60),
});

export type ResponsesConfig = z.infer<typeof responsesSchema>;
