import { z } from 'zod';
import { GatewayError } from '../spec/index.js';
import { budgetSchema, customerSchema, rateLimitsSchema, teamSchema, virtualKeySchema } from './config-schema.js';
import type { KeyRecord } from './entities.js';

/** A key as the admin API shows it: never its secret nor the secret's hash. */
export type KeyView = Omit<KeyRecord, 'key_hash' | 'previous_key_hash' | 'previous_valid_until'> & { previous_secret_valid_until: string | null };

export function keyView(record: KeyRecord): KeyView {
  const { key_hash: _hash, previous_key_hash: _previous, previous_valid_until: previousUntil, ...rest } = record;
  return { ...rest, previous_secret_valid_until: previousUntil ?? null };
}

/** Key bodies: the config shape without `value` (the gateway generates secrets); `id` is optional on create. */
export const keyBodySchema = virtualKeySchema.omit({ value: true });
export const keyCreateSchema = keyBodySchema.extend({ id: virtualKeySchema.shape.id.optional() });
export { customerSchema, teamSchema };

export const providerLimitsSchema = z.strictObject({
  budgets: z.array(budgetSchema).default([]),
  rate_limits: rateLimitsSchema.optional(),
});

export const rotateSchema = z.strictObject({
  /** How long the old secret keeps working. */
  grace_seconds: z.number().int().min(0).max(30 * 86_400).default(3_600),
});

export const topUpSchema = z.strictObject({
  amount_usd: z.number().positive(),
  /** Which budget (by period, `lifetime` for none) when the entity has several. */
  period: z.string().optional(),
});

/** Parses an admin body; problems become one `invalid_request` naming each field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  throw new GatewayError('invalid_request', `Invalid body: ${problems.join('; ')}`, { param: result.error.issues[0]?.path.map(String).join('.') });
}

/** The editable fields of a stored record, for PATCH (merged, then validated as a whole). */
export function editable<T extends { created_at: string; source: string }>(record: T, drop: readonly string[] = []): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  for (const field of ['created_at', 'source', ...drop]) delete copy[field];
  for (const [name, value] of Object.entries(copy)) if (value === undefined) delete copy[name];
  return copy;
}
