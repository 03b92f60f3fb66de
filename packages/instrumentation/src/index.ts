// @agentrace/instrumentation: zero-code tracing and costing of model clients, agent frameworks and MCP.
// The instrumentations land here one by one (issues 14, 15, 16); this index only re-exports.

export type { InstrumentMcpOptions, McpInstrumentationConfig } from './mcp/index.js';
export { instrumentMcp, McpInstrumentation } from './mcp/index.js';
export { INSTRUMENTATION_PACKAGE_NAME } from './package-name.js';
