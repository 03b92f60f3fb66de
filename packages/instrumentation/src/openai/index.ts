// The OpenAI client instrumentation. This file only re-exports.

export type { OpenAIInstrumentationConfig } from './openai-instrumentation.js';
export { OPENAI_SUPPORTED_VERSIONS, OpenAIInstrumentation } from './openai-instrumentation.js';
