import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
  /** While it fails: `fail-closed` (the default) makes the gateway not ready; `fail-open` and `buffer` only degrade it. */
  policy?: 'fail-closed' | 'fail-open' | 'buffer';
  /** What callers see while it is down. */
  effect?: string;
}

interface DependencyStatus {
  status: 'up' | 'down';
  policy: 'fail-closed' | 'fail-open' | 'buffer';
  effect?: string;
  error?: string;
}

/**
 * How long `GET /ready` waits for one dependency's check. A Redis or PostgreSQL that holds its
 * connections open but does not answer (paused, swapping, a half-open link) would otherwise hold the
 * probe until the load balancer gives up on it, without ever saying which dependency is down.
 */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

/**
 * `GET /health` (the process is up, with `details`: the price catalog's provenance) and `GET /ready` (config loaded, dependencies reachable, not
 * draining). `/ready` answers 503 `not_ready` while a fail-closed dependency is down, 200
 * `degraded` while only fail-open or buffering ones are, and names each one with its policy.
 */
export function healthRoutes(checks: readonly ReadinessCheck[], isDraining: () => boolean, details: () => Record<string, unknown> = () => ({})): HttpRoute[] {
  return [
    { method: 'GET', path: '/health', handler: (exchange) => sendJson(exchange.response, 200, { status: 'ok', ...details() }) },
    {
      method: 'GET',
      path: '/ready',
      async handler(exchange) {
        if (isDraining()) return sendJson(exchange.response, 503, { status: 'draining' });
        const results: Record<string, string> = {};
        const dependencies: Record<string, DependencyStatus> = {};
        let ready = true;
        let degraded = false;
        await Promise.all(
          checks.map(async ({ name, check, policy = 'fail-closed', effect }) => {
            try {
              await withinTimeout(check());
              results[name] = 'ok';
              dependencies[name] = { status: 'up', policy, ...(effect === undefined ? {} : { effect }) };
            } catch (error) {
              if (policy === 'fail-closed') ready = false;
              else degraded = true;
              results[name] = (error as Error).message ?? 'failed';
              dependencies[name] = { status: 'down', policy, ...(effect === undefined ? {} : { effect }), error: results[name] };
            }
          }),
        );
        const status = !ready ? 'not_ready' : degraded ? 'degraded' : 'ready';
        sendJson(exchange.response, ready ? 200 : 503, { status, checks: results, dependencies });
      },
    },
  ];
}

/** `check`, or a rejection naming the bound once READINESS_CHECK_TIMEOUT_MS passed without an answer. */
function withinTimeout(check: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_CHECK_TIMEOUT_MS} ms`)), READINESS_CHECK_TIMEOUT_MS);
  });
  return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
}
