import { Worker } from 'node:worker_threads';
import type { FromSandbox, ToSandbox } from './sandbox-messages.js';
import type { SandboxOutcome, SandboxRun } from './sandbox.js';

/** How long past its own time limit an execution's thread is given before it is terminated. */
const GRACE_MS = 2_000;

/** Runs sandboxed executions (SandboxRun) somewhere, resolving to their outcome. */
export interface Sandbox {
  run(run: SandboxRun): Promise<SandboxOutcome>;
  close(): Promise<void>;
}

/**
 * Sandbox threads (worker_threads), one execution each at a time, kept for the next: the
 * interpreter never runs on the gateway's event loop, so code that computes for its whole CPU
 * budget holds up no other request. The code's tool calls come back here and are made with the
 * caller's `callTool`. A thread that does not report its outcome within the execution's time
 * limit (plus a grace period), fails or exits is terminated and replaced, and the execution fails
 * with a message saying so.
 */
export class SandboxPool implements Sandbox {
  private readonly idle: Worker[] = [];
  private readonly busy = new Set<Worker>();

  /** Starts one thread now, so the first execution finds QuickJS compiled. */
  warm(): void {
    if (this.idle.length === 0 && this.busy.size === 0) this.idle.push(this.spawn());
  }

  run(run: SandboxRun): Promise<SandboxOutcome> {
    const worker = this.idle.pop() ?? this.spawn();
    this.busy.add(worker);
    const calls = new AbortController();
    return new Promise<SandboxOutcome>((resolve) => {
      let finished = false;
      const post = (message: ToSandbox) => {
        if (!finished) worker.postMessage(message);
      };
      const cancel = () => post({ type: 'cancel' });
      const finish = (outcome: SandboxOutcome, reusable: boolean) => {
        if (finished) return;
        finished = true;
        clearTimeout(hard);
        calls.abort();
        run.signal.removeEventListener('abort', cancel);
        worker.off('message', onMessage).off('error', onFailure).off('exit', onExit);
        this.busy.delete(worker);
        if (reusable) this.idle.push(worker);
        else void worker.terminate();
        resolve(outcome);
      };
      const onMessage = (message: FromSandbox) => {
        if (message.type === 'done') {
          finish(message.outcome, true);
          return;
        }
        run.callTool(message.name, message.argumentsJson, AbortSignal.any([run.signal, calls.signal])).then(
          (text) => post({ type: 'result', call: message.call, ok: true, text }),
          (error: unknown) => post({ type: 'result', call: message.call, ok: false, error: error instanceof Error ? error.message : String(error) }),
        );
      };
      const onFailure = (error: Error) => finish({ ok: false, error: `the sandbox failed: ${error.message}`, console: [] }, false);
      const onExit = (code: number) => finish({ ok: false, error: `the sandbox thread exited (code ${code})`, console: [] }, false);
      const hard = setTimeout(() => finish({ ok: false, error: `TimeoutError: the sandbox did not stop at its ${run.limits.timeoutMs} ms limit and was terminated`, console: [] }, false), run.limits.timeoutMs + GRACE_MS);
      hard.unref();
      worker.on('message', onMessage).on('error', onFailure).on('exit', onExit);
      run.signal.addEventListener('abort', cancel, { once: true });
      post({ type: 'run', source: run.source, tools: run.tools, limits: run.limits });
    });
  }

  async close(): Promise<void> {
    const workers = [...this.idle, ...this.busy];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    // The interpreter's memory is its own bounded WebAssembly memory; the thread's heap only holds the binding and messages.
    const worker = new Worker(new URL('./sandbox-worker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 } });
    worker.unref();
    // A thread that dies while idle is dropped; a busy one is handled by its execution.
    worker.on('exit', () => {
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
    });
    worker.on('error', () => {});
    return worker;
  }
}
