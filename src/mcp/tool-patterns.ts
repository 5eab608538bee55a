/** A tool pattern (`<server>__<tool>`, `*` matching any run of characters) compiled once. */
export interface ToolPattern {
  readonly text: string;
  matches(tool: string): boolean;
}

export function compilePattern(text: string): ToolPattern {
  if (!text.includes('*')) return { text, matches: (tool) => tool === text };
  const source = text
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return { text, matches: (tool) => regex.test(tool) };
}

/** The first pattern that matches `tool`, or undefined. */
export function firstMatch(patterns: readonly ToolPattern[], tool: string): ToolPattern | undefined {
  for (const pattern of patterns) if (pattern.matches(tool)) return pattern;
  return undefined;
}
