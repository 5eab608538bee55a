/**
 * Runs `work` with a 1 ms interval timer on the event loop and returns how long it took and the
 * largest gap between the timer's ticks: how long the work held the event loop (and with it every
 * request a gateway would have in flight).
 */
export async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; stallMs: number }> {
  let last = performance.now();
  let stall = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  stall = 0;
  last = performance.now();
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(ticker);
  return { result, ms, stallMs: stall };
}
