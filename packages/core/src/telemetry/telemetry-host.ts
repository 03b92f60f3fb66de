import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { Instruments } from './instruments.js';
import type { ResolvedContentCapture } from './message-content.js';

/** The attribute sets of one model call's metric points (shared between calls of the same shape). */
export interface MetricAttributeSet {
  /** Identifies the set (its series) within a meter provider: agent, operation, provider, models, error type. */
  readonly key: string;
  /** Operation, provider, request/response model, agent (and `error.type` on failure). */
  readonly base: Attributes;
  /** `base` with `gen_ai.token.type=input`. */
  readonly input: Attributes;
  /** `base` with `gen_ai.token.type=output`. */
  readonly output: Attributes;
}

/**
 * @internal What turn and tool spans need from the session that starts them (`SessionTelemetry`): the tracer,
 * the agent's name, the recording limits and the shared metric attribute sets. An interface, so the span
 * classes and the session class do not import each other.
 */
export interface TelemetryHost {
  readonly tracer: Tracer;
  readonly captureContent: boolean;
  /** How message content (`gen_ai.input.messages`, …) is captured: off unless content capture is on. */
  readonly content: ResolvedContentCapture;
  readonly maxLength: number;
  readonly agentName: string;
  /** The instruments of the configured meter provider (or the global one as it is now). */
  instruments(): Instruments;
  /** The span that session-level records land on: the active span inside this session, else the session span. */
  currentSpan(): Span;
  /** Bounded metric attributes every agentrace metric carries. */
  baseMetricAttributes(): Attributes;
  /** The shared metric attribute sets of a model call's shape. */
  metricSet(
    operation: string,
    provider: string | undefined,
    model: string | undefined,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): MetricAttributeSet;
}
