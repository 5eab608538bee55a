/**
 * The scripted model of `npm run bench:mcp`: an OpenAI-dialect upstream on loopback
 * (`POST /v1/chat/completions`) that plays an agent following whichever protocol its tools offer,
 * and counts, with a real tokenizer (js-tiktoken, o200k_base), the input tokens of every request
 * the gateway sends it.
 *
 * It knows each task's plan (which tools, which arguments) as a capable model would work it out,
 * but it can only act on what it is given:
 * - classic: every call must name a tool in the request's `tools`, pass only parameters that
 *   tool's JSON schema declares and every one it requires; independent calls go in parallel, a
 *   call that needs an earlier result waits for it (one model turn per dependency level);
 * - code mode (the four meta-tools): it lists the tool files, reads the files of the servers it
 *   needs, finds each method and its parameters in the declaration, writes one piece of code that
 *   makes every call and computes the answer, runs it with `execute_code`, and answers.
 * Whatever it cannot find or that fails makes it answer `ANSWER: unknown`, so the task fails.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { dependencies, resolveArguments, TASKS, type Task } from './mcp-tasks.js';

interface ChatMessage {
  role: string;
  content?: string | null | { type: string; text?: string }[];
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

interface ChatBody {
  model: string;
  messages: ChatMessage[];
  tools?: { type: 'function'; function: { name: string; description?: string; parameters?: Record<string, unknown> } }[];
}

/** OpenAI's chat framing: each message costs 3 tokens around its content, the reply is primed with 3. */
const PER_MESSAGE_TOKENS = 3;
const REPLY_PRIMING_TOKENS = 3;

export interface ScriptedModel {
  readonly url: string;
  /** Input tokens of every request received since the last reset, and how many requests. */
  usage(): { inputTokens: number; requests: number };
  reset(): void;
  close(): Promise<void>;
}

const encoder = new Tiktoken(o200k);
const count = (text: string) => encoder.encode(text).length;

function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join('');
  return '';
}

/** Input tokens as a provider counts them: each message's role, content and tool calls, and the tool definitions. */
export function inputTokens(body: ChatBody): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of body.messages) {
    tokens += PER_MESSAGE_TOKENS + count(message.role) + count(contentText(message.content));
    if (message.tool_calls !== undefined) tokens += count(JSON.stringify(message.tool_calls));
    if (message.tool_call_id !== undefined) tokens += count(message.tool_call_id);
  }
  if (body.tools !== undefined && body.tools.length > 0) tokens += count(JSON.stringify(body.tools));
  return tokens;
}

type Reply = { content: string } | { calls: { name: string; args: Record<string, unknown>; id?: string }[] };

const unknownAnswer = (why: string): Reply => ({ content: `ANSWER: unknown (${why})` });

/** The tool results in the conversation, by tool call id. */
function toolResults(messages: ChatMessage[]): Map<string, string> {
  const results = new Map<string, string>();
  for (const message of messages) if (message.role === 'tool' && message.tool_call_id !== undefined) results.set(message.tool_call_id, contentText(message.content));
  return results;
}

/** The calls the assistant made so far: id → name and arguments. */
function assistantCalls(messages: ChatMessage[]): { id: string; name: string; args: Record<string, unknown> }[] {
  const calls: { id: string; name: string; args: Record<string, unknown> }[] = [];
  for (const message of messages) for (const call of message.tool_calls ?? []) calls.push({ id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments || '{}') as Record<string, unknown> });
  return calls;
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function answerOf(task: Task, results: readonly (Record<string, unknown> | undefined)[]): Reply {
  let total = 0;
  for (const [index, field] of task.sum) {
    const value = results[index]?.[field];
    if (typeof value !== 'number') return unknownAnswer(`step ${index + 1} gave no ${field}`);
    total += value;
  }
  return { content: `ANSWER: ${total}` };
}

/** Classic: one turn per dependency level, each call checked against the tool definitions it was given. */
function classicTurn(task: Task, body: ChatBody): Reply {
  const definitions = new Map((body.tools ?? []).map((tool) => [tool.function.name, tool.function.parameters ?? {}]));
  const done = toolResults(body.messages);
  const results = task.steps.map((_, index) => parseJson(done.get(`call_${task.id}_${index}`)));
  const next = task.steps.map((step, index) => ({ step, index })).filter(({ step, index }) => !done.has(`call_${task.id}_${index}`) && dependencies(step).every((from) => results[from] !== undefined));
  if (next.length === 0) return answerOf(task, results);
  const calls: { name: string; args: Record<string, unknown>; id: string }[] = [];
  for (const { step, index } of next) {
    const name = `${step.server}__${step.tool}`;
    const schema = definitions.get(name);
    if (schema === undefined) return unknownAnswer(`no tool ${name}`);
    const properties = Object.keys((schema.properties ?? {}) as Record<string, unknown>);
    const args = resolveArguments(step, results as Record<string, unknown>[]);
    if (Object.keys(args).some((argument) => !properties.includes(argument))) return unknownAnswer(`${name} takes no such parameter`);
    if (((schema.required ?? []) as string[]).some((argument) => args[argument] === undefined)) return unknownAnswer(`${name} needs more`);
    // Named after the step, so the next turn knows which results it has.
    calls.push({ name, args, id: `call_${task.id}_${index}` });
  }
  return { calls };
}

