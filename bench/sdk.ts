// The OpenTelemetry SDK as an application would register it (what NodeSDK does), with in-memory sinks.
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

/** How often the metric reader collects (a real deployment's interval is 10–60 s; shorter is harsher). */
export const METRIC_EXPORT_INTERVAL_MS = 1000;

/** A registered SDK and what it has exported so far. */
export interface InstalledSdk {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  /** Spans the exporter has received (the in-memory list is emptied as it goes, so memory stays flat). */
  exportedSpans(): number;
  /** Metric collections exported so far. */
  metricExports(): number;
  /**
   * Empties the in-memory exporters into the counters (untimed, between samples): kept, a million spans
   * would make every later measurement pay for a growing heap.
   */
  drain(): void;
  /** Flushes every pending span and metric, then counts them. */
  flush(): Promise<void>;
  /** Flushes, shuts both providers down and unregisters the globals. */
  shutdown(): Promise<void>;
}

/**
 * Registers, globally: the AsyncLocalStorage context manager, a tracer provider with a BatchSpanProcessor
 * (default queue and batch sizes) into an InMemorySpanExporter, and a meter provider whose periodic reader
 * exports cumulative points into an InMemoryMetricExporter.
 */
export function installSdk(): InstalledSdk {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);

  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(spanExporter)],
  });
  trace.setGlobalTracerProvider(tracerProvider);

  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: METRIC_EXPORT_INTERVAL_MS,
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);

  let spans = 0;
  let metricExports = 0;
  const drain = () => {
    spans += spanExporter.getFinishedSpans().length;
    spanExporter.reset();
    metricExports += metricExporter.getMetrics().length;
    metricExporter.reset();
  };
  const flush = async () => {
    await tracerProvider.forceFlush();
    await meterProvider.forceFlush();
    drain();
  };
  return {
    tracerProvider,
    meterProvider,
    exportedSpans: () => spans + spanExporter.getFinishedSpans().length,
    metricExports: () => metricExports + metricExporter.getMetrics().length,
    drain,
    flush,
    async shutdown() {
      await flush();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
