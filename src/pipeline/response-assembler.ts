import type { ChatChoice, ChatResponse, StreamPart, Usage } from '../spec/index.js';
import { mergeUsage } from './usage-accumulator.js';

/** Collects a streamed answer's parts into the whole answer they make (a turn of a conducted request). */
export class ResponseAssembler {
  private id = '';
  private model = '';
  private created = 0;
  private usage: Usage | undefined;
  private readonly choices = new Map<number, ChatChoice>();

  add(part: StreamPart): void {
    switch (part.type) {
      case 'start':
        this.id = part.id;
        this.model = part.model;
        this.created = part.created;
        return;
      case 'usage':
        this.usage = mergeUsage(this.usage, part.usage);
        return;
      case 'error':
      case 'gateway-tool-call':
      case 'gateway-tool-result':
        return;
    }
    const choice = this.choice(part.choice);
    const last = choice.content[choice.content.length - 1];
    switch (part.type) {
      case 'text-delta':
        if (last?.type === 'text') last.text += part.text;
        else choice.content.push({ type: 'text', text: part.text });
        return;
      case 'reasoning-delta':
        if (last?.type === 'reasoning' && last.signature === undefined) last.text += part.text;
        else choice.content.push({ type: 'reasoning', text: part.text });
        if (part.signature !== undefined) (choice.content[choice.content.length - 1] as { signature?: string }).signature = part.signature;
        return;
      case 'redacted-reasoning':
        choice.content.push({ type: 'redacted-reasoning', data: part.data });
        return;
      case 'tool-call-start':
        choice.toolCalls[part.index] = { id: part.id, name: part.name, arguments: '' };
        return;
      case 'tool-call-delta': {
        const call = choice.toolCalls[part.index];
        if (call !== undefined) call.arguments += part.argumentsDelta;
        return;
      }
      case 'finish':
        choice.finishReason = part.finishReason;
        return;
    }
  }

  response(): ChatResponse {
    const choices = [...this.choices.values()].sort((a, b) => a.index - b.index);
    for (const choice of choices) choice.toolCalls = choice.toolCalls.filter((call) => call !== undefined);
    return { id: this.id, model: this.model, created: this.created, choices, usage: this.usage ?? { inputTokens: undefined, outputTokens: undefined } };
  }

  private choice(index: number): ChatChoice {
    let choice = this.choices.get(index);
    if (choice === undefined) {
      choice = { index, content: [], toolCalls: [], finishReason: { unified: 'other', raw: undefined } };
      this.choices.set(index, choice);
    }
    return choice;
  }
}
