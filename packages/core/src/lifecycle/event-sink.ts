import { diag } from '@opentelemetry/api';
import { catchAsyncFailure } from '../common/async-failure.js';
import { type JsonLinesOptions, JsonLinesWriter } from '../common/json-lines-writer.js';
import { RingBuffer } from '../common/ring-buffer.js';
import type { AgentEvent } from './agent-event.js';

/**
 * Receives every event a session emits, for users who want the raw records beside telemetry. `emit` is
 * called synchronously on the agent's path, so it should be quick; a sink that throws never breaks a session.
 *
 * @example
 * ```ts
 * const printer: EventSink = { emit: (event) => console.log(event.toJsonString()) };
 * const agent = new AgentSession({ role: 'coder', phase: 'build', eventSink: printer });
 * ```
 */
export interface EventSink {
  /** Takes one event. */
  emit(event: AgentEvent): void;
}

/** An {@link EventSink} that discards everything; the default. */
export class NoopEventSink implements EventSink {
  /** Discards `event`. */
  emit(_event: AgentEvent): void {}
}

/**
 * An {@link EventSink} keeping the newest `capacity` events in memory (1000 by default), with O(1) inserts.
 *
 * @example
 * ```ts
 * const sink = new RingBufferEventSink(100);
 * // … run a session with eventSink: sink …
 * sink.events.map((e) => e.event); // ['agent.started', …]
 * ```
 */
export class RingBufferEventSink implements EventSink {
  readonly #ring: RingBuffer<AgentEvent>;

  /** @throws {ValidationError} when `capacity` is not a positive safe integer. */
  constructor(capacity = 1000) {
    this.#ring = new RingBuffer(capacity);
  }

  /** Most events kept. */
  get capacity(): number {
    return this.#ring.capacity;
  }

  /** The events kept, oldest first (a copy). */
  get events(): AgentEvent[] {
    return this.#ring.toArray();
  }

  /** Keeps `event`, dropping the oldest when full. */
  emit(event: AgentEvent): void {
    this.#ring.push(event);
  }

  /** Drops every event kept. */
  clear(): void {
    this.#ring.clear();
  }
}

/**
 * An {@link EventSink} passing each event to several sinks in order. A sink that throws is reported through
 * the OpenTelemetry `diag` logger and the others still get the event.
 *
 * @example
 * ```ts
 * const sink = new FanOutEventSink([new RingBufferEventSink(), new JsonLinesEventSink({ path: 'events.jsonl' })]);
 * ```
 */
export class FanOutEventSink implements EventSink {
  /** The sinks, in delivery order. */
  readonly sinks: readonly EventSink[];

  constructor(sinks: readonly EventSink[]) {
    this.sinks = [...sinks];
  }

  /** Delivers `event` to every sink, isolating failures. */
  emit(event: AgentEvent): void {
    for (const sink of this.sinks) {
      try {
        catchAsyncFailure(sink.emit(event), warnFanOut);
      } catch (err) {
        warnFanOut(err);
      }
    }
  }
}

const warnFanOut = (err: unknown) =>
  diag.warn('agentrace: an event sink threw; the other sinks still get the event', err);

/** Options of a {@link JsonLinesEventSink}. */
export type JsonLinesEventSinkOptions = JsonLinesOptions;

/**
 * An {@link EventSink} appending each event's wire form (`toJSON()`) as one line of a file. Writes are
 * asynchronous; if the disk falls behind by more than `maxBufferedBytes`, events are dropped and counted
 * rather than buffered without limit. Write errors go to `diag`, never to the caller. Call `close()` before
 * exit to flush.
 *
 * @example
 * ```ts
 * const sink = new JsonLinesEventSink({ path: './agent-events.jsonl' });
 * // … run sessions …
 * await sink.close();
 * ```
 */
export class JsonLinesEventSink implements EventSink {
  readonly #writer: JsonLinesWriter;

  /** @throws {ValidationError} when `path` is empty or `maxBufferedBytes` is not a positive safe integer. */
  constructor(options: JsonLinesEventSinkOptions) {
    this.#writer = new JsonLinesWriter(options, 'JsonLinesEventSink');
  }

  /** The file written to. */
  get path(): string {
    return this.#writer.path;
  }

  /** Events lost (file error, backlog full, after close, unserialisable data). */
  get dropped(): number {
    return this.#writer.dropped;
  }

  /** Queues `event` for writing. Never throws. */
  emit(event: AgentEvent): void {
    this.#writer.write(() => event);
  }

  /** Resolves once everything accepted so far has been handed to the file system; never rejects. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Flushes and closes the file; resolves once it is closed, never rejects. */
  close(): Promise<void> {
    return this.#writer.close();
  }
}
