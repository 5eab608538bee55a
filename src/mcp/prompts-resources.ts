import type { GetPromptResult, Prompt, ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../pipeline/context.js';
import { GatewayError } from '../spec/index.js';
import { SEPARATOR } from './tool-catalog.js';
import type { ToolPermissions } from './tool-permissions.js';
import type { UpstreamServer } from './upstream-server.js';

/** Resource URIs the gateway serves are the upstream's URI behind this prefix and the server's name: `tollgate://files/file:///docs/a.md`. */
export const RESOURCE_PREFIX = 'tollgate://';
/** Items gathered from one server's pages at most (a server that pages forever stops here). */
const MAX_ITEMS = 10_000;

/** The gateway's URI of an upstream resource (or URI template: the template's variables stay as they are). */
export function gatewayUri(server: string, uri: string): string {
  return `${RESOURCE_PREFIX}${server}/${uri}`;
}

/** The server and upstream URI a gateway URI stands for; undefined when it is not one. */
export function upstreamUri(uri: string): { server: string; uri: string } | undefined {
  if (!uri.startsWith(RESOURCE_PREFIX)) return undefined;
  const slash = uri.indexOf('/', RESOURCE_PREFIX.length);
  if (slash <= RESOURCE_PREFIX.length) return undefined;
  return { server: uri.slice(RESOURCE_PREFIX.length, slash), uri: uri.slice(slash + 1) };
}

/**
 * The upstream servers' prompts and resources, served at `/mcp` next to their tools. Prompts are
 * named like tools (`<server>__<prompt>`); resources and resource templates keep their URI behind
 * `tollgate://<server>/`. Permissions are the tools' patterns: a prompt is checked as
 * `<server>__<prompt>`, a resource as `<server>__<its upstream URI>` (so `files__*` covers every
 * prompt and resource of `files`). Lists are asked of the connected servers when a caller lists
 * (no copy is kept): a server that is down or fails is left out of the list, not an error.
 */
export class PromptsAndResources {
  constructor(
    private readonly servers: ReadonlyMap<string, UpstreamServer>,
    private readonly permissions: () => ToolPermissions,
  ) {}

  async listPrompts(principal: Principal | undefined, signal: AbortSignal, group?: string): Promise<Prompt[]> {
    const lists = await this.gather('prompts', signal, (server, client, options) => pages((cursor) => client.listPrompts(cursor === undefined ? {} : { cursor }, options), (page) => page.prompts));
    const prompts: Prompt[] = [];
    for (const [server, list] of lists) {
      for (const prompt of list) {
        const name = `${server.name}${SEPARATOR}${prompt.name}`;
        if (this.allowed(principal, name, group)) prompts.push({ ...prompt, name });
      }
    }
    return prompts;
  }

  async getPrompt(principal: Principal | undefined, name: string, args: Record<string, string> | undefined, signal: AbortSignal, group?: string): Promise<GetPromptResult> {
    this.refuse(principal, name, group, 'Prompt');
    const split = name.indexOf(SEPARATOR);
    const server = split <= 0 ? undefined : this.servers.get(name.slice(0, split));
    if (server === undefined) throw new GatewayError('tool_not_found', `No MCP server offers the prompt \`${name}\` (prompts are named \`<server>${SEPARATOR}<prompt>\`).`);
    const prompt = name.slice(split + SEPARATOR.length);
    return server.request(`the prompt \`${prompt}\``, (client, options) => client.getPrompt({ name: prompt, ...(args === undefined ? {} : { arguments: args }) }, options), signal);
  }

  async listResources(principal: Principal | undefined, signal: AbortSignal, group?: string): Promise<Resource[]> {
    const lists = await this.gather('resources', signal, (server, client, options) => pages((cursor) => client.listResources(cursor === undefined ? {} : { cursor }, options), (page) => page.resources));
    const resources: Resource[] = [];
    for (const [server, list] of lists) {
      for (const resource of list) if (this.allowed(principal, `${server.name}${SEPARATOR}${resource.uri}`, group)) resources.push({ ...resource, uri: gatewayUri(server.name, resource.uri) });
    }
    return resources;
  }

  async listResourceTemplates(principal: Principal | undefined, signal: AbortSignal, group?: string): Promise<ResourceTemplate[]> {
    const lists = await this.gather('resources', signal, (server, client, options) => pages((cursor) => client.listResourceTemplates(cursor === undefined ? {} : { cursor }, options), (page) => page.resourceTemplates));
    const templates: ResourceTemplate[] = [];
    for (const [server, list] of lists) {
      for (const template of list) {
        if (this.allowed(principal, `${server.name}${SEPARATOR}${template.uriTemplate}`, group)) templates.push({ ...template, uriTemplate: gatewayUri(server.name, template.uriTemplate) });
      }
    }
    return templates;
  }

  async readResource(principal: Principal | undefined, uri: string, signal: AbortSignal, group?: string): Promise<ReadResourceResult> {
    const target = upstreamUri(uri);
    const server = target === undefined ? undefined : this.servers.get(target.server);
    if (target === undefined) throw new GatewayError('tool_not_found', `No resource \`${uri.slice(0, 200)}\`: the gateway's resource URIs start with \`${RESOURCE_PREFIX}<server>/\`.`);
    this.refuse(principal, `${target.server}${SEPARATOR}${target.uri}`, group, 'Resource');
    if (server === undefined) throw new GatewayError('tool_not_found', `No MCP server \`${target.server}\` offers the resource \`${uri.slice(0, 200)}\`.`);
    const result = await server.request(`the read of \`${target.uri.slice(0, 200)}\``, (client, options) => client.readResource({ uri: target.uri }, options), signal);
    return { ...result, contents: result.contents.map((content) => ({ ...content, uri: gatewayUri(server.name, content.uri) })) };
  }

  private allowed(principal: Principal | undefined, name: string, group: string | undefined): boolean {
    const permissions = this.permissions();
    if (group !== undefined && !permissions.inGroup(group, name)) return false;
    return permissions.check(principal, name).allowed;
  }

  /** Throws `tool_not_allowed` naming the rule, as for a tool (the message says `Tool`, the pattern is the same kind). */
  private refuse(principal: Principal | undefined, name: string, group: string | undefined, kind: string): void {
    const permissions = this.permissions();
    if (group !== undefined && !permissions.inGroup(group, name)) throw new GatewayError('tool_not_allowed', `${kind} \`${name}\` is not allowed: not in group "${group}".`);
    const verdict = permissions.check(principal, name);
    if (!verdict.allowed) throw new GatewayError('tool_not_allowed', verdict.reason.replace(/^Tool /, `${kind} `));
  }

  /** Asks every connected server that declared `capability`, in parallel; a server that fails is left out. */
  private async gather<T>(capability: 'prompts' | 'resources', signal: AbortSignal, list: (server: UpstreamServer, client: Parameters<Parameters<UpstreamServer['request']>[1]>[0], options: { signal: AbortSignal; timeout: number }) => Promise<T[]>): Promise<[UpstreamServer, T[]][]> {
    const asked = [...this.servers.values()].filter((server) => server.offers(capability));
    const settled = await Promise.allSettled(asked.map((server) => server.request(`the ${capability} list`, (client, options) => list(server, client, options), signal)));
    const lists: [UpstreamServer, T[]][] = [];
    settled.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') lists.push([asked[index]!, outcome.value]);
    });
    return lists;
  }
}

/** Every page of a list, up to MAX_ITEMS. */
async function pages<Page extends { nextCursor?: string | undefined }, T>(fetchPage: (cursor: string | undefined) => Promise<Page>, items: (page: Page) => T[]): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    all.push(...items(page));
    cursor = page.nextCursor;
  } while (cursor !== undefined && all.length < MAX_ITEMS);
  return all;
}
