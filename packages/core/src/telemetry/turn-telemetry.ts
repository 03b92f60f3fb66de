import {
  type Attributes,
  type Context,
  INVALID_TRACEID,
  type Span,
  SpanKind,
  type TimeInput,
  trace,
} from '@opentelemetry/api';
import { guard, guarded } from './guard.js';
import { type CapturedContent, recordContent } from './message-content.js';
import { MODEL_CALL_CONTEXT_KEY } from './model-call-context.js';
import * as sc from './semconv.js';
import { defined, markError, NOOP_SPAN, type UsageCounts, usageAttributes } from './span-attributes.js';
import type { TelemetryHost } from './telemetry-host.js';

/** A model call's static facts, known before it runs. */
export interface TurnSpanInit {
  /** Span name; defaults to `{operation} {model}`. */
  name?: string;
  /** Span kind; CLIENT for a turn, INTERNAL for a recovery attempt under it. */
  kind?: SpanKind;
  /**
   * Record `gen_ai.client.operation.duration` when the span ends (default true). A turn stops recording it once
   * a recovery attempt starts under it: each attempt is then the model call, and records its own.
   */
  recordDuration?: boolean;
  operation: string;
  model?: string;
  provider?: string;
  turnNumber: number;
  /** Extra request attributes (`gen_ai.request.max_tokens`, …) the caller supplied. */
  attributes?: Attributes;
}

/** A model-call span's start attributes, built in one object (this runs once per turn). */
function turnStartAttributes(init: TurnSpanInit, agentName: string): Attributes {
  const attrs: Attributes = { [sc.ATTR_GEN_AI_OPERATION_NAME]: init.operation };
  if (init.provider !== undefined) attrs[sc.ATTR_GEN_AI_PROVIDER_NAME] = init.provider;
  if (init.model !== undefined) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = init.model;
  attrs[sc.ATTR_GEN_AI_AGENT_NAME] = agentName;
  attrs[sc.ATTR_AGENTRACE_TURN_NUMBER] = init.turnNumber;
  if (init.attributes !== undefined) Object.assign(attrs, init.attributes);
  return attrs;
}

/** Telemetry of one model call (turn). */
export class TurnTelemetry {
  readonly span: Span;
  readonly context: Context;
  readonly #session: TelemetryHost;
  #init: TurnSpanInit;
  readonly #start: number;
  /** A turn (it records `agentrace.turn.duration`), not an attempt under one. */
  readonly #isTurn: boolean;
  #recordsOperationDuration: boolean;
  #ended = false;

  constructor(session: TelemetryHost, init: TurnSpanInit, parent: Context, isTurn: boolean) {
    this.#session = session;
    this.#init = init;
    this.#isTurn = isTurn;
    this.#recordsOperationDuration = init.recordDuration !== false;
    this.#start = performance.now();
    this.span = guarded(
      'start model-call span',
      () =>
        session.tracer.startSpan(
          init.name ?? (init.model ? `${init.operation} ${init.model}` : init.operation),
          {
            kind: init.kind ?? SpanKind.CLIENT,
            attributes: turnStartAttributes(init, session.agentName),
          },
          parent,
        ),
      NOOP_SPAN,
    );
    // An invalid span (no SDK registered, or a tracer that threw) has nothing to propagate: copying the
    // context for it would only cost an allocation per turn.
    // The marker tells a client instrumentation under this turn that the call is recorded already.
    this.context =
      this.span.spanContext().traceId === INVALID_TRACEID
        ? parent
        : trace.setSpan(parent, this.span).setValue(MODEL_CALL_CONTEXT_KEY, this);
  }

  /** Leaves `gen_ai.client.operation.duration` to the attempts started under this turn. */
  delegateOperationDuration(): void {
    this.#recordsOperationDuration = false;
  }

  /** Metric attributes of this call (bounded: operation, provider, models, agent). */
  metricAttributes(responseModel?: string): Attributes {
    return defined({
      [sc.ATTR_GEN_AI_OPERATION_NAME]: this.#init.operation,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: this.#init.provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: this.#init.model,
      [sc.ATTR_GEN_AI_RESPONSE_MODEL]: responseModel,
      [sc.ATTR_GEN_AI_AGENT_NAME]: this.#session.agentName,
    });
  }

