import { AgentraceTracingProcessor, type OpenAIAgentsProcessorOptions } from './processor.js';
import { bridgeAgentsStorage, CODE_CONFIGURED, type OpenAIAgentsModule } from './registration.js';

export type { OpenAIAgentsModule } from './registration.js';

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
  bridgeAgentsStorage(agents, (store) => processor.contextOf(store));
  (globalThis as Record<symbol, unknown>)[CODE_CONFIGURED] = processor;
  return { processor };
}
