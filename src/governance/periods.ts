const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-01 was a Thursday; the first Monday is four days later. */
const FIRST_MONDAY = 4 * DAY;

/** One counting window: [start, end) in epoch milliseconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

export const LIFETIME: Window = { start: 0, end: Number.POSITIVE_INFINITY };

/**
 * The window containing `now` for a period such as `5m`, `1d`, `1M` (absent = lifetime).
 * Minutes and hours are aligned to the UTC clock; days, weeks (Monday), months (the 1st) and years
 * (1 January) are calendar-aligned in UTC. A rolling window has the period's length (a month is
 * 30 days, a year 365) and repeats from `anchor` (the entity's creation).
 */
export function windowOf(period: string | undefined, now: number, rolling = false, anchor = 0): Window {
  if (period === undefined) return LIFETIME;
  const count = Number.parseInt(period, 10);
  const unit = period[period.length - 1];
  if (rolling) {
    const length = count * fixedLength(unit);
    const start = anchor + Math.floor((now - anchor) / length) * length;
    return { start, end: start + length };
  }
  switch (unit) {
    case 'm':
    case 'h':
    case 'd': {
      const length = count * fixedLength(unit);
      const start = Math.floor(now / length) * length;
      return { start, end: start + length };
    }
    case 'w': {
      const start = FIRST_MONDAY + Math.floor((now - FIRST_MONDAY) / WEEK) * WEEK;
      return { start, end: start + WEEK };
    }
    case 'M': {
      const date = new Date(now);
      return { start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1), end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
    }
    case 'Y': {
      const year = new Date(now).getUTCFullYear();
      return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) };
    }
    default:
      throw new Error(`unknown period ${period}`);
  }
}

function fixedLength(unit: string | undefined): number {
  switch (unit) {
    case 'm':
      return MINUTE;
    case 'h':
      return HOUR;
    case 'd':
      return DAY;
    case 'w':
      return WEEK;
    case 'M':
      return 30 * DAY;
    case 'Y':
      return 365 * DAY;
    default:
      throw new Error(`unknown period unit ${String(unit)}`);
  }
}

/** `per day (resets 00:00 UTC)` style wording for error messages. */
export function describePeriod(period: string | undefined, rolling: boolean): string {
  if (period === undefined) return 'lifetime';
  const names: Record<string, string> = { m: 'minute', h: 'hour', d: 'day', w: 'week', M: 'month', Y: 'year' };
  const count = Number.parseInt(period, 10);
  const name = names[period[period.length - 1]!]!;
  const base = count === 1 ? `per ${name}` : `per ${count} ${name}s`;
  return rolling ? `${base} (rolling)` : base;
}
