/** Display helpers: every figure the console shows goes through one of these. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const digits = value !== 0 && Math.abs(value) < 1 ? 6 : 2;
  return `$${value.toLocaleString(undefined, { minimumFractionDigits: digits === 2 ? 2 : 0, maximumFractionDigits: digits })}`;
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString();
}

export function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(fraction > 0 && fraction < 0.001 ? 2 : 1)} %`;
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function time(iso: string | null | undefined): string {
  return iso === null || iso === undefined ? '—' : new Date(iso).toLocaleString();
}

/** Comma-separated text → list (empty items dropped). */
export function listOf(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

