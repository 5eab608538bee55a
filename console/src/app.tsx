import { useEffect, useState } from 'preact/hooks';
import { currentSession, logout, type Session } from './api.js';
import { Login } from './login.js';
import { navigate, pagesFor, TITLES, usePage, type PageName } from './router.js';
import { SessionContext, type Who } from './session.js';
import { Overview } from './pages/overview.js';
import { Logs } from './pages/logs.js';
import { Keys } from './pages/keys.js';
import { Entities } from './pages/entities.js';
import { Providers } from './pages/providers.js';
import { Playground } from './pages/playground.js';
import { Audit } from './pages/audit.js';
import { Cache } from './pages/cache.js';
import { Mcp } from './pages/mcp.js';
import { Guardrails } from './pages/guardrails.js';

function Page({ name }: { name: PageName }) {
  switch (name) {
    case 'overview':
      return <Overview />;
    case 'logs':
      return <Logs />;
    case 'keys':
      return <Keys />;
    case 'teams':
      return <Entities key="team" kind="team" />;
    case 'customers':
      return <Entities key="customer" kind="customer" />;
    case 'providers':
      return <Providers />;
    case 'playground':
      return <Playground />;
    case 'audit':
      return <Audit />;
    case 'cache':
      return <Cache />;
    case 'mcp':
      return <Mcp />;
    case 'guardrails':
      return <Guardrails />;
  }
}

export function App() {
  const [who, setWho] = useState<Who | 'loading' | 'anonymous'>('loading');
  const page = usePage();
  const enter = (session: Session) => setWho(session.authenticated ? { role: session.role ?? 'admin', user: session.user ?? null } : 'anonymous');
  useEffect(() => {
    currentSession().then(enter, () => setWho('anonymous'));
    const out = () => setWho('anonymous');
    window.addEventListener('tollgate:logged-out', out);
    return () => window.removeEventListener('tollgate:logged-out', out);
  }, []);
  useEffect(() => {
    document.title = `${TITLES[page]} · Tollgate`;
  }, [page]);

  if (who === 'loading') return <p class="muted">Loading…</p>;
  if (who === 'anonymous') return <Login onLogin={enter} />;
  const pages = pagesFor(who.role);
  const shown = pages.includes(page) ? page : 'overview';
  return (
    <SessionContext.Provider value={who}>
      <div class="shell">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <strong>Tollgate</strong>
          <nav aria-label="Pages">
            {pages.map((name) => (
              <a
                href={`/ui/${name}`}
                aria-current={name === shown ? 'page' : undefined}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(name);
                }}
              >
                {TITLES[name]}
              </a>
            ))}
          </nav>
          <span class="muted" data-testid="session-who" data-role={who.role}>
            {who.user ?? 'admin token'} · {who.role}
          </span>
          <button type="button" onClick={() => void logout().then(() => setWho('anonymous'))}>
            Log out
          </button>
        </header>
        <main id="main" tabIndex={-1}>
          <Page name={shown} />
        </main>
      </div>
    </SessionContext.Provider>
  );
}
