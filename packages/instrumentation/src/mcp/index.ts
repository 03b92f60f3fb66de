// @agentrace/instrumentation/mcp: Model Context Protocol client and server tracing. This file only re-exports.
export type { InstrumentMcpOptions } from './instrument-mcp.js';
export { instrumentMcp } from './instrument-mcp.js';
export type { McpInstrumentationConfig } from './mcp-instrumentation.js';
export { MCP_SDK_SUPPORTED_VERSIONS, McpInstrumentation } from './mcp-instrumentation.js';
export type { McpInstrumentationOptions } from './mcp-telemetry.js';
export { DEFAULT_MAX_CONTENT_LENGTH } from './mcp-telemetry.js';
