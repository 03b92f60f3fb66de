import { AgentEventName, sanitize, semconv as sc } from '@agentrace/core';
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import * as fa from '../frameworks/attributes.js';
import {
  classifyFrameworkError,
  contentString,
  definedAttributes,
  FailureKind,
  markFailed,
  type ResolvedFrameworkOptions,
} from '../frameworks/spans.js';
import { str } from './entries.js';
import { type SdkSpan, SdkSpanType } from './sdk-types.js';

/** Marks `span` failed with the SDK span's error (its message, and the data's `error` when there is one). */
export function failWith(span: Span, s: SdkSpan, kind: FailureKind, maxLength: number): void {
  const message = s.error?.message ?? 'failed';
  const data = s.error?.data;
  const detail = data && typeof data.error === 'string' ? `${message}: ${data.error}` : message;
  markFailed(span, detail, classifyFrameworkError(detail, kind), maxLength);
}

/** Ends an `execute_tool` span: arguments and result when capture is on, the outcome, a failure as `tool_error`. */
export function endToolSpan(span: Span, s: SdkSpan, options: ResolvedFrameworkOptions): void {
  const data = s.spanData;
  const maxLength = options.maxLength;
  if (options.captureContent) {
    if (str(data.input))
      span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, contentString(data.input, maxLength));
    if (str(data.output))
      span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, contentString(data.output, maxLength));
  }
  if (str(data.mcp_data)) span.setAttribute('mcp.server.data', sanitize(String(data.mcp_data), maxLength));
  span.setAttribute(sc.ATTR_AGENTRACE_TOOL_OUTCOME, s.error ? 'error' : 'ok');
  if (s.error) failWith(span, s, FailureKind.TOOL, maxLength);
  span.end();
}

/**
 * Ends a `guardrail {name}` span with its outcome; a tripped tripwire is an error of type `guardrail` and a
 * `agent.guardrail.blocked` event on the agent's span (core's guardrail shape).
 */
export function endGuardrailSpan(
  span: Span,
  s: SdkSpan,
  agentSpan: Span | undefined,
  options: ResolvedFrameworkOptions,
): void {
  const data = s.spanData;
  const tripped = data.triggered === true;
  span.setAttribute(fa.ATTR_AGENTRACE_GUARDRAIL_OUTCOME, tripped ? 'tripped' : 'passed');
  if (tripped) {
    const name = str(data.name) ?? 'guardrail';
    const reason = `tripwire triggered by ${name}`;
    span.setAttribute(ATTR_ERROR_TYPE, sc.ERROR_TYPE_VALUE_GUARDRAIL);
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    (agentSpan ?? span).addEvent(AgentEventName.GUARDRAIL_BLOCKED, {
      [sc.ATTR_AGENTRACE_GUARDRAIL_NAME]: name,
      [sc.ATTR_AGENTRACE_GUARDRAIL_REASON]: reason,
    });
  } else if (s.error) failWith(span, s, FailureKind.OTHER, options.maxLength);
  span.end();
}

/** Ends a custom, MCP tools-list or unknown span: custom data and listed tools kept as attributes. */
export function endOtherSpan(span: Span, s: SdkSpan, options: ResolvedFrameworkOptions): void {
  const data = s.spanData;
  if (data.type === SdkSpanType.CUSTOM && typeof data.data === 'object' && data.data !== null) {
    const custom: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data.data as Record<string, unknown>)) {
      custom[`agentrace.framework.custom.${k}`] = typeof v === 'string' ? sanitize(v, options.maxLength) : v;
    }
    span.setAttributes(definedAttributes(custom));
  }
  if (data.type === SdkSpanType.MCP_TOOLS && Array.isArray(data.result)) {
    span.setAttribute(
      'agentrace.mcp.tools',
      (data.result as unknown[]).filter((x) => typeof x === 'string') as string[],
    );
  }
  if (s.error) failWith(span, s, FailureKind.OTHER, options.maxLength);
  span.end();
}
