// @agentrace/ai-sdk — public API. This file only re-exports.

export type {
  AgentraceCall,
  AgentraceMiddlewareOptions,
  AgentraceTurnOptions,
  LanguageModelCallParams,
} from './agentrace-middleware.js';
export { agentraceMiddleware } from './agentrace-middleware.js';
export type { RequestParamsLike } from './request-attributes.js';
export { requestAttributes } from './request-attributes.js';
