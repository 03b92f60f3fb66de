import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';

/** Options of a {@link CollectingReader}. */
export interface CollectingReaderOptions {
  /**
   * Collect (and discard) this often, so the SDK can drop what it keeps for this reader (see the class). Leave it
   * out only when no other reader shares the meter provider.
   */
  readonly compactIntervalMs?: number;
}

/**
 * A metric reader that only collects when asked (cumulative), as a Prometheus scrape would. agentrace reads its
 * cost summary through it, whatever other readers push or serve.
 *
 * The SDK keeps, for every reader of a meter provider, each accumulation another reader's collection produced
 * until this reader collects too (`TemporalMetricProcessor` stashes them per reader). A reader asked only at
 * shutdown therefore grows by one attribute map per instrument for every OTLP export or scrape: the slow heap
 * growth a long soak showed. With `compactIntervalMs` it collects on an unreferenced timer; being cumulative, a
 * later collection still reports totals since the start.
 */
export class CollectingReader extends MetricReader {
  readonly #compactIntervalMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CollectingReaderOptions = {}) {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    this.#compactIntervalMs = options.compactIntervalMs;
  }

  protected override onInitialized(): void {
    if (this.#compactIntervalMs === undefined) return;
    this.#timer = setInterval(() => {
      this.collect().then(
        () => undefined,
        () => undefined,
      );
    }, this.#compactIntervalMs);
    // Compaction must never keep a process alive.
    this.#timer.unref();
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    clearInterval(this.#timer);
    return Promise.resolve();
  }
}
