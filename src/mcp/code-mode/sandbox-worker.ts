/**
 * A sandbox thread (see SandboxPool): runs one execution at a time with runInSandbox, off the
 * gateway's event loop. The tool calls the code makes are sent to the gateway's thread, which
 * makes them with the caller's key and sends back their results.
 */
import { parentPort } from 'node:worker_threads';
import type { FromSandbox, ToSandbox } from './sandbox-messages.js';
import { loadQuickJS } from './quickjs-instance.js';
import { runInSandbox } from './sandbox.js';

const port = parentPort!;
const send = (message: FromSandbox) => port.postMessage(message);
const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
let controller: AbortController | undefined;
let nextCall = 0;

// Compiled while the thread waits for its first execution.
void loadQuickJS().catch(() => {});

port.on('message', (message: ToSandbox) => {
  switch (message.type) {
    case 'run': {
      const current = new AbortController();
      controller = current;
      void runInSandbox({
        source: message.source,
        tools: message.tools,
        limits: message.limits,
        signal: current.signal,
        callTool: (name, argumentsJson) =>
          new Promise<string>((resolve, reject) => {
            const call = nextCall++;
            waiting.set(call, { resolve, reject });
            send({ type: 'call', call, name, argumentsJson });
          }),
      }).then((outcome) => {
        waiting.clear();
        send({ type: 'done', outcome });
      });
      return;
    }
    case 'result': {
      const call = waiting.get(message.call);
      waiting.delete(message.call);
      if (call === undefined) return;
      if (message.ok) call.resolve(message.text);
      else call.reject(new Error(message.error));
      return;
    }
    case 'cancel':
      controller?.abort();
  }
});
