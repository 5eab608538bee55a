import { api, queryOf } from '../api.js';
import { usd, count, time } from '../format.js';
import { Bars, Meter } from './charts.js';
import { ErrorNote, useLoad } from './ui.js';

interface BudgetUsage {
  level: string;
  entity: string;
  period: string;
  rolling: boolean;
  max_usd: number;
  credit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  resets_at: string | null;
}

interface RateLimitUsage {
  level: string;
  entity: string;
  metric: string;
  period: string;
  max: number;
  used: number;
  remaining: number;
}

const DAY_MS = 86_400_000;

/** One point per UTC day of the last 30 (days without spend are zeros, so the bars keep their dates' places). */
function lastDays(rows: { bucket: string; cost_usd: number }[]): { label: string; value: number }[] {
  const spent = new Map(rows.map((row) => [row.bucket.slice(0, 10), row.cost_usd]));
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  return Array.from({ length: 30 }, (_, index) => {
    const day = new Date(today - (29 - index) * DAY_MS).toISOString().slice(0, 10);
    return { label: day, value: spent.get(day) ?? 0 };
  });
}

const FILTER = { key: 'virtual_key_id', team: 'team_id', customer: 'customer_id' } as const;
const PATH = { key: 'keys', team: 'teams', customer: 'customers' } as const;

/** Usage against each budget and rate limit (`/admin/<kind>s/:id/usage`), and spend per day over 30 days (log aggregates). */
export function UsagePanel({ kind, id }: { kind: 'key' | 'team' | 'customer'; id: string }) {
  const usage = useLoad(() => api<{ budgets: BudgetUsage[]; rate_limits: RateLimitUsage[] }>('GET', `/admin/${PATH[kind]}/${encodeURIComponent(id)}/usage`), [kind, id]);
  const alerts = useLoad(() => api<{ data: { id: string; kind: string; scope: string; scope_id: string; time: string; message: string }[] }>('GET', '/admin/alerts'), [kind, id]);
  const scope = kind === 'key' ? 'virtual_key' : kind;
  const mine = (alerts.value?.data ?? []).filter((alert) => alert.scope === scope && alert.scope_id === id);
  const daily = useLoad(
    () => api<{ rows: { bucket: string; cost_usd: number }[] }>('GET', `/admin/logs/aggregate${queryOf({ [FILTER[kind]]: id, bucket: 'day', from: new Date(Date.now() - 30 * 86_400_000).toISOString() })}`),
    [kind, id],
  );
  return (
    <div class="usage" data-testid="usage-panel">
      <ErrorNote error={usage.error ?? daily.error} />
      {usage.value !== undefined && usage.value.budgets.length === 0 && usage.value.rate_limits.length === 0 && <p class="muted">No budgets or rate limits apply.</p>}
      {usage.value !== undefined && usage.value.budgets.length > 0 && (
        <table>
          <caption>Budgets</caption>
          <thead>
            <tr>
              <th scope="col">Level</th>
              <th scope="col">Period</th>
              <th scope="col">Used</th>
              <th scope="col">Spent</th>
              <th scope="col">Reserved</th>
              <th scope="col">Max (+ credit)</th>
              <th scope="col">Remaining</th>
              <th scope="col">Resets</th>
            </tr>
          </thead>
          <tbody>
            {usage.value.budgets.map((budget) => {
              const room = budget.max_usd + budget.credit_usd;
              const fraction = room <= 0 ? 1 : (budget.spent_usd + budget.reserved_usd) / room;
              return (
                <tr data-budget-period={budget.period}>
                  <td>
                    {budget.level} {budget.entity}
                  </td>
                  <td>
                    {budget.period}
                    {budget.rolling ? ' (rolling)' : ''}
                  </td>
                  <td class="meter-cell">
                    <Meter fraction={fraction} label={`${budget.level} ${budget.entity} ${budget.period}`} />
                  </td>
                  <td class="num">{usd(budget.spent_usd)}</td>
                  <td class="num">{usd(budget.reserved_usd)}</td>
                  <td class="num">
                    {usd(budget.max_usd)}
                    {budget.credit_usd > 0 ? ` + ${usd(budget.credit_usd)}` : ''}
                  </td>
                  <td class="num">{usd(budget.remaining_usd)}</td>
                  <td>{budget.resets_at === null ? 'never' : time(budget.resets_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {usage.value !== undefined && usage.value.rate_limits.length > 0 && (
        <table>
          <caption>Rate limits</caption>
          <tbody>
            {usage.value.rate_limits.map((limit) => (
              <tr>
                <td>
                  {limit.level} {limit.entity}
                </td>
                <td>
                  {limit.metric} / {limit.period}
                </td>
                <td class="meter-cell">
                  <Meter fraction={limit.max === 0 ? 1 : limit.used / limit.max} label={`${limit.metric} per ${limit.period}`} />
                </td>
                <td class="num">
                  {count(limit.used)} of {count(limit.max)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mine.length > 0 && (
        <ul class="alerts" aria-label="Alerts" data-testid="usage-alerts">
          {mine.slice(0, 5).map((alert) => (
            <li>
              <strong>{alert.kind}</strong> <span class="muted">{time(alert.time)}</span> {alert.message}
            </li>
          ))}
        </ul>
      )}
      {daily.value !== undefined && <Bars points={lastDays(daily.value.rows)} label="Spend per day, last 30 days" format={usd} />}
    </div>
  );
}
