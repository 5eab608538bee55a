import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { time } from '../format.js';
import { canEdit, useWho } from '../session.js';
import { BudgetsEditor, budgetsText, type Budget } from '../components/budgets-editor.js';
import { LimitsFields, limitsFrom, limitsText, type RateLimits } from '../components/limits-fields.js';
import { UsagePanel } from '../components/usage-panel.js';
import { ErrorNote, fieldsOf, useLoad } from '../components/ui.js';

interface Entity {
  id: string;
  name?: string;
  customer?: string;
  budgets: Budget[];
  rate_limits?: RateLimits;
  metadata: Record<string, string>;
  created_at: string;
  source?: string;
}

type Panel = 'budget' | 'edit' | 'usage';

/** Teams or customers (the same shape of admin routes): list, create, budgets, limits, usage. */
export function Entities({ kind }: { kind: 'team' | 'customer' }) {
  const who = useWho();
  const editor = canEdit(who);
  const plural = `${kind}s`;
  const entities = useLoad(() => api<{ data: Entity[] }>('GET', `/admin/${plural}`), [kind]);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState<{ id: string; panel: Panel } | undefined>();
  const toggle = (id: string, panel: Panel) => setOpen(open?.id === id && open.panel === panel ? undefined : { id, panel });
  const title = kind === 'team' ? 'Teams' : 'Customers';

  const done = (promise: Promise<unknown>) => {
    setError(undefined);
    promise.then(
      () => {
        setOpen(undefined);
        setCreating(false);
        entities.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };
  const change = (id: string, patch: Record<string, unknown>) => done(api('PATCH', `/admin/${plural}/${encodeURIComponent(id)}`, patch));

  const create = (form: HTMLFormElement) => {
    const field = fieldsOf(form);
    const body: Record<string, unknown> = { id: field('id') };
    if (field('name') !== '') body.name = field('name');
    if (kind === 'team' && field('customer') !== '') body.customer = field('customer');
    const max = field('max_usd');
    if (max !== '') body.budgets = [{ max_usd: Number(max), ...(field('period') === '' ? {} : { period: field('period') }) }];
    const limits = limitsFrom(field);
    if (limits !== undefined) body.rate_limits = limits;
    done(api('POST', `/admin/${plural}`, body));
  };

  const list = entities.value?.data ?? [];
  return (
    <section data-testid={`page-${plural}`} aria-labelledby={`${plural}-title`}>
      <div class="title-row">
        <h1 id={`${plural}-title`}>{title}</h1>
        {editor && (
          <button type="button" data-testid={`${kind}-create`} aria-expanded={creating} onClick={() => setCreating(!creating)}>
            Create {kind}
          </button>
        )}
      </div>
      <ErrorNote error={error ?? entities.error} />
      {creating && (
        <form
          class="create"
          onSubmit={(event) => {
            event.preventDefault();
            create(event.currentTarget);
          }}
        >
          <label>
            Id <input name="id" required pattern="[A-Za-z0-9._:@\-]+" />
          </label>
          <label>
            Name <input name="name" />
          </label>
          {kind === 'team' && (
            <label>
              Customer <input name="customer" />
            </label>
          )}
          <div class="pair">
            <label>
              Budget (USD) <input name="max_usd" type="number" min="0" step="any" />
            </label>
            <label>
              per{' '}
              <select name="period">
                <option value="">lifetime</option>
                <option value="1d">day</option>
                <option value="1w">week</option>
                <option value="1M">month</option>
              </select>
            </label>
          </div>
          <LimitsFields limits={undefined} />
          <button type="submit" data-testid={`${kind}-create-submit`}>
            Create
          </button>
        </form>
      )}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              {kind === 'team' && <th scope="col">Customer</th>}
              <th scope="col">Budgets</th>
              <th scope="col">Rate limits</th>
              <th scope="col">Source</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((entity) => (
              <Fragment key={entity.id}>
                <tr data-entity-id={entity.id}>
                  <td class="mono">{entity.id}</td>
                  <td>{entity.name ?? ''}</td>
                  {kind === 'team' && <td>{entity.customer ?? ''}</td>}
                  <td data-testid={`${kind}-budget`}>{budgetsText(entity.budgets)}</td>
                  <td>{limitsText(entity.rate_limits)}</td>
                  <td>{entity.source ?? ''}</td>
                  <td>{time(entity.created_at)}</td>
                  <td class="actions">
                    <button type="button" data-testid={`${kind}-usage-toggle`} aria-expanded={open?.id === entity.id && open.panel === 'usage'} onClick={() => toggle(entity.id, 'usage')}>
                      Usage
                    </button>
                    {editor && (
                      <>
                        <button type="button" data-testid={`${kind}-budget-edit`} aria-expanded={open?.id === entity.id && open.panel === 'budget'} onClick={() => toggle(entity.id, 'budget')}>
                          Budgets
                        </button>
                        <button type="button" data-testid={`${kind}-edit`} aria-expanded={open?.id === entity.id && open.panel === 'edit'} onClick={() => toggle(entity.id, 'edit')}>
                          Edit
                        </button>
                      </>
                    )}
                  </td>
                </tr>
                {open?.id === entity.id && (
                  <tr class="detail-row">
                    <td colSpan={kind === 'team' ? 8 : 7}>
                      {open.panel === 'usage' && <UsagePanel kind={kind} id={entity.id} />}
                      {open.panel === 'budget' && <BudgetsEditor testid={`${kind}-budget`} budgets={entity.budgets} onSave={(budgets) => change(entity.id, { budgets })} onCancel={() => setOpen(undefined)} />}
                      {open.panel === 'edit' && (
                        <form
                          class="inline grid-form"
                          data-testid={`${kind}-edit-form`}
                          onSubmit={(event) => {
                            event.preventDefault();
                            const field = fieldsOf(event.currentTarget);
                            const patch: Record<string, unknown> = { rate_limits: limitsFrom(field) ?? {} };
                            if (field('name') !== '') patch.name = field('name');
                            if (kind === 'team' && field('customer') !== '') patch.customer = field('customer');
                            change(entity.id, patch);
                          }}
                        >
                          <label>
                            Name <input name="name" value={entity.name ?? ''} />
                          </label>
                          {kind === 'team' && (
                            <label>
                              Customer <input name="customer" value={entity.customer ?? ''} />
                            </label>
                          )}
                          <LimitsFields limits={entity.rate_limits} />
                          <div class="row-actions">
                            <button type="submit" data-testid={`${kind}-edit-submit`}>
                              Save
                            </button>
                            <button type="button" onClick={() => setOpen(undefined)}>
                              Cancel
                            </button>
                          </div>
                        </form>
                      )}
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
        {entities.value !== undefined && list.length === 0 && <p class="muted">No {plural} yet.</p>}
      </div>
    </section>
  );
}
