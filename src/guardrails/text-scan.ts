import type { CompiledRule } from './compiled-rule.js';
import { ACTION_RANK } from './compiled-rule.js';

/** A finding of one rule in one text. */
export interface Hit {
  readonly rule: CompiledRule;
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Runs the rules' detectors over a text: hits in order, where two rules' hits overlap the
 * stricter action (then the earlier rule) keeps the text.
 */
export function scanText(rules: readonly CompiledRule[], text: string): Hit[] {
  let hits: Hit[] | undefined;
  for (const rule of rules) {
    for (const finding of rule.detector!.scan(text)) (hits ??= []).push({ rule, type: finding.type, start: finding.start, end: finding.end });
  }
  if (hits === undefined) return [];
  if (hits.length === 1 || rules.length === 1) return hits;
  hits.sort((a, b) => a.start - b.start || ACTION_RANK[a.rule.action] - ACTION_RANK[b.rule.action] || b.end - a.end);
  const kept: Hit[] = [hits[0]!];
  for (let index = 1; index < hits.length; index++) {
    const hit = hits[index]!;
    const last = kept[kept.length - 1]!;
    if (hit.start >= last.end) kept.push(hit);
    else if (ACTION_RANK[hit.rule.action] < ACTION_RANK[last.rule.action]) kept[kept.length - 1] = hit;
  }
  return kept;
}
