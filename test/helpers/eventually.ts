/**
 * Polls `probe` every 100 ms until it returns something other than undefined, for at most
 * `timeoutMs`; a probe that throws is tried again. Fails naming `what` and the last error.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`${what} never happened${last === undefined ? '' : ` (last error: ${String(last)})`}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Whether `check` holds within `limitMs`: polled every 50 ms, and once more at the end. For
 * assertions that something happens in time (propagation between replicas), where `eventually`'s
 * long default would hide a slow change.
 */
export async function heldWithin(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
