import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type {
  AggregationOption,
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { type DroppedTelemetry, describeExportError } from './dropped-telemetry.js';

/** How long an export may take, and where failures are counted. */
export interface ExportGuardOptions {
  /** An export that has not answered by then counts as dropped; its late answer is ignored. */
  readonly timeoutMs: number;
  readonly dropped: DroppedTelemetry;
  /** What is exported where, for the report (`spans to http://collector:4318/v1/traces`). */
  readonly target: string;
}

/**
 * Runs one export with a deadline, counts a failure or timeout as dropped through `onFailure`, and always answers
 * SUCCESS to the SDK.
 *
 * Answering SUCCESS is deliberate: the SDK's batch processor and periodic reader hand every failure to the global
 * error handler, one log line per failed export, which is the flood {@link DroppedTelemetry} exists to prevent.
 * The loss is not hidden: it is counted and reported once. The deadline makes an export that never answers (a
 * collector that accepts connections and stalls) release its batch instead of holding it.
 */
function guardExport(
  send: (done: (result: ExportResult) => void) => void,
  answer: (result: ExportResult) => void,
  opts: { timeoutMs: number; onFailure: (reason: string) => void },
): void {
  let settled = false;
  const finish = (failure: string | undefined) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (failure !== undefined) opts.onFailure(failure);
    answer({ code: ExportResultCode.SUCCESS });
  };
  const timer = setTimeout(() => finish(`no answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
  timer.unref();
  try {
    send((result) =>
      finish(result.code === ExportResultCode.SUCCESS ? undefined : describeExportError(result.error)),
    );
  } catch (err) {
    finish(describeExportError(err));
  }
}

/** Resolves when `p` settles, whatever the outcome: shutdown paths must not reject into the app. */
export async function settle(p: Promise<unknown> | undefined): Promise<void> {
  try {
    await p;
  } catch {
    // Already counted where it matters (the export callbacks); a failing flush or shutdown is not the app's problem.
  }
}

/** Bookkeeping hooks of a {@link GuardedSpanExporter} (the queue bound and shutdown accounting use them). */
export interface SpanExportHooks {
  /** `count` spans left the queue for the exporter. */
  handedOff?(count: number): void;
  /** The export of `count` spans finished: delivered, failed or timed out. */
  settled?(count: number): void;
  /** Whether a failure still has to be counted (false once shutdown has counted everything outstanding). */
  countsFailures?(): boolean;
}

/** A span exporter that never fails, never hangs past its deadline, and counts what it could not deliver. */
export class GuardedSpanExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #opts: ExportGuardOptions;
  readonly #hooks: SpanExportHooks;

  constructor(inner: SpanExporter, opts: ExportGuardOptions, hooks: SpanExportHooks = {}) {
    this.#inner = inner;
    this.#opts = opts;
    this.#hooks = hooks;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.#hooks.handedOff?.(spans.length);
    guardExport(
      (done) => this.#inner.export(spans, done),
      (result) => {
        this.#hooks.settled?.(spans.length);
        resultCallback(result);
      },
      {
        timeoutMs: this.#opts.timeoutMs,
        onFailure: (reason) => {
          if (this.#hooks.countsFailures?.() === false) return;
          this.#opts.dropped.spans(spans.length, `export of ${this.#opts.target} failed: ${reason}`);
        },
      },
    );
  }

  forceFlush(): Promise<void> {
    return settle(this.#inner.forceFlush?.());
  }

  shutdown(): Promise<void> {
    return settle(this.#inner.shutdown());
  }
}

/** A metric exporter that never fails, never hangs past its deadline, and counts the exports it lost. */
export class GuardedMetricExporter implements PushMetricExporter {
  readonly #inner: PushMetricExporter;
  readonly #opts: ExportGuardOptions;
  readonly selectAggregationTemporality?: (instrumentType: InstrumentType) => AggregationTemporality;
  readonly selectAggregation?: (instrumentType: InstrumentType) => AggregationOption;

  constructor(inner: PushMetricExporter, opts: ExportGuardOptions) {
    this.#inner = inner;
    this.#opts = opts;
    // The reader asks the exporter which temporality/aggregation it wants; keep the inner exporter's answer.
    const temporality = inner.selectAggregationTemporality;
    if (temporality) this.selectAggregationTemporality = (t) => temporality.call(inner, t);
    const aggregation = inner.selectAggregation;
    if (aggregation) this.selectAggregation = (t) => aggregation.call(inner, t);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    let points = 0;
    for (const scope of metrics.scopeMetrics) for (const m of scope.metrics) points += m.dataPoints.length;
    guardExport((done) => this.#inner.export(metrics, done), resultCallback, {
      timeoutMs: this.#opts.timeoutMs,
      onFailure: (reason) =>
        this.#opts.dropped.metricExport(points, `export of ${this.#opts.target} failed: ${reason}`),
    });
  }

  forceFlush(): Promise<void> {
    return settle(this.#inner.forceFlush());
  }

  shutdown(): Promise<void> {
    return settle(this.#inner.shutdown());
  }
}
