/**
 * Generated MCP servers for `npm run bench:mcp`: business domains (inventory, billing, CRM, …)
 * with realistic tool schemas (descriptions on every parameter, enums, ranges, formats, nested
 * filter objects, pagination), served with the official SDK's low-level `Server` over streamable
 * HTTP on loopback, one path per server. A server's tool list is prefix-stable: its first tools are
 * the same at every size, so the same task set runs against 96, 251 and 508 tools.
 *
 * Every tool answers deterministically from its name and arguments (see `toolResult`), after
 * checking the arguments against its schema (required properties, types, enums, no unknown
 * properties), so a caller that does not follow the schema fails the task.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';

interface Domain {
  readonly name: string;
  readonly about: string;
  /** Entities, each related to the next (an item's related id is a warehouse's id, …). */
  readonly entities: readonly string[];
  readonly statuses: readonly string[];
}

/** The first six are the ones the tasks use; sizes take the first 6, 11 or 16. */
export const DOMAINS: readonly Domain[] = [
  { name: 'inventory', about: 'stock across warehouses', entities: ['item', 'warehouse', 'supplier', 'purchase_order', 'stock_transfer', 'batch', 'bin_location', 'reorder_rule'], statuses: ['in_stock', 'low', 'backordered', 'discontinued'] },
  { name: 'billing', about: 'invoices, payments and subscriptions', entities: ['invoice', 'customer_account', 'payment', 'subscription', 'credit_note', 'price_plan', 'tax_rate', 'dunning_case'], statuses: ['draft', 'open', 'paid', 'void'] },
  { name: 'shipping', about: 'shipments, carriers and rates', entities: ['shipment', 'carrier', 'parcel', 'rate_quote', 'pickup', 'customs_form', 'return_label', 'tracking_event'], statuses: ['label_created', 'in_transit', 'delivered', 'exception'] },
  { name: 'crm', about: 'contacts, companies and deals', entities: ['contact', 'company', 'deal', 'pipeline_stage', 'activity', 'note', 'lead_source', 'territory'], statuses: ['lead', 'qualified', 'customer', 'churned'] },
  { name: 'calendar', about: 'events, rooms and schedules', entities: ['event', 'room', 'attendee', 'schedule', 'booking', 'reminder', 'resource', 'holiday'], statuses: ['tentative', 'confirmed', 'cancelled', 'completed'] },
  { name: 'support', about: 'tickets, agents and SLAs', entities: ['ticket', 'agent', 'queue', 'sla_policy', 'macro', 'satisfaction_survey', 'escalation', 'knowledge_article'], statuses: ['new', 'open', 'pending', 'solved'] },
  { name: 'github', about: 'repositories, issues and pull requests', entities: ['repository', 'issue', 'pull_request', 'branch', 'commit', 'release', 'workflow_run', 'review'], statuses: ['open', 'closed', 'merged', 'draft'] },
  { name: 'analytics', about: 'dashboards, metrics and reports', entities: ['dashboard', 'metric', 'report', 'segment', 'funnel', 'cohort', 'alert_rule', 'data_source'], statuses: ['active', 'paused', 'failed', 'archived'] },
  { name: 'hr', about: 'employees, leave and payroll', entities: ['employee', 'department', 'leave_request', 'payroll_run', 'position', 'review_cycle', 'benefit_plan', 'onboarding_task'], statuses: ['active', 'on_leave', 'terminated', 'pending'] },
  { name: 'docs', about: 'documents, folders and permissions', entities: ['document', 'folder', 'comment', 'revision', 'permission', 'template', 'share_link', 'label'], statuses: ['draft', 'published', 'archived', 'deleted'] },
  { name: 'marketing', about: 'campaigns, audiences and emails', entities: ['campaign', 'audience', 'email_template', 'landing_page', 'ab_test', 'coupon', 'utm_link', 'newsletter'], statuses: ['scheduled', 'running', 'finished', 'cancelled'] },
  { name: 'devops', about: 'services, deployments and incidents', entities: ['service', 'deployment', 'incident', 'on_call_shift', 'runbook', 'environment', 'secret_ref', 'status_page'], statuses: ['healthy', 'degraded', 'down', 'maintenance'] },
  { name: 'procurement', about: 'vendors, contracts and requisitions', entities: ['vendor', 'contract', 'requisition', 'approval', 'catalog_item', 'budget_line', 'rfq', 'delivery_note'], statuses: ['requested', 'approved', 'ordered', 'received'] },
  { name: 'legal', about: 'matters, clauses and signatures', entities: ['matter', 'clause', 'signature_request', 'policy', 'nda', 'counterparty', 'obligation', 'filing'], statuses: ['open', 'in_review', 'signed', 'expired'] },
  { name: 'fleet', about: 'vehicles, drivers and routes', entities: ['vehicle', 'driver', 'route', 'fuel_log', 'maintenance_job', 'inspection', 'telemetry_point', 'depot'], statuses: ['available', 'on_route', 'in_service', 'retired'] },
  { name: 'learning', about: 'courses, enrollments and certificates', entities: ['course', 'enrollment', 'lesson', 'quiz', 'certificate', 'learning_path', 'instructor', 'assignment'], statuses: ['not_started', 'in_progress', 'completed', 'expired'] },
];

