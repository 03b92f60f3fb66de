import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import { bridgeStorage, type ContextStorage } from '../frameworks/bridged-storage.js';
import { AgentraceTracingProcessor, type OpenAIAgentsProcessorOptions } from './processor.js';
import type { SdkContextStore, SdkSpan, SdkTrace } from './sdk-types.js';

/** Where `@openai/agents-core` keeps its context storage (shared by every copy of the SDK in a process). */
const SDK_STORAGE_SYMBOL = Symbol.for('openai.agents.core.asyncLocalStorage');

/**
 * Set (to the processor) by `instrumentOpenAIAgents`: the app configured agentrace in code, so the register
 * entry's registration adds no second processor (each SDK span would be recorded twice).
 */
export const CODE_CONFIGURED = Symbol.for('agentrace.openai-agents.code-configured');

/** The part of the `@openai/agents` (or `@openai/agents-core`) module agentrace uses. */
export interface OpenAIAgentsModule {
  addTraceProcessor(processor: never): void;
  setTraceProcessors(processors: never[]): void;
  setTracingContextStorage?(storage?: never): void;
}

/**
 * Wraps the SDK's context storage (the one in the global slot every copy of the SDK shares, or a new one) so
 * that inside an SDK span the active OpenTelemetry context is `resolve`'s answer for it.
 */
export function bridgeAgentsStorage(
  agents: OpenAIAgentsModule | undefined,
  resolve: (store: SdkContextStore | undefined) => Context | undefined,
): void {
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[SDK_STORAGE_SYMBOL] as ContextStorage<SdkContextStore> | undefined;
  const storage = bridgeStorage(existing ?? new AsyncLocalStorage<SdkContextStore>(), resolve);
  if (typeof agents?.setTracingContextStorage === 'function')
    agents.setTracingContextStorage(storage as never);
  else
    Object.defineProperty(holder, SDK_STORAGE_SYMBOL, { value: storage, writable: true, configurable: true });
}

/**
 * agentrace's place among the SDK's trace processors, kept across the SDK replacing its processor list.
 *
 * `@openai/agents` installs its default processor (the export to OpenAI's servers) with `setTraceProcessors`
 * when its entry module loads, after `@openai/agents-core` has loaded: a processor added when the core loaded
 * is dropped then. The SDK shuts a processor it drops down, so the registration learns it is out of the list
 * from that call and {@link AgentsRegistration.install} adds a fresh processor again; one added and still
 * listed is never added twice (each span would be recorded twice).
 */
export class AgentsRegistration {
  readonly #options: OpenAIAgentsProcessorOptions;
  #processor: AgentraceTracingProcessor | undefined;
  #listed = false;
  #bridged = false;
  /** Set while this registration itself replaces the list: the SDK's shutdown of the old list is not a drop. */
  #replacing = false;
  /** What the SDK holds: a stable object forwarding to the processor of the moment. */
  readonly #forwarder = {
    start: (): void => {},
    onTraceStart: (t: SdkTrace) => this.#processor?.onTraceStart(t) ?? Promise.resolve(),
    onTraceEnd: (t: SdkTrace) => this.#processor?.onTraceEnd(t) ?? Promise.resolve(),
    onSpanStart: (s: SdkSpan) => this.#processor?.onSpanStart(s) ?? Promise.resolve(),
    onSpanEnd: (s: SdkSpan) => this.#processor?.onSpanEnd(s) ?? Promise.resolve(),
    shutdown: async (): Promise<void> => {
      if (this.#replacing) return;
      // The SDK dropped it (setTraceProcessors) or is shutting down: either way it is out of the list now.
      this.#listed = false;
      const processor = this.#processor;
      this.#processor = undefined;
      await processor?.shutdown();
    },
    forceFlush: async (): Promise<void> => {},
  };

  constructor(options: OpenAIAgentsProcessorOptions = {}) {
    this.#options = options;
  }

  /** The processor the SDK reports to now (undefined before the first install and after a shutdown). */
  get processor(): AgentraceTracingProcessor | undefined {
    return this.#processor;
  }

  /** Whether the SDK's processor list holds agentrace's processor now. */
  get listed(): boolean {
    return this.#listed;
  }

  /**
   * Puts agentrace's processor in `agents`' list unless it is there: added beside the SDK's own (its export
   * to OpenAI is left as configured), or replacing them all with `exclusive`. Bridges the context storage once.
   */
  install(agents: OpenAIAgentsModule, exclusive = false): void {
    if (typeof agents?.addTraceProcessor !== 'function') return;
    // Configured in code (`instrumentOpenAIAgents`): that processor records the runs.
    if ((globalThis as Record<symbol, unknown>)[CODE_CONFIGURED] !== undefined) return;
    if (!this.#bridged) {
      bridgeAgentsStorage(agents, (store) => this.#processor?.contextOf(store));
      this.#bridged = true;
    }
    if (this.#listed) return;
    this.#processor ??= new AgentraceTracingProcessor(this.#options);
    if (exclusive && typeof agents.setTraceProcessors === 'function') {
      this.#replacing = true;
      try {
        agents.setTraceProcessors([this.#forwarder as never]);
      } finally {
        this.#replacing = false;
      }
    } else agents.addTraceProcessor(this.#forwarder as never);
    this.#listed = true;
  }
}
