import {
  instrumentsForMeter,
  isModelCallRecorded,
  MODEL_CALL_CONTEXT_KEY,
  type PriceTable,
  sanitize,
  semconv as sc,
} from '@agentrace/core';
import { costBreakdown } from '@agentrace/pricing';
import {
  type Attributes,
  type Context,
  diag,
  type Meter,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

// Set in the context of every model call agentrace records: a client call made inside one (a framework's model
// call, a client wrapping another client) enriches that span instead of adding a second one.
// The key is core's, which a runTurn turn sets too: a client call under runTurn stays silent.
const MODEL_CALL_KEY = MODEL_CALL_CONTEXT_KEY;

/**
 * Whether agentrace records a model call in `ctx` already (one recorded here, or a `runTurn` turn): a client
 * call made inside it adds no span or cost of its own.
 */
export function activeModelCall(ctx: Context): boolean {
  return isModelCallRecorded(ctx);
}

/** Token counts of one model call; `inputTokens` excludes cache reads and writes (agentrace's accounting). */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens?: number;
}

/** What a model call is started with. */
export interface ModelCallStart {
  tracer: Tracer;
  parent: Context;
  model?: string;
  provider?: string;
  agentName?: string;
  attributes?: Attributes;
  /**
   * When given, the call also records the GenAI metrics a `runTurn` turn records (token usage, operation
   * duration, time to first chunk, cost) on core's instruments for this meter.
   */
  meter?: Meter;
  /** `gen_ai.operation.name` (default `chat`); also the span name's first word. */
  operation?: string;
}

/** Whether a model call is already being recorded in `ctx` (the same test as {@link activeModelCall}). */
export const isModelCallActive: (ctx: Context) => boolean = activeModelCall;

/** What a model call ended with. */
export interface ModelCallEnd {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: ModelUsage;
  pricing?: PriceTable;
}

/** A model call in flight: one `chat {model}` CLIENT span. */
export interface ModelCall {
  readonly span: Span;
  readonly context: Context;
  /** Ends the span with the response facts; returns the call's cost in USD (0 when unpriced or no usage). */
  end(result: ModelCallEnd, endTime?: number): number;
  fail(message: string, errorType: string, maxLength: number): void;
  /** A stream's first chunk arrived: `gen_ai.response.time_to_first_chunk` and its histogram. */
  firstChunk(seconds: number): void;
}

/** Starts a `chat {model}` span (the name gains the response model at the end when the request's is unknown). */
export function startModelCall(init: ModelCallStart): ModelCall {
  const operation = init.operation ?? sc.GEN_AI_OPERATION_NAME_VALUE_CHAT;
  const attrs: Attributes = { [sc.ATTR_GEN_AI_OPERATION_NAME]: operation };
  if (init.provider !== undefined) attrs[sc.ATTR_GEN_AI_PROVIDER_NAME] = init.provider;
  if (init.model !== undefined) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = init.model;
  if (init.agentName !== undefined) attrs[sc.ATTR_GEN_AI_AGENT_NAME] = init.agentName;
  if (init.attributes) Object.assign(attrs, init.attributes);
  const name = init.model ? `${operation} ${init.model}` : operation;
  const span = init.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: attrs }, init.parent);
  let ended = false;
  const startedAt = performance.now();
  const metricAttributes = (responseModel: string | undefined, errorType: string | undefined): Attributes => {
    const a: Attributes = { [sc.ATTR_GEN_AI_OPERATION_NAME]: operation };
    if (init.provider !== undefined) a[sc.ATTR_GEN_AI_PROVIDER_NAME] = init.provider;
    if (init.model !== undefined) a[sc.ATTR_GEN_AI_REQUEST_MODEL] = init.model;
    if (responseModel !== undefined) a[sc.ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    if (init.agentName !== undefined) a[sc.ATTR_GEN_AI_AGENT_NAME] = init.agentName;
    if (errorType !== undefined) a[ATTR_ERROR_TYPE] = errorType;
    return a;
  };
  // Metrics never fail the call they describe.
  const record = (fn: (m: ReturnType<typeof instrumentsForMeter>) => void) => {
    if (!init.meter) return;
    try {
      fn(instrumentsForMeter(init.meter));
    } catch (err) {
      diag.warn('agentrace: model-call metrics failed; the call is unaffected', err);
    }
  };
  const call: ModelCall = {
    span,
    get context() {
      return callContext;
    },
    end(result, endTime) {
      if (ended) return 0;
      let costUsd = 0;
      ended = true;
      const out: Attributes = {};
      if (result.responseModel !== undefined) out[sc.ATTR_GEN_AI_RESPONSE_MODEL] = result.responseModel;
      if (result.responseId !== undefined) out[sc.ATTR_GEN_AI_RESPONSE_ID] = result.responseId;
      if (result.finishReasons?.length) out[sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = result.finishReasons;
      if (!init.model && result.responseModel) span.updateName(`${operation} ${result.responseModel}`);
      const u = result.usage;
      if (u) {
        out[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
        out[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = u.outputTokens;
        out[sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = u.cacheReadTokens;
        out[sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = u.cacheWriteTokens;
        out[sc.ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS] = u.inputTokens;
        if (u.reasoningTokens !== undefined)
          out[sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = u.reasoningTokens;
        const model = result.responseModel ?? init.model;
        if (model) {
          const cost = result.pricing ? result.pricing.costBreakdown(model, u) : costBreakdown(model, u);
          costUsd = cost.total;
          out[sc.ATTR_AGENTRACE_USAGE_COST] = cost.total;
          out[sc.ATTR_AGENTRACE_COST_SOURCE] = cost.source;
        }
      }
      span.setAttributes(out);
      span.end(endTime);
      record((m) => {
        const attrs = metricAttributes(result.responseModel, undefined);
        m.operationDuration.record((performance.now() - startedAt) / 1000, attrs);
        if (!u) return;
        m.tokenUsage.record(u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens, {
          ...attrs,
          [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_INPUT,
        });
        m.tokenUsage.record(u.outputTokens, {
          ...attrs,
          [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
        });
        const key = ['model-call', init.agentName, init.provider, init.model, result.responseModel].join(
          '\u0000',
        );
        m.addCost(key, attrs, costUsd);
      });
      return costUsd;
    },
    fail(message, errorType, maxLength) {
      if (ended) return;
      ended = true;
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: sanitize(message, Math.min(maxLength, 256)) });
      span.end();
      record((m) =>
        m.operationDuration.record(
          (performance.now() - startedAt) / 1000,
          metricAttributes(undefined, errorType),
        ),
      );
    },
    firstChunk(seconds) {
      if (ended) return;
      span.setAttribute(sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, seconds);
      record((m) => m.timeToFirstChunk.record(seconds, metricAttributes(undefined, undefined)));
    },
  };
  const callContext = trace.setSpan(init.parent, span).setValue(MODEL_CALL_KEY, call);
  return call;
}

/**
 * Marks "a model call is being recorded here" on a context, so that a client instrumentation (openai,
 * Anthropic) running inside the framework's model call stays silent instead of recording it twice.
 */
export function markModelCall(ctx: Context): Context {
  return ctx.setValue(MODEL_CALL_CONTEXT_KEY, true);
}
