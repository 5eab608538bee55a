import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';

/** An error from the admin API, announced to screen readers. */
export function ErrorNote({ error }: { error: string | undefined }) {
  return error === undefined ? null : (
    <p role="alert" class="error">
      {error}
    </p>
  );
}

/** A figure with its raw value in `data-value` (tests and scripts read it). */
export function Card({ label, testid, value, shown, note }: { label: string; testid: string; value: number; shown: string; note?: string }) {
  return (
    <div class="card">
      <div class="muted">{label}</div>
      <div class="figure" data-testid={testid} data-value={String(value)}>
        {shown}
      </div>
      {note !== undefined && <div class="muted small">{note}</div>}
    </div>
  );
}

export function Section({ title, children, testid }: { title: string; children: ComponentChildren; testid?: string }) {
  return (
    <section class="panel" data-testid={testid} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Loads once (and again on `reload()` or when `keys` change); keeps the last value while reloading. */
export function useLoad<T>(load: () => Promise<T>, keys: unknown[] = []): { value: T | undefined; error: string | undefined; reload: () => void } {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (loaded) => {
        if (!current) return;
        setValue(loaded);
        setError(undefined);
      },
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [...keys, round]);
  const reload = useCallback(() => setRound((previous) => previous + 1), []);
  return { value, error, reload };
}

/** Text fields of a form, trimmed. */
export function fieldsOf(form: HTMLFormElement): (name: string) => string {
  const data = new FormData(form);
  return (name) => String(data.get(name) ?? '').trim();
}
