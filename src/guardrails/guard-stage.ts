import type { AuditSink } from '../pipeline/audit-sink.js';
import { ContextSlot, type RequestContext } from '../pipeline/context.js';
import type { RequestStage, StageCall } from '../pipeline/stages.js';
import { GatewayError, type ChatRequest, type ChatResponse, type ContentPart, type Message } from '../spec/index.js';
import { blockedError } from './block-error.js';
import type { CompiledRule } from './compiled-rule.js';
import type { GuardMetrics } from './guard-metrics.js';
import { outputTap } from './output-tap.js';
import { RequestGuard } from './request-guard.js';
import type { RuleScopes, RuleSet } from './rule-scopes.js';
import { scanText } from './text-scan.js';
import { checkWebhook, type WebhookPayload } from './webhook-check.js';

const GUARD = new ContextSlot<RequestGuard>();

export interface GuardStageParts {
  scopes(): RuleScopes;
  audit: AuditSink;
  metrics: GuardMetrics;
}

/** The guardrails as a `guard` stage: prompts before routing, answers whole and streamed. */
export function guardStage(parts: GuardStageParts): RequestStage {
  return {
    name: 'guardrails',
    phase: 'guard',
    beforeDispatch(context, call) {
      if (call.operation !== 'chat') return undefined;
      const set = parts.scopes().of(context.principal);
      if (!set.active) return undefined;
      const guard = new RequestGuard(set.inputLocal, set.outputLocal);
      GUARD.set(context, guard);
      const request = call.request as ChatRequest;
      if (set.inputLocal.length > 0) guardMessages(guard, request.messages);
      if (set.inputWebhooks.length === 0) return undefined;
      return runWebhooks(guard, set.inputWebhooks, context, { phase: 'request', model: call.model, messages: request.messages.map((message) => ({ role: message.role, text: messageText(message) })) }, 'input');
    },
    passes: (context, call) => call.operation !== 'chat' || !parts.scopes().of(context.principal).active,
    afterResponse(context, call, response) {
      const guard = GUARD.get(context);
      if (guard === undefined || call.operation !== 'chat') return undefined;
      const set = parts.scopes().of(context.principal);
      const answer = guardAnswer(guard, response as ChatResponse);
      if (set.outputWebhooks.length === 0) return answer === response ? undefined : answer;
      const texts = answer.choices.map((choice) => ({ role: 'assistant', text: contentText(choice.content) + choice.toolCalls.map((tool) => tool.arguments).join('\n') }));
      return runWebhooks(guard, set.outputWebhooks, context, { phase: 'response', model: call.model, messages: texts }, 'output').then(() => (answer === response ? undefined : answer));
    },
    openStream(context, call) {
      const guard = GUARD.get(context);
      if (guard === undefined || call.operation !== 'chat' || (guard.output.length === 0 && !guard.restores)) return undefined;
      return outputTap(guard);
    },
    onRequestEnd(context) {
      const guard = GUARD.get(context);
      if (guard === undefined || guard.decisions.length === 0) return;
      context.guardrails = guard.decisions;
      parts.metrics.count(guard.decisions);
      parts.audit.append({
        actor: context.principal === undefined ? 'anonymous' : `key:${context.principal.keyId}`,
        action: 'guardrail.decision',
        target: context.id,
        details: { decisions: guard.decisions, status: context.status },
      });
    },
  };
}

/** Checks every text of the prompt in place: blocks throw, redactions rewrite the message. */
function guardMessages(guard: RequestGuard, messages: Message[]): void {
  messages.forEach((message, index) => {
    let changed: ContentPart[] | undefined;
    message.content.forEach((part, partIndex) => {
      const text = part.type === 'text' ? part.text : part.type === 'file' ? part.text : undefined;
      if (text === undefined) return;
      const checked = guardText(guard, text, `message ${index}`);
      if (checked === text) return;
      changed ??= [...message.content];
      changed[partIndex] = { ...part, text: checked } as ContentPart;
    });
    if (changed !== undefined) message.content = changed;
    if (message.role === 'assistant' && message.toolCalls !== undefined) {
      message.toolCalls = message.toolCalls.map((tool, toolIndex) => {
        const checked = guardText(guard, tool.arguments, `the arguments of tool call ${toolIndex} of message ${index}`);
        return checked === tool.arguments ? tool : { ...tool, arguments: checked };
      });
    }
  });
}

