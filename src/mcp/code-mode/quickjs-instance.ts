import type { QuickJSSyncVariant, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The WebAssembly API parts used here (the project's TypeScript lib has no WebAssembly types). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: new (descriptor: { initial: number; maximum: number }) => object;
}
type WasmModule = object;
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE_BYTES = 64 * 1024;
/** The linear memory QuickJS's build starts with (its INITIAL_MEMORY). */
const INITIAL_PAGES = 256;

interface QuickJSParts {
  readonly variant: QuickJSSyncVariant;
  readonly compiled: WasmModule;
  readonly library: typeof import('quickjs-emscripten-core');
}

let loading: Promise<QuickJSParts> | undefined;

/**
 * Loads and compiles QuickJS's WebAssembly once (the wasm file ships inside the npm package; read
 * asynchronously, off any request when code mode is enabled at start-up).
 */
export function loadQuickJS(): Promise<QuickJSParts> {
  if (loading === undefined) {
    loading = (async () => {
      const [library, variant] = await Promise.all([import('quickjs-emscripten-core'), import('@jitl/quickjs-wasmfile-release-sync')]);
      const bytes = await readFile(createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync/wasm'));
      // The variant's types resolve through its CommonJS build; at run time the default export is the variant.
      return { library, variant: variant.default as unknown as QuickJSSyncVariant, compiled: await wasm.compile(bytes) };
    })();
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/**
 * A QuickJS instance of its own for one execution, in a linear memory that cannot grow past
 * `memoryBytes`. QuickJS's own memory limit is not enough in its WebAssembly build: without
 * `malloc_usable_size` it counts allocations, not bytes, so many large strings would pass it
 * (quickjs-emscripten issues 255 and 271). A bounded `WebAssembly.Memory` is a hard ceiling: past
 * it, allocations fail inside QuickJS as `out of memory`, and the memory is dropped with the instance.
 */
export async function isolatedQuickJS(memoryBytes: number): Promise<QuickJSWASMModule> {
  const parts = await loadQuickJS();
  const maximum = Math.max(INITIAL_PAGES, Math.ceil(memoryBytes / PAGE_BYTES));
  const wasmMemory = new wasm.Memory({ initial: INITIAL_PAGES, maximum });
  const options = { wasmModule: parts.compiled, wasmMemory } as unknown as Parameters<typeof parts.library.newVariant>[1];
  return parts.library.newQuickJSWASMModuleFromVariant(parts.library.newVariant(parts.variant, options));
}
