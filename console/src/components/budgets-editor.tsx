import { useState } from 'preact/hooks';

export interface Budget {
  max_usd: number;
  period?: string;
  rolling?: boolean;
}

export const PERIODS: [string, string][] = [
  ['', 'lifetime'],
  ['1h', 'hour'],
  ['1d', 'day'],
  ['1w', 'week'],
  ['1M', 'month'],
  ['1Y', 'year'],
];

interface Row {
  max: string;
  period: string;
  rolling: boolean;
}

/** `$5 / 1d, $100 / 1M` (the period as the API spells it). */
export function budgetsText(budgets: readonly Budget[]): string {
  return budgets.map((budget) => `$${budget.max_usd} / ${budget.period ?? 'lifetime'}${budget.rolling ? ' (rolling)' : ''}`).join(', ');
}

/**
 * Several budgets, each a USD maximum per period (empty maximum: dropped). Saved as a whole list,
 * which is what the admin API's PATCH takes.
 */
export function BudgetsEditor({ budgets, onSave, testid, onCancel }: { budgets: readonly Budget[]; onSave: (budgets: Budget[]) => void; testid: string; onCancel: () => void }) {
  const [rows, setRows] = useState<Row[]>(budgets.length === 0 ? [{ max: '', period: '', rolling: false }] : budgets.map((budget) => ({ max: String(budget.max_usd), period: budget.period ?? '', rolling: budget.rolling === true })));
  const update = (index: number, patch: Partial<Row>) => setRows(rows.map((row, at) => (at === index ? { ...row, ...patch } : row)));
  return (
    <form
      class="inline budgets"
      data-testid={`${testid}-form`}
      onSubmit={(event) => {
        event.preventDefault();
        onSave(rows.filter((row) => row.max.trim() !== '').map((row) => ({ max_usd: Number(row.max), ...(row.period === '' ? {} : { period: row.period }), ...(row.rolling ? { rolling: true } : {}) })));
      }}
    >
      {rows.map((row, index) => (
        <fieldset class="budget-row">
          <legend class="visually-hidden">Budget {index + 1}</legend>
          <label>
            Budget (USD, empty for none){' '}
            <input name="max_usd" type="number" min="0" step="any" value={row.max} onInput={(event) => update(index, { max: event.currentTarget.value })} />
          </label>
          <label>
            Per{' '}
            <select name="period" value={row.period} onChange={(event) => update(index, { period: event.currentTarget.value })}>
              {PERIODS.map(([value, label]) => (
                <option value={value}>{label}</option>
              ))}
            </select>
          </label>
          <label class="check">
            <input type="checkbox" name="rolling" checked={row.rolling} onChange={(event) => update(index, { rolling: event.currentTarget.checked })} /> rolling
          </label>
          <button type="button" aria-label={`Remove budget ${index + 1}`} onClick={() => setRows(rows.filter((_, at) => at !== index))}>
            Remove
          </button>
        </fieldset>
      ))}
      <div class="row-actions">
        <button type="button" onClick={() => setRows([...rows, { max: '', period: '1d', rolling: false }])}>
          Add budget
        </button>
        <button type="submit" data-testid={`${testid}-submit`}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
