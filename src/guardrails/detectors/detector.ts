import type { GuardrailRuleConfig } from '../../config/guardrails-schema.js';

/** One thing a detector found: its type (`email`, `aws_access_key`) and where, as UTF-16 offsets. */
export interface Finding {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A local detector: synchronous, bounded time for bounded text (linear-time patterns, or patterns
 * written so they cannot backtrack catastrophically), returning findings in order.
 * @example secrets.create({ types: ['aws_access_key'] }).scan('id AKIA…') // [{ type: 'aws_access_key', start: 3, end: 23 }]
 */
export interface Detector {
  /** The types it reports; the first one names placeholders when it reports only one. */
  readonly types: readonly string[];
  scan(text: string): Finding[];
}

/**
 * A kind of detector (`secrets`, `pii`, …): what config names it and how a rule makes one. New
 * detectors implement this and join the registry; the conformance suite runs every one.
 */
export interface DetectorPlugin {
  readonly name: string;
  /** Every type the detector knows, or undefined when the rule names its own (regex, keywords). */
  readonly knownTypes: readonly string[] | undefined;
  create(rule: Pick<GuardrailRuleConfig, 'types' | 'pattern' | 'words' | 'name'>): Detector | Promise<Detector>;
}

/** A pattern with its type, a cheap literal that must occur for it to match, and a check of each match. */
export interface PatternSpec {
  readonly type: string;
  /** A global regex; or, instead, `find` for shapes a hand-written search finds faster. */
  readonly regex?: RegExp;
  /** Finds candidate matches as [start, end] pairs (checked by `accept` like regex matches). */
  readonly find?: (text: string) => Iterable<readonly [number, number]>;
  /** Skip the pattern unless the text contains one of these (case-sensitive). */
  readonly anchors?: readonly string[];
  /** The finding is only the last capture group (a value after `password=`), not the whole match. */
  readonly valueGroup?: boolean;
  /** Rejects a match that has the shape but not the substance (a failing checksum). Returns the accepted length, or 0. */
  readonly accept?: (value: string, text: string, start: number) => number | boolean;
}

/** Runs patterns (global regexes) over a text and returns findings in order, without overlaps (earliest, then longest, wins). */
export function scanPatterns(patterns: readonly PatternSpec[], text: string): Finding[] {
  let found: Finding[] | undefined;
  for (const spec of patterns) {
    if (spec.anchors !== undefined && !spec.anchors.some((anchor) => text.includes(anchor))) continue;
    if (spec.find !== undefined) {
      for (const [start, end] of spec.find(text)) {
        const verdict = spec.accept === undefined ? true : spec.accept(text.slice(start, end), text, start);
        if (verdict === false || verdict === 0) continue;
        (found ??= []).push({ type: spec.type, start, end: typeof verdict === 'number' ? start + verdict : end });
      }
      continue;
    }
    const regex = spec.regex!;
    regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(text)) !== null) {
      let start = match.index;
      let value = match[0];
      if (value.length === 0) {
        regex.lastIndex++;
        continue;
      }
      if (spec.valueGroup) {
        const group = match[match.length - 1] ?? '';
        start = match.index + match[0].length - group.length;
        value = group;
      }
      let end = start + value.length;
      if (spec.accept !== undefined) {
        const verdict = spec.accept(value, text, start);
        if (verdict === false || verdict === 0) continue;
        if (typeof verdict === 'number') end = start + verdict;
      }
      (found ??= []).push({ type: spec.type, start, end });
    }
  }
  return found === undefined ? [] : withoutOverlaps(found);
}

/** Whether the character before `start` continues a word (letters, digits, `_`), so a match there is not at a word start. */
export function afterWordCharacter(text: string, start: number): boolean {
  if (start === 0) return false;
  const code = text.charCodeAt(start - 1);
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** Sorted by start (longer first on a tie), dropping findings that overlap an earlier one. */
export function withoutOverlaps(findings: Finding[]): Finding[] {
  if (findings.length < 2) return findings;
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Finding[] = [findings[0]!];
  for (let index = 1; index < findings.length; index++) {
    const finding = findings[index]!;
    if (finding.start >= kept[kept.length - 1]!.end) kept.push(finding);
  }
  return kept;
}

/** The patterns of the types a rule asks for (all when it names none); throws naming an unknown type. */
export function selectTypes(all: readonly PatternSpec[], known: readonly string[], types: readonly string[] | undefined, detector: string): PatternSpec[] {
  if (types === undefined) return [...all];
  const unknown = types.filter((type) => !known.includes(type));
  if (unknown.length > 0) throw new Error(`unknown ${detector} type ${unknown.map((type) => `"${type}"`).join(', ')}; known types: ${known.join(', ')}`);
  return all.filter((spec) => types.includes(spec.type));
}