const VERBS = ['get', 'list', 'search', 'create', 'update', 'delete', 'count', 'export'] as const;
type Verb = (typeof VERBS)[number];

/** 96 tools / 6 servers, 251 / 11, 508 / 16 (Bifrost's published sizes). */
export const SIZES = [
  { servers: 6, tools: 96 },
  { servers: 11, tools: 251 },
  { servers: 16, tools: 508 },
] as const;

const human = (name: string) => name.replaceAll('_', ' ');

function idProperty(entity: string): Record<string, unknown> {
  return { type: 'string', description: `The ${human(entity)}'s identifier, as returned by list_${entity} or search_${entity} (e.g. "${entity.slice(0, 3)}_4821").`, minLength: 1, maxLength: 64 };
}

function filterObject(domain: Domain, entity: string): Record<string, unknown> {
  return {
    type: 'object',
    description: `Narrows the ${human(entity)} records considered. All given conditions must hold.`,
    properties: {
      status: { type: 'string', enum: domain.statuses, description: `Only ${human(entity)} records in this status.` },
      created_after: { type: 'string', format: 'date-time', description: 'Only records created at or after this instant (RFC 3339).' },
      created_before: { type: 'string', format: 'date-time', description: 'Only records created before this instant (RFC 3339).' },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 20, description: 'Only records carrying every one of these tags.' },
      owner_id: { type: 'string', description: 'Only records owned by this user.' },
    },
    additionalProperties: false,
  };
}

