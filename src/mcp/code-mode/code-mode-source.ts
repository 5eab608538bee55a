import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../../pipeline/context.js';
import { GatewayError } from '../../spec/index.js';
import type { ToolSource } from '../tool-source.js';
import { EXECUTE_CODE, GET_TOOL_DOCS, LIST_TOOL_FILES, META_TOOL_NAMES, META_TOOLS, READ_TOOL_FILE } from './meta-tools.js';
import type { SandboxLimits } from './sandbox.js';
import type { Sandbox } from './sandbox-pool.js';
import { fileOf, groupByServer, listFiles, serverFile, serverOfFile, toolDocs } from './tool-files.js';
import { transpileCode } from './transpile.js';

/** Characters of code one execution accepts. */
const MAX_CODE_CHARS = 100_000;
/** Characters of one tool call's arguments (as JSON) that code may send. */
const MAX_ARGUMENT_CHARS = 1_000_000;

/** Code mode's settings (`mcp.code_mode`), as the source uses them. */
export interface CodeModeSettings {
  readonly limits: SandboxLimits;
  /** Executions that may run at once; more wait for a free slot within their own time limit. */
  readonly maxConcurrent: number;
}

function text(value: string, isError = false): CallToolResult {
  return isError ? { content: [{ type: 'text', text: value }], isError: true } : { content: [{ type: 'text', text: value }] };
}

