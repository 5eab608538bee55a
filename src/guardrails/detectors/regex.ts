import type { Detector, DetectorPlugin, Finding } from './detector.js';

/** The parts of the `re2` package used here. */
interface Re2Pattern {
  lastIndex: number;
  exec(text: string): RegExpExecArray | null;
}
type Re2Constructor = new (pattern: string, flags?: string) => Re2Pattern;

let loading: Promise<Re2Constructor> | undefined;

/** RE2 bindings, loaded the first time a regex rule is built (a native module most configs never need). */
function loadRe2(): Promise<Re2Constructor> {
  return (loading ??= import('re2').then((module) => ((module as { default?: unknown }).default ?? module) as Re2Constructor));
}

/**
 * A custom pattern run by RE2, a linear-time engine: a user's pattern (`(a+)+$`) cannot backtrack
 * catastrophically and stall the event loop. RE2 has no backreferences or lookaround; a pattern
 * using them is refused at start-up with RE2's own message.
 */
export const regexDetector: DetectorPlugin = {
  name: 'regex',
  knownTypes: undefined,
  async create(rule) {
    const RE2 = await loadRe2();
    let regex: Re2Pattern;
    try {
      regex = new RE2(rule.pattern ?? '', 'gu');
    } catch (error) {
      throw new Error(`the pattern is not valid RE2 syntax (${(error as Error).message}); RE2 has no backreferences or lookaround`);
    }
    const type = rule.types?.[0] ?? 'match';
    const detector: Detector = {
      types: [type],
      scan(text) {
        const found: Finding[] = [];
        regex.lastIndex = 0;
        let match: RegExpExecArray | null;
        while ((match = regex.exec(text)) !== null) {
          if (match[0].length === 0) {
            regex.lastIndex++;
            if (regex.lastIndex > text.length) break;
            continue;
          }
          found.push({ type, start: match.index, end: match.index + match[0].length });
        }
        return found;
      },
    };
    return detector;
  },
};
