/**
 * MCP: the library as Model Context Protocol tools and resources for AI agents, the third thin
 * shell beside `cli/` and `server/`.
 * @module mcp
 */
export {
  chunkUri,
  createMcpServer,
  type McpIngest,
  type McpIngestRequest,
  type McpIngestSummary,
  McpInputs,
  type McpServerOptions,
  sourceUri,
} from './mcp-server.js';
