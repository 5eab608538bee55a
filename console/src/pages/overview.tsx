import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';

interface AggregateRow {
  bucket: string | null;
  requests: number;
  errors: number;
  total_tokens: number;
  cost_usd: number;
}

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
type Range = keyof typeof RANGES;
const BUCKETS: Record<Range, string> = { '1h': 'minute', '24h': 'hour', '7d': 'day', '30d': 'day' };

interface Totals {
  requests: number;
  errors: number;
  tokens: number;
  cost: number;
  buckets: AggregateRow[];
}

function sum(rows: AggregateRow[]): Omit<Totals, 'buckets'> {
  return rows.reduce((total, row) => ({ requests: total.requests + row.requests, errors: total.errors + row.errors, tokens: total.tokens + row.total_tokens, cost: total.cost + row.cost_usd }), { requests: 0, errors: 0, tokens: 0, cost: 0 });
}

/** Request volume, errors, tokens and cost over a range (the last 24 hours by default), from `GET /admin/logs/aggregate`. */
export function Overview() {
  const [range, setRange] = useState<Range>('24h');
  const [totals, setTotals] = useState<Totals | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const from = new Date(Date.now() - RANGES[range]).toISOString();
    Promise.all([
      api<{ rows: AggregateRow[] }>('GET', `/admin/logs/aggregate?from=${encodeURIComponent(from)}`),
      api<{ rows: AggregateRow[] }>('GET', `/admin/logs/aggregate?from=${encodeURIComponent(from)}&bucket=${BUCKETS[range]}`),
    ]).then(
      ([whole, buckets]) => setTotals({ ...sum(whole.rows), buckets: buckets.rows }),
      (failure: Error) => setError(failure.message),
    );
  }, [range]);

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
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {totals !== undefined && (
        <>
          <div class="cards">
            <Card label="Requests" testid="overview-requests" value={totals.requests} shown={totals.requests.toLocaleString()} />
            <Card label="Cost (USD)" testid="overview-cost-usd" value={totals.cost} shown={`$${totals.cost.toFixed(totals.cost < 1 ? 6 : 2)}`} />
            <Card label="Error rate" testid="overview-error-rate" value={totals.requests === 0 ? 0 : totals.errors / totals.requests} shown={`${totals.requests === 0 ? '0' : ((100 * totals.errors) / totals.requests).toFixed(1)} %`} />
            <Card label="Tokens" testid="overview-tokens" value={totals.tokens} shown={totals.tokens.toLocaleString()} />
          </div>
          <h2>Requests per {BUCKETS[range]}</h2>
          <Bars rows={totals.buckets} />
        </>
      )}
    </section>
  );
}

function Card({ label, testid, value, shown }: { label: string; testid: string; value: number; shown: string }) {
  return (
    <div class="card">
      <div class="muted">{label}</div>
      <div class="figure" data-testid={testid} data-value={String(value)}>
        {shown}
      </div>
    </div>
  );
}

/** A bar per bucket: plain SVG, no charting library. */
function Bars({ rows }: { rows: AggregateRow[] }) {
  if (rows.length === 0) return <p class="muted">No requests in this range.</p>;
  const sorted = [...rows].sort((a, b) => String(a.bucket).localeCompare(String(b.bucket)));
  const max = Math.max(...sorted.map((row) => row.requests), 1);
  const width = 600;
  const step = width / sorted.length;
  return (
    <svg class="chart" viewBox={`0 0 ${width} 120`} role="img" aria-label="Requests over time">
      {sorted.map((row, index) => {
        const height = (110 * row.requests) / max;
        return (
          <rect x={index * step + Math.max((step - 40) / 2, 1)} y={115 - height} width={Math.min(Math.max(step - 2, 1), 40)} height={height}>
            <title>{`${row.bucket}: ${row.requests} requests, $${row.cost_usd}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
