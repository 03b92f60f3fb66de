import type { LangChainRecorder } from './recorder.js';

/** The name agentrace's handler goes by in a LangChain callback manager (one per manager, never two). */
export const AGENTRACE_HANDLER_NAME = 'agentrace';

/** The LangChain callback methods the recorder implements. */
const HANDLER_METHODS = [
  'handleChainStart',
  'handleChainEnd',
  'handleChainError',
  'handleChatModelStart',
  'handleLLMStart',
  'handleLLMEnd',
  'handleLLMError',
  'handleToolStart',
  'handleToolEnd',
  'handleToolError',
  'handleRetrieverStart',
  'handleRetrieverEnd',
  'handleRetrieverError',
] as const;

/**
 * The recorder's callbacks as own properties of a plain object, the form LangChain's
 * `BaseCallbackHandler.fromMethods` and `ensureHandler` take (and a handler class assigns to itself).
 */
export function handlerMethods(recorder: LangChainRecorder): Record<string, (...args: never[]) => void> {
  const methods: Record<string, (...args: never[]) => void> = {};
  for (const name of HANDLER_METHODS) {
    const method = recorder[name] as (...args: unknown[]) => void;
    methods[name] = (...args: unknown[]) => method.apply(recorder, args);
  }
  return methods;
}
