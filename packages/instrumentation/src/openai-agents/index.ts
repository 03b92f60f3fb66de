// @agentrace/instrumentation/openai-agents: the OpenAI Agents SDK traced as OpenTelemetry GenAI spans.
export type { OpenAIAgentsSdkInstrumentationConfig } from './agents-instrumentation.js';
export {
  ENV_OPENAI_AGENTS_EXCLUSIVE,
  OPENAI_AGENTS_SUPPORTED_VERSIONS,
  OpenAIAgentsSdkInstrumentation,
} from './agents-instrumentation.js';
export type {
  InstrumentOpenAIAgentsOptions,
  OpenAIAgentsInstrumentation,
  OpenAIAgentsModule,
} from './instrument.js';
export { instrumentOpenAIAgents } from './instrument.js';
export type { OpenAIAgentsProcessorOptions } from './processor.js';
export { AgentraceTracingProcessor, OPENAI_AGENTS_SCOPE } from './processor.js';
export { AgentsRegistration } from './registration.js';
export type { SdkSpan, SdkSpanData, SdkTrace } from './sdk-types.js';
export { SdkSpanType } from './sdk-types.js';
