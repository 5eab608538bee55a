/** The OpenAPI 3.1 description of the governance admin API and `/v1/usage`, served at `GET /admin/openapi.json`. */
export function governanceOpenApi(): Record<string, unknown> {
  const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const ok = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({ description, ...json(schema) });
  const errors = { '400': { description: 'Invalid body', ...json(ref('Error')) }, '401': { description: 'Wrong or missing admin token', ...json(ref('Error')) }, '403': { description: 'Admin API disabled (no admin.token)', ...json(ref('Error')) }, '404': { description: 'No such entity', ...json(ref('Error')) }, '409': { description: 'Exists already, still referenced, or defined in the config file', ...json(ref('Error')) } };
  const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  const crud = (tag: string, schema: string, create: string) => ({
    list: { get: { tags: [tag], summary: `List ${tag}`, responses: { '200': ok('All of them', { type: 'object', properties: { data: { type: 'array', items: ref(schema) } } }), ...errors } }, post: { tags: [tag], summary: `Create a ${tag.replace(/s$/, '')}`, requestBody: { required: true, ...json(ref(create)) }, responses: { '201': ok('Created', ref(schema)), ...errors } } },
    item: {
      parameters: id,
      get: { tags: [tag], summary: 'Read one', responses: { '200': ok('Found', ref(schema)), ...errors } },
      patch: { tags: [tag], summary: 'Change fields (merged, then validated as a whole); effective on the next request', requestBody: { required: true, ...json({ type: 'object' }) }, responses: { '200': ok('Changed', ref(schema)), ...errors } },
      delete: { tags: [tag], summary: 'Delete (not for entities defined in the config file)', responses: { '204': { description: 'Deleted' }, ...errors } },
    },
    usage: { parameters: id, get: { tags: [tag], summary: 'Spend and remaining room per budget and rate limit', responses: { '200': ok('Usage', ref('Usage')), ...errors } } },
    reset: { parameters: id, post: { tags: [tag], summary: 'Zero the spend and counters of the current windows', responses: { '200': ok('Reset'), ...errors } } },
    topUp: { parameters: id, post: { tags: [tag], summary: 'Add USD to a budget for its current window', requestBody: { required: true, ...json(ref('TopUp')) }, responses: { '200': ok('Topped up'), ...errors } } },
  });
  const keys = crud('keys', 'VirtualKey', 'VirtualKeyCreate');
  const teams = crud('teams', 'Team', 'Team');
  const customers = crud('customers', 'Customer', 'Customer');
  const budget = { type: 'object', required: ['max_usd'], properties: { max_usd: { type: 'number' }, period: { type: 'string', enum: ['1m', '5m', '1h', '1d', '1w', '1M', '1Y'], description: 'Absent: lifetime. Any count of m, h or d is accepted.' }, rolling: { type: 'boolean' }, alert_thresholds: { type: 'array', items: { type: 'number' } } } };
  const limit = { type: 'object', required: ['max', 'period'], properties: { max: { type: 'integer' }, period: { type: 'string' } } };
  const rateLimits = { type: 'object', properties: { requests: limit, tokens: limit } };
  const limits = { budgets: { type: 'array', items: budget }, rate_limits: rateLimits, metadata: { type: 'object', additionalProperties: { type: 'string' } } };
  const keyFields = {
    id: { type: 'string' },
    name: { type: 'string' },
    team: { type: 'string' },
    customer: { type: 'string' },
    models: { type: 'array', items: { type: 'string' }, description: '`*`, `provider/*`, `prefix*` (a trailing `*` is a wildcard), `provider/model`, bare model, route or alias names. Deny by default.' },
    providers: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'object', required: ['name'], properties: { name: { type: 'string' }, weight: { type: 'number' }, models: { type: 'array', items: { type: 'string' } }, budgets: { type: 'array', items: budget }, rate_limits: rateLimits } }] } },
    max_concurrent: { type: 'integer' },
    expires_at: { type: 'string', format: 'date-time' },
    active: { type: 'boolean' },
    log_content: { type: 'boolean', description: '`false` keeps this key\'s bodies out of the request log even when content logging is on.' },
    ...limits,
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Tollgate governance API', version: '1', description: 'Virtual keys, teams, customers, budgets and rate limits. Admin routes need `Authorization: Bearer <admin.token>`.' },
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' }, virtualKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string' }, param: { type: ['string', 'null'] } } } } },
        VirtualKeyCreate: { type: 'object', properties: keyFields },
        VirtualKey: { type: 'object', properties: { ...keyFields, created_at: { type: 'string' }, source: { type: 'string', enum: ['config', 'api'] }, previous_secret_valid_until: { type: ['string', 'null'] }, value: { type: 'string', description: 'The secret (`tg-…`): only in the answers to create and rotate.' } } },
        Team: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, name: { type: 'string' }, customer: { type: 'string' }, ...limits } },
        Customer: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, name: { type: 'string' }, ...limits } },
        TopUp: { type: 'object', required: ['amount_usd'], properties: { amount_usd: { type: 'number' }, period: { type: 'string', description: 'Which budget, when there are several (`lifetime` for none).' } } },
        Usage: {
          type: 'object',
          properties: {
            budgets: { type: 'array', items: { type: 'object' } },
            rate_limits: { type: 'array', items: { type: 'object' } },
            concurrency: { type: ['object', 'null'], description: "A key's max_concurrent and requests in flight (key reports only)", properties: { max: { type: 'integer' }, in_flight: { type: 'integer' } } },
          },
        },
      },
    },
    security: [{ adminToken: [] }],
    paths: {
      '/admin/keys': keys.list,
      '/admin/keys/{id}': keys.item,
      '/admin/keys/{id}/rotate': { parameters: id, post: { tags: ['keys'], summary: 'New secret; the old one keeps working for grace_seconds (default 3600)', requestBody: json({ type: 'object', properties: { grace_seconds: { type: 'integer' } } }), responses: { '200': ok('Rotated; `value` is the new secret', ref('VirtualKey')), ...errors } } },
      '/admin/keys/{id}/usage': keys.usage,
      '/admin/keys/{id}/reset-spend': keys.reset,
      '/admin/keys/{id}/top-up': keys.topUp,
      '/admin/teams': teams.list,
      '/admin/teams/{id}': teams.item,
      '/admin/teams/{id}/usage': teams.usage,
      '/admin/teams/{id}/reset-spend': teams.reset,
      '/admin/teams/{id}/top-up': teams.topUp,
      '/admin/customers': customers.list,
      '/admin/customers/{id}': customers.item,
      '/admin/customers/{id}/usage': customers.usage,
      '/admin/customers/{id}/reset-spend': customers.reset,
      '/admin/customers/{id}/top-up': customers.topUp,
      '/admin/providers': { get: { tags: ['providers'], summary: "Every provider with its global budgets and limits (`source`: config or api)", responses: { '200': ok('Providers'), ...errors } } },
      '/admin/providers/{name}': { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], get: { tags: ['providers'], summary: 'One provider', responses: { '200': ok('Provider'), ...errors } } },
      '/admin/providers/{name}/limits': {
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        put: { tags: ['providers'], summary: "Replace the provider's global budgets and rate limits (overrides the config until deleted)", requestBody: { required: true, ...json({ type: 'object', properties: { budgets: { type: 'array', items: budget }, rate_limits: rateLimits } }) }, responses: { '200': ok('Provider'), ...errors } },
        delete: { tags: ['providers'], summary: "Drop the override: back to the config's limits", responses: { '200': ok('Provider'), ...errors } },
      },
      '/admin/providers/{name}/usage': { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], get: { tags: ['providers'], summary: 'Spend and counters of the provider', responses: { '200': ok('Usage', ref('Usage')), ...errors } } },
      '/admin/providers/{name}/top-up': { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], post: { tags: ['providers'], summary: "Add USD to one of the provider's global budgets for its current window", requestBody: { required: true, ...json(ref('TopUp')) }, responses: { '200': ok('Topped up'), ...errors } } },
      '/admin/providers/{name}/reset-spend': { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], post: { tags: ['providers'], summary: "Zero the provider's counters", responses: { '200': ok('Reset'), ...errors } } },
      '/v1/usage': { get: { tags: ['usage'], summary: "The calling virtual key's spend and remaining budget (no admin rights needed)", security: [{ virtualKey: [] }], responses: { '200': ok('Usage', ref('Usage')), '401': { description: 'No or unknown key', ...json(ref('Error')) } } } },
    },
  };
}
