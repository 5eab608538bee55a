import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/**
 * Code mode's four meta-tools. Their names have no `__`, so they never collide with an upstream
 * server's namespaced tools (`<server>__<tool>`).
 */
export const LIST_TOOL_FILES = 'list_tool_files';
export const READ_TOOL_FILE = 'read_tool_file';
export const GET_TOOL_DOCS = 'get_tool_docs';
export const EXECUTE_CODE = 'execute_code';

export const META_TOOL_NAMES: readonly string[] = [LIST_TOOL_FILES, READ_TOOL_FILE, GET_TOOL_DOCS, EXECUTE_CODE];

/** The meta-tools as MCP lists them; their descriptions are the whole protocol a model needs. */
export const META_TOOLS: readonly Tool[] = [
  {
    name: LIST_TOOL_FILES,
    description: 'Lists the TypeScript declaration files of the tools you may call, one file per MCP server (servers/<server>.d.ts) with its tool count. Read a file with read_tool_file, then call its tools from execute_code.',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
  },
  {
    name: READ_TOOL_FILE,
    description: "Reads one declaration file from list_tool_files: each tool of the server as a typed async method of `servers.<server>`, with its documentation.",
    inputSchema: { type: 'object', properties: { path: { type: 'string', description: 'The file, e.g. servers/github.d.ts' } }, required: ['path'] },
    annotations: { readOnlyHint: true },
  },
  {
    name: GET_TOOL_DOCS,
    description: "One tool's full documentation: description, declaration and JSON Schema.",
    inputSchema: { type: 'object', properties: { tool: { type: 'string', description: 'The tool as servers.<server>.<tool> or <server>__<tool>' } }, required: ['tool'] },
    annotations: { readOnlyHint: true },
  },
  {
    name: EXECUTE_CODE,
    description:
      'Runs TypeScript or JavaScript as the body of an async function in a sandbox and answers {"result": <returned value>, "console": [lines]}. Call tools as `await servers.<server>.<tool>({ ...args })`: each resolves to the tool result (parsed when JSON) and throws when the tool fails or is not allowed. Combine several calls, loop and compute in one execution, then `return` only what you need. console.log is captured. No network, files, timers, modules or process; time and memory are limited.',
    inputSchema: { type: 'object', properties: { code: { type: 'string', description: 'e.g. const sum = await servers.calc.add({ a: 1, b: 2 }); return sum;' } }, required: ['code'] },
  },
];
