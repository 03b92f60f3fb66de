// @agentrace/instrumentation: zero-code tracing and costing of model clients, agent frameworks and MCP.
// The instrumentations land here one by one (issues 14, 15, 16); this index only re-exports.

export type { AnthropicInstrumentationConfig, ClientInstrumentationOptions } from './anthropic/index.js';
export { ANTHROPIC_SDK_SUPPORTED_VERSIONS, AnthropicInstrumentation } from './anthropic/index.js';
export type { ClientContentOptions } from './clients/message-content.js';
export type { GoogleGenAIInstrumentationConfig } from './google-genai/index.js';
export { GOOGLE_GENAI_SUPPORTED_VERSIONS, GoogleGenAIInstrumentation } from './google-genai/index.js';
export type { LangChainInstrumentationConfig } from './langchain/langchain-instrumentation.js';
export {
  LANGCHAIN_CORE_SUPPORTED_VERSIONS,
  LangChainInstrumentation,
} from './langchain/langchain-instrumentation.js';
export type { InstrumentMcpOptions, McpInstrumentationConfig } from './mcp/index.js';
export { instrumentMcp, McpInstrumentation } from './mcp/index.js';
export type { OpenAIInstrumentationConfig } from './openai/index.js';
export { OPENAI_SUPPORTED_VERSIONS, OpenAIInstrumentation } from './openai/index.js';
export type { OpenAIAgentsSdkInstrumentationConfig } from './openai-agents/agents-instrumentation.js';
export {
  ENV_OPENAI_AGENTS_EXCLUSIVE,
  OPENAI_AGENTS_SUPPORTED_VERSIONS,
  OpenAIAgentsSdkInstrumentation,
} from './openai-agents/agents-instrumentation.js';
export { INSTRUMENTATION_PACKAGE_NAME } from './package-name.js';
