import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { docText, propertyName, schemaToType } from './schema-to-typescript.js';

/** Separates a server's name from its tool's in namespaced tool names (as the catalog does). */
const SEPARATOR = '__';
const FILE_PREFIX = 'servers/';
const FILE_SUFFIX = '.d.ts';

/** A caller's tools grouped by server: server → (tool → its definition), in listing order. */
export type ToolsByServer = Map<string, Map<string, Tool>>;

/** Groups namespaced tools (`<server>__<tool>`) by server; a name without the separator is skipped. */
export function groupByServer(tools: readonly Tool[]): ToolsByServer {
  const servers: ToolsByServer = new Map();
  for (const tool of tools) {
    const split = tool.name.indexOf(SEPARATOR);
    if (split <= 0) continue;
    const server = tool.name.slice(0, split);
    let entry = servers.get(server);
    if (entry === undefined) servers.set(server, (entry = new Map()));
    entry.set(tool.name.slice(split + SEPARATOR.length), tool);
  }
  return servers;
}

/** The file that declares a server's tools: `servers/<server>.d.ts`. */
export function fileOf(server: string): string {
  return `${FILE_PREFIX}${server}${FILE_SUFFIX}`;
}

/** The server a file path names; accepts `servers/calc.d.ts`, `calc.d.ts`, `calc`. */
export function serverOfFile(path: string): string {
  let name = path.trim();
  if (name.startsWith('/')) name = name.slice(1);
  if (name.startsWith(FILE_PREFIX)) name = name.slice(FILE_PREFIX.length);
  if (name.endsWith(FILE_SUFFIX)) name = name.slice(0, -FILE_SUFFIX.length);
  else if (name.endsWith('.ts')) name = name.slice(0, -3);
  return name;
}

/** One line per server file: its path and how many tools it declares. */
export function listFiles(servers: ToolsByServer): string {
  if (servers.size === 0) return 'No tool files: this key may use no MCP tool.';
  const lines = [...servers].map(([server, tools]) => `${fileOf(server)} (${tools.size} tool${tools.size === 1 ? '' : 's'})`);
  return lines.join('\n');
}

/** A tool's method signature with its doc comment (its description), indented for the server's block. */
function declareTool(name: string, tool: Tool, indent: string, full: boolean): string {
  const lines: string[] = [];
  const description = tool.description ?? tool.title ?? tool.annotations?.title;
  if (description !== undefined && description.length > 0) lines.push(`${indent}/** ${full ? description.replaceAll('*/', '*\\/') : docText(description)} */`);
  const input = schemaToType(tool.inputSchema, indent);
  const optional = !Array.isArray(tool.inputSchema.required) || tool.inputSchema.required.length === 0;
  const output = tool.outputSchema === undefined ? 'any' : schemaToType(tool.outputSchema, indent);
  lines.push(`${indent}${propertyName(name)}(args${optional ? '?' : ''}: ${input}): Promise<${output}>;`);
  return lines.join('\n');
}

/**
 * `servers/<server>.d.ts`: the server's tools as methods of `Servers['<server>']`, each with its
 * description and its parameters' as doc comments. Interfaces merge, so all files together
 * declare one `Servers`; code reaches them as `servers.<server>.<tool>(args)`.
 */
export function serverFile(server: string, tools: ReadonlyMap<string, Tool>): string {
  const lines = [`// ${fileOf(server)}: the tools of MCP server \`${server}\`. Call one as \`await servers.${IDENTIFIER.test(server) ? server : `[${JSON.stringify(server)}]`}.<tool>(args)\`.`, 'interface Servers {', `  ${propertyName(server)}: {`];
  for (const [name, tool] of tools) lines.push(declareTool(name, tool, '    ', false));
  lines.push('  };', '}', 'declare const servers: Servers;');
  return lines.join('\n');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** One tool's documentation: its full description, its declaration, and its input (and output) JSON Schema. */
export function toolDocs(server: string, name: string, tool: Tool): string {
  const parts = [`// servers.${server}.${name} (MCP tool \`${server}${SEPARATOR}${name}\`)`];
  if (tool.title !== undefined) parts.push(`// ${docText(tool.title)}`);
  parts.push(declareTool(name, tool, '', true));
  parts.push(`// Input JSON Schema: ${JSON.stringify(tool.inputSchema)}`);
  if (tool.outputSchema !== undefined) parts.push(`// Output JSON Schema: ${JSON.stringify(tool.outputSchema)}`);
  if (tool.annotations !== undefined) parts.push(`// Annotations: ${JSON.stringify(tool.annotations)}`);
  return parts.join('\n');
}
