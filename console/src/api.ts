/** The console's only back end: the gateway's admin API, with the session cookie and its CSRF token. */
let csrf: string | undefined;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export type Role = 'admin' | 'viewer' | 'finance';

export interface Session {
  authenticated: boolean;
  csrf_token?: string;
  role?: Role;
  user?: string | null;
}

async function parse<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string; code?: string } };
  if (!response.ok) throw new ApiError(response.status, body.error?.message ?? `HTTP ${response.status}`, body.error?.code);
  return body as T;
}

export async function currentSession(): Promise<Session> {
  const session = await parse<Session>(await fetch('/ui/api/session', { credentials: 'same-origin' }));
  csrf = session.csrf_token;
  return session;
}

/** Logs in with the admin token (`{token}`) or an account (`{user, password}`). */
export async function login(credentials: { token: string } | { user: string; password: string }): Promise<Session> {
  const answer = await parse<{ csrf_token: string; role: Role; user: string | null }>(
    await fetch('/ui/api/session', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) }),
  );
  csrf = answer.csrf_token;
  return { authenticated: true, csrf_token: answer.csrf_token, role: answer.role, user: answer.user };
}

export async function logout(): Promise<void> {
  await fetch('/ui/api/session', { method: 'DELETE', credentials: 'same-origin', headers: csrf === undefined ? {} : { 'x-tollgate-csrf': csrf } });
  csrf = undefined;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET' && csrf !== undefined) headers['x-tollgate-csrf'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) window.dispatchEvent(new Event('tollgate:logged-out'));
  return parse<T>(response);
}

/** `?a=1&b=2` from the entries whose value is not empty. */
export function queryOf(parameters: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
