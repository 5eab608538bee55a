import type { StreamTap } from '../pipeline/stages.js';
import { GatewayError, type StreamPart } from '../spec/index.js';
import type { RequestGuard } from './request-guard.js';
import { StreamWindow } from './stream-window.js';

/**
 * The stream tap of one request: each choice's text and each tool call's arguments go through
 * their own window; a choice's held text is released (checked) before its finish, and everything
 * still held at the end of the stream. A block throws, which ends the stream with the dialect's
 * error event.
 */
export function outputTap(guard: RequestGuard): StreamTap {
  const windows = new Map<string, StreamWindow>();
  const windowOf = (key: string, where: string) => {
    let window = windows.get(key);
    if (window === undefined) windows.set(key, (window = new StreamWindow(guard, where)));
    return window;
  };
  const flushChoice = (choice: number, into: StreamPart[]) => {
    for (const [key, window] of windows) {
      const [kind, ofChoice, index] = key.split(':');
      if (Number(ofChoice) !== choice) continue;
      const text = window.flush();
      if (text.length === 0) continue;
      into.push(kind === 't' ? { type: 'text-delta', choice, text } : { type: 'tool-call-delta', choice, index: Number(index), argumentsDelta: text });
    }
  };
  /** Set once a block ended the stream: nothing more goes out. */
  let blocked = false;
  const guarded = (run: () => StreamPart[]): StreamPart[] => {
    if (blocked) return [];
    try {
      return run();
    } catch (error) {
      if (GatewayError.is(error)) blocked = true;
      throw error;
    }
  };
  return {
    part: (part) => guarded(() => tapPart(part)),
    end(error) {
      // After an upstream error the held text is dropped rather than checked: the stream is cut short anyway.
      if (blocked || error) return [];
      try {
        return guarded(() => {
          const parts: StreamPart[] = [];
          const choices = new Set([...windows.keys()].map((key) => Number(key.split(':')[1])));
          for (const choice of choices) flushChoice(choice, parts);
          return parts;
        });
      } catch (failure) {
        // The stream's end is past the pipeline's error handling: the block goes out as the dialect's error event.
        return [{ type: 'error', error: GatewayError.is(failure) ? failure : new GatewayError('internal_error', 'The guardrails failed at the end of the stream.') }];
      }
    },
  };

  function tapPart(part: StreamPart): StreamPart[] {
    if (part.type === 'text-delta') {
      const text = windowOf(`t:${part.choice}`, `the answer (choice ${part.choice})`).push(part.text);
      return text.length === 0 ? [] : [{ type: 'text-delta', choice: part.choice, text }];
    }
    if (part.type === 'tool-call-delta') {
      const text = windowOf(`a:${part.choice}:${part.index}`, `the arguments of tool call ${part.index} (choice ${part.choice})`).push(part.argumentsDelta);
      return text.length === 0 ? [] : [{ type: 'tool-call-delta', choice: part.choice, index: part.index, argumentsDelta: text }];
    }
    if (part.type === 'finish' || part.type === 'tool-call-start') {
      const parts: StreamPart[] = [];
      flushChoice(part.choice, parts);
      parts.push(part);
      return parts;
    }
    return [part];
  }
}
