import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  INVALID_TRACEID,
  type Link,
  type MeterProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} from '@opentelemetry/semantic-conventions';
import { VERSION } from '../common/version.js';
import type { AgentEvent } from '../lifecycle/agent-event.js';
import { guard, guarded } from './guard.js';
import { INSTRUMENTATION_SCOPE, type Instruments, instrumentsFor } from './instruments.js';
import { DEFAULT_MAX_ATTRIBUTE_LENGTH, errorMessageOf, errorTypeOf, sanitize } from './redact.js';
import * as sc from './semconv.js';

/** Stands in when a tracer throws while starting a span: a non-recording span, so the agent carries on. */
const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

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
}

/** Token counts as agentrace records them (plain input excludes cache reads and writes, as in the reference). */
export interface UsageCounts {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly reasoningTokens?: number;
}

/** The GenAI conventions' token accounting: `gen_ai.usage.input_tokens` includes cache reads and writes. */
export function usageAttributes(usage: UsageCounts): Attributes {
  const attrs: Attributes = {
    [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
    [sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: usage.cacheReadTokens,
    [sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: usage.cacheWriteTokens,
    [sc.ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS]: usage.inputTokens,
  };
  if (usage.reasoningTokens !== undefined)
    attrs[sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoningTokens;
  return attrs;
}

/** Copies only defined values (the API rejects undefined attribute values). */
function defined(attrs: Record<string, string | number | boolean | string[] | undefined>): Attributes {
  const out: Attributes = {};
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Records an exception as a span event through the masking path (never the raw error). */
export function recordException(span: Span, err: unknown, maxLength: number): void {
  const attrs: Attributes = {
    [ATTR_EXCEPTION_TYPE]: errorTypeOf(err),
    [ATTR_EXCEPTION_MESSAGE]: errorMessageOf(err, maxLength),
  };
  if (err instanceof Error && typeof err.stack === 'string') {
    attrs[ATTR_EXCEPTION_STACKTRACE] = sanitize(err.stack, maxLength * 4);
  }
  span.addEvent('exception', attrs);
}

/** Marks a span as failed: `error.type`, ERROR status with a short masked description, and the exception event. */
export function markError(span: Span, err: unknown, errorType: string, maxLength: number): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessageOf(err, Math.min(maxLength, 256)) });
  recordException(span, err, maxLength);
}

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

/**
 * One session's spans and metrics. Owns the `invoke_agent` span and starts the turn and tool spans under it.
 * Every method is guarded: telemetry can fail, the agent cannot.
 */
export class SessionTelemetry {
  readonly tracer: Tracer;
  readonly span: Span;
  /** Context carrying the session span; turn and tool spans are parented explicitly on it. */
  readonly context: Context;
  readonly captureContent: boolean;
  readonly maxLength: number;
  readonly agentName: string;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #startMs: number;
  readonly #metricSets = new Map<string, MetricAttributeSet>();
  // Consecutive turns nearly always share a shape: checking the last one avoids building the key string.
  #lastSet: { shape: readonly (string | undefined)[]; set: MetricAttributeSet } | undefined;

  constructor(init: SessionSpanInit, options: TelemetryOptions & { captureContent: boolean }) {
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      INSTRUMENTATION_SCOPE,
      VERSION,
    );
    this.#meterProvider = options.meterProvider;
    this.captureContent = options.captureContent;
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
  readonly #session: SessionTelemetry;
  #init: TurnSpanInit;
  readonly #start: number;
  /** A turn (it records `agentrace.turn.duration`), not an attempt under one. */
  readonly #isTurn: boolean;
  #recordsOperationDuration: boolean;
  #ended = false;

  constructor(session: SessionTelemetry, init: TurnSpanInit, parent: Context, isTurn: boolean) {
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
    this.context =
      this.span.spanContext().traceId === INVALID_TRACEID ? parent : trace.setSpan(parent, this.span);
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

/** Telemetry of one tool call. */
export class ToolTelemetry {
  readonly span: Span;
  readonly context: Context;
  readonly #session: SessionTelemetry;
  readonly #name: string;
  readonly #start: number;
  #ended = false;

  constructor(
    session: SessionTelemetry,
    init: { name: string; description?: string; callId?: string; type?: string },
  ) {
    this.#session = session;
    this.#name = init.name;
    this.#start = performance.now();
    const parentSpan = session.currentSpan();
    const parent = trace.setSpan(context.active(), parentSpan);
    this.span = guarded(
      'start execute_tool span',
      () =>
        session.tracer.startSpan(
          `${sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${init.name}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: defined({
              [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
              [sc.ATTR_GEN_AI_TOOL_NAME]: init.name,
              [sc.ATTR_GEN_AI_TOOL_TYPE]: init.type ?? sc.GEN_AI_TOOL_TYPE_VALUE_FUNCTION,
              [sc.ATTR_GEN_AI_TOOL_DESCRIPTION]: init.description,
              [sc.ATTR_GEN_AI_TOOL_CALL_ID]: init.callId,
              [sc.ATTR_GEN_AI_AGENT_NAME]: session.agentName,
            }),
          },
          parent,
        ),
      NOOP_SPAN,
    );
    this.context = trace.setSpan(parent, this.span);
  }

  /** Records content (arguments/result) when content capture is on. */
  content(
    key: typeof sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS | typeof sc.ATTR_GEN_AI_TOOL_CALL_RESULT,
    value: unknown,
  ): void {
    if (!this.#session.captureContent || value === undefined) return;
    guard('tool content', () => {
      if (this.span.isRecording())
        this.span.setAttribute(key, serializeContent(value, this.#session.maxLength));
    });
  }

  /** Ends the tool span with its outcome and counts it (once; later calls are ignored). */
  end(outcome: 'ok' | 'error' | 'denied' | 'blocked', err?: unknown, errorType?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    guard('end execute_tool span', () => {
      if (this.span.isRecording()) {
        this.span.setAttribute(sc.ATTR_AGENTRACE_TOOL_OUTCOME, outcome);
        if (outcome !== 'ok')
          markError(this.span, err, errorType ?? errorTypeOf(err), this.#session.maxLength);
      }
      this.span.end();
    });
    const attrs: Attributes = {
      ...this.#session.baseMetricAttributes(),
      [sc.ATTR_GEN_AI_TOOL_NAME]: this.#name,
      [sc.ATTR_AGENTRACE_TOOL_OUTCOME]: outcome,
    };
    guard('tool metrics', () => {
      const instruments = this.#session.instruments();
      instruments.toolCalls.add(1, attrs);
      instruments.toolDuration.record((performance.now() - this.#start) / 1000, attrs);
    });
  }

  /** Ends the span as an error if nothing else ended it (an exception escaped before an outcome was set). */
  endIfOpen(): void {
    if (!this.#ended) this.end('error', new Error('tool call ended without an outcome'));
  }
}

/** Renders captured content as a masked, length-limited JSON string. */
export function serializeContent(value: unknown, maxLength: number): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return sanitize(text, maxLength);
}
