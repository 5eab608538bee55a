import { useState } from 'preact/hooks';
import { login } from './api.js';

export function Login({ onLogin }: { onLogin: () => void }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <h1>Tollgate console</h1>
      <form
        data-testid="login-form"
        onSubmit={(event) => {
          event.preventDefault();
          const token = String(new FormData(event.currentTarget).get('token') ?? '');
          setBusy(true);
          login(token).then(onLogin, (failure: Error) => {
            setError(failure.message);
            setBusy(false);
          });
        }}
      >
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        {error !== undefined && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
