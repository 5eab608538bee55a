import { useState } from 'preact/hooks';
import { login, type Session } from './api.js';

/** Log in with the admin token (the default) or a console account's name and password. */
export function Login({ onLogin }: { onLogin: (session: Session) => void }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [mode, setMode] = useState<'token' | 'account'>('token');
  return (
    <main class="login">
      <h1>Tollgate console</h1>
      <div role="group" aria-label="Log in with" class="modes">
        <button type="button" aria-pressed={mode === 'token'} onClick={() => setMode('token')}>
          Admin token
        </button>
        <button type="button" aria-pressed={mode === 'account'} data-testid="login-account-mode" onClick={() => setMode('account')}>
          Account
        </button>
      </div>
      <form
        data-testid="login-form"
        onSubmit={(event) => {
          event.preventDefault();
          const fields = new FormData(event.currentTarget);
          const text = (name: string) => String(fields.get(name) ?? '');
          setBusy(true);
          setError(undefined);
          login(mode === 'token' ? { token: text('token') } : { user: text('user').trim(), password: text('password') }).then(onLogin, (failure: Error) => {
            setError(failure.message);
            setBusy(false);
          });
        }}
      >
        {mode === 'token' ? (
          <>
            <label for="token">Admin token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
          </>
        ) : (
          <>
            <label for="user">User</label>
            <input id="user" name="user" autocomplete="username" required autofocus />
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
          </>
        )}
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
