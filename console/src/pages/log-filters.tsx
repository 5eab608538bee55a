import { seesContent, useWho } from '../session.js';

/** The logs API's filters the console offers, by their query parameter names (docs/observability.md). */
export const FILTER_NAMES = ['model', 'provider', 'virtual_key_id', 'team_id', 'customer_id', 'status', 'operation', 'error_code', 'cache_hit', 'stream', 'from', 'to', 'min_cost_usd', 'max_cost_usd', 'min_latency_ms', 'max_latency_ms', 'metadata', 'q'] as const;
export type Filters = Partial<Record<(typeof FILTER_NAMES)[number], string>>;

export function filtersFromUrl(search: string): Filters {
  const query = new URLSearchParams(search);
  const filters: Filters = {};
  for (const name of FILTER_NAMES) {
    const value = query.get(name);
    if (value !== null && value !== '') filters[name] = value;
  }
  return filters;
}

/**
 * The query string of the filters for the admin API: times from the inputs' local form to ISO, and
 * `metadata` (`env=prod, app=web`) as one `metadata.<key>=<value>` per tag.
 */
export function apiQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value === undefined || value === '') continue;
    if (name === 'from' || name === 'to') query.set(name, new Date(value).toISOString());
    else if (name === 'metadata') {
      for (const pair of value.split(',')) {
        const at = pair.indexOf('=');
        if (at > 0) query.append(`metadata.${pair.slice(0, at).trim()}`, pair.slice(at + 1).trim());
      }
    } else query.set(name, value);
  }
  return query;
}

function Text({ name, label, filters, placeholder }: { name: keyof Filters; label: string; filters: Filters; placeholder?: string }) {
  return (
    <label>
      {label} <input name={name} value={filters[name] ?? ''} placeholder={placeholder} />
    </label>
  );
}

/** Every filter as a form; submitting applies them (and puts them in the page's URL, so a filtered view is a link). */
export function LogFilters({ filters, onApply }: { filters: Filters; onApply: (filters: Filters) => void }) {
  const who = useWho();
  return (
    <form
      class="filters"
      data-testid="log-filters"
      aria-label="Log filters"
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        const next: Filters = {};
        for (const name of FILTER_NAMES) {
          const value = String(data.get(name) ?? '').trim();
          if (value !== '') next[name] = value;
        }
        onApply(next);
      }}
    >
      <Text name="model" label="Model" filters={filters} placeholder="gpt-4o, claude-…" />
      <Text name="provider" label="Provider" filters={filters} />
      <Text name="virtual_key_id" label="Key" filters={filters} />
      <Text name="team_id" label="Team" filters={filters} />
      <Text name="customer_id" label="Customer" filters={filters} />
      <Text name="status" label="Status" filters={filters} placeholder="error, 200, 429,502" />
      <label>
        Operation <input name="operation" list="operations" value={filters.operation ?? ''} placeholder="chat, embeddings, mcp_tool_call" />
        <datalist id="operations">
          {['chat', 'completions', 'embeddings', 'images', 'rerank', 'moderations', 'count_tokens', 'passthrough', 'mcp_tool_call'].map((operation) => (
            <option value={operation} />
          ))}
        </datalist>
      </label>
      <Text name="error_code" label="Error code" filters={filters} />
      <label>
        Cache{' '}
        <select name="cache_hit" value={filters.cache_hit ?? ''}>
          <option value="">any</option>
          <option value="exact">exact hit</option>
          <option value="semantic">semantic hit</option>
        </select>
      </label>
      <label>
        Stream{' '}
        <select name="stream" value={filters.stream ?? ''}>
          <option value="">any</option>
          <option value="true">streamed</option>
          <option value="false">not streamed</option>
        </select>
      </label>
      <label>
        From <input name="from" type="datetime-local" step="1" value={filters.from ?? ''} />
      </label>
      <label>
        To <input name="to" type="datetime-local" step="1" value={filters.to ?? ''} />
      </label>
      <label>
        Cost ≥ (USD) <input name="min_cost_usd" type="number" min="0" step="any" value={filters.min_cost_usd ?? ''} />
      </label>
      <label>
        Cost ≤ (USD) <input name="max_cost_usd" type="number" min="0" step="any" value={filters.max_cost_usd ?? ''} />
      </label>
      <label>
        Latency ≥ (ms) <input name="min_latency_ms" type="number" min="0" step="1" value={filters.min_latency_ms ?? ''} />
      </label>
      <label>
        Latency ≤ (ms) <input name="max_latency_ms" type="number" min="0" step="1" value={filters.max_latency_ms ?? ''} />
      </label>
      <Text name="metadata" label="Tags" filters={filters} placeholder="env=prod, app=web" />
      {seesContent(who) && <Text name="q" label="Content contains" filters={filters} />}
      <div class="row-actions">
        <button type="submit" data-testid="log-filters-apply">
          Apply
        </button>
        <button type="button" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
    </form>
  );
}