/** One tool's definition: `<verb>_<entity>` with the parameters such an API takes. */
function toolDefinition(domain: Domain, verb: Verb, entity: string): Tool {
  const name = `${verb}_${entity}`;
  const noun = human(entity);
  const fields = ['id', 'name', 'status', 'related_id', 'amount', 'created_at', 'updated_at', 'owner_id', 'tags'];
  let description: string;
  let properties: Record<string, unknown>;
  let required: string[];
  switch (verb) {
    case 'get':
      description = `Fetches one ${noun} of the ${domain.name} system (${domain.about}) by its identifier, with its status, amount, owner, tags and the identifier of the related ${human(domain.entities[(domain.entities.indexOf(entity) + 1) % domain.entities.length]!)}.`;
      properties = {
        [`${entity}_id`]: idProperty(entity),
        fields: { type: 'array', items: { type: 'string', enum: fields }, description: 'Fields to return; all fields when omitted.' },
        include_deleted: { type: 'boolean', default: false, description: `Also return the ${noun} when it has been deleted.` },
      };
      required = [`${entity}_id`];
      break;
    case 'list':
      description = `Lists ${noun} records of the ${domain.name} system, newest first, one page at a time. Returns the matching total and the page's records.`;
      properties = {
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Records per page.' },
        cursor: { type: 'string', description: 'The next_cursor of the previous page; omit for the first page.' },
        sort_by: { type: 'string', enum: ['created_at', 'updated_at', 'name', 'amount'], default: 'created_at', description: 'Field to order by.' },
        order: { type: 'string', enum: ['asc', 'desc'], default: 'desc', description: 'Sort direction.' },
        filter: filterObject(domain, entity),
      };
      required = [];
      break;
    case 'search':
      description = `Full-text search over ${noun} records of the ${domain.name} system (names, notes, tags). Results are ranked by relevance.`;
      properties = {
        query: { type: 'string', minLength: 1, maxLength: 500, description: 'Words to look for; quotes match a phrase, a leading - excludes a word.' },
        fields: { type: 'array', items: { type: 'string', enum: ['name', 'notes', 'tags', 'owner'] }, description: 'Fields to search; all when omitted.' },
        limit: { type: 'integer', minimum: 1, maximum: 50, default: 10, description: 'Results to return.' },
        fuzzy: { type: 'boolean', default: true, description: 'Tolerate typos in the query.' },
        filter: filterObject(domain, entity),
      };
      required = ['query'];
      break;
    case 'create':
      description = `Creates a ${noun} in the ${domain.name} system and returns it with its new identifier. Safe to retry with the same idempotency key.`;
      properties = {
        [entity]: {
          type: 'object',
          description: `The new ${noun}.`,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200, description: 'Display name.' },
            status: { type: 'string', enum: domain.statuses, description: 'Initial status.' },
            amount: { type: 'number', minimum: 0, description: 'Monetary amount or quantity, in the account currency or base unit.' },
            owner_id: { type: 'string', description: 'The user responsible for it.' },
            tags: { type: 'array', items: { type: 'string' }, maxItems: 20, description: 'Free-form labels.' },
            metadata: { type: 'object', additionalProperties: { type: 'string' }, description: 'Up to 50 key-value pairs stored with it.' },
          },
          required: ['name'],
          additionalProperties: false,
        },
        idempotency_key: { type: 'string', maxLength: 128, description: 'A unique key; a retry with the same key returns the first result instead of creating a duplicate.' },
      };
      required = [entity];
      break;
    case 'update':
      description = `Changes fields of an existing ${noun} of the ${domain.name} system; fields not given keep their values.`;
      properties = {
        [`${entity}_id`]: idProperty(entity),
        patch: {
          type: 'object',
          description: 'The fields to change.',
          properties: {
            name: { type: 'string', maxLength: 200, description: 'New display name.' },
            status: { type: 'string', enum: domain.statuses, description: 'New status.' },
            amount: { type: 'number', minimum: 0, description: 'New amount.' },
            tags: { type: 'array', items: { type: 'string' }, description: 'Replaces the tags.' },
          },
          additionalProperties: false,
        },
        if_match: { type: 'string', description: 'The version (etag) the change is based on; the update fails if it changed since.' },
      };
      required = [`${entity}_id`, 'patch'];
      break;
    case 'delete':
      description = `Deletes a ${noun} of the ${domain.name} system. Soft delete by default: it can be restored for 30 days.`;
      properties = {
        [`${entity}_id`]: idProperty(entity),
        reason: { type: 'string', enum: ['duplicate', 'created_by_mistake', 'requested_by_customer', 'other'], description: 'Why it is deleted (kept in the audit trail).' },
        hard: { type: 'boolean', default: false, description: 'Delete permanently, without the 30-day restore window.' },
      };
      required = [`${entity}_id`, 'reason'];
      break;
    case 'count':
      description = `Counts ${noun} records of the ${domain.name} system, optionally grouped.`;
      properties = {
        filter: filterObject(domain, entity),
        group_by: { type: 'string', enum: ['status', 'owner_id', 'created_month'], description: 'Return one count per value of this field.' },
      };
      required = [];
      break;
    case 'export':
      description = `Exports ${noun} records of the ${domain.name} system to a file and returns a download link valid for 24 hours.`;
      properties = {
        format: { type: 'string', enum: ['csv', 'json', 'parquet', 'xlsx'], description: 'File format.' },
        filter: filterObject(domain, entity),
        columns: { type: 'array', items: { type: 'string', enum: fields }, description: 'Columns to include; all when omitted.' },
        notify_email: { type: 'string', format: 'email', description: 'Send the link to this address when the export is ready.' },
      };
      required = ['format'];
      break;
  }
  return { name, description, inputSchema: { type: 'object', properties: properties as Record<string, object>, required, additionalProperties: false } };
}

/** The first `count` tools of a domain: entity-major within each verb, so `get_*` and `list_*` come first. */
export function domainTools(domain: Domain, count: number): Tool[] {
  const tools: Tool[] = [];
  for (let index = 0; index < count; index++) {
    const verb = VERBS[Math.floor(index / domain.entities.length) % VERBS.length]!;
    tools.push(toolDefinition(domain, verb, domain.entities[index % domain.entities.length]!));
  }
  return tools;
}

/** Tools per server for a size: the total spread evenly, the first servers taking the remainder. */
export function serverToolCounts(size: { servers: number; tools: number }): number[] {
  const base = Math.floor(size.tools / size.servers);
  const extra = size.tools % size.servers;
  return Array.from({ length: size.servers }, (_, index) => base + (index < extra ? 1 : 0));
}

