import { createHook } from 'node:async_hooks';
import type { ResilientRouter } from '../../src/routing/resilient-router.js';
import type { RunningGateway } from '../helpers/gateway.js';

/** Where a resource was created, as seen in its stack: the gateway's own code, or the undici it sends upstream with. */
const GATEWAY_CODE = /\/dist\/src\//;
const UPSTREAM_CLIENT = /\/node_modules\/undici\//;

interface Live {
  readonly kind: 'timer' | 'socket';
  readonly created: number;
  readonly where: string;
  /** For sockets, the TCP handle: its `owner` (the net.Socket) tells where it leads. */
  readonly resource: { owner?: { remotePort?: number } };
}

const live = new Map<number, Live>();
let sequence = 0;

/**
 * Counts, through async_hooks, the timers the gateway's code creates and the sockets the project's
 * undici opens, from creation until Node destroys them. The fakes' timers are left out (their stacks
 * are not in `dist/src`); so are the test client's sockets to the gateway (once undici is loaded,
 * global fetch uses it too), told apart by the port they lead to.
 */
const hook = createHook({
  init(id, type, _trigger, resource) {
    if (type !== 'Timeout' && type !== 'TCPWRAP') return;
    const stack = new Error().stack ?? '';
    if (type === 'Timeout' && GATEWAY_CODE.test(stack)) live.set(id, { kind: 'timer', created: ++sequence, where: firstFrame(stack, GATEWAY_CODE), resource });
    else if (type === 'TCPWRAP' && UPSTREAM_CLIENT.test(stack)) live.set(id, { kind: 'socket', created: ++sequence, where: 'undici', resource });
  },
  destroy(id) {
    live.delete(id);
  },
});

function firstFrame(stack: string, pattern: RegExp): string {
  return stack.split('\n').find((line) => pattern.test(line))?.trim() ?? 'unknown';
}

export interface LeakWatch {
  /**
   * Resolves once the gateway holds no more than it should for a quiet gateway: no timer of its
   * own created since the watch began, at most `idleSockets` upstream sockets opened since then
   * (keep-alive connections ready for the next request: one per upstream origin that answered),
   * no open routing session and nothing in flight on any target or key. Rejects after `withinMs`
   * naming what is left: a bound on the wait, never a measurement.
   */
  settled(options: { idleSockets: number; withinMs?: number }): Promise<void>;
}

/** Starts counting; call it after the gateway has started (its long-lived timers are not per request). */
export function watchLeaks(running: RunningGateway): LeakWatch {
  hook.enable();
  const mark = sequence;
  const router = running.gateway.pipeline.parts.router as ResilientRouter;
  const gatewayPort = Number(new URL(running.url).port);
  const leftOver = (idleSockets: number): string | undefined => {
    let timers = 0;
    let sockets = 0;
    const where: string[] = [];
    for (const entry of live.values()) {
      if (entry.created <= mark) continue;
      if (entry.kind === 'timer') {
        timers++;
        where.push(entry.where);
      } else if (entry.resource.owner?.remotePort !== gatewayPort) sockets++;
    }
    const busy = [...router.health.allTargets()].filter((target) => target.inFlight !== 0).map((target) => target.ref);
    const busyKeys = [...router.health.allKeys()].filter((key) => key.inFlight !== 0).map((key) => key.keyId);
    const problems: string[] = [];
    if (timers > 0) problems.push(`${timers} timers (${where.join('; ')})`);
    if (sockets > idleSockets) problems.push(`${sockets} upstream sockets for ${idleSockets} idle connections`);
    if (router.openSessions !== 0) problems.push(`${router.openSessions} routing sessions open`);
    if (busy.length > 0 || busyKeys.length > 0) problems.push(`in flight: ${[...busy, ...busyKeys].join(', ')}`);
    return problems.length === 0 ? undefined : problems.join(', ');
  };
  return {
    settled({ idleSockets, withinMs = 5_000 }) {
      return new Promise((resolve, reject) => {
        let done = false;
        const check = () => {
          if (done) return;
          if (leftOver(idleSockets) !== undefined) {
            // The router's counters change with no resource destroyed: look again next turn.
            setImmediate(check);
            return;
          }
          finish();
          resolve();
        };
        const timer = setTimeout(() => {
          const left = leftOver(idleSockets);
          finish();
          if (left === undefined) return resolve();
          reject(new Error(`left behind after the request: ${left}`));
        }, withinMs);
        const finish = () => {
          done = true;
          clearTimeout(timer);
        };
        check();
      });
    },
  };
}
