import { z } from 'zod';
import { customerSchema, keyBodySchema, teamSchema } from './admin-bodies.js';
import type { AdminRoute } from './admin-routes.js';
import { USAGE_PATHS } from './usage-route.js';

type Json = Record<string, unknown>;

/**
 * The OpenAPI 3.1 description of the governance admin API and `/v1/usage`, served at
 * `GET /admin/openapi.json`. Made from the routes themselves: every route appears, and a route's
 * request body is the JSON Schema of the zod schema it parses the body with (`z.toJSONSchema`).
 * Answers are described by hand (the components below): the routes build them from records, with
 * no schema of their own.
 */
export function governanceOpenApi(routes: readonly AdminRoute[]): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const item = (paths[path] ??= {});
    const parameters = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    if (parameters.length > 0) item.parameters = parameters;
    item[route.method.toLowerCase()] = operation(route);
  }
  // Served by the governance module beside its admin routes, authenticated by the key itself.
  for (const path of USAGE_PATHS) {
    paths[path] = {
      get: {
        tags: ['usage'],
        summary: "The calling virtual key's spend and remaining budget (no admin rights needed)",
        security: [{ virtualKey: [] }],
        responses: { '200': answer('Usage', ref('Usage')), '401': { description: 'No or unknown key', ...json(ref('Error')) } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tollgate governance API', version: '1', description: 'Virtual keys, teams, customers, budgets and rate limits. Admin routes need `Authorization: Bearer <admin.token>`. USD amounts are JSON numbers (see docs/governance.md, "Money in JSON").' },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' }, virtualKey: { type: 'http', scheme: 'bearer' } }, schemas: answers() },
    security: [{ adminToken: [] }],
    paths,
  };
}

/** The JSON Schema of a body as a request may send it (defaults make fields optional). */
export function bodySchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function operation(route: AdminRoute): Json {
  const { tag, summary, status = 200, answer: answered, body, bodyOptional, patch } = route.description;
  const result: Json = { tags: [tag], summary };
  if (body !== undefined) result.requestBody = { required: bodyOptional !== true, ...json(bodySchema(body)) };
  // A PATCH body is any of the fields; the merged record must pass the whole schema.
  if (patch !== undefined) result.requestBody = { required: true, ...json(bodySchema(patchOf(patch))) };
  const success = status === 204 ? { description: 'Done' } : answer('Done', answered === undefined ? { type: 'object' } : ref(answered));
  result.responses = { [String(status)]: success, ...ERRORS };
  return result;
}

/** Every field optional, none defaulted (a PATCH leaves out what it keeps). */
function patchOf(schema: z.ZodType): z.ZodType {
  const object = schema as unknown as z.ZodObject;
  return z.object(Object.fromEntries(Object.entries(object.shape).map(([name, field]) => [name, unwrapDefault(field as z.ZodType).optional()]))).strict();
}

function unwrapDefault(field: z.ZodType): z.ZodType {
  return field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field;
}

function json(schema: Json): Json {
  return { content: { 'application/json': { schema } } };
}

function ref(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

function answer(description: string, schema: Json): Json {
  return { description, ...json(schema) };
}

const ERRORS = {
  '400': answer('Invalid body', ref('Error')),
  '401': answer('Wrong or missing admin token', ref('Error')),
  '403': answer('Admin API disabled (no admin.token)', ref('Error')),
  '404': answer('No such entity', ref('Error')),
  '409': answer('Exists already, still referenced, or defined in the config file', ref('Error')),
};

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

const STORED = { created_at: { type: 'string', format: 'date-time' }, source: { type: 'string', enum: ['config', 'api'], description: '`config`: defined in the config file (read-only here).' } };

/** A stored record as answered: the body's fields (from its zod schema) and when and where it was made. */
function stored(schema: z.ZodType, extra: Json = {}): Json {
  const { properties, required: _required, additionalProperties: _strict, ...rest } = bodySchema(schema);
  return { ...rest, properties: { ...(properties as Json), ...STORED, ...extra } };
}

/** What the routes answer. */
function answers(): Json {
  return {
    Error: { type: 'object', properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string' }, param: { type: ['string', 'null'] } } } } },
    VirtualKey: {
      ...stored(keyBodySchema, { previous_secret_valid_until: { type: ['string', 'null'] }, value: { type: 'string', description: 'The secret (`tg-…`): only in the answers to create and rotate.' } }),
      description: 'A key as stored, never its secret nor its hash.',
    },
    VirtualKeyList: { type: 'object', properties: { data: { type: 'array', items: ref('VirtualKey') } } },
    Team: stored(teamSchema),
    TeamList: { type: 'object', properties: { data: { type: 'array', items: ref('Team') } } },
    Customer: stored(customerSchema),
    CustomerList: { type: 'object', properties: { data: { type: 'array', items: ref('Customer') } } },
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
