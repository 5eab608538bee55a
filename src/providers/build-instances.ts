import type { ConfigIssue } from '../config/config-error.js';
import { describeSchemaIssue, formatPath } from '../config/issue-text.js';
import { adapterOptionsOf, type ProviderConfig } from '../config/provider-schema.js';
import { compileModelPatterns, type ModelPatterns } from '../lib/model-patterns.js';
import type { ProviderInstance } from './instance.js';
import type { ProviderAdapter, ProviderKey } from './provider.js';

/** Builds provider instances from `providers.*`, reporting config problems as issues. */
export function buildProviderInstances(providers: Record<string, ProviderConfig>, adapters: ReadonlyMap<string, ProviderAdapter>, issues: ConfigIssue[]): Map<string, ProviderInstance> {
  const instances = new Map<string, ProviderInstance>();
  for (const [name, config] of Object.entries(providers)) {
    const path = `providers.${name}`;
    const adapter = adapters.get(config.type);
    if (adapter === undefined) {
      issues.push({ path: `${path}.type`, message: `unknown provider type \`${config.type}\``, fix: `use one of: ${[...adapters.keys()].sort().join(', ')}` });
      continue;
    }
    const options = parseOptions(path, config, adapter, issues);
    if (options === INVALID) continue;
    const baseUrl = (config.base_url ?? adapter.defaultBaseUrlFor?.(options) ?? adapter.defaultBaseUrl)?.replace(/\/+$/, '');
    if (baseUrl === undefined) {
      const fix = adapter.defaultBaseUrlFor === undefined ? 'set base_url to the server\'s OpenAI-compatible root, e.g. http://127.0.0.1:8000/v1' : 'check the provider\'s options (e.g. a region name like us-east-1) or set base_url';
      issues.push({ path: `${path}.base_url`, message: `provider type \`${config.type}\` has no default URL`, fix });
      continue;
    }
    if (adapter.requiresKey && config.keys.length === 0) {
      issues.push({ path: `${path}.keys`, message: `provider type \`${config.type}\` needs an API key`, fix: 'add keys: [{ value: ${YOUR_API_KEY_VARIABLE} }]' });
      continue;
    }
    const keys: ProviderKey[] = config.keys.map((key, index) => ({
      id: key.id ?? `${name}-${index}`,
      value: key.value,
      weight: key.weight,
      models: restriction(key.models),
    }));
    instances.set(name, {
      name,
      adapter,
      settings: { name, type: config.type, baseUrl, headers: config.headers, options },
      keys,
      models: config.models === undefined ? undefined : compileModelPatterns(config.models),
      maxRetries: config.max_retries,
      timeoutMs: config.timeout_ms,
    });
  }
  return instances;
}

const INVALID = Symbol('invalid options');

/** The provider's options as the adapter's `optionsSchema` reads them; problems become issues at the path they were written. */
function parseOptions(path: string, config: ProviderConfig, adapter: ProviderAdapter, issues: ConfigIssue[]): unknown {
  const gathered = adapterOptionsOf(config);
  for (const duplicate of gathered.duplicates) issues.push({ path: `${path}.${duplicate}`, message: 'is also set under `options`', fix: 'keep one of the two' });
  if (gathered.duplicates.length > 0) return INVALID;
  const result = adapter.optionsSchema.safeParse(gathered.options);
  if (result.success) return result.data;
  for (const problem of result.error.issues) {
    const described = describeSchemaIssue(problem, gathered.options, gathered.options);
    const [first, ...rest] = problem.path;
    if (problem.code === 'unrecognized_keys') {
      // One issue per misspelt key, at the place it was written (beside `type` or under `options`).
      for (const key of problem.keys) {
        const origin = gathered.origins.get(key) ?? `options.${key}`;
        const parent = origin.includes('.') ? `${path}.${origin.slice(0, origin.lastIndexOf('.'))}` : path;
        issues.push({ path: parent, message: `unknown key \`${key}\` for provider type \`${config.type}\``, fix: `check the spelling against the \`${config.type}\` options in docs/providers.md` });
      }
      continue;
    }
    const origin = first === undefined ? 'options' : (gathered.origins.get(String(first)) ?? `options.${String(first)}`);
    const below = formatPath(rest);
    const where = `${path}.${origin}${below === '' ? '' : below.startsWith('[') ? below : `.${below}`}`;
    issues.push({ ...described, path: where, ...(described.fix === undefined ? {} : { fix: described.fix.replace(formatPath(problem.path), where) }) });
  }
  return INVALID;
}

/** A configured model list, compiled; undefined (no restriction) when absent or when it holds `*`. */
function restriction(models: readonly string[] | undefined): ModelPatterns | undefined {
  if (models === undefined) return undefined;
  const patterns = compileModelPatterns(models);
  return patterns.all ? undefined : patterns;
}
