import { api } from '../api.js';
import { count } from '../format.js';
import { Breakdown } from '../components/charts.js';
import { Card, ErrorNote, Section, useLoad } from '../components/ui.js';

/** A rule of `GET /admin/guardrails` (no pattern, word, webhook credential or header value). */
interface RuleView {
  name: string;
  detector: string;
  types: string[] | null;
  action: 'block' | 'redact' | 'log';
  direction: 'input' | 'output' | 'both';
  restore: boolean;
  words: number | null;
  webhook: { url: string; timeout_ms: number; on_error: 'allow' | 'block'; header_names: string[] } | null;
  scopes: { everyone: boolean; customers: string[]; teams: string[]; virtual_keys: string[] };
}

/** A record's `guardrails` column: the rules' decisions, never a matched value. */
interface Decision {
  rule: string;
  action: string;
}

/** Blocked requests read per rule: enough for a day's picture, bounded for the page. */
const BLOCKS_READ = 1000;

const ACTION_BADGE: Record<RuleView['action'], string> = { block: 'closed', redact: 'paused', log: '' };

function scopeText(scopes: RuleView['scopes']): string {
  const parts = [...(scopes.everyone ? ['everyone'] : []), ...scopes.customers.map((id) => `customer ${id}`), ...scopes.teams.map((id) => `team ${id}`), ...scopes.virtual_keys.map((id) => `key ${id}`)];
  return parts.length === 0 ? 'nowhere (no apply lists it)' : parts.join(', ');
}

function checksText(rule: RuleView): string {
  if (rule.webhook !== null) return `${rule.webhook.url} (${rule.webhook.timeout_ms} ms, fails ${rule.webhook.on_error === 'allow' ? 'open' : 'closed'}${rule.webhook.header_names.length > 0 ? `; headers ${rule.webhook.header_names.join(', ')}` : ''})`;
  const types = rule.types === null ? '' : `types ${rule.types.join(', ')}`;
  if (rule.detector === 'keywords') return [`${count(rule.words ?? 0)} ${rule.words === 1 ? 'word or phrase' : 'words or phrases'}`, types].filter((part) => part !== '').join('; ');
  if (rule.detector === 'regex') return ['a pattern (not shown)', types].filter((part) => part !== '').join('; ');
  return types === '' ? 'every type' : types;
}

/** The rule a blocked request's record names: its first blocking decision. */
function blockingRule(text: string | null): string {
  try {
    const decisions = JSON.parse(text ?? '[]') as Decision[];
    return decisions.find((decision) => decision.action === 'block')?.rule ?? '(not recorded)';
  } catch {
    return '(not recorded)';
  }
}

/**
 * The guardrail rules of the config file (`GET /admin/guardrails`, read-only): what each checks, its
 * action and direction, and where it applies; and the last 24 hours' blocked requests, per rule, from
 * the request log's guardrail decisions (which never hold the matched text).
 */
export function Guardrails() {
  const from = encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString());
  const rules = useLoad(() => api<{ rules: RuleView[] }>('GET', '/admin/guardrails').then((answer) => answer.rules));
  const total = useLoad(() => api<{ rows: { requests: number }[] }>('GET', `/admin/logs/aggregate?from=${from}&error_code=guardrail_blocked`).then((answer) => answer.rows.reduce((sum, row) => sum + row.requests, 0)));
  const blocks = useLoad(() =>
    api<{ logs: { guardrails: string | null }[] }>('GET', `/admin/logs?from=${from}&error_code=guardrail_blocked&fields=guardrails&limit=${BLOCKS_READ}`).then((answer) => {
      const byRule = new Map<string, number>();
      for (const record of answer.logs) {
        const rule = blockingRule(record.guardrails);
        byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
      }
      return { byRule, read: answer.logs.length };
    }),
  );
  const byRule = blocks.value?.byRule ?? new Map<string, number>();
  const blocked = total.value ?? 0;

  return (
    <section data-testid="page-guardrails" aria-labelledby="guardrails-title">
      <div class="title-row">
        <h1 id="guardrails-title">Guardrails</h1>
      </div>
      <ErrorNote error={rules.error ?? total.error ?? blocks.error} />
      <div class="cards">
        <Card label="Rules" testid="guardrails-rules-count" value={rules.value?.length ?? 0} shown={count(rules.value?.length ?? 0)} />
        <Card label="Blocked requests, 24 hours" testid="guardrails-blocked" value={blocked} shown={count(blocked)} />
      </div>
      <div class="table-wrap">
        <table data-testid="guardrails-rules">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Detector</th>
              <th scope="col">Checks</th>
              <th scope="col">Action</th>
              <th scope="col">Direction</th>
              <th scope="col">Applies to</th>
              <th scope="col" class="num">
                Blocks, 24 h
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.value !== undefined && rules.value.length === 0 && (
              <tr>
                <td colSpan={7} class="muted">
                  No guardrail rules: define them under guardrails.rules in the config file.
                </td>
              </tr>
            )}
            {(rules.value ?? []).map((rule) => (
              <tr data-rule={rule.name} data-action={rule.action} data-direction={rule.direction}>
                <th scope="row" class="mono">
                  {rule.name}
                </th>
                <td>{rule.detector}</td>
                <td class="small">{checksText(rule)}</td>
                <td>
                  <span class={`badge ${ACTION_BADGE[rule.action]}`}>{rule.action === 'redact' && rule.restore ? 'redact (restored in the answer)' : rule.action}</span>
                </td>
                <td>{rule.direction === 'both' ? 'input and output' : rule.direction}</td>
                <td data-testid="guardrail-scope">{scopeText(rule.scopes)}</td>
                <td class="num" data-testid="guardrail-blocks" data-value={String(byRule.get(rule.name) ?? 0)}>
                  {count(byRule.get(rule.name) ?? 0)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="panels">
        <Section title="Blocks by rule, 24 hours" testid="guardrails-blocks-by-rule">
          <Breakdown rows={[...byRule].map(([label, value]) => ({ label, value })).sort((left, right) => right.value - left.value)} format={count} empty="No request was blocked by a guardrail in 24 hours." />
          {blocks.value !== undefined && blocks.value.read < blocked && (
            <p class="muted small">
              From the newest {count(blocks.value.read)} of {count(blocked)} blocked requests.
            </p>
          )}
          <p class="muted small">Rules are set in the config file (guardrails) and change with a reload; each decision is in the request log with its rule and types, never the matched text.</p>
        </Section>
      </div>
    </section>
  );
}
