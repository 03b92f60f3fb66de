// @agentrace/instrumentation/google-genai: the `@google/genai` instrumentation. This file only re-exports.

export type { GoogleGenAIInstrumentationConfig } from './google-genai-instrumentation.js';
export {
  GOOGLE_GENAI_SUPPORTED_VERSIONS,
  GoogleGenAIInstrumentation,
} from './google-genai-instrumentation.js';
