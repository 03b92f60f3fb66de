import { diag } from '@opentelemetry/api';
import { catchAsyncFailure } from '../common/async-failure.js';
import { systemWallClock, type WallClock } from '../common/clock.js';
import { type JsonLinesOptions, JsonLinesWriter } from '../common/json-lines-writer.js';
import { RingBuffer } from '../common/ring-buffer.js';
import type { UsageSnapshot } from './usage-snapshot.js';

/**
 * Receives the usage and cost of every turn a session records. `record` is called synchronously on the
 * agent's path, so it should be quick; a sink that throws never breaks a session.
 *
 * @example
 * ```ts
 * const billing: UsageSink = { record: (model, usage, costUsd) => meter.add(costUsd, { model }) };
 * ```
 */
export interface UsageSink {
  /** Takes one turn's usage and its cost in USD. */
  record(model: string, usage: UsageSnapshot, costUsd: number): void;
}

/** One turn as kept by {@link RingBufferUsageSink}. */
export interface UsageRecord {
  /** The model as given to the turn. */
  readonly model: string;
  /** The turn's token usage. */
  readonly usage: UsageSnapshot;
  /** The turn's cost in USD. */
  readonly costUsd: number;
  /** When it was recorded, ISO-8601 UTC. */
  readonly recordedAt: string;
}

/** Options of the usage sinks that timestamp records. */
export interface UsageSinkClockOptions {
  /** Wall clock for `recordedAt` (epoch ms); `Date.now` by default. */
  readonly wallClock?: WallClock;
}

/** An {@link UsageSink} that discards everything; the default. */
export class NoopUsageSink implements UsageSink {
  /** Discards the record. */
  record(_model: string, _usage: UsageSnapshot, _costUsd: number): void {}
}

/**
 * An {@link UsageSink} keeping the newest `capacity` turns in memory (1000 by default), with O(1) inserts.
 *
 * @example
 * ```ts
 * const sink = new RingBufferUsageSink();
 * // … run a session with usageSink: sink …
 * sink.records.reduce((sum, r) => sum + r.costUsd, 0);
 * ```
 */
export class RingBufferUsageSink implements UsageSink {
  readonly #ring: RingBuffer<UsageRecord>;
  readonly #wallClock: WallClock;

  /** @throws {ValidationError} when `capacity` is not a positive safe integer. */
  constructor(capacity = 1000, options: UsageSinkClockOptions = {}) {
    this.#ring = new RingBuffer(capacity);
    this.#wallClock = options.wallClock ?? systemWallClock;
  }

  /** Most records kept. */
  get capacity(): number {
    return this.#ring.capacity;
  }

  /** The records kept, oldest first (a copy). */
  get records(): UsageRecord[] {
    return this.#ring.toArray();
  }

  /** Keeps the turn, dropping the oldest when full. */
  record(model: string, usage: UsageSnapshot, costUsd: number): void {
    this.#ring.push(
      Object.freeze({ model, usage, costUsd, recordedAt: new Date(this.#wallClock()).toISOString() }),
    );
  }

  /** Drops every record kept. */
  clear(): void {
    this.#ring.clear();
  }
}

/**
 * An {@link UsageSink} passing each turn to several sinks in order. A sink that throws is reported through
 * the OpenTelemetry `diag` logger and the others still get the turn.
 */
export class FanOutUsageSink implements UsageSink {
  /** The sinks, in delivery order. */
  readonly sinks: readonly UsageSink[];

  constructor(sinks: readonly UsageSink[]) {
    this.sinks = [...sinks];
  }

  /** Delivers the turn to every sink, isolating failures. */
  record(model: string, usage: UsageSnapshot, costUsd: number): void {
    for (const sink of this.sinks) {
      try {
        catchAsyncFailure(sink.record(model, usage, costUsd), warnFanOut);
      } catch (err) {
        warnFanOut(err);
      }
    }
  }
}

const warnFanOut = (err: unknown) =>
  diag.warn('agentrace: a usage sink threw; the other sinks still get the record', err);

/** Options of a {@link JsonLinesUsageSink}. */
export interface JsonLinesUsageSinkOptions extends JsonLinesOptions, UsageSinkClockOptions {}

/**
 * An {@link UsageSink} appending each turn as one JSON line:
 * `{"model", "usage": {input_tokens, …}, "cost_usd", "recorded_at"}`. Writes are asynchronous and bounded
 * (see {@link JsonLinesEventSink}); errors go to `diag`, never to the caller. Call `close()` before exit.
 *
 * @example
 * ```ts
 * const sink = new JsonLinesUsageSink({ path: './usage.jsonl' });
 * ```
 */
export class JsonLinesUsageSink implements UsageSink {
  readonly #writer: JsonLinesWriter;
  readonly #wallClock: WallClock;

  /** @throws {ValidationError} when `path` is empty or `maxBufferedBytes` is not a positive safe integer. */
  constructor(options: JsonLinesUsageSinkOptions) {
    this.#writer = new JsonLinesWriter(options, 'JsonLinesUsageSink');
    this.#wallClock = options.wallClock ?? systemWallClock;
  }

  /** The file written to. */
  get path(): string {
    return this.#writer.path;
  }

  /** Records lost (file error, backlog full, after close). */
  get dropped(): number {
    return this.#writer.dropped;
  }

  /** Queues the turn for writing. Never throws. */
  record(model: string, usage: UsageSnapshot, costUsd: number): void {
    this.#writer.write(() => ({
      model,
      usage,
      cost_usd: costUsd,
      recorded_at: new Date(this.#wallClock()).toISOString(),
    }));
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
