import { useEffect, useState } from 'preact/hooks';
import type { Role } from './api.js';

export const PAGES = ['overview', 'logs', 'keys', 'teams', 'customers', 'providers', 'playground', 'audit', 'cache', 'mcp', 'guardrails'] as const;
export type PageName = (typeof PAGES)[number];

export const TITLES: Record<PageName, string> = {
  overview: 'Overview',
  logs: 'Logs',
  keys: 'Keys',
  teams: 'Teams',
  customers: 'Customers',
  providers: 'Providers',
  playground: 'Playground',
  audit: 'Audit log',
  cache: 'Cache',
  mcp: 'MCP',
  guardrails: 'Guardrails',
};

/** Pages a role is offered: finance gets no playground (a content tool); the admin API enforces the rest. */
export function pagesFor(role: Role): PageName[] {
  return PAGES.filter((page) => !(role === 'finance' && page === 'playground'));
}

/** The page named by the URL (`/ui/logs` → logs); `/ui/` and anything unknown is the overview. */
export function pageOf(pathname: string): PageName {
  const name = pathname.replace(/^\/ui\/?/, '').split('/')[0];
  return (PAGES as readonly string[]).includes(name ?? '') ? (name as PageName) : 'overview';
}

export function navigate(page: PageName, search = ''): void {
  history.pushState(null, '', `/ui/${page}${search}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePage(): PageName {
  const [page, setPage] = useState(pageOf(location.pathname));
  useEffect(() => {
    const update = () => setPage(pageOf(location.pathname));
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return page;
}