function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
    .join(',')}}`;
}

/** What a tool answers, from its name and arguments alone: the same here, in the servers and in the task checker. */
export function toolResult(server: string, tool: string, args: Record<string, unknown>): Record<string, unknown> {
  const domain = DOMAINS.find((one) => one.name === server)!;
  const [verb, ...rest] = tool.split('_');
  const entity = rest.join('_');
  const next = domain.entities[(domain.entities.indexOf(entity) + 1) % domain.entities.length]!;
  const digest = hash(`${server}.${tool}.${canonical(args)}`);
  const id = typeof args[`${entity}_id`] === 'string' ? (args[`${entity}_id`] as string) : `${entity.slice(0, 3)}_${digest % 10_000}`;
  const record = { id, name: `${human(entity)} ${digest % 97}`, status: domain.statuses[digest % domain.statuses.length], amount: digest % 1_000, related_id: `${next.slice(0, 3)}_${(digest >>> 10) % 10_000}`, owner_id: `usr_${(digest >>> 4) % 300}` };
  if (verb === 'list' || verb === 'search' || verb === 'count') return { total: (digest >>> 3) % 500, amount: digest % 1_000, items: [record], next_cursor: null };
  return record;
}

/** Checks arguments against a tool's input schema (top level and one level of objects): the refusal names the problem. */
function checkArguments(tool: Tool, args: Record<string, unknown>): string | undefined {
  return checkObject(tool.inputSchema as Record<string, unknown>, args, 'arguments');
}

function checkObject(schema: Record<string, unknown>, value: Record<string, unknown>, path: string): string | undefined {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const name of (schema.required ?? []) as string[]) if (value[name] === undefined) return `${path}.${name} is required`;
  for (const [name, given] of Object.entries(value)) {
    const property = properties[name];
    if (property === undefined) {
      if (schema.additionalProperties === false) return `${path}.${name} is not a parameter`;
      continue;
    }
    const type = property.type;
    const fits = type === 'integer' ? Number.isInteger(given) : type === 'number' ? typeof given === 'number' : type === 'array' ? Array.isArray(given) : type === 'object' ? given !== null && typeof given === 'object' && !Array.isArray(given) : typeof type !== 'string' || typeof given === type;
    if (!fits) return `${path}.${name} must be ${String(type)}`;
    if (Array.isArray(property.enum) && !property.enum.includes(given)) return `${path}.${name} must be one of ${property.enum.join(', ')}`;
    if (type === 'object' && given !== null && typeof given === 'object' && !Array.isArray(given)) {
      const problem = checkObject(property, given as Record<string, unknown>, `${path}.${name}`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

export interface GeneratedServers {
  /** Server name → its MCP endpoint URL. */
  readonly urls: Record<string, string>;
  /** Every tool by server, as served. */
  readonly tools: Record<string, Tool[]>;
  close(): Promise<void>;
}

/** Serves the first `size.servers` domains with their tool counts, at http://127.0.0.1:<port>/<server>. */
export async function startGeneratedServers(size: { servers: number; tools: number }): Promise<GeneratedServers> {
  const counts = serverToolCounts(size);
  const tools: Record<string, Tool[]> = {};
  DOMAINS.slice(0, size.servers).forEach((domain, index) => (tools[domain.name] = domainTools(domain, counts[index]!)));
  const http: HttpServer = createServer((request, response) => {
    const name = (request.url ?? '/').slice(1);
    const served = tools[name];
    if (served === undefined || request.method !== 'POST') {
      response.writeHead(served === undefined ? 404 : 405).end();
      return;
    }
    const server = new Server({ name, version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: served }));
    server.setRequestHandler(CallToolRequestSchema, (call) => {
      const tool = served.find((one) => one.name === call.params.name);
      if (tool === undefined) return { content: [{ type: 'text', text: `unknown tool ${call.params.name}` }], isError: true };
      const args = call.params.arguments ?? {};
      const problem = checkArguments(tool, args);
      if (problem !== undefined) return { content: [{ type: 'text', text: `invalid arguments: ${problem}` }], isError: true };
      return { content: [{ type: 'text', text: JSON.stringify(toolResult(name, tool.name, args)) }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    void server.connect(transport).then(() => transport.handleRequest(request, response));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const urls = Object.fromEntries(Object.keys(tools).map((name) => [name, `http://127.0.0.1:${port}/${name}`]));
  return {
    urls,
    tools,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
