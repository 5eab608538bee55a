import type { RequestContext } from '../pipeline/context.js';
import type { Conductor } from '../pipeline/stages.js';
import type { AgentStep, AgentStop, ChatResponse, Message, StreamPart } from '../spec/index.js';
import type { ToolOutcome, ToolRunner } from './agent-tool-runner.js';

export interface AgentLoopOptions {
  /** Whether the gateway runs this tool itself. */
  isAutoExecuted(tool: string): boolean;
  /** Rounds of tool calls before the model's next answer is returned as it is. */
  readonly maxDepth: number;
  readonly runTool: ToolRunner;
  /** The group the tools were listed within (`x-tollgate-mcp-tools: <group>`), which their calls stay within. */
  readonly group: string | undefined;
}

/**
 * Agent mode (docs/mcp.md): calls the model; while every tool call of its answer is one the gateway
 * runs itself, runs them (in parallel), appends the calls and their results to the conversation and
 * calls the model again, at most `maxDepth` rounds. The answer that ends the loop goes to the caller
 * as it is (text, and tool calls for the caller to run), with the trail of what the gateway ran.
 *
 * Streamed, the caller sees each turn's text as it arrives; a turn's tool calls are held until the
 * turn ends (only then is it known whether the gateway runs them): run, they go out as
 * `gateway-tool-call` parts, each result as a `gateway-tool-result` part when it comes; otherwise as
 * ordinary tool calls with the turn's finish.
 */
export function agentConductor(parent: RequestContext, options: AgentLoopOptions): Conductor {
  return async (session) => {
    const request = session.request;
    const messages: Message[] = [...request.messages];
    const steps: AgentStep[] = [];
    let started = false;
    let toolCalls = 0;
    for (let round = 0; ; round++) {
      const held: StreamPart[] = [];
      const onPart = async (part: StreamPart) => {
        switch (part.type) {
          case 'start':
            if (started) return;
            started = true;
            return session.emit([part]);
          case 'text-delta':
          case 'reasoning-delta':
          case 'redacted-reasoning':
            if (part.choice === 0) await session.emit([part]);
            return;
          case 'tool-call-start':
          case 'tool-call-delta':
          case 'finish':
            if (part.choice === 0) held.push(part);
            return;
          default:
            // Usage is summed over the turns by the pipeline.
            return;
        }
      };
      const answer: ChatResponse = await session.turn({ ...request, messages }, request.stream ? onPart : undefined);
      const choice = answer.choices[0];
      const calls = choice?.toolCalls ?? [];
      const runnable = calls.length > 0 && calls.every((call) => options.isAutoExecuted(call.name));
      if (choice === undefined || !runnable || round >= options.maxDepth) {
        const stopped: AgentStop = calls.length === 0 ? 'answered' : runnable ? 'max_depth' : 'tool_not_auto';
        await session.emit(held);
        return { ...answer, agent: { turns: round + 1, stopped, steps } };
      }
      let text = '';
      for (const part of choice.content) if (part.type === 'text') text += part.text;
      if (text !== '') steps.push({ type: 'text', text });
      for (const call of calls) steps.push({ type: 'tool-call', id: call.id, name: call.name, arguments: call.arguments });
      await session.emit(calls.map((call) => ({ type: 'gateway-tool-call', choice: 0, id: call.id, name: call.name, arguments: call.arguments })));
      // Results go out as they come, one at a time.
      let emitting: Promise<void> = Promise.resolve();
      const outcomes: ToolOutcome[] = await Promise.all(
        calls.map(async (call) => {
          const outcome = await options.runTool(parent, call, ++toolCalls, options.group);
          emitting = emitting.then(() => session.emit([{ type: 'gateway-tool-result', choice: 0, toolCallId: call.id, name: call.name, content: outcome.content, isError: outcome.isError }]));
          await emitting;
          return outcome;
        }),
      );
      calls.forEach((call, index) => steps.push({ type: 'tool-result', toolCallId: call.id, name: call.name, content: outcomes[index]!.content, isError: outcomes[index]!.isError }));
      messages.push({ role: 'assistant', content: choice.content, toolCalls: calls });
      calls.forEach((call, index) => {
        const outcome = outcomes[index]!;
        messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: [{ type: 'text', text: outcome.content }], ...(outcome.isError ? { isError: true } : {}) });
      });
    }
  };
}
