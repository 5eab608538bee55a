import type { ChatChoice, ChatResponse, StreamPart, ToolCall, Usage } from '../spec/index.js';
import type { StreamTap } from '../pipeline/stages.js';

/**
 * A tap that lets every part through unchanged and rebuilds the whole answer from them, so a
 * streamed miss is stored as the same entry a whole answer would be (stream and non-stream requests
 * share entries). `done` gets the answer only when the stream ended cleanly: started, every choice
 * finished, no error part, and within `maxBytes` of text.
 */
export function recordingTap(maxBytes: number, done: (response: ChatResponse) => void): StreamTap {
  let start: { id: string; model: string; created: number } | undefined;
  const choices = new Map<number, { text: string; reasoning: { text: string; signature?: string }[]; redacted: string[]; tools: ToolCall[]; finish: ChatChoice['finishReason'] | undefined; order: ('text' | 'reasoning' | 'redacted')[] }>();
  let usage: Usage | undefined;
  let failed = false;
  let bytes = 0;
  const choice = (index: number) => {
    let found = choices.get(index);
    if (found === undefined) choices.set(index, (found = { text: '', reasoning: [], redacted: [], tools: [], finish: undefined, order: [] }));
    return found;
  };
  return {
    part(part: StreamPart): StreamPart[] {
      if (failed) return [part];
      switch (part.type) {
        case 'start':
          start = { id: part.id, model: part.model, created: part.created };
          break;
        case 'text-delta': {
          const entry = choice(part.choice);
          if (entry.order.at(-1) !== 'text' && entry.text.length === 0) entry.order.push('text');
          entry.text += part.text;
          bytes += part.text.length;
          break;
        }
        case 'reasoning-delta': {
          const entry = choice(part.choice);
          const last = entry.reasoning.at(-1);
          if (last === undefined || entry.order.at(-1) !== 'reasoning') {
            entry.reasoning.push({ text: part.text, ...(part.signature === undefined ? {} : { signature: part.signature }) });
            entry.order.push('reasoning');
          } else {
            last.text += part.text;
            if (part.signature !== undefined) last.signature = part.signature;
          }
          bytes += part.text.length;
          break;
        }
        case 'redacted-reasoning':
          choice(part.choice).redacted.push(part.data);
          choice(part.choice).order.push('redacted');
          bytes += part.data.length;
          break;
        case 'tool-call-start':
          choice(part.choice).tools[part.index] = { id: part.id, name: part.name, arguments: '' };
          break;
        case 'tool-call-delta': {
          const call = choice(part.choice).tools[part.index];
          if (call === undefined) failed = true;
          else call.arguments += part.argumentsDelta;
          bytes += part.argumentsDelta.length;
          break;
        }
        case 'finish':
          choice(part.choice).finish = part.finishReason;
          break;
        case 'usage':
          usage = { ...usage, ...definedFields(part.usage) } as Usage;
          break;
        case 'error':
          failed = true;
          break;
      }
      if (bytes > maxBytes) failed = true;
      return [part];
    },
    end(error: boolean): StreamPart[] {
      if (error || failed || start === undefined || choices.size === 0) return [];
      const built: ChatChoice[] = [];
      for (const [index, entry] of [...choices.entries()].sort((a, b) => a[0] - b[0])) {
        if (entry.finish === undefined || entry.finish.unified === 'error') return [];
        const content: ChatChoice['content'] = [];
        let reasoning = 0;
        let redacted = 0;
        for (const kind of entry.order) {
          if (kind === 'text') content.push({ type: 'text', text: entry.text });
          else if (kind === 'reasoning') content.push({ type: 'reasoning', ...entry.reasoning[reasoning++]! });
          else content.push({ type: 'redacted-reasoning', data: entry.redacted[redacted++]! });
        }
        built.push({ index, content, toolCalls: entry.tools.filter((call) => call !== undefined), finishReason: entry.finish });
      }
      done({ id: start.id, model: start.model, created: start.created, choices: built, usage: usage ?? { inputTokens: undefined, outputTokens: undefined } });
      return [];
    },
  };
}

function definedFields(usage: Usage): Partial<Usage> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(usage)) if (value !== undefined) kept[name] = value;
  return kept as Partial<Usage>;
}
