import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';

/**
 * A metric reader that only collects when asked (cumulative), as a Prometheus scrape would. agentrace reads its
 * cost summary through it, whatever other readers push or serve.
 */
export class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}
