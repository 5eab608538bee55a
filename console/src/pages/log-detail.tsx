import { useEffect, useRef } from 'preact/hooks';
import { api } from '../api.js';
import { count, ms, time, usd } from '../format.js';
import { seesContent, useWho } from '../session.js';
import { ErrorNote, useLoad } from '../components/ui.js';
import type { LogRecord } from './log-record.js';

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function Pairs({ rows }: { rows: [string, string | number | null | undefined][] }) {
  return (
    <dl class="pairs">
      {rows
        .filter(([, value]) => value !== null && value !== undefined && value !== '')
        .map(([name, value]) => (
          <>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </>
        ))}
    </dl>
  );
}

/**
 * One request in a drawer: the request record and its attempt records (`?request_id=…&kind=all`),
 * timing, tokens and the cost breakdown, and the request and response when content was logged
 * (a `finance` session never sees them: the API leaves them out, and the drawer says so).
 */
export function LogDetail({ requestId, onClose }: { requestId: string; onClose: () => void }) {
  const who = useWho();
  const loaded = useLoad(() => api<{ logs: LogRecord[] }>('GET', `/admin/logs?request_id=${encodeURIComponent(requestId)}&kind=all&limit=100&sort=timestamp&order=asc`), [requestId]);
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeButton.current?.focus();
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [requestId]);

  const records = loaded.value?.logs ?? [];
  const request = records.find((record) => record.kind === 'request');
  const attempts = records.filter((record) => record.kind === 'attempt').sort((a, b) => a.attempt - b.attempt);
  const guardrails = request?.guardrails ? (JSON.parse(request.guardrails) as { rule: string; action: string; direction: string; types: string[]; count: number }[]) : [];

  return (
    <div class="drawer" role="dialog" aria-modal="false" aria-labelledby="drawer-title" data-testid="log-detail">
      <div class="title-row">
        <h2 id="drawer-title" class="mono">
          {requestId}
        </h2>
        <button type="button" ref={closeButton} onClick={onClose} data-testid="log-detail-close">
          Close
        </button>
      </div>
      <ErrorNote error={loaded.error} />
      {loaded.value !== undefined && request === undefined && <p class="muted">No record of this request.</p>}
      {request !== undefined && (
        <>
          <h3>Request</h3>
          <Pairs
            rows={[
              ['Time', time(request.timestamp)],
              ['Status', `${request.status}${request.error_code ? ` ${request.error_code}` : ''}`],
              ['Operation', `${request.operation} (${request.surface})`],
              ['Model asked', request.requested_model],
              ['Served by', request.provider === null ? null : `${request.provider} / ${request.model ?? ''}`],
              ['Tool', request.tool],
              ['Provider key', request.key_id],
              ['Virtual key', request.virtual_key_id],
              ['Team', request.team_id],
              ['Customer', request.customer_id],
              ['Tags', Object.entries(request.metadata ?? {}).map(([key, value]) => `${key}=${value}`).join(', ')],
              ['Stop reason', request.stop_reason],
              ['Stream', request.stream ? 'yes' : 'no'],
              ['Cache', request.cache_hit === null ? null : `${request.cache_hit} hit, saved ${usd(request.cache_saved_usd)}`],
              ['Error', request.error_message],
            ]}
          />
          <h3>Timing</h3>
          <Pairs rows={[['Latency', ms(request.latency_ms)], ['First token', request.ttft_ms === null ? null : ms(request.ttft_ms)], ['Attempts', request.attempts]]} />
          <h3>Tokens and cost</h3>
          <Pairs
            rows={[
              ['Input tokens', count(request.input_tokens)],
              ['of which cached', request.cached_input_tokens === null ? null : count(request.cached_input_tokens)],
              ['Cache writes', request.cache_write_tokens === null ? null : count(request.cache_write_tokens)],
              ['Output tokens', count(request.output_tokens)],
              ['of which reasoning', request.reasoning_tokens === null ? null : count(request.reasoning_tokens)],
              ['Cost', request.cost_usd === null ? 'unknown (no price or no usage)' : usd(request.cost_usd)],
              ['Exact cost', request.cost_exact === null || request.cost_exact === undefined ? null : `$${request.cost_exact}`],
              ['Charged to budgets', request.charged_nano_usd === null || request.charged_nano_usd === undefined ? null : `$${(request.charged_nano_usd / 1e9).toFixed(9)}`],
            ]}
          />
          {guardrails.length > 0 && (
            <>
              <h3>Guardrails</h3>
              <ul>
                {guardrails.map((decision) => (
                  <li>
                    {decision.rule}: {decision.action} on the {decision.direction} ({decision.types.join(', ')} × {decision.count})
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Attempts</h3>
          {attempts.length === 0 ? (
            <p class="muted">One attempt: the request above.</p>
          ) : (
            <div class="table-wrap">
              <table data-testid="log-attempts">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Provider / model</th>
                    <th scope="col">Key</th>
                    <th scope="col">Status</th>
                    <th scope="col">Latency</th>
                    <th scope="col">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {attempts.map((attempt) => (
                    <tr>
                      <td>{attempt.attempt}</td>
                      <td>
                        {attempt.provider} / {attempt.model}
                      </td>
                      <td>{attempt.key_id ?? ''}</td>
                      <td class={attempt.status >= 400 ? 'error' : ''}>
                        {attempt.status} {attempt.error_code ?? ''}
                      </td>
                      <td>{ms(attempt.latency_ms)}</td>
                      <td>{usd(attempt.cost_usd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3>Content</h3>
          {!seesContent(who) ? (
            <p class="muted" data-testid="log-content-hidden">
              Request and response content are not shown to the finance role.
            </p>
          ) : request.request_content === null && request.response_content === null ? (
            <p class="muted">Not logged (turn on <code>observability.log_content</code>).</p>
          ) : (
            <>
              <h4>Request body</h4>
              <pre data-testid="log-request-content">{request.request_content === null ? '—' : pretty(request.request_content)}</pre>
              <h4>Response</h4>
              <pre data-testid="log-response-content">{request.response_content === null ? '—' : pretty(request.response_content)}</pre>
            </>
          )}
        </>
      )}
    </div>
  );
}
