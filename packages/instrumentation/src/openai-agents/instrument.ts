import { AsyncLocalStorage } from 'node:async_hooks';
import type { ContextStorage } from '../frameworks/bridged-storage.js';
import { AgentraceTracingProcessor, type OpenAIAgentsProcessorOptions } from './processor.js';
import type { SdkContextStore } from './sdk-types.js';

/** Where `@openai/agents-core` keeps its context storage (shared by every copy of the SDK in a process). */
const SDK_STORAGE_SYMBOL = Symbol.for('openai.agents.core.asyncLocalStorage');

/** The part of the `@openai/agents` (or `@openai/agents-core`) module this uses. */
export interface OpenAIAgentsModule {
  addTraceProcessor(processor: never): void;
  setTraceProcessors(processors: never[]): void;
  setTracingContextStorage?(storage?: never): void;
}

/** Options of {@link instrumentOpenAIAgents}. */
export interface InstrumentOpenAIAgentsOptions extends OpenAIAgentsProcessorOptions {
  /**
   * The SDK module; by default `@openai/agents` is imported (then `@openai/agents-core`). Pass it when the
   * app's copy is not the one this package resolves.
   */
  agents?: OpenAIAgentsModule;
  /**
   * Replace the SDK's trace processors (its default one exports to OpenAI's servers) instead of adding to
   * them. Default false: the SDK's own export is left as the user configured it.
   */
  exclusive?: boolean;
}

/** What {@link instrumentOpenAIAgents} set up. */
export interface OpenAIAgentsInstrumentation {
  readonly processor: AgentraceTracingProcessor;
}

async function importAgents(): Promise<OpenAIAgentsModule | undefined> {
  for (const name of ['@openai/agents', '@openai/agents-core']) {
    try {
      return (await import(name)) as OpenAIAgentsModule;
    } catch {
      // Not installed under this name: try the next.
    }
  }
  return undefined;
}

/**
 * Traces every OpenAI Agents SDK run of this process: adds an {@link AgentraceTracingProcessor} to the SDK's
 * processors (or replaces them with `exclusive`) and bridges the SDK's context storage with OpenTelemetry's,
 * so spans made inside tools and model calls nest under the SDK's spans. Resolves to undefined when the SDK is
 * not installed.
 */
export async function instrumentOpenAIAgents(
  options: InstrumentOpenAIAgentsOptions = {},
): Promise<OpenAIAgentsInstrumentation | undefined> {
  const agents = options.agents ?? (await importAgents());
  if (!agents || typeof agents.addTraceProcessor !== 'function') return undefined;
  const processor = new AgentraceTracingProcessor(options);
  if (options.exclusive) agents.setTraceProcessors([processor as never]);
  else agents.addTraceProcessor(processor as never);
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[SDK_STORAGE_SYMBOL] as ContextStorage<SdkContextStore> | undefined;
  const storage = processor.contextStorage(existing ?? new AsyncLocalStorage<SdkContextStore>());
  if (typeof agents.setTracingContextStorage === 'function')
    agents.setTracingContextStorage(storage as never);
  else
    Object.defineProperty(holder, SDK_STORAGE_SYMBOL, { value: storage, writable: true, configurable: true });
  return { processor };
}
