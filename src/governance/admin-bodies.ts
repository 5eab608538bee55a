import { z } from 'zod';
import { GatewayError } from '../spec/index.js';
import { budgetSchema, customerSchema as configCustomerSchema, rateLimitsSchema, teamSchema as configTeamSchema, virtualKeySchema } from '../config/governance-schema.js';
import type { KeyRecord } from './entities.js';

/** A key as the admin API shows it: never its secret nor the secret's hash. */
export type KeyView = Omit<KeyRecord, 'key_hash' | 'previous_key_hash' | 'previous_valid_until'> & { previous_secret_valid_until: string | null };

export function keyView(record: KeyRecord): KeyView {
  const { key_hash: _hash, previous_key_hash: _previous, previous_valid_until: previousUntil, ...rest } = record;
  return { ...rest, previous_secret_valid_until: previousUntil ?? null };
}

/**
 * Key bodies: the config shape without `value` (the gateway generates secrets); `id` is optional on create.
 * `guardrails` lists are config-file only (docs/guardrails.md): the admin API refuses them rather than store what no rule reads.
 */
export const keyBodySchema = virtualKeySchema.omit({ value: true, guardrails: true });
export const keyCreateSchema = keyBodySchema.extend({ id: virtualKeySchema.shape.id.optional() });
export const customerSchema = configCustomerSchema.omit({ guardrails: true });
export const teamSchema = configTeamSchema.omit({ guardrails: true });

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

/**
 * Parses an admin body; problems become one `invalid_request` naming each field. A text holding
 * U+0000 is refused too, whatever the field: PostgreSQL can store it neither in a `text` column
 * nor in `jsonb` (the stores would fail with an internal error), and no name, tag or model needs it.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) {
    const path = pathToNul(result.data, '');
    if (path !== undefined) throw new GatewayError('invalid_request', `Invalid body: ${path || '(body)'}: must not contain U+0000 (NUL)`, { param: path });
    return result.data;
  }
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  throw new GatewayError('invalid_request', `Invalid body: ${problems.join('; ')}`, { param: result.error.issues[0]?.path.map(String).join('.') });
}

/** The editable fields of a stored record, for PATCH (merged, then validated as a whole). */
export function editable<T extends { created_at: string; source: string }>(record: T, drop: readonly string[] = []): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  for (const field of ['created_at', 'source', 'version', ...drop]) delete copy[field];
  for (const [name, value] of Object.entries(copy)) if (value === undefined) delete copy[name];
  return copy;
}

/** The dotted path of the first text (value or key) in `value` that holds U+0000, if any. */
function pathToNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const inner = path === '' ? key : `${path}.${key}`;
    if (key.includes('\u0000')) return inner;
    const found = pathToNul(item, inner);
    if (found !== undefined) return found;
  }
  return undefined;
}
