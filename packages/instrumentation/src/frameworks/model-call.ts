import { type PriceTable, sanitize, semconv as sc } from '@agentrace/core';
import { costBreakdown } from '@agentrace/pricing';
import {
  type Attributes,
  type Context,
  createContextKey,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

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
}

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
}

/** Starts a `chat {model}` span (the name gains the response model at the end when the request's is unknown). */
export function startModelCall(init: ModelCallStart): ModelCall {
  const attrs: Attributes = { [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_CHAT };
  if (init.provider !== undefined) attrs[sc.ATTR_GEN_AI_PROVIDER_NAME] = init.provider;
  if (init.model !== undefined) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = init.model;
  if (init.agentName !== undefined) attrs[sc.ATTR_GEN_AI_AGENT_NAME] = init.agentName;
  if (init.attributes) Object.assign(attrs, init.attributes);
  const name = init.model ? `chat ${init.model}` : 'chat';
  const span = init.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: attrs }, init.parent);
  let ended = false;
  return {
    span,
    context: markModelCall(trace.setSpan(init.parent, span)),
    end(result, endTime) {
      if (ended) return 0;
      let costUsd = 0;
      ended = true;
      const out: Attributes = {};
      if (result.responseModel !== undefined) out[sc.ATTR_GEN_AI_RESPONSE_MODEL] = result.responseModel;
      if (result.responseId !== undefined) out[sc.ATTR_GEN_AI_RESPONSE_ID] = result.responseId;
      if (result.finishReasons?.length) out[sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = result.finishReasons;
      if (!init.model && result.responseModel) span.updateName(`chat ${result.responseModel}`);
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
      return costUsd;
    },
    fail(message, errorType, maxLength) {
      if (ended) return;
      ended = true;
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: sanitize(message, Math.min(maxLength, 256)) });
      span.end();
    },
  };
}

/**
 * Marks "a model call is being recorded here" on a context, so that a client instrumentation (openai,
 * Anthropic) running inside the framework's model call enriches or stays silent instead of recording it twice.
 */
export const MODEL_CALL_RECORDED = createContextKey('agentrace.model_call.recorded');

/** The context with the recorded-model-call marker. */
export function markModelCall(ctx: Context): Context {
  return ctx.setValue(MODEL_CALL_RECORDED, true);
}

/** Whether a model call is already recorded in this context. */
export function isModelCallRecorded(ctx: Context): boolean {
  return ctx.getValue(MODEL_CALL_RECORDED) === true;
}
