import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { listOf, time } from '../format.js';
import { canEdit, useWho } from '../session.js';
import { BudgetsEditor, budgetsText, type Budget } from '../components/budgets-editor.js';
import { LimitsFields, limitsFrom, limitsText, type RateLimits } from '../components/limits-fields.js';
import { UsagePanel } from '../components/usage-panel.js';
import { ErrorNote, fieldsOf, useLoad } from '../components/ui.js';

interface KeyView {
  id: string;
  budgets: Budget[];
  name?: string;
  team?: string;
  customer?: string;
  models: string[];
  rate_limits?: RateLimits;
  max_concurrent?: number;
  expires_at?: string;
  active: boolean;
  created_at: string;
  previous_secret_valid_until: string | null;
  version?: number;
}

type Open = { id: string; panel: 'budget' | 'edit' | 'rotate' | 'usage' } | undefined;

/**
 * Virtual keys: the list; create (fields named as `POST /admin/keys`'s body; the secret shown once);
 * per key its budgets, models and limits, rotation (the new secret shown once) and usage.
 */
export function Keys() {
  const who = useWho();
  const editor = canEdit(who);
  const keys = useLoad(() => api<{ data: KeyView[] }>('GET', '/admin/keys'));
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ id: string; value: string; note: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState<Open>();
  const toggle = (id: string, panel: NonNullable<Open>['panel']) => setOpen(open?.id === id && open.panel === panel ? undefined : { id, panel });

  const create = (form: HTMLFormElement) => {
    const field = fieldsOf(form);
    const body: Record<string, unknown> = { models: listOf(field('models')) };
    for (const name of ['id', 'name', 'team', 'customer']) if (field(name) !== '') body[name] = field(name);
    setError(undefined);
    api<KeyView & { value: string }>('POST', '/admin/keys', body).then(
      (created) => {
        setSecret({ id: created.id, value: created.value, note: 'shown this once (copy it now)' });
        setCreating(false);
        keys.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  const change = (id: string, patch: Record<string, unknown>) => {
    setError(undefined);
    api<KeyView>('PATCH', `/admin/keys/${encodeURIComponent(id)}`, patch).then(
      () => {
        setOpen(undefined);
        keys.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  const edit = (key: KeyView, form: HTMLFormElement) => {
    const field = fieldsOf(form);
    const patch: Record<string, unknown> = { models: listOf(field('models')), rate_limits: limitsFrom(field) ?? {} };
    for (const name of ['name', 'team', 'customer']) if (field(name) !== '' || (key as unknown as Record<string, unknown>)[name] !== undefined) patch[name] = field(name) === '' ? undefined : field(name);
    const concurrent = field('max_concurrent');
    if (concurrent !== '') patch.max_concurrent = Number(concurrent);
    const expires = field('expires_at');
    if (expires !== '') patch.expires_at = new Date(expires).toISOString();
    change(key.id, patch);
  };

  const rotate = (id: string, form: HTMLFormElement) => {
    const grace = Number(fieldsOf(form)('grace_seconds') || '3600');
    setError(undefined);
    api<KeyView & { value: string }>('POST', `/admin/keys/${encodeURIComponent(id)}/rotate`, { grace_seconds: grace }).then(
      (rotated) => {
        setSecret({ id: rotated.id, value: rotated.value, note: `its new secret, shown this once; the old one works until ${time(rotated.previous_secret_valid_until)}` });
        setOpen(undefined);
        keys.reload();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  const list = keys.value?.data ?? [];
  return (
    <section data-testid="page-keys" aria-labelledby="keys-title">
      <div class="title-row">
        <h1 id="keys-title">Virtual keys</h1>
        {editor && (
          <button type="button" data-testid="key-create" aria-expanded={creating} onClick={() => setCreating(!creating)}>
            Create key
          </button>
        )}
      </div>
      <ErrorNote error={error ?? keys.error} />
      {secret !== undefined && (
        <div class="secret" role="status">
          <p>
            <strong>{secret.id}</strong>: {secret.note}
          </p>
          <code data-testid="key-secret">{secret.value}</code>
          <button type="button" onClick={() => setSecret(undefined)}>
            Done
          </button>
        </div>
      )}
      {creating && (
        <form
          class="create"
          onSubmit={(event) => {
            event.preventDefault();
            create(event.currentTarget);
          }}
        >
          <label>
            Id (optional) <input name="id" pattern="[A-Za-z0-9._:@\-]+" />
          </label>
          <label>
            Name <input name="name" />
          </label>
          <label>
            Models (comma-separated, e.g. <code>*</code> or <code>openai/*</code>) <input name="models" required />
          </label>
          <label>
            Team <input name="team" />
          </label>
          <label>
            Customer <input name="customer" />
          </label>
          <button type="submit" data-testid="key-create-submit">
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
              <th scope="col">Owner</th>
              <th scope="col">Models</th>
              <th scope="col">Budget</th>
              <th scope="col">Limits</th>
              <th scope="col">Active</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((key) => (
              <Fragment key={key.id}>
                <tr data-key-id={key.id}>
                  <td class="mono">{key.id}</td>
                  <td>{key.name ?? ''}</td>
                  <td>{[key.team !== undefined ? `team ${key.team}` : '', key.customer !== undefined ? `customer ${key.customer}` : ''].filter(Boolean).join(', ')}</td>
                  <td>{key.models.join(', ')}</td>
                  <td data-testid="key-budget">{budgetsText(key.budgets)}</td>
                  <td>
                    {limitsText(key.rate_limits)}
                    {key.max_concurrent !== undefined ? ` ${key.max_concurrent} at once` : ''}
                  </td>
                  <td>{key.active ? 'yes' : 'no'}</td>
                  <td>{time(key.created_at)}</td>
                  <td class="actions">
                    <button type="button" data-testid="key-usage-toggle" aria-expanded={open?.id === key.id && open.panel === 'usage'} onClick={() => toggle(key.id, 'usage')}>
                      Usage
                    </button>
                    {editor && (
                      <>
                        <button type="button" data-testid="key-budget-edit" aria-expanded={open?.id === key.id && open.panel === 'budget'} onClick={() => toggle(key.id, 'budget')}>
                          Budget
                        </button>
                        <button type="button" data-testid="key-edit" aria-expanded={open?.id === key.id && open.panel === 'edit'} onClick={() => toggle(key.id, 'edit')}>
                          Edit
                        </button>
                        <button type="button" data-testid="key-rotate" aria-expanded={open?.id === key.id && open.panel === 'rotate'} onClick={() => toggle(key.id, 'rotate')}>
                          Rotate
                        </button>
                        <button type="button" data-testid="key-active-toggle" onClick={() => change(key.id, { active: !key.active })}>
                          {key.active ? 'Disable' : 'Enable'}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
                {open?.id === key.id && (
                  <tr class="detail-row">
                    <td colSpan={9}>
                      {open.panel === 'budget' && <BudgetsEditor testid="key-budget" budgets={key.budgets} onSave={(budgets) => change(key.id, { budgets })} onCancel={() => setOpen(undefined)} />}
                      {open.panel === 'usage' && <UsagePanel kind="key" id={key.id} />}
                      {open.panel === 'edit' && (
                        <form
                          class="inline grid-form"
                          data-testid="key-edit-form"
                          onSubmit={(event) => {
                            event.preventDefault();
                            edit(key, event.currentTarget);
                          }}
                        >
                          <label>
                            Name <input name="name" value={key.name ?? ''} />
                          </label>
                          <label>
                            Models <input name="models" value={key.models.join(', ')} required />
                          </label>
                          <label>
                            Team <input name="team" value={key.team ?? ''} />
                          </label>
                          <label>
                            Customer <input name="customer" value={key.customer ?? ''} />
                          </label>
                          <LimitsFields limits={key.rate_limits} />
                          <label>
                            Requests at once <input name="max_concurrent" type="number" min="1" step="1" value={key.max_concurrent ?? ''} />
                          </label>
                          <label>
                            Expires <input name="expires_at" type="datetime-local" value={key.expires_at?.slice(0, 16) ?? ''} />
                          </label>
                          <div class="row-actions">
                            <button type="submit" data-testid="key-edit-submit">
                              Save
                            </button>
                            <button type="button" onClick={() => setOpen(undefined)}>
                              Cancel
                            </button>
                          </div>
                        </form>
                      )}
                      {open.panel === 'rotate' && (
                        <form
                          class="inline"
                          data-testid="key-rotate-form"
                          onSubmit={(event) => {
                            event.preventDefault();
                            rotate(key.id, event.currentTarget);
                          }}
                        >
                          <label>
                            The old secret keeps working for (seconds) <input name="grace_seconds" type="number" min="0" max="2592000" step="1" value="3600" />
                          </label>
                          <button type="submit" data-testid="key-rotate-submit">
                            Rotate now
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
        {keys.value !== undefined && list.length === 0 && <p class="muted">No virtual keys.</p>}
      </div>
    </section>
  );
}
