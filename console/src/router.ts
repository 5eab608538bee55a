import { useEffect, useState } from 'preact/hooks';

export const PAGES = ['overview', 'logs', 'keys'] as const;
export type PageName = (typeof PAGES)[number];

/** The page named by the URL (`/ui/logs` → logs); `/ui/` and anything unknown is the overview. */
export function pageOf(pathname: string): PageName {
  const name = pathname.replace(/^\/ui\/?/, '').split('/')[0];
  return (PAGES as readonly string[]).includes(name ?? '') ? (name as PageName) : 'overview';
}

export function navigate(page: PageName): void {
  history.pushState(null, '', `/ui/${page}`);
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
