import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { DETECTOR_TYPES } from '../../src/config/guardrails-schema.js';
import type { Detector, DetectorPlugin } from '../../src/guardrails/detectors/detector.js';
import { BUILT_IN_DETECTORS } from '../../src/guardrails/detectors/registry.js';

interface CorpusCase {
  text: string;
  expect: { type: string; value: string }[];
}
interface Corpus {
  detector: string;
  rule?: { name: string; words?: string[]; pattern?: string; types?: string[] };
  cases: CorpusCase[];
}

const CORPUS = new URL('../../../test/guardrails/corpus/', import.meta.url);
/** Removed on load: it keeps secret scanners from flagging the corpus's made-up keys. */
const SPLIT = /⟨⟩/g;

async function corpus(detector: string): Promise<Corpus> {
  const raw = JSON.parse(await readFile(new URL(`${detector}.json`, CORPUS), 'utf8')) as Corpus;
  return { ...raw, cases: raw.cases.map((entry) => ({ text: entry.text.replace(SPLIT, ''), expect: entry.expect.map((want) => ({ type: want.type, value: want.value.replace(SPLIT, '') })) })) };
}

/** Precision and recall of a detector over a labelled corpus: a finding counts when type and exact text agree. */
function score(detector: Detector, cases: readonly CorpusCase[]): { precision: number; recall: number; misses: string[] } {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  const misses: string[] = [];
  for (const entry of cases) {
    const found = detector.scan(entry.text).map((finding) => `${finding.type}:${entry.text.slice(finding.start, finding.end)}`);
    const wanted = entry.expect.map((want) => `${want.type}:${want.value}`);
    for (const item of found) {
      if (wanted.includes(item)) truePositives++;
      else {
        falsePositives++;
        misses.push(`false positive ${item} in ${JSON.stringify(entry.text.slice(0, 60))}`);
      }
    }
    for (const item of wanted) {
      if (!found.includes(item)) {
        falseNegatives++;
        misses.push(`missed ${item}`);
      }
    }
  }
  return { precision: truePositives / Math.max(1, truePositives + falsePositives), recall: truePositives / Math.max(1, truePositives + falseNegatives), misses };
}

/** What every detector must do, whatever it finds. */
async function conformance(plugin: DetectorPlugin, rule: Corpus['rule']): Promise<void> {
  const detector = await plugin.create({ name: rule?.name ?? plugin.name, ...rule });
  assert.deepEqual(detector.scan(''), [], `${plugin.name}: nothing in an empty text`);
  const { cases } = await corpus(plugin.name);
  const text = cases.map((entry) => entry.text).join('\n');
  const first = detector.scan(text);
  // Repeatable (no state left between scans), ordered, non-overlapping, in bounds, of its declared types.
  assert.deepEqual(detector.scan(text), first, `${plugin.name}: the same findings twice`);
  let previousEnd = 0;
  for (const finding of first) {
    assert.ok(finding.start >= previousEnd && finding.end > finding.start && finding.end <= text.length, `${plugin.name}: ${JSON.stringify(finding)} in order and in bounds`);
    assert.ok(detector.types.includes(finding.type), `${plugin.name}: ${finding.type} is one of its types`);
    previousEnd = finding.end;
  }
  // Hostile input completes (and finds nothing in it): long runs of the characters patterns are built from.
  for (const hostile of ['a'.repeat(200_000) + '!', '1'.repeat(100_000), '@'.repeat(50_000), ':'.repeat(50_000), 'a@'.repeat(30_000), '1-'.repeat(40_000), 'A1'.repeat(40_000)]) {
    assert.ok(Array.isArray(detector.scan(hostile)), `${plugin.name}: hostile input of ${hostile.length} characters`);
  }
  if (plugin.knownTypes !== undefined) {
    // `types` narrows the detector; an unknown type is refused, naming the known ones.
    const [one] = plugin.knownTypes;
    const narrowed = await plugin.create({ name: 'narrow', types: [one!] });
    assert.ok(narrowed.scan(text).every((finding) => finding.type === one));
    await assert.rejects(async () => plugin.create({ name: 'bad', types: ['no_such_type'] }), (error: Error) => error.message.includes('no_such_type') && error.message.includes(one!));
  }
}

const THRESHOLDS: Record<string, { precision: number; recall: number }> = {
  secrets: { precision: 0.95, recall: 0.95 },
  pii: { precision: 0.9, recall: 0.9 },
  keywords: { precision: 1, recall: 1 },
  regex: { precision: 1, recall: 1 },
};

for (const plugin of Object.values(BUILT_IN_DETECTORS)) {
  test(`detector conformance: ${plugin.name}`, async () => {
    const { rule } = await corpus(plugin.name);
    await conformance(plugin, rule);
  });

  test(`labelled corpus: ${plugin.name} precision and recall`, async (context) => {
    const { rule, cases } = await corpus(plugin.name);
    const detector = await plugin.create({ name: rule?.name ?? plugin.name, ...rule });
    const result = score(detector, cases);
    context.diagnostic(`${plugin.name}: precision ${result.precision.toFixed(3)}, recall ${result.recall.toFixed(3)} over ${cases.length} cases`);
    for (const miss of result.misses) context.diagnostic(miss);
    assert.ok(cases.some((entry) => entry.expect.length === 0) && cases.some((entry) => entry.expect.length > 0), 'the corpus has positives and negatives');
    assert.ok(result.precision >= THRESHOLDS[plugin.name]!.precision, `precision ${result.precision}: ${result.misses.join('; ')}`);
    assert.ok(result.recall >= THRESHOLDS[plugin.name]!.recall, `recall ${result.recall}: ${result.misses.join('; ')}`);
  });
}

test('the types the config accepts are exactly the types the detectors implement', () => {
  for (const [name, types] of Object.entries(DETECTOR_TYPES)) assert.deepEqual([...BUILT_IN_DETECTORS[name]!.knownTypes!].sort(), [...types].sort(), name);
});
