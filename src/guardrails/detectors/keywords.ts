import { scanPatterns, type DetectorPlugin } from './detector.js';

const SPECIAL = /[.*+?^${}()|[\]\\]/g;

/**
 * Word lists: each word or phrase matched case-insensitively on word boundaries (letters, digits
 * and `_` of any script count as word characters). The words are literals, so the one alternation
 * built from them cannot backtrack catastrophically.
 */
export const keywordsDetector: DetectorPlugin = {
  name: 'keywords',
  knownTypes: undefined,
  create(rule) {
    const words = [...(rule.words ?? [])].sort((a, b) => b.length - a.length).map((word) => word.replace(SPECIAL, '\\$&').replace(/\s+/g, '\\s+'));
    const type = rule.types?.[0] ?? 'keyword';
    const regex = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${words.join('|')})(?![\\p{L}\\p{N}_])`, 'giu');
    return { types: [type], scan: (text) => scanPatterns([{ type, regex }], text) };
  },
};
