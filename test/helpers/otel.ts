import { type ContextManager, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A metric reader that collects on demand (the SDK's pull path, as a Prometheus scrape would). */
class CollectingReader extends MetricReader {
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

let contextManager: ContextManager | undefined;

/** Registers the AsyncLocalStorage context manager once per test file (what `sdk-trace-node` does). */
export function useAsyncContext(): void {
  if (contextManager) return;
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
}

/** One metric's data points, flattened. */
export interface MetricPoints<T = number> {
  name: string;
  unit: string;
  points: Array<{ attributes: Record<string, unknown>; value: T }>;
}

/**
 * Real OTel SDK providers wired to in-memory sinks: spans go through a SimpleSpanProcessor into an
 * InMemorySpanExporter; metrics are collected on demand. Pass `tracerProvider` / `meterProvider` to agentrace,
 * or register them globally.
 */
export function createTestTelemetry() {
  useAsyncContext();
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });

  async function collect(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
    return resourceMetrics;
  }

  return {
    tracerProvider,
    meterProvider,
    exporter,
    /** Finished spans, in end order. */
    spans(): ReadableSpan[] {
      return exporter.getFinishedSpans();
    },
    /** The single finished span with this name (fails the test when there are none or several). */
    span(name: string): ReadableSpan {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) {
        const names = exporter.getFinishedSpans().map((s) => s.name);
        throw new Error(
          `expected one span named ${JSON.stringify(name)}, found ${found.length} among ${JSON.stringify(names)}`,
        );
      }
      return found[0]!;
    },
    /** Direct children of `parent` among finished spans. */
    children(parent: ReadableSpan): ReadableSpan[] {
      return exporter
        .getFinishedSpans()
        .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
    },
    collect,
    /** Every data point of a metric (sums and gauges: numbers; histograms: the histogram value). */
    async metric<T = number>(name: string): Promise<MetricPoints<T> | undefined> {
      const rm = await collect();
      for (const scope of rm.scopeMetrics) {
        for (const m of scope.metrics) {
          if (m.descriptor.name !== name) continue;
          return {
            name,
            unit: m.descriptor.unit,
            points: (m.dataPoints as DataPoint<T>[]).map((p) => ({
              attributes: { ...p.attributes },
              value: p.value,
            })),
          };
        }
      }
      return undefined;
    },
    async shutdown(): Promise<void> {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

export type TestTelemetry = ReturnType<typeof createTestTelemetry>;
export type { Histogram as HistogramValue, ReadableSpan };
