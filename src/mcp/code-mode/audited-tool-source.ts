import { randomUUID } from 'node:crypto';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayRequests } from '../../pipeline/capabilities.js';
import type { Principal } from '../../pipeline/context.js';
import type { ToolCaller, ToolSource } from '../tool-source.js';

/** Where the calls that code makes are logged from (the request log's `path`). */
export const CODE_MODE_PATH = '/mcp#execute_code';

/**
 * A ToolSource whose every call runs through the pipeline's `perform`: one request log record
 * (`operation`, the tool as its model, the caller's key), metrics and, for a refusal, the audit
 * log, as a call through `/mcp` gets. Code mode calls its tools through it.
 */
export class AuditedToolSource implements ToolSource {
  constructor(
    private readonly inner: ToolSource,
    /** Calls a catalog tool inside its record's context (runToolCall: permissions, price, metrics). */
    private readonly callTool: ToolCaller,
    private readonly requests: () => GatewayRequests,
    private readonly operation: string,
  ) {}

  list(principal: Principal | undefined, group?: string): Tool[] {
    return this.inner.list(principal, group);
  }

  call(principal: Principal | undefined, name: string, args: Record<string, unknown> | undefined, signal: AbortSignal, group?: string): Promise<CallToolResult> {
    return this.requests().perform(
      { id: randomUUID(), surface: 'mcp', operation: this.operation, subject: name, principal, path: CODE_MODE_PATH, headers: {}, clientAddress: undefined, signal },
      (context) => this.callTool(context, name, args, group),
    );
  }
}
