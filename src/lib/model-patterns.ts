/**
 * A list of model names as configured (`providers.<name>.models`, `keys[].models`, a virtual key's
 * `models` and its per-provider `models`), compiled once when the config or the key is loaded.
 *
 * An entry is a name matched exactly, or a name ending in `*` that matches every name starting with
 * the text before the `*`: `*` alone matches everything, `openai/*` every name under `openai/`,
 * `gpt-4o*` `gpt-4o`, `gpt-4o-mini` and so on. A `*` anywhere but at the end is an ordinary character
 * (no model name uses one), so a list means the same thing wherever it is written.
 */
export interface ModelPatterns {
  /** True when the list holds `*`: every name matches. */
  readonly all: boolean;
  /** The entries without a wildcard. */
  readonly exact: ReadonlySet<string>;
  /** The text before the `*` of each wildcard entry other than `*` itself. */
  readonly prefixes: readonly string[];
  matches(name: string): boolean;
}

export function compileModelPatterns(entries: readonly string[]): ModelPatterns {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  let all = false;
  for (const entry of entries) {
    if (entry === '*') all = true;
    else if (entry.endsWith('*')) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  // The common lists (everything, or a few exact names) answer with one test.
  if (all) return { all, exact, prefixes, matches: () => true };
  if (prefixes.length === 0) return { all, exact, prefixes, matches: (name) => exact.has(name) };
  return { all, exact, prefixes, matches: (name) => exact.has(name) || startsWithAny(name, prefixes) };
}

export function startsWithAny(name: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) if (name.startsWith(prefix)) return true;
  return false;
}

/** True when `entry` is a wildcard entry (`*`, `openai/*`, `gpt-4o*`). */
export function isModelWildcard(entry: string): boolean {
  return entry.endsWith('*');
}
