// @agentrace/instrumentation/langchain: LangChain.js / LangGraph.js runs traced as OpenTelemetry GenAI spans.
export type { LangChainHandlerOptions } from './handler.js';
export { AgentraceCallbackHandler, ChainSpans, LANGCHAIN_SCOPE } from './handler.js';
export { instrumentLangChain } from './instrument.js';
export type { LangChainInstrumentationConfig } from './langchain-instrumentation.js';
export { LANGCHAIN_CORE_SUPPORTED_VERSIONS, LangChainInstrumentation } from './langchain-instrumentation.js';
export type { SerializedLike } from './runs.js';
export { isAgentRun, runNameOf } from './runs.js';
