import {
  type Attributes,
  type Context,
  context,
  type Link,
  type MeterProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { VERSION } from '../common/version.js';
import type { AgentEvent } from '../lifecycle/agent-event.js';
import { guard, guarded } from './guard.js';
import { INSTRUMENTATION_SCOPE, type Instruments, instrumentsFor } from './instruments.js';
import {
  CONTENT_CAPTURE_OFF,
  type ContentCaptureOptions,
  type ContentRedactor,
  type ResolvedContentCapture,
} from './message-content.js';
import { DEFAULT_MAX_ATTRIBUTE_LENGTH } from './redact.js';
import * as sc from './semconv.js';
import { defined, markError, NOOP_SPAN, type UsageCounts, usageAttributes } from './span-attributes.js';
import type { MetricAttributeSet, TelemetryHost } from './telemetry-host.js';
import { ToolTelemetry } from './tool-telemetry.js';
import { type TurnSpanInit, TurnTelemetry } from './turn-telemetry.js';

/** Telemetry options accepted by an agent session. */
export interface TelemetryOptions {
  /** Tracer provider to use; defaults to the global one (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Meter provider to use; defaults to the global one, resolved at record time. */
  meterProvider?: MeterProvider;
  /**
   * Record message content (turn input/output, tool arguments/results, input prompts) on spans. Off by
   * default; defaults to `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` when not given.
   */
  captureContent?: boolean;
  /** Longest string recorded in an attribute (after secret masking). Default 1024. */
  maxAttributeLength?: number;
  /**
   * Longest message-content attribute (`gen_ai.input.messages`, …) as JSON, in UTF-16 code units; longer content
   * is cut so that its JSON stays valid (see {@link ContentCaptureOptions.maxLength}). Default 16 384.
   */
  maxContentLength?: number;
  /**
   * Your redaction of message content, run before secret masking and the length cut: return what may be
   * recorded, or `undefined` to record none of it. If it throws, that content is dropped (never the turn).
   */
  contentRedactor?: ContentRedactor;
}

// Distinct call shapes (operation × provider × model × response model × error type) cached per session.
const MAX_METRIC_SETS = 256;

/** What a session span is started with. */
export interface SessionSpanInit {
  role: string;
  phase: string;
  workerId: string;
  projectId?: number;
  description?: string;
  conversationId?: string;
  provider?: string;
  model?: string;
  /** Context to parent the session under (defaults to the active context at `run()` / `open()`). */
  parentContext?: Context;
  /** Spans this session continues (a handoff's source agent). */
  links?: Link[];
}

/**
 * One session's spans and metrics. Owns the `invoke_agent` span and starts the turn and tool spans under it.
 * Every method is guarded: telemetry can fail, the agent cannot.
 */
export class SessionTelemetry implements TelemetryHost {
  readonly tracer: Tracer;
  readonly span: Span;
  /** Context carrying the session span; turn and tool spans are parented explicitly on it. */
  readonly context: Context;
  readonly captureContent: boolean;
  readonly content: ResolvedContentCapture;
  readonly maxLength: number;
  readonly agentName: string;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #startMs: number;
  readonly #metricSets = new Map<string, MetricAttributeSet>();
  // Consecutive turns nearly always share a shape: checking the last one avoids building the key string.
  #lastSet: { shape: readonly (string | undefined)[]; set: MetricAttributeSet } | undefined;

  constructor(
    init: SessionSpanInit,
    options: TelemetryOptions & { captureContent: boolean; content?: ResolvedContentCapture },
  ) {
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      INSTRUMENTATION_SCOPE,
      VERSION,
    );
    this.#meterProvider = options.meterProvider;
    this.captureContent = options.captureContent;
    this.content = options.content ?? CONTENT_CAPTURE_OFF;
    this.maxLength = options.maxAttributeLength ?? DEFAULT_MAX_ATTRIBUTE_LENGTH;
    this.agentName = init.role;
    this.#startMs = performance.now();
    const parent = init.parentContext ?? context.active();
    this.span = guarded(
      'start invoke_agent span',
      () =>
        this.tracer.startSpan(
          `${sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT} ${init.role}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: defined({
              [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
              [sc.ATTR_GEN_AI_AGENT_NAME]: init.role,
              [sc.ATTR_GEN_AI_AGENT_ID]: init.workerId,
              [sc.ATTR_GEN_AI_AGENT_DESCRIPTION]: init.description,
              [sc.ATTR_GEN_AI_CONVERSATION_ID]: init.conversationId,
              [sc.ATTR_GEN_AI_PROVIDER_NAME]: init.provider,
              [sc.ATTR_GEN_AI_REQUEST_MODEL]: init.model,
              [sc.ATTR_AGENTRACE_PHASE]: init.phase,
              [sc.ATTR_AGENTRACE_PROJECT_ID]: init.projectId,
              [sc.ATTR_AGENTRACE_WORKER_ID]: init.workerId,
            }),
            ...(init.links && init.links.length > 0 && { links: init.links }),
          },
          parent,
        ),
      NOOP_SPAN,
    );
    this.context = trace.setSpan(parent === ROOT_CONTEXT ? ROOT_CONTEXT : parent, this.span);
  }

  /**
   * The metric attribute sets of a model call, built once per distinct call shape and then shared: the SDK
   * hashes the attributes of every point, but building (and collecting) five fresh objects per turn on top of
   * that is avoidable. The sets are frozen because the SDK keeps the first object of each series as its key.
   */
  metricSet(
    operation: string,
    provider: string | undefined,
    model: string | undefined,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): MetricAttributeSet {
    const last = this.#lastSet;
    if (
      last !== undefined &&
      last.shape[0] === operation &&
      last.shape[1] === provider &&
      last.shape[2] === model &&
      last.shape[3] === responseModel &&
      last.shape[4] === errorType
    ) {
      return last.set;
    }
    const set = this.#metricSetFor(operation, provider, model, responseModel, errorType);
    this.#lastSet = { shape: [operation, provider, model, responseModel, errorType], set };
    return set;
  }

  #metricSetFor(
    operation: string,
    provider: string | undefined,
    model: string | undefined,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): MetricAttributeSet {
    // The agent's name is part of the key: cost totals are shared by every session of a meter provider.
    const key = `${this.agentName}\u0000${operation}\u0000${provider ?? ''}\u0000${model ?? ''}\u0000${responseModel ?? ''}\u0000${errorType ?? ''}`;
    let set = this.#metricSets.get(key);
    if (set) return set;
    const base: Attributes = { [sc.ATTR_GEN_AI_OPERATION_NAME]: operation };
    if (provider !== undefined) base[sc.ATTR_GEN_AI_PROVIDER_NAME] = provider;
    if (model !== undefined) base[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
    if (responseModel !== undefined) base[sc.ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    base[sc.ATTR_GEN_AI_AGENT_NAME] = this.agentName;
    if (errorType !== undefined) base[ATTR_ERROR_TYPE] = errorType;
    set = Object.freeze({
      key,
      base: Object.freeze(base),
      input: Object.freeze({ ...base, [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_INPUT }),
      output: Object.freeze({ ...base, [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_OUTPUT }),
    });
    // Bounded like the metric series themselves; past the bound a set is built per call and not kept.
    if (this.#metricSets.size < MAX_METRIC_SETS) this.#metricSets.set(key, set);
    return set;
  }

  /** The instruments of the configured meter provider (or the global one as it is now). */
  instruments(): Instruments {
    return instrumentsFor(this.#meterProvider);
  }

  /** The span that session-level records should land on: the active span if it is inside this session, else the session span. */
  currentSpan(): Span {
    const active = trace.getSpan(context.active());
    if (active && active.spanContext().traceId === this.span.spanContext().traceId && active.isRecording()) {
      return active;
    }
    return this.span;
  }

  /** Adds an agent event as a span event named after it. */
  event(event: AgentEvent, span: Span = this.currentSpan(), extra?: Attributes): void {
    guard('agent event', () => {
      if (!span.isRecording()) return;
      span.addEvent(event.event, { ...event.toOtelAttributes(this.maxLength), ...extra });
    });
  }

  /** Adds a plain span event. */
  addEvent(
    name: string,
    attributes: Record<string, string | number | boolean | string[] | undefined>,
    span?: Span,
  ): void {
    guard(name, () => {
      const target = span ?? this.currentSpan();
      if (target.isRecording()) target.addEvent(name, defined(attributes));
    });
  }

  /** Counts on one of the session's counters (metric attributes must be bounded: no ids, no free text). */
  count(
    pick: (i: Instruments) => { add(v: number, a?: Attributes): void },
    value: number,
    attributes: Attributes,
  ): void {
    guard('metric', () => pick(this.instruments()).add(value, attributes));
  }

  /** Bounded metric attributes every agentrace metric carries. */
  baseMetricAttributes(): Attributes {
    return { [sc.ATTR_GEN_AI_AGENT_NAME]: this.agentName };
  }

  /** Starts a model-call span (CLIENT) as a child of the session span, or of `parent` when given. */
  startTurn(init: TurnSpanInit, parent?: Context): TurnTelemetry {
    return new TurnTelemetry(this, init, parent ?? this.context, true);
  }

  /** Starts a recovery attempt's span (INTERNAL) under a turn's span: `attempt {n} {provider}/{model}`. */
  startAttempt(
    turn: TurnTelemetry,
    init: { operation: string; attempt: number; turnNumber: number; provider?: string; model?: string },
  ): TurnTelemetry {
    const target = [init.provider, init.model].filter((x) => x !== undefined).join('/');
    // The attempt is the model call now: its duration (with `error.type` when it fails) is the operation's.
    turn.delegateOperationDuration();
    return new TurnTelemetry(
      this,
      {
        ...init,
        name: target ? `attempt ${init.attempt} ${target}` : `attempt ${init.attempt}`,
        kind: SpanKind.INTERNAL,
        attributes: { [sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT]: init.attempt },
      },
      turn.context,
      false,
    );
  }

  /** Starts an `execute_tool` span (INTERNAL) under the current session span (a turn's span when called inside a turn). */
  startTool(init: { name: string; description?: string; callId?: string; type?: string }): ToolTelemetry {
    return new ToolTelemetry(this, init);
  }

  /** Ends the session span with its outcome and counts the session. */
  end(outcome: {
    status: 'completed' | 'failed' | 'cancelled';
    error?: unknown;
    errorType?: string;
    usage: UsageCounts;
    costUsd: number;
  }): void {
    guard('end invoke_agent span', () => {
      if (this.span.isRecording()) {
        this.span.setAttributes({
          ...usageAttributes(outcome.usage),
          [sc.ATTR_AGENTRACE_USAGE_COST]: outcome.costUsd,
          [sc.ATTR_AGENTRACE_SESSION_STATUS]: outcome.status,
        });
        if (outcome.status === 'failed') {
          markError(
            this.span,
            outcome.error ?? 'session failed',
            outcome.errorType ?? 'unknown',
            this.maxLength,
          );
        }
      }
      this.span.end();
    });
    this.count((i) => i.sessions, 1, {
      ...this.baseMetricAttributes(),
      [sc.ATTR_AGENTRACE_SESSION_STATUS]: outcome.status,
    });
  }

  /** Milliseconds since the session span started. */
  elapsedMs(): number {
    return performance.now() - this.#startMs;
  }
}
