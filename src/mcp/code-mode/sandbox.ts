import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle } from 'quickjs-emscripten-core';
import { isolatedQuickJS } from './quickjs-instance.js';
import { SANDBOX_PRELUDE } from './sandbox-prelude.js';
import { MAIN_FUNCTION } from './transpile.js';

/** The limits one execution runs under. */
export interface SandboxLimits {
  /** Wall-clock milliseconds for the whole execution, tool calls included; the interpreter is interrupted at the deadline. */
  readonly timeoutMs: number;
  /** Milliseconds the interpreter may run, summed over the execution's slices (waiting for tool calls does not count). */
  readonly cpuMs: number;
  /** Bytes of the execution's WebAssembly memory (at least 16 MiB, QuickJS's initial memory); allocations past it fail as out of memory. */
  readonly memoryBytes: number;
  /** Bytes of the interpreter's stack (deep recursion fails with a RangeError, not a crash). */
  readonly stackBytes: number;
  /** Characters of the returned value (as JSON) before the execution fails as too large. */
  readonly maxResultChars: number;
  /** Characters of console output kept; the rest is cut with a marker. */
  readonly maxConsoleChars: number;
  /** Tool calls one execution may make. */
  readonly maxToolCalls: number;
}

/** The host side of a tool call made by sandboxed code: a tool's name and its arguments as JSON text; resolves to the value as JSON text. */
export type SandboxToolCall = (name: string, argumentsJson: string, signal: AbortSignal) => Promise<string>;

/** One execution: the code (a script declaring `async function __tollgate_main`, see transpileCode), the caller's tools as `{ server: [tool, …] }`, the host's tool call. */
export interface SandboxRun {
  readonly source: string;
  readonly tools: Readonly<Record<string, readonly string[]>>;
  readonly callTool: SandboxToolCall;
  readonly limits: SandboxLimits;
  readonly signal: AbortSignal;
}

export type SandboxOutcome = { ok: true; resultJson: string | undefined; console: string[] } | { ok: false; error: string; console: string[] };

class ExecutionFailure extends Error {}

/** Promise jobs run per slice before the event loop gets a turn. */
const JOBS_PER_SLICE = 256;

const INTERRUPTED = {
  cpu: (limits: SandboxLimits) => `TimeoutError: the code used more than its ${limits.cpuMs} ms of CPU time`,
  deadline: (limits: SandboxLimits) => `TimeoutError: the code ran past its ${limits.timeoutMs} ms limit`,
  cancelled: () => 'AbortError: the call was cancelled',
};

/**
 * Runs JavaScript (an async function body) in a fresh QuickJS runtime inside WebAssembly: no
 * network, file, process or module access exists there; only two host functions cross the
 * boundary, and both take and give strings (a tool call as name + JSON, a console line), so no
 * host object ever reaches the code. The interpreter is interrupted at the deadline, allocations
 * past the memory limit and recursion past the stack limit fail inside the runtime, and whatever
 * the code does the runtime is disposed and the outcome is a value or an error message.
 */
