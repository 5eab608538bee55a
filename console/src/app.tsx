import { useEffect, useState } from 'preact/hooks';
import { currentSession, logout } from './api.js';
import { Login } from './login.js';
import { navigate, PAGES, usePage, type PageName } from './router.js';
import { Overview } from './pages/overview.js';
import { Logs } from './pages/logs.js';
import { Keys } from './pages/keys.js';

const TITLES: Record<PageName, string> = { overview: 'Overview', logs: 'Logs', keys: 'Keys' };

export function App() {
  const [state, setState] = useState<'loading' | 'anonymous' | 'in'>('loading');
  const page = usePage();
  useEffect(() => {
    currentSession().then(
      (session) => setState(session.authenticated ? 'in' : 'anonymous'),
      () => setState('anonymous'),
    );
    const out = () => setState('anonymous');
    window.addEventListener('tollgate:logged-out', out);
    return () => window.removeEventListener('tollgate:logged-out', out);
  }, []);
  useEffect(() => {
    document.title = `${TITLES[page]} · Tollgate`;
  }, [page]);

  if (state === 'loading') return <p class="muted">Loading…</p>;
  if (state === 'anonymous') return <Login onLogin={() => setState('in')} />;
  return (
    <div class="shell">
      <header>
        <strong>Tollgate</strong>
        <nav aria-label="Pages">
          {PAGES.map((name) => (
            <a
              href={`/ui/${name}`}
              aria-current={name === page ? 'page' : undefined}
              onClick={(event) => {
                event.preventDefault();
                navigate(name);
              }}
            >
              {TITLES[name]}
            </a>
          ))}
        </nav>
        <button type="button" onClick={() => void logout().then(() => setState('anonymous'))}>
          Log out
        </button>
      </header>
      <main>{page === 'overview' ? <Overview /> : page === 'logs' ? <Logs /> : <Keys />}</main>
    </div>
  );
}
