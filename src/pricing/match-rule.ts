import type { MatchLogic } from './source-data.js';

/** A compiled `match` clause of the genai-prices data: true when a model name matches. */
export type MatchRule = (name: string) => boolean;

/**
 * Compiles a genai-prices match clause once, with the data's own semantics: `equals`,
 * `starts_with`, `ends_with` and `contains` compare case-insensitively; `regex` is tested as written
 * (case-sensitive) against the name; `and`/`or` combine. Callers pass names lower-cased.
 */
export function compileMatch(logic: MatchLogic): MatchRule {
  if ('or' in logic) {
    const parts = logic.or.map(compileMatch);
    return (name) => parts.some((part) => part(name));
  }
  if ('and' in logic) {
    const parts = logic.and.map(compileMatch);
    return (name) => parts.every((part) => part(name));
  }
  if ('equals' in logic) {
    const wanted = logic.equals.toLowerCase();
    return (name) => name === wanted;
  }
  if ('starts_with' in logic) {
    const wanted = logic.starts_with.toLowerCase();
    return (name) => name.startsWith(wanted);
  }
  if ('ends_with' in logic) {
    const wanted = logic.ends_with.toLowerCase();
    return (name) => name.endsWith(wanted);
  }
  if ('contains' in logic) {
    const wanted = logic.contains.toLowerCase();
    return (name) => name.includes(wanted);
  }
  const pattern = new RegExp(logic.regex);
  return (name) => pattern.test(name);
}

const COMPACT_DATE = /(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g;

/**
 * The data's own second try: a compact snapshot date written with dashes
 * (`claude-3-5-haiku-20241022` → `claude-3-5-haiku-2024-10-22`), as the package does.
 */
export function dashedSnapshotDate(name: string): string {
  return name.replace(COMPACT_DATE, (whole, dash: string, year: string, month: string, day: string) => {
    const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    return date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day) ? `${dash}${year}-${month}-${day}` : whole;
  });
}
