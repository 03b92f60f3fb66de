import { type Attributes, type Context, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import { guard, guarded } from './guard.js';
import { errorTypeOf } from './redact.js';
import * as sc from './semconv.js';
import { defined, markError, NOOP_SPAN, serializeContent } from './span-attributes.js';
import type { TelemetryHost } from './telemetry-host.js';

/** Telemetry of one tool call. */
export class ToolTelemetry {
  readonly span: Span;
  readonly context: Context;
  readonly #session: TelemetryHost;
  readonly #name: string;
  readonly #start: number;
  #ended = false;

  constructor(
    session: TelemetryHost,
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
