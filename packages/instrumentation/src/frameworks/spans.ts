import {
  AgentFailureClass,
  captureContentFromEnv,
  classifyError,
  classifyMessage,
  failureClassFor,
  sanitize,
  semconv as sc,
} from '@agentrace/core';
import { type Attributes, diag, type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_EXCEPTION_MESSAGE } from '@opentelemetry/semantic-conventions';
import type { FrameworkTelemetryOptions } from './options.js';

/** Default longest attribute string (core's default). */
export const DEFAULT_MAX_LENGTH = 1024;

/** Resolved common options. */
export interface ResolvedFrameworkOptions {
  readonly captureContent: boolean;
  readonly maxLength: number;
}

/** Resolves the options shared by the framework layers. */
export function resolveFrameworkOptions(options: FrameworkTelemetryOptions): ResolvedFrameworkOptions {
  return {
    captureContent: options.captureContent ?? captureContentFromEnv(),
    maxLength: options.maxAttributeLength ?? DEFAULT_MAX_LENGTH,
  };
}

/** Runs a callback the framework called; anything it throws is logged, never thrown back into the framework. */
export function safely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.warn(`agentrace: framework telemetry failed (${what}); the agent is unaffected`, err);
  }
}

/** Copies only values OpenTelemetry accepts as attributes. */
export function definedAttributes(attrs: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const key in attrs) {
    const v = attrs[key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[key] = v as string[];
  }
  return out;
}

/** Masked, length-limited JSON of captured content. */
export function contentString(value: unknown, maxLength: number): string {
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

/** How a failed framework span is classified. */
export const FailureKind = {
  MODEL: 'model',
  TOOL: 'tool',
  OTHER: 'other',
} as const;
/** A failure kind. */
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

/**
 * The `error.type` and failure class of a framework error: a model call's message goes through core's
 * classifier (rate limits, timeouts, context overflow, …); a tool's failure is `tool_error`.
 */
export function classifyFrameworkError(
  message: string,
  kind: FailureKind,
  errorName?: string,
): { errorType: string; failureClass: string } {
  if (kind === FailureKind.TOOL) {
    return { errorType: AgentFailureClass.TOOL_ERROR, failureClass: AgentFailureClass.TOOL_ERROR };
  }
  // Framework error messages keep the client's `429 Rate limit …` form: the status is the surest signal.
  const status = /^(\d{3})\b/.exec(message)?.[1];
  const scenario =
    status !== undefined
      ? classifyError(Object.assign(new Error(message), { status: Number(status) }))
      : classifyMessage(message);
  if (kind === FailureKind.OTHER && errorName) {
    return { errorType: errorName, failureClass: failureClassFor(scenario) };
  }
  return { errorType: scenario, failureClass: failureClassFor(scenario) };
}

/** Marks a span failed: `error.type`, `agent.failure_class`, ERROR status and an `exception` event. */
export function markFailed(
  span: Span,
  message: string,
  classified: { errorType: string; failureClass: string },
  maxLength: number,
  exceptionType?: string,
): void {
  span.setAttribute(ATTR_ERROR_TYPE, classified.errorType);
  span.setAttribute(sc.ATTR_AGENT_FAILURE_CLASS, classified.failureClass);
  span.setStatus({ code: SpanStatusCode.ERROR, message: sanitize(message, Math.min(maxLength, 256)) });
  span.addEvent('exception', {
    'exception.type': exceptionType ?? classified.errorType,
    [ATTR_EXCEPTION_MESSAGE]: sanitize(message, maxLength),
  });
}
