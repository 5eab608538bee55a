/** An OAuth access token and when it stops being valid (epoch milliseconds). */
export interface AccessToken {
  token: string;
  expiresAt: number;
}

/** A token this close to its expiry is not sent: a request may take that long to reach Google. */
export const EXPIRY_MARGIN_MS = 30_000;
/** A token this close to its expiry is still used, while a fresh one is fetched in the background. */
export const REFRESH_AHEAD_MS = 5 * 60_000;

/**
 * One credential's access token, cached until it nears its expiry. Requests are not held up by a
 * refresh while the current token is still good: within REFRESH_AHEAD_MS of its expiry one
 * background fetch replaces it. Only the first request, and any after a token lapsed (an idle
 * gateway), wait for the token endpoint; concurrent ones share that fetch.
 */
export class TokenSource {
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    const current = this.current;
    const now = this.now();
    if (current !== undefined && current.expiresAt - EXPIRY_MARGIN_MS > now) {
      // A failed background refresh is retried by the next request; this one keeps the good token.
      if (current.expiresAt - REFRESH_AHEAD_MS <= now) this.refresh().catch(() => undefined);
      return current.token;
    }
    return (await this.refresh()).token;
  }

  /** The cached token, if any (for scrubbing it from what comes back). */
  get cached(): string | undefined {
    return this.current?.token;
  }

  private refresh(): Promise<AccessToken> {
    this.pending ??= this.fetchToken()
      .then((fresh) => {
        this.current = fresh;
        return fresh;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
