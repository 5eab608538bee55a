import type { SandboxLimits, SandboxOutcome } from './sandbox.js';

/** What the gateway's thread sends a sandbox thread. */
export type ToSandbox =
  | { readonly type: 'run'; readonly source: string; readonly tools: Readonly<Record<string, readonly string[]>>; readonly limits: SandboxLimits }
  | { readonly type: 'result'; readonly call: number; readonly ok: true; readonly text: string }
  | { readonly type: 'result'; readonly call: number; readonly ok: false; readonly error: string }
  | { readonly type: 'cancel' };

/** What a sandbox thread sends back: a tool call the code makes, and the execution's outcome. */
export type FromSandbox = { readonly type: 'call'; readonly call: number; readonly name: string; readonly argumentsJson: string } | { readonly type: 'done'; readonly outcome: SandboxOutcome };
