/** Failed logins tolerated per address, and per user name, within one window. */
export const LOGIN_LIMITS = { perAddress: 10, perUser: 5, windowMs: 15 * 60_000 } as const;
/** Past this many tracked addresses or names the oldest is forgotten: memory stays bounded under a flood. */
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  resetAt: number;
}

/**
 * Counts failed console logins per client address and per user name in fixed windows. A login is
 * refused, before its password is even checked, while either count is at its limit; success does not
 * reset the counts (an attacker who also knows one good password gains nothing).
 */
export class LoginRateLimit {
  private readonly addresses = new Map<string, Failures>();
  private readonly users = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until a login from `address` for `user` may be tried again; 0 when it may now. */
  retryAfterMs(address: string, user: string | undefined): number {
    const now = this.now();
    const wait = (map: Map<string, Failures>, key: string | undefined, limit: number) => {
      if (key === undefined) return 0;
      const entry = map.get(key);
      if (entry === undefined) return 0;
      if (entry.resetAt <= now) {
        map.delete(key);
        return 0;
      }
      return entry.count >= limit ? entry.resetAt - now : 0;
    };
    return Math.max(wait(this.addresses, address, LOGIN_LIMITS.perAddress), wait(this.users, user, LOGIN_LIMITS.perUser));
  }

  fail(address: string, user: string | undefined): void {
    this.count(this.addresses, address);
    if (user !== undefined) this.count(this.users, user);
  }

  private count(map: Map<string, Failures>, key: string): void {
    const now = this.now();
    const entry = map.get(key);
    if (entry !== undefined && entry.resetAt > now) {
      entry.count++;
      return;
    }
    map.delete(key);
    while (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!);
    map.set(key, { count: 1, resetAt: now + LOGIN_LIMITS.windowMs });
  }
}
