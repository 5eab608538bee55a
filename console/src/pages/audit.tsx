import { useEffect, useState } from 'preact/hooks';
import { api, queryOf } from '../api.js';
import { time } from '../format.js';
import { ErrorNote, fieldsOf } from '../components/ui.js';

interface Entry {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  hash: string;
}

interface Verdict {
  ok: boolean;
  entries: number;
  first_bad_seq: number | null;
  reason: string | null;
  head_seq: number | null;
  head_hash: string | null;
}

const PAGE = 100;

/** The audit log, newest first (filtered by actor, action or target, paged back by sequence), and the hash chain's verification. */
export function Audit() {
  const [filter, setFilter] = useState<{ actor?: string; action?: string; target?: string }>({});
  const [entries, setEntries] = useState<Entry[]>([]);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [verdict, setVerdict] = useState<Verdict | undefined>();
  const [verifying, setVerifying] = useState(false);

  const load = (before: number | undefined) =>
    api<{ entries: Entry[] }>('GET', `/admin/audit${queryOf({ ...filter, order: 'desc', limit: PAGE, before_seq: before })}`).then(
      (page) => {
        setEntries((current) => (before === undefined ? page.entries : [...current, ...page.entries]));
        setMore(page.entries.length === PAGE);
        setError(undefined);
      },
      (failure: Error) => setError(failure.message),
    );
  useEffect(() => void load(undefined), [filter]);

  const verify = () => {
    setVerifying(true);
    api<Verdict>('GET', '/admin/audit/verify').then(
      (answer) => {
        setVerdict(answer);
        setVerifying(false);
      },
      (failure: Error) => {
        setError(failure.message);
        setVerifying(false);
      },
    );
  };

  return (
    <section data-testid="page-audit" aria-labelledby="audit-title">
      <div class="title-row">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" data-testid="audit-verify" disabled={verifying} onClick={verify}>
          {verifying ? 'Verifying…' : 'Verify the chain'}
        </button>
      </div>
      {verdict !== undefined && (
        <div class={`verdict ${verdict.ok ? 'ok' : 'bad'}`} role="status" data-testid="audit-verdict" data-ok={String(verdict.ok)}>
          {verdict.ok ? (
            <p>
              The chain holds: {verdict.entries.toLocaleString()} entries, each linked to the one before. Head <span class="mono">{verdict.head_seq}:{verdict.head_hash}</span> (keep it to check later that nothing newer was removed: <code>tollgate audit verify --expect-head</code>).
            </p>
          ) : (
            <p>
              The chain is broken at entry {verdict.first_bad_seq}: {verdict.reason}
            </p>
          )}
        </div>
      )}
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const field = fieldsOf(event.currentTarget);
          setFilter({ actor: field('actor') || undefined, action: field('action') || undefined, target: field('target') || undefined });
        }}
      >
        <label>
          Actor <input name="actor" placeholder="admin, config, key:…" />
        </label>
        <label>
          Action <input name="action" placeholder="key.create, budget.alert" />
        </label>
        <label>
          Target <input name="target" />
        </label>
        <div class="row-actions">
          <button type="submit">Apply</button>
        </div>
      </form>
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr data-seq={entry.seq}>
                <td>{entry.seq}</td>
                <td>{time(entry.time)}</td>
                <td>{entry.actor}</td>
                <td class="mono">{entry.action}</td>
                <td class="mono">{entry.target ?? ''}</td>
                <td class="details mono">{JSON.stringify(entry.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {entries.length === 0 && <p class="muted">No audit entries.</p>}
      </div>
      {more && (
        <button type="button" onClick={() => void load(entries[entries.length - 1]?.seq)}>
          Older entries
        </button>
      )}
    </section>
  );
}
