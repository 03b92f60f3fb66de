import type { Attributes, Span } from '@opentelemetry/api';
import { catchAsyncFailure } from '../common/async-failure.js';
import type { AgentEvent } from '../lifecycle/agent-event.js';
import { type EventSink, RingBufferEventSink } from '../lifecycle/event-sink.js';
import type { SessionTelemetry } from '../telemetry/session-telemetry.js';
import { reportSinkError } from './sink-errors.js';

const reportEventSinkError = (err: unknown) => reportSinkError('event', err);

/**
 * @internal Where a session's agent events go: kept in its ring buffer, fed to the configured sink (isolated: a
 * throwing sink is reported, never rethrown) and, when asked, added to a span as an event.
 */
export class SessionEmitter {
  readonly #events: RingBufferEventSink;
  readonly #sink: EventSink | undefined;
  readonly #telemetry: SessionTelemetry;

  constructor(maxEvents: number, sink: EventSink | undefined, telemetry: SessionTelemetry) {
    this.#events = new RingBufferEventSink(maxEvents);
    this.#sink = sink;
    this.#telemetry = telemetry;
  }

  /** The events kept, oldest first. */
  get events(): readonly AgentEvent[] {
    return this.#events.events;
  }

  /** Keeps the event, feeds the sink (isolated), and adds it as a span event when `onSpan` (on `span` if given). */
  emit(event: AgentEvent, onSpan = true, extra?: Attributes, span?: Span): void {
    this.#events.emit(event);
    const sink = this.#sink;
    if (sink) {
      try {
        catchAsyncFailure(sink.emit(event), reportEventSinkError);
      } catch (err) {
        reportSinkError('event', err);
      }
    }
    if (onSpan) this.#telemetry.event(event, span, extra);
  }
}
