import { readFile } from 'node:fs/promises';

/** The parts of V8's `.cpuprofile` JSON (written by `node --cpu-prof`) that the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  /** `function (file:line)` or, for the per-file view, the file. */
  label: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  /** Sampled time with the process busy (idle excluded); shares are of this. */
  busyMs: number;
  idleMs: number;
  topFunctions: ProfileLine[];
  topFiles: ProfileLine[];
  /** Coarse areas: Tollgate's folders, undici, Node core, native builtins, GC. */
  areas: ProfileLine[];
}

/**
 * Self time per function and per file: where the gateway's CPU actually went. Time is attributed
 * to the frame on top of the stack at each sample (the next sample's delta is its duration).
 */
export async function summarizeCpuProfile(file: string, top: number, root: string): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  for (let index = 0; index < profile.samples.length; index++) {
    const frame = frames.get(profile.samples[index]!);
    const durationMs = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    if (frame === undefined) continue;
    if (frame.functionName === '(idle)') {
      idleMs += durationMs;
      continue;
    }
    busyMs += durationMs;
    const where = shortFile(frame.url, root);
    const area = areaOf(where, frame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + durationMs);
    const functionLabel = where === '' ? frame.functionName || '(anonymous)' : `${frame.functionName || '(anonymous)'} (${where}:${frame.lineNumber + 1})`;
    byFunction.set(functionLabel, (byFunction.get(functionLabel) ?? 0) + durationMs);
    const fileLabel = where === '' ? frame.functionName : where;
    byFile.set(fileLabel, (byFile.get(fileLabel) ?? 0) + durationMs);
  }
  const rank = (totals: Map<string, number>): ProfileLine[] =>
    [...totals.entries()]
      .sort((left, right) => right[1] - left[1])
      .slice(0, top)
      .map(([label, selfMs]) => ({ label, selfMs, share: busyMs === 0 ? 0 : selfMs / busyMs }));
  return { busyMs, idleMs, topFunctions: rank(byFunction), topFiles: rank(byFile), areas: rank(byArea) };
}

function areaOf(file: string, functionName: string): string {
  if (file === '') {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(program)') return 'V8 / native (program)';
    return 'native builtins (socket writes, JSON, microtasks, …)';
  }
  if (file.startsWith('node:')) return 'Node core (node:*)';
  if (file.startsWith('wasm://')) return 'undici llhttp parser (wasm)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (dependency !== null) return `dependency ${dependency[1]}`;
  const source = /^dist\/src\/([^/]+)/.exec(file);
  if (source !== null) return `Tollgate src/${source[1]}`;
  return file;
}

function shortFile(url: string, root: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.startsWith(root) ? path.slice(root.length) : path;
}