export async function runInSandbox(run: SandboxRun): Promise<SandboxOutcome> {
  const { source, tools, callTool, limits, signal } = run;
  const quickjs = await isolatedQuickJS(limits.memoryBytes);
  const deadline = Date.now() + limits.timeoutMs;
  const console = new ConsoleCapture(limits.maxConsoleChars);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ExecutionFailure(`TimeoutError: the code ran past its ${limits.timeoutMs} ms limit`)), limits.timeoutMs);
  const stop = AbortSignal.any([signal, controller.signal]);
  const stopped = aborted(stop);
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(limits.stackBytes);
  // Time in the interpreter: slices are timed, and the interrupt handler (called every few thousand instructions) stops a slice past the budget.
  let cpuUsed = 0;
  let sliceStart = 0;
  let interrupted: 'cpu' | 'deadline' | 'cancelled' | undefined;
  runtime.setInterruptHandler(() => {
    if (interrupted === undefined) {
      if (cpuUsed + (performance.now() - sliceStart) > limits.cpuMs) interrupted = 'cpu';
      else if (Date.now() > deadline) interrupted = 'deadline';
      else if (signal.aborted) interrupted = 'cancelled';
    }
    return interrupted !== undefined;
  });
  const slice = <T>(work: () => T): T => {
    sliceStart = performance.now();
    try {
      return work();
    } finally {
      cpuUsed += performance.now() - sliceStart;
    }
  };
  const context = runtime.newContext();
  const pending = new Set<Promise<void>>();
  const unsettled = new Set<QuickJSDeferredPromise>();
  let disposed = false;
  try {
    let calls = 0;
    const callFn = context.newFunction('call', (nameHandle, argsHandle) => {
      const name = context.typeof(nameHandle) === 'string' ? context.getString(nameHandle) : '';
      const argsJson = argsHandle !== undefined && context.typeof(argsHandle) === 'string' ? context.getString(argsHandle) : '{}';
      const deferred = context.newPromise();
      unsettled.add(deferred);
      void deferred.settled.then(() => unsettled.delete(deferred));
      if (++calls > limits.maxToolCalls) {
        rejectWith(context, deferred, `the code made more than ${limits.maxToolCalls} tool calls`);
      } else {
        const settled = callTool(name, argsJson, stop).then(
          (text) => {
            if (disposed) return;
            const value = context.newString(text);
            deferred.resolve(value);
            value.dispose();
          },
          (error: unknown) => {
            if (!disposed) rejectWith(context, deferred, error instanceof Error ? error.message : String(error));
          },
        );
        const tracked = settled.finally(() => pending.delete(tracked));
        pending.add(tracked);
      }
      return deferred.handle;
    });
    const logFn = context.newFunction('log', (lineHandle) => {
      if (lineHandle !== undefined && context.typeof(lineHandle) === 'string') console.add(context.getString(lineHandle));
      return console.full ? context.false : context.true;
    });
    const setup = slice(() => context.evalCode(SANDBOX_PRELUDE, 'prelude.js'));
    const install = context.unwrapResult(setup);
    const maxChars = context.newNumber(limits.maxResultChars);
    const catalog = context.newString(JSON.stringify(tools));
    context.unwrapResult(context.callFunction(install, context.undefined, callFn, logFn, maxChars, catalog)).dispose();
    install.dispose();
    maxChars.dispose();
    catalog.dispose();
    callFn.dispose();
    logFn.dispose();

    const evaluated = slice(() => context.evalCode(`${source}\n;${MAIN_FUNCTION}().then(__tollgate_finish);`, 'code.js'));
    if (evaluated.error) throw new ExecutionFailure(evaluated.error.consume((handle) => describe(context, handle)));
    const promise = evaluated.value;
    try {
      for (;;) {
        const jobs = slice(() => runtime.executePendingJobs(JOBS_PER_SLICE));
        if (jobs.error) throw new ExecutionFailure(jobs.error.consume((handle) => describe(context, handle)));
        if (runtime.hasPendingJob()) {
          // More jobs queued: let the event loop serve others first.
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        const state = context.getPromiseState(promise);
        if (state.type === 'fulfilled') {
          const resultJson = state.value.consume((handle) => (context.typeof(handle) === 'string' ? context.getString(handle) : undefined));
          return { ok: true, resultJson, console: console.lines };
        }
        if (state.type === 'rejected') throw new ExecutionFailure(state.error.consume((handle) => describe(context, handle)));
        if (stop.aborted) throw stop.reason instanceof ExecutionFailure ? stop.reason : new ExecutionFailure('AbortError: the call was cancelled');
        if (pending.size === 0) throw new ExecutionFailure('the code awaits something that never settles (only tool calls resolve in the sandbox: there are no timers)');
        await Promise.race([...pending, stopped]);
      }
    } finally {
      promise.dispose();
    }
  } catch (error) {
    // Recursion can exhaust the host's stack under the interpreter before its own limit: the same failure, said the same way.
    // Once interrupted, whatever QuickJS reports from the job it stopped in, the cause is the limit.
    const message = interrupted !== undefined ? INTERRUPTED[interrupted](limits) : error instanceof ExecutionFailure ? error.message : error instanceof RangeError ? 'InternalError: stack overflow' : `the sandbox failed: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, error: message, console: console.lines };
  } finally {
    disposed = true;
    clearTimeout(timer);
    controller.abort(new ExecutionFailure('finished'));
    try {
      for (const deferred of unsettled) deferred.dispose();
      context.dispose();
      runtime.dispose();
    } catch {
      // A runtime stopped mid-way (out of memory, interrupted) may still hold objects; its memory is freed with it regardless.
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function rejectWith(context: QuickJSContext, deferred: ReturnType<QuickJSContext['newPromise']>, message: string): void {
  const error = context.newError({ name: 'ToolCallError', message });
  deferred.reject(error);
  error.dispose();
}

/** A thrown value as `Name: message`, read inside the runtime without trusting its getters to exist. */
function describe(context: QuickJSContext, handle: QuickJSHandle): string {
  try {
    const dumped = context.dump(handle) as unknown;
    if (dumped !== null && typeof dumped === 'object') {
      const { name, message } = dumped as { name?: unknown; message?: unknown };
      if (typeof message === 'string') return `${typeof name === 'string' ? name : 'Error'}: ${message}`.slice(0, 2_000);
    }
    return `Uncaught ${String(JSON.stringify(dumped) ?? dumped)}`.slice(0, 2_000);
  } catch {
    return 'Uncaught error (unreadable)';
  }
}

/** Console lines, cut once their total passes the limit. */
class ConsoleCapture {
  readonly lines: string[] = [];
  private chars = 0;
  private cut = false;

  constructor(private readonly limit: number) {}

  get full(): boolean {
    return this.cut;
  }

  add(line: string): void {
    if (this.cut) return;
    if (this.chars + line.length > this.limit) {
      this.lines.push(`${line.slice(0, Math.max(0, this.limit - this.chars))}… [console output cut at ${this.limit} characters]`);
      this.cut = true;
      return;
    }
    this.chars += line.length;
    this.lines.push(line);
  }
}
