import { AsyncLocalStorage } from 'node:async_hooks';
import type { ContextStorage } from '../frameworks/bridged-storage.js';
import { AgentraceCallbackHandler, type LangChainHandlerOptions } from './handler.js';

/** Where `@langchain/core` keeps its async local storage (its `singletons/async_local_storage/globals`). */
const LC_STORAGE_SYMBOL = Symbol.for('ls:tracing_async_local_storage');

type Store = Record<PropertyKey, unknown>;

/**
 * Makes an {@link AgentraceCallbackHandler} and bridges LangChain's context storage to OpenTelemetry's, so that
 * spans other instrumentations make inside a tool or a model call (HTTP, database, the `openai` client) nest
 * under the span agentrace made for that run. Pass the returned handler in `callbacks: [handler]`. Calling it
 * again wraps the storage once more, harmlessly; call it once per process.
 */
export function instrumentLangChain(options: LangChainHandlerOptions = {}): AgentraceCallbackHandler {
  const handler = new AgentraceCallbackHandler(options);
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[LC_STORAGE_SYMBOL] as ContextStorage<Store> | undefined;
  holder[LC_STORAGE_SYMBOL] = handler.contextStorage(existing ?? new AsyncLocalStorage<Store>());
  return handler;
}
