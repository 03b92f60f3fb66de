// @agentrace/instrumentation/anthropic: the `@anthropic-ai/sdk` instrumentation. This file only re-exports.

export type { ClientInstrumentationOptions } from '../clients/client-call.js';
export type { AnthropicInstrumentationConfig } from './anthropic-instrumentation.js';
export { ANTHROPIC_SDK_SUPPORTED_VERSIONS, AnthropicInstrumentation } from './anthropic-instrumentation.js';
