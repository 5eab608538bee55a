import type { ProviderConfig } from '../config/provider-schema.js';
import type { GatewayConfig } from '../config/schema.js';
import type { ProviderDefinitionView } from '../pipeline/capabilities.js';
import { GatewayError } from '../spec/index.js';
import type { DefinitionView } from './stored-definitions.js';

/** What the admin API shows, and takes back, in place of a secret: a key's value, a header's value. */
export const SECRET_SET = Object.freeze({ set: true as const });
const MASKED = '********';

/**
 * A provider's definition as the admin API shows it: every key with its id (the default
 * `<provider>-<index>` written out), weight and models, its value replaced by `{ "set": true }`;
 * header values likewise; a password or query values in `base_url` masked.
 */
export function shownProvider(name: string, config: ProviderConfig): Record<string, unknown> {
  return {
    ...config,
    ...(config.base_url === undefined ? {} : { base_url: maskedUrl(config.base_url) }),
    keys: config.keys.map((key, index) => ({ ...key, id: key.id ?? `${name}-${index}`, value: SECRET_SET })),
    headers: Object.fromEntries(Object.keys(config.headers).map((header) => [header, SECRET_SET])),
  };
}

export function shownView(view: DefinitionView<ProviderConfig>): ProviderDefinitionView {
  return {
    definition_source: view.source,
    in_file: view.in_file,
    definition: shownProvider(view.name, view.definition),
    file_definition: view.file_definition === null ? null : shownProvider(view.name, view.file_definition),
    revision: view.revision,
    updated_by: view.updated_by,
    updated_at: view.updated_at,
  };
}

/**
 * A PUT body with the secrets it did not repeat taken from the provider in force (`current`): a key
 * without `value` (or with `{ "set": true }`) that names an existing key id keeps that key's value;
 * a header given as `{ "set": true }` keeps its value; a `base_url` as shown (masked) keeps the URL.
 * Keys without an id get the default one, written out, so that the next edit can name them.
 * Anything else is left for the schema to judge.
 */
export function withKeptSecrets(name: string, body: unknown, current: ProviderConfig | undefined): unknown {
  if (!isObject(body)) return body;
  const result: Record<string, unknown> = { ...body };
  if (Array.isArray(body.keys)) {
    const known = new Map((current?.keys ?? []).map((key, index) => [key.id ?? `${name}-${index}`, key.value]));
    result.keys = body.keys.map((key: unknown, index) => {
      if (!isObject(key)) return key;
      const id = typeof key.id === 'string' && key.id !== '' ? key.id : `${name}-${index}`;
      if (key.value !== undefined && !isSetMarker(key.value)) return { ...key, id };
      const kept = known.get(id);
      if (kept === undefined) throw new GatewayError('invalid_request', `providers.${name}.keys[${index}].value: key \`${id}\` is new, so its secret is needed. Fix: give \`value\`, or name the id of an existing key to keep its secret.`, { param: `providers.${name}.keys[${index}].value` });
      return { ...key, id, value: kept };
    });
  }
  if (isObject(body.headers)) {
    result.headers = Object.fromEntries(
      Object.entries(body.headers).map(([header, value]) => {
        if (!isSetMarker(value)) return [header, value];
        const kept = current?.headers[header];
        if (kept === undefined) throw new GatewayError('invalid_request', `providers.${name}.headers.${header}: the header is new, so its value is needed.`, { param: `providers.${name}.headers.${header}` });
        return [header, kept];
      }),
    );
  }
  if (typeof body.base_url === 'string' && current?.base_url !== undefined && body.base_url !== current.base_url && body.base_url === maskedUrl(current.base_url)) result.base_url = current.base_url;
  return result;
}

/** Routes and aliases that name `provider/…` in a target, a fallback or as their model. */
export function referencesTo(config: GatewayConfig, provider: string): string[] {
  const names = (model: string) => model.startsWith(`${provider}/`);
  const routes = Object.entries(config.routes)
    .filter(([, route]) => route.targets.some((target) => names(target.model)) || route.fallbacks.some(names))
    .map(([route]) => `routes.${route}`);
  const aliases = Object.entries(config.aliases)
    .filter(([, target]) => names(target))
    .map(([alias]) => `aliases.${alias}`);
  return [...routes, ...aliases];
}

/** A URL with its password and query values masked, as `GET /admin/mcp/servers` shows them. */
function maskedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password === '' && url.search === '') return text;
  if (url.password !== '') url.password = MASKED;
  for (const name of [...new Set(url.searchParams.keys())]) url.searchParams.set(name, MASKED);
  return url.href;
}

function isSetMarker(value: unknown): boolean {
  return isObject(value) && value.set === true && Object.keys(value).length === 1;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
