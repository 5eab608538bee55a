import { customerSchema, keyBodySchema, teamSchema } from './admin-bodies.js';
import { bodySchema, schemaRef } from '../http/openapi.js';
import type { z } from 'zod';

type Json = Record<string, unknown>;

const BUDGET_USAGE: Json = {
  type: 'object',
  properties: {
    level: { type: 'string', enum: ['customer', 'team', 'key', 'key_provider', 'provider'] },
    entity: { type: 'string' },
    period: { type: 'string' },
    rolling: { type: 'boolean' },
    max_usd: { type: 'number' },
    credit_usd: { type: 'number' },
    spent_usd: { type: 'number' },
    reserved_usd: { type: 'number' },
    remaining_usd: { type: 'number' },
    resets_at: { type: ['string', 'null'] },
  },
};

const RECONCILED_WINDOW: Json = {
  type: 'object',
  description: 'One budget window: its ledger amount (settled spend less expired reservations and unlogged settlements) and the sum of its request-log charges. Amounts are exact decimal USD text; `*_nano_usd` the same in whole nano-USD.',
  properties: {
    counter: { type: 'string' },
    level: { type: 'string', enum: ['customer', 'team', 'key', 'key_provider', 'provider'] },
    entity: { type: 'string' },
    provider: { type: ['string', 'null'] },
    period: { type: 'string' },
    rolling: { type: 'boolean' },
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: ['string', 'null'], format: 'date-time' },
    ledger_usd: { type: 'string' },
    log_usd: { type: 'string' },
    difference_usd: { type: 'string', description: 'ledger − log' },
    ledger_nano_usd: { type: 'integer' },
    log_nano_usd: { type: 'integer' },
    difference_nano_usd: { type: 'integer' },
    records: { type: 'integer', description: 'Request (provider levels: attempt) records charged in the window' },
    expired_usd: { type: 'string', description: 'Charged by reservations that expired unsettled; not in ledger_usd' },
    expired_reservations: { type: 'integer' },
    unlogged_usd: { type: 'string', description: 'Settled (shared Redis ledger) by requests whose replica stopped before storing their records; not in ledger_usd' },
    unlogged_requests: { type: 'integer' },
    in_flight_usd: { type: 'string', description: 'Reserved by requests in flight; never compared' },
  },
};

const STORED = {
  created_at: { type: 'string', format: 'date-time' },
  source: { type: 'string', enum: ['config', 'api'], description: '`config`: defined in the config file (read-only here).' },
  version: { type: 'integer', minimum: 1, description: 'How many times the entity was written (also the `ETag`); send it as `If-Match` to make a change conditional.' },
};

/** A stored record as answered: the body's fields (from its zod schema) and when and where it was made. */
function stored(schema: z.ZodType, extra: Json = {}): Json {
  const { properties, required: _required, additionalProperties: _strict, ...rest } = bodySchema(schema);
  return { ...rest, properties: { ...(properties as Json), ...STORED, ...extra } };
}

/** The answers of the governance routes, by the names their descriptions use. */
export function governanceApiSchemas(): Json {
  return {
    VirtualKey: {
      ...stored(keyBodySchema, { previous_secret_valid_until: { type: ['string', 'null'] }, value: { type: 'string', description: 'The secret (`tg-…`): only in the answers to create and rotate.' } }),
      description: 'A key as stored, never its secret nor its hash.',
    },
    VirtualKeyList: { type: 'object', properties: { data: { type: 'array', items: schemaRef('VirtualKey') } } },
    Team: stored(teamSchema),
    TeamList: { type: 'object', properties: { data: { type: 'array', items: schemaRef('Team') } } },
    Customer: stored(customerSchema),
    CustomerList: { type: 'object', properties: { data: { type: 'array', items: schemaRef('Customer') } } },
    ReconcileReport: {
      type: 'object',
      description: 'See docs/governance.md, Reconciliation.',
      properties: {
        ok: { type: 'boolean', description: 'True when every budget window agrees exactly' },
        from: { type: ['string', 'null'] },
        to: { type: ['string', 'null'] },
        checked: { type: 'integer', description: 'Budget windows compared' },
        differences: { type: 'array', items: RECONCILED_WINDOW },
        explained: { type: 'array', items: RECONCILED_WINDOW, description: 'Windows that agree once the charges of expired reservations are set apart' },
      },
    },
    Usage: {
      type: 'object',
      properties: {
        budgets: { type: 'array', items: BUDGET_USAGE },
        rate_limits: { type: 'array', items: { type: 'object' } },
        concurrency: { type: ['object', 'null'], description: "A key's max_concurrent and requests in flight (key reports only)", properties: { max: { type: 'integer' }, in_flight: { type: 'integer' } } },
      },
    },
  };
}
