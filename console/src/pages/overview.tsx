import { useState } from 'preact/hooks';
import { api, queryOf } from '../api.js';
import { count, ms, percent, time, usd } from '../format.js';
import { navigate } from '../router.js';
import { Bars, Breakdown, Lines, Meter } from '../components/charts.js';
import { Card, ErrorNote, Section, useLoad } from '../components/ui.js';

interface AggregateRow {
  bucket: string | null;
  group: Record<string, string | number | boolean | null>;
  requests: number;
  errors: number;
  total_tokens: number;
  cost_usd: number;
  cache_saved_usd?: number;
  /** With `percentiles=true`: from the latency histogram (within the bucket width stated in docs/observability.md). */
  latency_ms_p50?: number | null;
  latency_ms_p95?: number | null;
  latency_ms_p99?: number | null;
}

const PERCENTILES = [50, 95, 99] as const;
const percentileOf = (row: AggregateRow | undefined, p: (typeof PERCENTILES)[number]): number | undefined => row?.[`latency_ms_p${p}`] ?? undefined;

interface BudgetRow {
  level: string;
  entity: string;
  period: string;
  max_usd: number;
  spent_usd: number;
  used_fraction: number;
  resets_at: string | null;
}

interface TargetHealth {
  target: string;
  provider: string;
  model: string;
  state: string;
  reason?: string;
  latencyMs: number | null;
  inFlight: number;
  consecutiveFailures: number;
}

interface Alert {
  id: string;
  kind: string;
  scope: string;
  scope_id: string;
  time: string;
  message: string;
}

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
type Range = keyof typeof RANGES;
const BUCKETS: Record<Range, string> = { '1h': 'minute', '24h': 'hour', '7d': 'day', '30d': 'day' };
const BUCKET_MS: Record<Range, number> = { '1h': 60_000, '24h': 3_600_000, '7d': 86_400_000, '30d': 86_400_000 };
const DIMENSIONS = { customer_id: 'customer', team_id: 'team', virtual_key_id: 'key', model: 'model', provider: 'provider', tag: 'tag' } as const;
type Dimension = keyof typeof DIMENSIONS;

const aggregate = (parameters: Record<string, string | undefined>) => api<{ rows: AggregateRow[] }>('GET', `/admin/logs/aggregate${queryOf(parameters)}`).then((answer) => answer.rows);

function sum(rows: AggregateRow[]) {
  return rows.reduce((total, row) => ({ requests: total.requests + row.requests, errors: total.errors + row.errors, tokens: total.tokens + row.total_tokens, cost: total.cost + row.cost_usd, saved: total.saved + (row.cache_saved_usd ?? 0) }), { requests: 0, errors: 0, tokens: 0, cost: 0, saved: 0 });
}

/** Requests per value of one dimension, summed over the other dimensions' groups, largest first. */
function sumBy(rows: AggregateRow[], dimension: string): { label: string; value: number }[] {
  const sums = new Map<string, number>();
  for (const row of rows) {
    const label = String(row.group[dimension] ?? '(none)');
    sums.set(label, (sums.get(label) ?? 0) + row.requests);
  }
  return [...sums].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value);
}

/** Bucket starts from `from` to now, so that empty buckets show as gaps or zeros. */
function bucketStarts(from: number, width: number): number[] {
  const starts: number[] = [];
  for (let start = Math.floor(from / width) * width; start <= Date.now(); start += width) starts.push(start);
  return starts;
}

