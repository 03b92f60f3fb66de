import { VERSION } from '@agentrace/core';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import { forwardingTracerProvider } from '../frameworks/forwarding-tracer.js';
import { INSTRUMENTATION_PACKAGE_NAME } from '../package-name.js';
import type { OpenAIAgentsProcessorOptions } from './processor.js';
import { AgentsRegistration, type OpenAIAgentsModule } from './registration.js';

/** The `@openai/agents` (and `@openai/agents-core`, released in step with it) versions supported. */
export const OPENAI_AGENTS_SUPPORTED_VERSIONS = '>=0.20.0 <1';

/**
 * The variable that makes the register entry replace the SDK's trace processors with agentrace's, so the
 * SDK's own export of traces to OpenAI's servers stops while agentrace keeps tracing: `true` to replace.
 */
export const ENV_OPENAI_AGENTS_EXCLUSIVE = 'AGENTRACE_OPENAI_AGENTS_EXCLUSIVE';

/** Configuration of {@link OpenAIAgentsSdkInstrumentation}: the usual `enabled` and the processor's options. */
export interface OpenAIAgentsSdkInstrumentationConfig
  extends InstrumentationConfig,
    OpenAIAgentsProcessorOptions {
  /**
   * Replace the SDK's trace processors instead of adding agentrace's beside them (which stops the SDK's
   * export to OpenAI). Default: {@link ENV_OPENAI_AGENTS_EXCLUSIVE} is `true`.
   */
  exclusive?: boolean;
}

// Kept outside the instance: the base constructor runs `init` before subclass fields exist.
const registrations = new WeakMap<OpenAIAgentsSdkInstrumentation, AgentsRegistration>();

/**
 * OpenTelemetry instrumentation that traces every OpenAI Agents SDK run of an unchanged app: when
 * `@openai/agents-core` or `@openai/agents` loads (ESM or CommonJS), it puts an `AgentraceTracingProcessor` in
 * the SDK's trace processors and bridges the SDK's context storage with OpenTelemetry's. What the processor
 * records is the same as with `instrumentOpenAIAgents`; this is what `@agentrace/instrumentation/register`
 * enables as `openai-agents`.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { OpenAIAgentsSdkInstrumentation } from '@agentrace/instrumentation/openai-agents';
 * registerInstrumentations({ instrumentations: [new OpenAIAgentsSdkInstrumentation()] });
 * ```
 */
export class OpenAIAgentsSdkInstrumentation extends InstrumentationBase<OpenAIAgentsSdkInstrumentationConfig> {
  constructor(config: OpenAIAgentsSdkInstrumentationConfig = {}) {
    super(`${INSTRUMENTATION_PACKAGE_NAME}/openai-agents`, VERSION, config);
  }

  /** The SDK registration: which processor the SDK reports to now. */
  get registration(): AgentsRegistration {
    let registration = registrations.get(this);
    if (!registration) {
      const { enabled: _enabled, exclusive: _exclusive, ...options } = this.getConfig();
      registration = new AgentsRegistration({
        ...options,
        tracerProvider: options.tracerProvider ?? forwardingTracerProvider(() => this.tracer),
      });
      registrations.set(this, registration);
    }
    return registration;
  }

  /** Installs the processor in a loaded SDK module (what the module hooks call; also usable by hand). */
  install(agents: unknown): void {
    const config = this.getConfig();
    const exclusive = config.exclusive ?? process.env[ENV_OPENAI_AGENTS_EXCLUSIVE]?.trim() === 'true';
    this.registration.install(agents as OpenAIAgentsModule, exclusive);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const patch = (exports: unknown): unknown => {
      try {
        this.install(exports);
      } catch (err) {
        this._diag.warn('the OpenAI Agents SDK could not be instrumented; it runs untraced', err);
      }
      return exports;
    };
    // The core first (it holds the processor list), then the entry package: its module body replaces the
    // list with the SDK's default export to OpenAI, after which the registration adds agentrace's again.
    return ['@openai/agents-core', '@openai/agents'].map(
      (name) => new InstrumentationNodeModuleDefinition(name, [OPENAI_AGENTS_SUPPORTED_VERSIONS], patch),
    );
  }
}
