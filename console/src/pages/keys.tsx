import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';

interface Budget {
  max_usd: number;
  period?: string;
}

interface KeyView {
  id: string;
  budgets: Budget[];
  name?: string;
  team?: string;
  customer?: string;
  models: string[];
  active: boolean;
  created_at: string;
}

const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** Virtual keys: the list, and a form whose fields are `POST /admin/keys`'s body; the secret is shown once. */
export function Keys() {
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ id: string; value: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [editing, setEditing] = useState<string | undefined>();
  const load = () => api<{ data: KeyView[] }>('GET', '/admin/keys').then((answer) => setKeys(answer.data), (failure: Error) => setError(failure.message));
  useEffect(() => void load(), []);

  const create = (form: HTMLFormElement) => {
    const fields = new FormData(form);
    const text = (name: string) => String(fields.get(name) ?? '').trim();
    const body: Record<string, unknown> = { models: list(text('models')) };
    for (const name of ['id', 'name', 'team', 'customer']) if (text(name) !== '') body[name] = text(name);
    setError(undefined);
    api<KeyView & { value: string }>('POST', '/admin/keys', body).then(
      (created) => {
        setSecret({ id: created.id, value: created.value });
        setCreating(false);
        void load();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  const change = (id: string, patch: Record<string, unknown>) => {
    setError(undefined);
    api<KeyView>('PATCH', `/admin/keys/${encodeURIComponent(id)}`, patch).then(
      () => {
        setEditing(undefined);
        void load();
      },
      (failure: Error) => setError(failure.message),
    );
  };

  const saveBudget = (id: string, form: HTMLFormElement) => {
    const fields = new FormData(form);
    const max = String(fields.get('max_usd') ?? '').trim();
    const period = String(fields.get('period') ?? '');
    change(id, { budgets: max === '' ? [] : [{ max_usd: Number(max), ...(period === '' ? {} : { period }) }] });
  };

  return (
    <section data-testid="page-keys" aria-labelledby="keys-title">
      <div class="title-row">
        <h1 id="keys-title">Virtual keys</h1>
        <button type="button" data-testid="key-create" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          Create key
        </button>
      </div>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {secret !== undefined && (
        <div class="secret" role="status">
          <p>
            The secret of <strong>{secret.id}</strong>, shown this once (copy it now):
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
            Id (optional) <input name="id" pattern="[A-Za-z0-9._\-]+" />
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
              <th scope="col">Active</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <Fragment key={key.id}>
                <tr data-key-id={key.id}>
                  <td class="mono">{key.id}</td>
                  <td>{key.name ?? ''}</td>
                  <td>{key.team !== undefined ? `team ${key.team}` : key.customer !== undefined ? `customer ${key.customer}` : ''}</td>
                  <td>{key.models.join(', ')}</td>
                  <td data-testid="key-budget">{key.budgets.map((budget) => `$${budget.max_usd} / ${budget.period ?? 'lifetime'}`).join(', ')}</td>
                  <td>{key.active ? 'yes' : 'no'}</td>
                  <td>{new Date(key.created_at).toLocaleString()}</td>
                  <td class="actions">
                    <button type="button" data-testid="key-budget-edit" aria-expanded={editing === key.id} onClick={() => setEditing(editing === key.id ? undefined : key.id)}>
                      Budget
                    </button>
                    <button type="button" data-testid="key-active-toggle" onClick={() => change(key.id, { active: !key.active })}>
                      {key.active ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                </tr>
                {editing === key.id && (
                  <tr>
                    <td colSpan={8}>
                      <form
                        class="inline"
                        data-testid="key-budget-form"
                        onSubmit={(event) => {
                          event.preventDefault();
                          saveBudget(key.id, event.currentTarget);
                        }}
                      >
                        <label>
                          Budget (USD, empty for none){' '}
                          <input name="max_usd" type="number" min="0" step="any" value={key.budgets[0]?.max_usd ?? ''} />
                        </label>
                        <label>
                          Per{' '}
                          <select name="period" value={key.budgets[0]?.period ?? ''}>
                            <option value="">lifetime</option>
                            <option value="1h">hour</option>
                            <option value="1d">day</option>
                            <option value="1w">week</option>
                            <option value="1M">month</option>
                          </select>
                        </label>
                        <button type="submit" data-testid="key-budget-submit">
                          Save
                        </button>
                      </form>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
        {keys.length === 0 && <p class="muted">No virtual keys.</p>}
      </div>
    </section>
  );
}