function label(start: number, width: number): string {
  const date = new Date(start);
  return width >= 86_400_000 ? date.toLocaleDateString() : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Volume, latency percentiles, errors and cost over a range (24 hours by default); cost by customer,
 * team, key, model, provider or tag; budgets nearest their limit; provider health and failovers;
 * alerts; cache, guardrails and MCP — all from the admin API (and `/health/providers`).
 */
export function Overview() {
  const [range, setRange] = useState<Range>('24h');
  const [dimension, setDimension] = useState<Dimension>('model');
  const [tag, setTag] = useState('');
  const from = new Date(Date.now() - RANGES[range]).toISOString();

  // Latency percentiles of every request in the range, from the log's latency histograms.
  const totals = useLoad(() => aggregate({ from, percentiles: 'true' }).then((rows) => ({ ...sum(rows), whole: rows.length === 1 ? rows[0] : undefined })), [range]);
  const buckets = useLoad(() => aggregate({ from, bucket: BUCKETS[range], percentiles: 'true' }), [range]);
  const breakdown = useLoad(() => (dimension === 'tag' && tag === '' ? Promise.resolve([]) : aggregate({ from, group_by: dimension === 'tag' ? `metadata.${tag}` : dimension })), [range, dimension, tag]);
  // Cache hits, errors by code and requests by operation: one pass over the range.
  const byKind = useLoad(() => aggregate({ from, group_by: 'operation,cache_hit,error_code' }), [range]);
  const attempts = useLoad(() => aggregate({ from, kind: 'attempt', group_by: 'provider' }), [range]);
  const budgets = useLoad(() => api<{ data: BudgetRow[]; total: number }>('GET', '/admin/budgets?limit=8'));
  const health = useLoad(() => fetch('/health/providers', { credentials: 'same-origin' }).then((response) => response.json() as Promise<{ targets: TargetHealth[] }>));
  const alerts = useLoad(() => api<{ enabled: boolean; data: Alert[] }>('GET', '/admin/alerts'));

  const width = BUCKET_MS[range];
  const starts = bucketStarts(Date.parse(from), width);
  const byStart = new Map((buckets.value ?? []).map((row) => [Date.parse(row.bucket ?? ''), row]));
  const labels = starts.map((start) => label(start, width));
  const kinds = byKind.value ?? [];
  const hits = kinds.filter((row) => row.group.cache_hit !== null).reduce((total, row) => total + row.requests, 0);
  const all = totals.value?.requests ?? 0;
  const byError = sumBy(kinds.filter((row) => row.group.error_code !== null), 'error_code');
  const byOperation = sumBy(kinds, 'operation');
  const guardrailBlocks = byError.find((row) => row.label === 'guardrail_blocked')?.value ?? 0;
  const toolCalls = byOperation.find((row) => row.label === 'mcp_tool_call')?.value ?? 0;
  const error = totals.error ?? buckets.error ?? breakdown.error ?? budgets.error ?? alerts.error;

  return (
    <section data-testid="page-overview" aria-labelledby="overview-title">
      <div class="title-row">
        <h1 id="overview-title">Overview</h1>
        <label>
          Range{' '}
          <select value={range} onChange={(event) => setRange(event.currentTarget.value as Range)}>
            {Object.keys(RANGES).map((name) => (
              <option value={name}>Last {name}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={error} />
      {totals.value !== undefined && (
        <div class="cards">
          <Card label="Requests" testid="overview-requests" value={totals.value.requests} shown={count(totals.value.requests)} />
          <Card label="Cost (USD)" testid="overview-cost-usd" value={totals.value.cost} shown={usd(totals.value.cost)} />
          <Card label="Error rate" testid="overview-error-rate" value={all === 0 ? 0 : totals.value.errors / all} shown={percent(all === 0 ? 0 : totals.value.errors / all)} />
          <Card label="Tokens" testid="overview-tokens" value={totals.value.tokens} shown={count(totals.value.tokens)} />
          {PERCENTILES.map((p) => {
            const value = percentileOf(totals.value?.whole, p);
            return <Card label={`Latency p${p}`} testid={`overview-latency-p${p}`} value={value ?? 0} shown={ms(value)} note="all requests in the range" />;
          })}
          <Card label="Cache hit rate" testid="overview-cache-hit-rate" value={all === 0 ? 0 : hits / all} shown={percent(all === 0 ? 0 : hits / all)} note={`${count(hits)} hits`} />
          <Card label="Saved by the cache" testid="overview-cache-saved-usd" value={totals.value.saved} shown={usd(totals.value.saved)} />
          <Card label="Guardrail blocks" testid="overview-guardrail-blocks" value={guardrailBlocks} shown={count(guardrailBlocks)} />
          <Card label="MCP tool calls" testid="overview-mcp-tool-calls" value={toolCalls} shown={count(toolCalls)} />
        </div>
      )}
      <div class="panels">
        <Section title={`Requests per ${BUCKETS[range]}`}>
          <Bars points={starts.map((start, index) => ({ label: labels[index]!, value: byStart.get(start)?.requests ?? 0 }))} label="Requests" format={count} />
        </Section>
        <Section title={`Cost per ${BUCKETS[range]}`}>
          <Bars points={starts.map((start, index) => ({ label: labels[index]!, value: byStart.get(start)?.cost_usd ?? 0 }))} label="Cost" format={usd} />
        </Section>
        <Section title="Error rate">
          <Lines labels={labels} series={[{ name: 'errors', values: starts.map((start) => { const row = byStart.get(start); return row === undefined ? undefined : row.errors / row.requests; }) }]} label="Error rate" format={percent} />
        </Section>
        <Section title="Latency percentiles">
          <Lines
            labels={labels}
            series={PERCENTILES.map((p) => ({ name: `p${p}`, values: starts.map((start) => percentileOf(byStart.get(start), p)) }))}
            label="Latency percentiles"
            format={ms}
          />
        </Section>
        <Section title="Cost by" testid="overview-cost-by">
          <div class="inline">
            <label>
              Dimension{' '}
              <select value={dimension} onChange={(event) => setDimension(event.currentTarget.value as Dimension)} data-testid="overview-cost-dimension">
                {Object.entries(DIMENSIONS).map(([value, name]) => (
                  <option value={value}>{name}</option>
                ))}
              </select>
            </label>
            {dimension === 'tag' && (
              <label>
                Tag key <input value={tag} onChange={(event) => setTag(event.currentTarget.value.trim())} placeholder="app" pattern="[A-Za-z0-9_.\-]{1,64}" />
              </label>
            )}
          </div>
          <Breakdown
            testid="overview-cost-breakdown"
            rows={(breakdown.value ?? [])
              .map((row) => ({ label: String(Object.values(row.group)[0] ?? '(none)'), value: row.cost_usd }))
              .sort((a, b) => b.value - a.value)
              .slice(0, 10)}
            format={usd}
            empty={dimension === 'tag' && tag === '' ? 'Name a metadata tag.' : 'Nothing in this range.'}
          />
        </Section>
        <Section title="Budgets nearest their limit" testid="overview-budgets">
          {budgets.value !== undefined && budgets.value.data.length === 0 && <p class="muted">No budgets configured.</p>}
          <table class="breakdown">
            <tbody>
              {(budgets.value?.data ?? []).map((budget) => (
                <tr>
                  <th scope="row">
                    {budget.level} {budget.entity} <span class="muted">/ {budget.period}</span>
                  </th>
                  <td class="bar-cell">
                    <Meter fraction={budget.used_fraction} label={`${budget.level} ${budget.entity}`} />
                  </td>
                  <td class="num">
                    {usd(budget.spent_usd)} of {usd(budget.max_usd)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Provider health" testid="overview-health">
          {health.value !== undefined && health.value.targets.length === 0 && <p class="muted">No provider has served a request yet.</p>}
          <table class="breakdown">
            <tbody>
              {(health.value?.targets ?? []).map((target) => (
                <tr data-target={target.target}>
                  <th scope="row">{target.target}</th>
                  <td>
                    <span class={`badge ${target.state === 'closed' ? 'live' : 'closed'}`}>{target.state === 'closed' ? 'healthy' : `circuit ${target.state}`}</span>
                  </td>
                  <td class="num">{target.latencyMs === null ? '' : ms(target.latencyMs)}</td>
                  <td class="muted">{target.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Failovers</h3>
          {attempts.value !== undefined && attempts.value.length === 0 ? (
            <p class="muted">Every request was served by its first attempt.</p>
          ) : (
            <table data-testid="overview-failovers">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col" class="num">
                    Attempts of retried requests
                  </th>
                  <th scope="col" class="num">
                    Failed
                  </th>
                </tr>
              </thead>
              <tbody>
                {(attempts.value ?? []).map((row) => (
                  <tr data-provider={String(row.group.provider)}>
                    <td>{String(row.group.provider ?? '(none)')}</td>
                    <td class="num">{count(row.requests)}</td>
                    <td class={`num ${row.errors > 0 ? 'error' : ''}`}>{count(row.errors)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
        <Section title="Alerts" testid="overview-alerts">
          {alerts.value !== undefined && !alerts.value.enabled && <p class="muted">Anomaly alerts are off (observability.alerts).</p>}
          {alerts.value !== undefined && alerts.value.enabled && alerts.value.data.length === 0 && <p class="muted">No alerts since the gateway started.</p>}
          <ul class="alerts">
            {(alerts.value?.data ?? []).slice(0, 10).map((alert) => (
              <li>
                <strong>{alert.kind}</strong> {alert.scope} {alert.scope_id} <span class="muted">{time(alert.time)}</span>
                <div>{alert.message}</div>
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Errors and operations">
          <Breakdown rows={byError.slice(0, 8)} format={count} empty="No errors in this range." />
          <Breakdown rows={byOperation} format={count} />
          <p>
            <a
              href="/ui/logs?status=error"
              onClick={(event) => {
                event.preventDefault();
                navigate('logs', '?status=error');
              }}
            >
              See failed requests
            </a>
          </p>
        </Section>
      </div>
    </section>
  );
}