  /** Sets the provider once it is known from the response (span attribute and later metrics). */
  setProvider(provider: string): void {
    this.#init = { ...this.#init, provider };
    this.setAttributes({ [sc.ATTR_GEN_AI_PROVIDER_NAME]: provider });
  }

  /** A stream's first chunk arrived: `gen_ai.response.time_to_first_chunk` and its histogram (seconds). */
  firstChunk(): void {
    const seconds = (performance.now() - this.#start) / 1000;
    this.setAttributes({ [sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: seconds });
    guard('time to first chunk', () =>
      this.#session.instruments().timeToFirstChunk.record(seconds, this.metricAttributes()),
    );
  }

  /** Sets usage, cost and price source attributes on the span (no metrics). */
  setUsageAttributes(usage: UsageCounts, costUsd: number, costSource: string | undefined): void {
    guard('turn usage attributes', () => {
      if (!this.span.isRecording()) return;
      const attrs = usageAttributes(usage);
      attrs[sc.ATTR_AGENTRACE_USAGE_COST] = costUsd;
      if (costSource !== undefined) attrs[sc.ATTR_AGENTRACE_COST_SOURCE] = costSource;
      this.span.setAttributes(attrs);
    });
  }

  /** Records usage, cost and price source on the span and the token/cost metrics. */
  recordUsage(
    usage: UsageCounts,
    costUsd: number,
    costSource: string | undefined,
    responseModel?: string,
  ): void {
    this.setUsageAttributes(usage, costUsd, costSource);
    guard('turn usage', () => {
      const instruments = this.#session.instruments();
      const init = this.#init;
      const set = this.#session.metricSet(
        init.operation,
        init.provider,
        init.model,
        responseModel,
        undefined,
      );
      instruments.tokenUsage.record(
        usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
        set.input,
      );
      instruments.tokenUsage.record(usage.outputTokens, set.output);
      instruments.addCost(set.key, set.base, costUsd);
    });
  }

  /**
   * Records message content (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`,
   * `gen_ai.tool.definitions`) when content capture is on: redacted, masked and cut as the session says.
   */
  recordContent(content: CapturedContent): void {
    recordContent(this.span, content, this.#session.content);
  }

  /** Sets attributes (guarded, skipped when not recording). */
  setAttributes(attributes: Record<string, string | number | boolean | string[] | undefined>): void {
    guard('turn attributes', () => {
      if (this.span.isRecording()) this.span.setAttributes(defined(attributes));
    });
  }

  /** Ends the span as a success and records the operation duration. */
  succeed(responseModel?: string): void {
    this.#finish(undefined, responseModel);
  }

  /** Ends the span as a failure with `error.type` and records the duration with it. */
  fail(err: unknown, errorType: string): void {
    guard('turn failure', () => markError(this.span, err, errorType, this.#session.maxLength));
    this.#finish(errorType);
  }

  /** Ends the span as cancelled: not an error. */
  cancel(): void {
    this.setAttributes({ [sc.ATTR_AGENTRACE_CANCELLED]: true });
    this.#finish(undefined, undefined, false);
  }

  #finish(
    errorType: string | undefined,
    responseModel?: string,
    recordDuration = true,
    end?: TimeInput,
  ): void {
    if (this.#ended) return;
    this.#ended = true;
    guard('end model-call span', () => this.span.end(end));
    if (!recordDuration || !(this.#recordsOperationDuration || this.#isTurn)) return;
    guard('operation duration', () => {
      const init = this.#init;
      const set = this.#session.metricSet(
        init.operation,
        init.provider,
        init.model,
        responseModel,
        errorType,
      );
      const seconds = (performance.now() - this.#start) / 1000;
      const instruments = this.#session.instruments();
      if (this.#recordsOperationDuration) instruments.operationDuration.record(seconds, set.base);
      if (this.#isTurn) instruments.turnDuration.record(seconds, set.base);
    });
  }
}
