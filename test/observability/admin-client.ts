/** Small helpers for calling the admin API and /metrics in tests. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export async function adminGet<T = unknown>(baseUrl: string, path: string, token = ADMIN_TOKEN): Promise<{ status: number; body: T; text: string; headers: Headers }> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body: body as T, text, headers: response.headers };
}

/** Parses Prometheus text into `name{labels}` → value (labels in the order printed). */
export function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

/** The value of the series named `name` whose labels include all of `labels`, summed over the rest. */
export function metricValue(series: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of series) {
    const brace = key.indexOf('{');
    const seriesName = brace === -1 ? key : key.slice(0, brace);
    if (seriesName !== name) continue;
    const text = brace === -1 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([label, expected]) => text.includes(`${label}="${expected}"`))) total += value;
  }
  return total;
}