function guardText(guard: RequestGuard, text: string, where: string, rules: readonly CompiledRule[] = guard.input, direction: 'input' | 'output' = 'input'): string {
  const hits = scanText(rules, text);
  if (hits.length === 0) return text;
  for (const hit of hits) {
    if (hit.rule.action !== 'block') continue;
    guard.record(hit, direction);
    throw blockedError(hit.rule.name, hit.type, `${where}, character ${hit.start}`);
  }
  return guard.apply(text, hits, direction);
}

/** A whole answer checked: text and tool-call arguments of every choice; placeholders restored. Returns the same object when nothing changed. */
function guardAnswer(guard: RequestGuard, response: ChatResponse): ChatResponse {
  let changed = false;
  const choices = response.choices.map((choice) => {
    const where = `the answer (choice ${choice.index})`;
    const content = choice.content.map((part) => {
      if (part.type !== 'text') return part;
      const text = finish(guard, guardText(guard, part.text, where, guard.output, 'output'));
      if (text === part.text) return part;
      changed = true;
      return { ...part, text };
    });
    const toolCalls = choice.toolCalls.map((tool, index) => {
      const args = finish(guard, guardText(guard, tool.arguments, `the arguments of tool call ${index} (choice ${choice.index})`, guard.output, 'output'));
      if (args === tool.arguments) return tool;
      changed = true;
      return { ...tool, arguments: args };
    });
    return { ...choice, content, toolCalls };
  });
  return changed ? { ...response, choices } : response;
}

function finish(guard: RequestGuard, text: string): string {
  return guard.restores ? guard.restore(text) : text;
}

/** Runs a direction's webhooks together; the first block refuses the request. Logged rules only record. */
async function runWebhooks(guard: RequestGuard, rules: readonly CompiledRule[], context: RequestContext, body: Pick<WebhookPayload, 'phase' | 'model' | 'messages'>, direction: 'input' | 'output'): Promise<undefined> {
  const verdicts = await Promise.all(
    rules.map((rule) => checkWebhook(rule, { ...body, rule: rule.name, request_id: context.id, virtual_key_id: context.principal?.keyId ?? null }, context.signal)),
  );
  verdicts.forEach((verdict, index) => {
    if (verdict.allowed && !verdict.failed) return;
    const rule = rules[index]!;
    guard.record({ rule, type: verdict.failed ? 'webhook_error' : 'webhook', start: 0, end: 0 }, direction);
  });
  const blocking = verdicts.findIndex((verdict, index) => !verdict.allowed && rules[index]!.action === 'block');
  if (blocking !== -1) {
    const verdict = verdicts[blocking]!;
    const rule = rules[blocking]!;
    const where = direction === 'input' ? 'the request' : 'the answer';
    throw new GatewayError('guardrail_blocked', `Blocked by guardrail rule "${rule.name}" (webhook) on ${where}${verdict.reason === undefined ? '' : `: ${verdict.reason}`}${verdict.failed ? ' (the rule fails closed)' : ''}.`);
  }
  return undefined;
}

function contentText(content: readonly ContentPart[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

function messageText(message: Message): string {
  const text = contentText(message.content);
  return message.role === 'assistant' && message.toolCalls !== undefined ? [text, ...message.toolCalls.map((tool) => tool.arguments)].filter((piece) => piece.length > 0).join('\n') : text;
}

export type { RuleSet };
