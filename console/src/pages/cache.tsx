import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { count, percent, usd } from '../format.js';
import { canEdit, useWho } from '../session.js';
import { Breakdown } from '../components/charts.js';
import { Card, ErrorNote, fieldsOf, Section, useLoad } from '../components/ui.js';

interface CacheState {
  enabled: boolean;
  store: string;
  entries: number;
}

interface Row {
  group: Record<string, string | number | boolean | null>;
  requests: number;
  cost_usd: number;
  cache_saved_usd?: number;
}

/**
 * The response cache (`/admin/cache`: on or off, its store and size; clearing it all or a namespace),
 * its hit rate and savings over 7 days (guardrails and MCP have pages of their own).
 */
export function Cache() {
  const who = useWho();
  const editor = canEdit(who);
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const state = useLoad(() => api<CacheState>('GET', '/admin/cache').catch((failure: { status?: number }) => (failure.status === 404 ? undefined : Promise.reject(failure))));
  const byHit = useLoad(() => api<{ rows: Row[] }>('GET', `/admin/logs/aggregate?from=${encodeURIComponent(from)}&group_by=cache_hit`).then((answer) => answer.rows));
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const clear = (path: string) => {
    if (!window.confirm('Remove these cache entries?')) return;
    setError(undefined);
    api<{ removed: number }>('DELETE', path).then(
      (answer) => {
        setMessage(`${count(answer.removed)} entries removed.`);
        state.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  const rows = byHit.value ?? [];
  const total = rows.reduce((sum, row) => sum + row.requests, 0);
  const hits = rows.filter((row) => row.group.cache_hit !== null);
  const hitCount = hits.reduce((sum, row) => sum + row.requests, 0);
  const saved = rows.reduce((sum, row) => sum + (row.cache_saved_usd ?? 0), 0);

  return (
    <section data-testid="page-cache" aria-labelledby="cache-title">
      <div class="title-row">
        <h1 id="cache-title">Cache</h1>
      </div>
      <ErrorNote error={error ?? state.error ?? byHit.error} />
      {message !== undefined && <p role="status">{message}</p>}
      <div class="cards">
        <Card label="Response cache" testid="cache-enabled" value={state.value?.enabled ? 1 : 0} shown={state.value === undefined ? 'not set up' : state.value.enabled ? `on (${state.value.store})` : 'off'} />
        <Card label="Entries" testid="cache-entries" value={state.value?.entries ?? 0} shown={count(state.value?.entries ?? 0)} />
        <Card label="Hit rate, 7 days" testid="cache-hit-rate" value={total === 0 ? 0 : hitCount / total} shown={percent(total === 0 ? 0 : hitCount / total)} note={`${count(hitCount)} of ${count(total)} requests`} />
        <Card label="Saved, 7 days" testid="cache-saved-usd" value={saved} shown={usd(saved)} />
      </div>
      <div class="panels">
        <Section title="Hits by type">
          <Breakdown rows={hits.map((row) => ({ label: String(row.group.cache_hit), value: row.requests }))} format={count} empty="No cache hits in 7 days." />
        </Section>
        {editor && state.value !== undefined && (
          <Section title="Clear">
            <form
              class="inline"
              onSubmit={(event) => {
                event.preventDefault();
                const namespace = fieldsOf(event.currentTarget)('namespace');
                if (namespace !== '') clear(`/admin/cache/namespaces/${encodeURIComponent(namespace)}`);
              }}
            >
              <label>
                Namespace <input name="namespace" placeholder="key:my-key, team:research, global" />
              </label>
              <button type="submit">Clear namespace</button>
            </form>
            <button type="button" data-testid="cache-clear-all" onClick={() => clear('/admin/cache')}>
              Clear every entry
            </button>
          </Section>
        )}
      </div>
    </section>
  );
}
