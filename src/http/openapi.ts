import { z } from 'zod';
import type { HttpRoute } from './http-route.js';
import type { RouteDescription } from './route-description.js';

type Json = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document of the routes that describe themselves (every admin route does; a test
 * holds them to it). A route's request body is the JSON Schema of the zod schema it parses the body
 * with (`z.toJSONSchema`); answers are the named schemas modules contribute (`apiSchemas`).
 */
export function openApiDocument(routes: readonly HttpRoute[], schemas: Readonly<Record<string, unknown>>): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    if (route.description === undefined) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}').replace(/\*(\w+)$/, '{$1}');
    const item = (paths[path] ??= {});
    const parameters = [...route.path.matchAll(/[:*](\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    if (parameters.length > 0) item.parameters = parameters;
    item[route.method.toLowerCase()] = operation(route.description);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tollgate admin API',
      version: '1',
      description: 'Virtual keys, teams, customers, budgets and rate limits; the request log, the audit log and config reloads. Admin routes need `Authorization: Bearer <admin.token>`. USD amounts are JSON numbers (see docs/governance.md, "Money in JSON").',
    },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' }, virtualKey: { type: 'http', scheme: 'bearer' } }, schemas: { Error: ERROR_SCHEMA, ...schemas } },
    security: [{ adminToken: [] }],
    paths,
  };
}

/** The JSON Schema of a body as a request may send it (defaults make fields optional). */
export function bodySchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

export function schemaRef(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

function operation(description: RouteDescription): Json {
  const { tag, summary, status = 200, answer: answered, body, bodyOptional, patch, query, security } = description;
  const result: Json = { tags: [tag], summary };
  if (security === 'virtual-key') result.security = [{ virtualKey: [] }];
  if (security === 'none') result.security = [];
  if (query !== undefined && query.length > 0) result.parameters = query.map((parameter) => ({ name: parameter.name, in: 'query', required: false, description: parameter.description, schema: { type: 'string' } }));
  if (body !== undefined) result.requestBody = { required: bodyOptional !== true, ...json(bodySchema(body)) };
  // A PATCH body is any of the fields; the merged record must pass the whole schema.
  if (patch !== undefined) result.requestBody = { required: true, ...json(bodySchema(patchOf(patch))) };
  const success = status === 204 ? { description: 'Done' } : answer('Done', answered === undefined ? { type: 'object' } : schemaRef(answered));
  result.responses = { [String(status)]: success, ...(security === 'virtual-key' ? KEY_ERRORS : ADMIN_ERRORS) };
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

function answer(description: string, schema: Json): Json {
  return { description, ...json(schema) };
}

const ERROR_SCHEMA: Json = { type: 'object', properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string' }, param: { type: ['string', 'null'] } } } } };

const ADMIN_ERRORS = {
  '400': answer('Invalid body or query', schemaRef('Error')),
  '401': answer('Wrong or missing admin token', schemaRef('Error')),
  '403': answer('Admin API disabled (no admin.token)', schemaRef('Error')),
  '404': answer('No such entity', schemaRef('Error')),
  '409': answer('Exists already, still referenced, or defined in the config file', schemaRef('Error')),
};

const KEY_ERRORS = { '401': answer('No or unknown virtual key', schemaRef('Error')) };
