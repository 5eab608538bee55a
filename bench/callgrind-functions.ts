import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One function's instructions per request: its own (self) or with everything it called (inclusive). */
export interface FunctionCount {
  readonly name: string;
  readonly perRequest: number;
}

/**
 * The functions of one callgrind thread file that cost the most instructions per request, with
 * V8's compiled JavaScript named (inclusive: JavaScript functions only, whose counts say what a
 * piece of the gateway costs with everything it calls). callgrind knows the node binary's own symbols (builtins, the
 * runtime, OpenSSL) but names JIT code by address only; run under `node --perf-basic-prof`, V8
 * writes `/tmp/perf-<pid>.map` (start, size, name per compiled function, code never moved), and
 * each address is looked up there. A name keeps V8's tier mark: `*` optimised, `^` baseline,
 * `~` interpreted, `+` Maglev. Needs `callgrind_annotate` (valgrind's package).
 */
export function topFunctions(callgrindFile: string, perfMapFile: string | undefined, requests: number, count: number, inclusive: boolean): FunctionCount[] {
  const annotated = execFileSync('callgrind_annotate', [`--inclusive=${inclusive ? 'yes' : 'no'}`, '--threshold=100', callgrindFile], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const names = perfMapFile === undefined ? undefined : new JitNames(readFileSync(perfMapFile, 'utf8'));
  const totals = new Map<string, number>();
  for (const line of annotated.split('\n')) {
    // `  1,234,567 (12.3%)  file:function [object]`, or without the percentage in older valgrinds.
    const match = /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.+?)\s*$/.exec(line);
    if (match === null || match[2]!.includes('PROGRAM TOTALS')) continue;
    const instructions = Number(match[1]!.replaceAll(',', ''));
    if (!Number.isFinite(instructions)) continue;
    const name = functionName(match[2]!, names);
    // Inclusive counts of the runtime's frames (the event loop, JSEntry, callbacks) hold nearly
    // everything: JavaScript only; and a recursive call's (`'2`) is already in its caller's.
    if (inclusive && (!name.startsWith('JS:') || /'\d+(?:\s|$)/.test(match[2]!))) continue;
    totals.set(name, (totals.get(name) ?? 0) + instructions);
  }
  return [...totals]
    .map(([name, instructions]) => ({ name, perRequest: instructions / requests }))
    .sort((a, b) => b.perRequest - a.perRequest)
    .slice(0, count);
}

/** `???:0x000000000d2f8f80 [???]` named from the perf map; a native symbol without its object file. */
function functionName(annotated: string, names: JitNames | undefined): string {
  const address = /^\?\?\?:0x([0-9a-f]+)/.exec(annotated);
  if (address !== null) return names?.at(Number.parseInt(address[1]!, 16)) ?? `JIT 0x${address[1]}`;
  // Without the object file, and without callgrind's recursion mark (`'2`): one line per function.
  return annotated.replace(/\s*\[[^\]]*\]$/, '').replace(/^\?\?\?:/, '').replace(/'\d+$/, '');
}

/** A perf map's functions by start address, for lookups by any address inside one. */
class JitNames {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly names: string[] = [];

  constructor(map: string) {
    const entries: [number, number, string][] = [];
    for (const line of map.split('\n')) {
      const match = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(line);
      if (match !== null) entries.push([Number.parseInt(match[1]!, 16), Number.parseInt(match[2]!, 16), match[3]!]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    for (const [start, size, name] of entries) {
      this.starts.push(start);
      this.ends.push(start + size);
      this.names.push(name.replace(/file:\/\/\/\S*?\/(dist|node_modules)\//, '$1/'));
    }
  }

  at(address: number): string | undefined {
    let low = 0;
    let high = this.starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.starts[middle]! <= address) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found >= 0 && address < this.ends[found]! ? this.names[found] : undefined;
  }
}
