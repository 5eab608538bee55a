/** The calculator MCP server over stdio, as a program (run with `node dist/test/fakes/mcp-stdio-server.js`). */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { calculatorServer } from './mcp-tool-servers.js';

const server = calculatorServer({ onCrash: () => setTimeout(() => process.exit(1), 10) });
await server.connect(new StdioServerTransport());