function stringArgument(args: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = args?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A tool result as the value sandboxed code receives: its structured content when it has one,
 * else its text (parsed when the text is JSON), else its content parts.
 */
export function toolValue(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const content = result.content ?? [];
  if (content.every((part) => part.type === 'text')) {
    const joined = content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
    try {
      return JSON.parse(joined) as unknown;
    } catch {
      return joined;
    }
  }
  return content;
}

/**
 * Code mode (docs/mcp.md): instead of every tool's schema, four meta-tools over another ToolSource
 * (the catalog): list the caller's tool files, read one (a TypeScript declaration per server), get
 * one tool's docs, and execute code that calls the tools as `await servers.<server>.<tool>(args)`
 * in a QuickJS sandbox. Every call the code makes goes to the wrapped source with the caller's
 * principal and group, so it is permission-checked and, as the module wires it, logged as an
 * `mcp_tool_call`. What the code does wrong (escapes, loops, memory, huge output, refused tools)
 * is an `isError` result naming the cause.
 */
export class CodeModeSource implements ToolSource {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly inner: ToolSource,
    private settings: CodeModeSettings,
    private readonly sandbox: Sandbox,
  ) {}

  reconfigure(settings: CodeModeSettings): void {
    this.settings = settings;
  }

  list(): Tool[] {
    return [...META_TOOLS];
  }

  async call(principal: Principal | undefined, name: string, args: Record<string, unknown> | undefined, signal: AbortSignal, group?: string): Promise<CallToolResult> {
    switch (name) {
      case LIST_TOOL_FILES:
        return text(listFiles(groupByServer(this.inner.list(principal, group))));
      case READ_TOOL_FILE: {
        const path = stringArgument(args, 'path');
        if (path === undefined) return text('read_tool_file needs `path`, a file from list_tool_files (e.g. servers/github.d.ts).', true);
        const servers = groupByServer(this.inner.list(principal, group));
        const server = serverOfFile(path);
        const tools = servers.get(server);
        if (tools === undefined) return text(`No file ${JSON.stringify(path)}. The files are: ${[...servers.keys()].map(fileOf).join(', ') || 'none'}.`, true);
        return text(serverFile(server, tools));
      }
      case GET_TOOL_DOCS: {
        const tool = stringArgument(args, 'tool');
        if (tool === undefined) return text('get_tool_docs needs `tool`, as servers.<server>.<tool> or <server>__<tool>.', true);
        const [server, toolName] = splitToolReference(tool);
        const found = groupByServer(this.inner.list(principal, group)).get(server)?.get(toolName);
        if (found === undefined) return text(`No tool ${JSON.stringify(tool)} among the tools this key may use (see list_tool_files).`, true);
        return text(toolDocs(server, toolName, found));
      }
      case EXECUTE_CODE:
        return this.execute(principal, args, signal, group);
      default:
        throw new GatewayError('tool_not_found', `No tool \`${name}\` in code mode: the tools are ${META_TOOL_NAMES.join(', ')}; call the MCP servers' tools from ${EXECUTE_CODE} as servers.<server>.<tool>(args).`);
    }
  }

  private async execute(principal: Principal | undefined, args: Record<string, unknown> | undefined, signal: AbortSignal, group: string | undefined): Promise<CallToolResult> {
    const code = stringArgument(args, 'code');
    if (code === undefined || code.trim() === '') return text('execute_code needs `code`: TypeScript or JavaScript, the body of an async function.', true);
    if (code.length > MAX_CODE_CHARS) return text(`The code is ${code.length} characters; at most ${MAX_CODE_CHARS} are accepted.`, true);
    let source: string;
    try {
      source = await transpileCode(code);
    } catch (error) {
      return text(JSON.stringify({ error: `SyntaxError: ${error instanceof Error ? error.message : String(error)}` }), true);
    }
    const { limits } = this.settings;
    const tools: Record<string, string[]> = {};
    for (const [server, serverTools] of groupByServer(this.inner.list(principal, group))) tools[server] = [...serverTools.keys()];
    const release = await this.acquire(signal, limits.timeoutMs);
    if (release === undefined) return text(JSON.stringify({ error: `Busy: ${this.settings.maxConcurrent} executions are running; none finished within ${limits.timeoutMs} ms. Try again.` }), true);
    try {
      const outcome = await this.sandbox.run({
        source,
        tools,
        limits,
        signal,
        callTool: async (toolName, argumentsJson, callSignal) => {
          if (argumentsJson.length > MAX_ARGUMENT_CHARS) throw new Error(`the arguments of ${toolName} are ${argumentsJson.length} characters as JSON; at most ${MAX_ARGUMENT_CHARS} are sent`);
          const parsed = JSON.parse(argumentsJson) as unknown;
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`the arguments of ${toolName} must be an object`);
          let result: CallToolResult;
          try {
            result = await this.inner.call(principal, toolName, parsed as Record<string, unknown>, callSignal, group);
          } catch (error) {
            throw new Error(GatewayError.is(error) ? `${error.message} (${error.code})` : 'the tool call failed');
          }
          const value = toolValue(result);
          if (result.isError === true) throw new Error(`${toolName} failed: ${typeof value === 'string' ? value : JSON.stringify(value)}`.slice(0, 4_000));
          return JSON.stringify(value ?? null);
        },
      });
      const consoleLines = outcome.console.length > 0 ? { console: outcome.console } : {};
      if (!outcome.ok) return text(JSON.stringify({ error: outcome.error, ...consoleLines }), true);
      const resultJson = outcome.resultJson;
      if (resultJson !== undefined && resultJson.length > limits.maxResultChars) return text(JSON.stringify({ error: `RangeError: the returned value is more than ${limits.maxResultChars} characters as JSON`, ...consoleLines }), true);
      let result: unknown;
      try {
        result = resultJson === undefined ? null : (JSON.parse(resultJson) as unknown);
      } catch {
        return text(JSON.stringify({ error: 'the returned value is not JSON-serialisable', ...consoleLines }), true);
      }
      return text(JSON.stringify({ result, ...consoleLines }));
    } finally {
      release();
    }
  }

  /** A slot among `maxConcurrent`, or undefined when none frees up within `timeoutMs` (or the caller goes away). */
  private async acquire(signal: AbortSignal, timeoutMs: number): Promise<(() => void) | undefined> {
    // A waiter is handed the slot directly, so nobody slips in between.
    const release = () => {
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    };
    if (this.running < this.settings.maxConcurrent) {
      this.running++;
      return release;
    }
    const granted = await new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(wake);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(false);
      }, timeoutMs);
      signal.addEventListener('abort', () => {
        const index = this.waiting.indexOf(wake);
        if (index >= 0) this.waiting.splice(index, 1);
        clearTimeout(timer);
        resolve(false);
      }, { once: true });
      this.waiting.push(wake);
    });
    return granted ? release : undefined;
  }
}

/** `servers.calc.add`, `calc.add` or `calc__add` → [server, tool]. */
function splitToolReference(reference: string): [string, string] {
  const trimmed = reference.trim().replace(/^servers\./, '').replace(/\(.*$/, '');
  const separator = trimmed.indexOf('__');
  if (separator > 0) return [trimmed.slice(0, separator), trimmed.slice(separator + 2)];
  const dot = trimmed.indexOf('.');
  return dot > 0 ? [trimmed.slice(0, dot), trimmed.slice(dot + 1)] : [trimmed, ''];
}
