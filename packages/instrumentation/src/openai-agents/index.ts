// @agentrace/instrumentation/openai-agents: the OpenAI Agents SDK traced as OpenTelemetry GenAI spans.
export type {
  InstrumentOpenAIAgentsOptions,
  OpenAIAgentsInstrumentation,
  OpenAIAgentsModule,
} from './instrument.js';
export { instrumentOpenAIAgents } from './instrument.js';
export type { OpenAIAgentsProcessorOptions } from './processor.js';
export { AgentraceTracingProcessor, OPENAI_AGENTS_SCOPE } from './processor.js';
export type { SdkSpan, SdkSpanData, SdkSpanError, SdkTrace } from './sdk-types.js';
export { SdkSpanType } from './sdk-types.js';
