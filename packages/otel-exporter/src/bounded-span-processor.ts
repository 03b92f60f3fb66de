import { type Context, TraceFlags } from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { DroppedTelemetry } from './dropped-telemetry.js';
import { GuardedSpanExporter, settle } from './export-guard.js';

/** Sizing and deadlines of a {@link BoundedSpanProcessor}. */
export interface BoundedSpanProcessorOptions {
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMs: number;
  readonly exportTimeoutMs: number;
  readonly dropped: DroppedTelemetry;
  /** What is exported where (`spans to http://…`), for the report. */
  readonly target: string;
}

/**
 * Margin between the guard's deadline and the batch processor's own: the guard must always answer first, or the
 * processor rejects and logs through the global error handler on every timeout.
 */
const PROCESSOR_DEADLINE_MARGIN_MS = 1000;

/**
 * The SDK's batch span processor with its losses counted.
 *
 * The batch processor already bounds its queue, but drops silently (one debug line). This wrapper keeps the same
 * bound itself, so each span that does not fit is counted: it knows how many spans it handed to the processor and
 * how many the processor handed to the exporter, and the difference is the queue.
 */
export class BoundedSpanProcessor implements SpanProcessor {
  readonly #inner: BatchSpanProcessor;
  readonly #opts: BoundedSpanProcessorOptions;
  #queued = 0;
  #inFlight = 0;
  #closed = false;
  #abandoned = false;

  constructor(exporter: SpanExporter, opts: BoundedSpanProcessorOptions) {
    this.#opts = opts;
    const guarded = new GuardedSpanExporter(
      exporter,
      { timeoutMs: opts.exportTimeoutMs, dropped: opts.dropped, target: opts.target },
      {
        handedOff: (count) => {
          this.#queued = Math.max(0, this.#queued - count);
          this.#inFlight += count;
        },
        settled: (count) => {
          this.#inFlight = Math.max(0, this.#inFlight - count);
        },
        countsFailures: () => !this.#abandoned,
      },
    );
    this.#inner = new BatchSpanProcessor(guarded, {
      maxQueueSize: opts.maxQueueSize,
      maxExportBatchSize: opts.maxExportBatchSize,
      scheduledDelayMillis: opts.scheduledDelayMs,
      exportTimeoutMillis: opts.exportTimeoutMs + PROCESSOR_DEADLINE_MARGIN_MS,
    });
  }

  /** Spans waiting to be exported. */
  get queued(): number {
    return this.#queued;
  }

  /** Spans in exports that have not answered yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  onStart(span: Span, parentContext: Context): void {
    this.#inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#closed) {
      this.#opts.dropped.spans(1, `a span ended after telemetry shut down (${this.#opts.target})`);
      return;
    }
    if (this.#queued >= this.#opts.maxQueueSize) {
      this.#opts.dropped.spans(
        1,
        `the span queue is full (${this.#opts.maxQueueSize} spans): export of ${this.#opts.target} is not keeping up`,
      );
      return;
    }
    this.#queued += 1;
    this.#inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return settle(this.#inner.forceFlush());
  }

  shutdown(): Promise<void> {
    this.#closed = true;
    return settle(this.#inner.shutdown());
  }

  /**
   * Counts every span not yet delivered (queued, or in an export still unanswered) as dropped: shutdown stopped
   * waiting for them. Their exports may still finish later; failures are then not counted twice (a late success
   * is not subtracted either: the count errs towards "lost").
   */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    this.#opts.dropped.spans(
      this.#queued + this.#inFlight,
      `shutdown timed out with spans unsent (${this.#opts.target})`,
    );
    this.#queued = 0;
    this.#inFlight = 0;
  }
}
