import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { count, ms, usd } from '../format.js';
import { ErrorNote } from '../components/ui.js';
import { apiQuery, filtersFromUrl, LogFilters, type Filters } from './log-filters.js';
import { LogDetail } from './log-detail.js';
import type { LogRecord } from './log-record.js';

const PAGE = 50;
/** Rows kept in the table (live rows push the oldest out past it). */
const KEPT = 1000;

/**
 * The request log: filtered (every filter of the logs API, kept in the URL), paged by cursor (a page
 * deep in a million records costs what the first does: no offset, no count), live over the WebSocket
 * tail with the same filters, a drawer per request, and export of the current filter.
 */
export function Logs() {
  const [filters, setFilters] = useState<Filters>(() => filtersFromUrl(location.search));
  const [rows, setRows] = useState<LogRecord[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [live, setLive] = useState(true);
  const [state, setState] = useState<'connecting' | 'live' | 'closed' | 'paused'>('connecting');
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<string | undefined>();
  const seen = useRef(new Set<string>());
  const query = apiQuery(filters).toString();

  const add = (records: LogRecord[], atTop: boolean) =>
    setRows((current) => {
      const fresh = records.filter((record) => !seen.current.has(record.request_id));
      for (const record of fresh) seen.current.add(record.request_id);
      return (atTop ? [...fresh, ...current] : [...current, ...fresh]).slice(0, KEPT);
    });

  const loadPage = (cursor: string) => {
    setLoading(true);
    api<{ logs: LogRecord[]; next_cursor: string | null }>('GET', `/admin/logs?${query}${query === '' ? '' : '&'}limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`).then(
      (page) => {
        add(page.logs, false);
        setNext(page.next_cursor);
        setError(undefined);
        setLoading(false);
      },
      (failure: Error) => {
        setError(failure.message);
        setLoading(false);
      },
    );
  };

  useEffect(() => {
    seen.current.clear();
    setRows([]);
    setNext(null);
    loadPage('');
  }, [query]);

  useEffect(() => {
    if (!live) {
      setState('paused');
      return;
    }
    setState('connecting');
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/admin/logs/tail${query === '' ? '' : `?${query}`}`);
    socket.onopen = () => setState('live');
    socket.onclose = () => setState('closed');
    socket.onmessage = (message) => add([JSON.parse(String(message.data)) as LogRecord], true);
    return () => socket.close();
  }, [live, query]);

  const apply = (next: Filters) => {
    const search = new URLSearchParams(Object.entries(next).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
    history.replaceState(null, '', `/ui/logs${search === '' ? '' : `?${search}`}`);
    setFilters(next);
  };
  const active = Object.keys(filters).length;

  return (
    <section data-testid="page-logs" aria-labelledby="logs-title" class={selected === undefined ? '' : 'with-drawer'}>
      <div class="title-row">
        <h1 id="logs-title">Logs</h1>
        <span class={`badge ${state}`} data-testid="logs-live-state" data-state={state}>
          {state}
        </span>
        <button type="button" onClick={() => setLive(!live)} aria-pressed={live}>
          {live ? 'Pause' : 'Go live'}
        </button>
        <a class="button" data-testid="logs-export-csv" href={`/admin/logs/export?${query}${query === '' ? '' : '&'}format=csv`} download>
          Export CSV
        </a>
        <a class="button" data-testid="logs-export-jsonl" href={`/admin/logs/export?${query}${query === '' ? '' : '&'}format=ndjson`} download>
          Export JSONL
        </a>
      </div>
      <details class="filter-box" open={active > 0}>
        <summary>Filters{active > 0 ? ` (${active} applied)` : ''}</summary>
        <LogFilters filters={filters} onApply={apply} />
      </details>
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table data-testid="logs-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Request</th>
              <th scope="col">Operation</th>
              <th scope="col">Model</th>
              <th scope="col">Provider</th>
              <th scope="col">Key</th>
              <th scope="col">Status</th>
              <th scope="col">Latency</th>
              <th scope="col">Tokens</th>
              <th scope="col">Cost (USD)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.request_id} data-request-id={row.request_id} aria-selected={row.request_id === selected}>
                <td>{new Date(row.timestamp).toLocaleTimeString()}</td>
                <td class="mono">
                  <button type="button" class="link" data-testid="log-open" onClick={() => setSelected(row.request_id)}>
                    {row.request_id}
                  </button>
                </td>
                <td>{row.operation}</td>
                <td>{row.tool ?? row.requested_model ?? row.model ?? ''}</td>
                <td>{row.provider ?? ''}</td>
                <td>{row.virtual_key_id ?? ''}</td>
                <td class={row.status >= 400 ? 'error' : ''}>
                  {row.status}
                  {row.cache_hit !== null ? ' (cached)' : ''}
                </td>
                <td>{ms(row.latency_ms)}</td>
                <td>{count(row.total_tokens)}</td>
                <td>{usd(row.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && !loading && <p class="muted">{active > 0 ? 'No request matches these filters.' : 'No requests yet.'}</p>}
      </div>
      {next !== null && (
        <button type="button" data-testid="logs-older" disabled={loading} onClick={() => loadPage(next)}>
          {loading ? 'Loading…' : 'Older requests'}
        </button>
      )}
      {selected !== undefined && (
        <LogDetail
          requestId={selected}
          onClose={() => {
            // Back to the row the drawer was opened from, for keyboard users.
            document.querySelector<HTMLButtonElement>(`tr[data-request-id="${CSS.escape(selected)}"] [data-testid="log-open"]`)?.focus();
            setSelected(undefined);
          }}
        />
      )}
    </section>
  );
}
