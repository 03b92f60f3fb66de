import { type Attributes, INVALID_SPAN_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} from '@opentelemetry/semantic-conventions';
import { errorMessageOf, errorTypeOf, sanitize } from './redact.js';
import * as sc from './semconv.js';

// The attribute shaping every recorder shares: usage in the GenAI conventions' accounting, failures through the
// masking path, captured content as bounded JSON. Session, turn and tool spans all record through these.

/** Stands in when a tracer throws while starting a span: a non-recording span, so the agent carries on. */
export const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

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
export function defined(attrs: Record<string, string | number | boolean | string[] | undefined>): Attributes {
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
