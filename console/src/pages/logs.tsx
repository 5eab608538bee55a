import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';

interface LogRecord {
  request_id: string;
  timestamp: string;
  provider: string | null;
  model: string | null;
  requested_model: string | null;
  virtual_key_id: string | null;
  status: number;
  latency_ms: number;
  total_tokens: number | null;
  cost_usd: number | null;
}

const SHOWN = 200;

/** The latest records, then live over the WebSocket tail (`/admin/logs/tail`) until paused. */
export function Logs() {
  const [rows, setRows] = useState<LogRecord[]>([]);
  const [live, setLive] = useState(true);
  const [state, setState] = useState<'connecting' | 'live' | 'closed' | 'paused'>('connecting');
  const [error, setError] = useState<string | undefined>();
  const seen = useRef(new Set<string>());

  const add = (records: LogRecord[], atTop: boolean) =>
    setRows((current) => {
      const fresh = records.filter((record) => !seen.current.has(record.request_id));
      for (const record of fresh) seen.current.add(record.request_id);
      return (atTop ? [...fresh, ...current] : [...current, ...fresh]).slice(0, SHOWN);
    });

  useEffect(() => {
    api<{ logs: LogRecord[] }>('GET', '/admin/logs?limit=50').then(
      (page) => add(page.logs, false),
      (failure: Error) => setError(failure.message),
    );
  }, []);

  useEffect(() => {
    if (!live) {
      setState('paused');
      return;
    }
    setState('connecting');
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/admin/logs/tail`);
    socket.onopen = () => setState('live');
    socket.onclose = () => setState('closed');
    socket.onmessage = (message) => add([JSON.parse(String(message.data)) as LogRecord], true);
    return () => socket.close();
  }, [live]);

  return (
    <section data-testid="page-logs" aria-labelledby="logs-title">
      <div class="title-row">
        <h1 id="logs-title">Logs</h1>
        <span class={`badge ${state}`} data-testid="logs-live-state" data-state={state}>
          {state}
        </span>
        <button type="button" onClick={() => setLive(!live)} aria-pressed={live}>
          {live ? 'Pause' : 'Go live'}
        </button>
      </div>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Request</th>
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
              <tr key={row.request_id} data-request-id={row.request_id}>
                <td>{new Date(row.timestamp).toLocaleTimeString()}</td>
                <td class="mono">{row.request_id}</td>
                <td>{row.requested_model ?? row.model ?? ''}</td>
                <td>{row.provider ?? ''}</td>
                <td>{row.virtual_key_id ?? ''}</td>
                <td class={row.status >= 400 ? 'error' : ''}>{row.status}</td>
                <td>{row.latency_ms} ms</td>
                <td>{row.total_tokens ?? ''}</td>
                <td>{row.cost_usd ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <p class="muted">No requests yet.</p>}
      </div>
    </section>
  );
}