/** The parameter names a declaration gives a method: `  name(args: {` … `}): Promise<…>;`, top-level members only. */
function declaredParameters(declaration: string, method: string): { names: string[]; required: string[] } | undefined {
  const lines = declaration.split('\n');
  const start = lines.findIndex((line) => line.trimStart().startsWith(`${method}(args`));
  if (start < 0) return undefined;
  const indent = lines[start]!.length - lines[start]!.trimStart().length;
  const names: string[] = [];
  const required: string[] = [];
  for (let index = start + 1; index < lines.length; index++) {
    const line = lines[index]!;
    const depth = line.length - line.trimStart().length;
    if (depth === indent && line.trimStart().startsWith('}')) break;
    const member = /^(\w+)(\??):/.exec(line.trimStart());
    if (depth === indent + 2 && member !== null) {
      names.push(member[1]!);
      if (member[2] === '') required.push(member[1]!);
    }
  }
  return { names, required };
}

/** JavaScript for an argument value: literals as JSON, references as the earlier result's field. */
function argumentCode(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'from' in value) {
    const reference = value as { from: number; field: string };
    return `r${reference.from}.${reference.field}`;
  }
  return JSON.stringify(value);
}

/** Code mode: list the files, read the needed ones, write and run the code, answer. */
function codeTurn(task: Task, body: ChatBody): Reply {
  const offered = new Set((body.tools ?? []).map((tool) => tool.function.name));
  for (const meta of ['list_tool_files', 'read_tool_file', 'execute_code']) if (!offered.has(meta)) return unknownAnswer(`no ${meta} tool`);
  const calls = assistantCalls(body.messages);
  const results = toolResults(body.messages);
  const listing = calls.find((call) => call.name === 'list_tool_files');
  if (listing === undefined) return { calls: [{ name: 'list_tool_files', args: {} }] };
  const files = results.get(listing.id) ?? '';
  const servers = [...new Set(task.steps.map((step) => step.server))];
  const reads = calls.filter((call) => call.name === 'read_tool_file');
  if (reads.length === 0) {
    const paths = servers.map((server) => `servers/${server}.d.ts`);
    const missing = paths.find((path) => !files.split('\n').some((line) => line.startsWith(`${path} `)));
    if (missing !== undefined) return unknownAnswer(`no file ${missing}`);
    return { calls: paths.map((path) => ({ name: 'read_tool_file', args: { path } })) };
  }
  const execution = calls.find((call) => call.name === 'execute_code');
  if (execution === undefined) {
    const declarations = new Map(reads.map((read) => [String(read.args.path), results.get(read.id) ?? '']));
    const lines: string[] = [];
    for (const [index, step] of task.steps.entries()) {
      const declaration = declarations.get(`servers/${step.server}.d.ts`) ?? '';
      const parameters = declaredParameters(declaration, step.tool);
      if (parameters === undefined) return unknownAnswer(`servers.${step.server}.${step.tool} is not declared`);
      const names = Object.keys(step.args);
      if (names.some((name) => !parameters.names.includes(name)) || parameters.required.some((name) => !names.includes(name))) return unknownAnswer(`servers.${step.server}.${step.tool} has other parameters`);
      const args = names.map((name) => `${name}: ${argumentCode(step.args[name])}`).join(', ');
      lines.push(`const r${index} = await servers.${step.server}.${step.tool}({ ${args} });`);
    }
    lines.push(`return ${task.sum.map(([index, field]) => `r${index}.${field}`).join(' + ')};`);
    return { calls: [{ name: 'execute_code', args: { code: lines.join('\n') } }] };
  }
  const outcome = parseJson(results.get(execution.id));
  if (outcome === undefined || typeof outcome.result !== 'number') return unknownAnswer(`the code failed: ${String(outcome?.error ?? 'no result')}`);
  return { content: `ANSWER: ${outcome.result}` };
}

function respond(task: Task | undefined, body: ChatBody): Reply {
  if (task === undefined) return unknownAnswer('no task');
  const codeMode = (body.tools ?? []).some((tool) => tool.function.name === 'execute_code');
  return codeMode ? codeTurn(task, body) : classicTurn(task, body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startScriptedModel(): Promise<ScriptedModel> {
  let tokens = 0;
  let requests = 0;
  let sequence = 0;
  const http: HttpServer = createServer((request: IncomingMessage, response: ServerResponse) => {
    void readBody(request).then((text) => {
      const body = JSON.parse(text) as ChatBody;
      const prompt = body.messages.find((message) => message.role === 'user');
      const id = /Task (\d+):/.exec(contentText(prompt?.content))?.[1];
      const task = TASKS.find((one) => String(one.id) === id);
      const promptTokens = inputTokens(body);
      tokens += promptTokens;
      requests++;
      const reply = respond(task, body);
      const message =
        'content' in reply
          ? { role: 'assistant', content: reply.content }
          : {
              role: 'assistant',
              content: null,
              tool_calls: reply.calls.map((call) => ({ id: call.id ?? `call_m${sequence++}`, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args) } })),
            };
      const completion = {
        id: `chatcmpl-${requests}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, finish_reason: 'content' in reply ? 'stop' : 'tool_calls' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: 20, total_tokens: promptTokens + 20 },
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    usage: () => ({ inputTokens: tokens, requests }),
    reset: () => {
      tokens = 0;
      requests = 0;
    },
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
