import type { PriceTable } from '@agentrace/core';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/** Options every framework layer (the Agents SDK processor, the LangChain handler) takes. */
export interface FrameworkTelemetryOptions {
  /** Tracer provider; defaults to the global one. */
  tracerProvider?: TracerProvider;
  /** Meter provider; defaults to the global one. */
  meterProvider?: MeterProvider;
  /** Prices for `agentrace.usage.cost`; defaults to the default price table of `@agentrace/pricing`. */
  pricing?: PriceTable;
  /**
   * Record message content (prompts, completions, tool arguments and results). Defaults to
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`; off when that is unset.
   */
  captureContent?: boolean;
  /** Longest string recorded in an attribute, after secret masking (default 1024). */
  maxAttributeLength?: number;
  /** Milliseconds after which a span the framework never ended is ended and marked abandoned (default 15 min). */
  spanTimeoutMs?: number;
  /** Spans kept open at most; past it the oldest is ended and marked abandoned (default 10,000). */
  maxOpenSpans?: number;
  /** Milliseconds clock for the timeout (injectable for tests; default `performance.now`). */
  now?: () => number;
  /** Run the periodic timeout sweep (default true). */
  sweepTimer?: boolean;
}
