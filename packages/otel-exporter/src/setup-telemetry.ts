import { ValidationError } from '@agentrace/core';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BoundedSpanProcessor } from './bounded-span-processor.js';
import { CollectingReader } from './collecting-reader.js';
import { type CostSummary, costSummary } from './cost-summary.js';
import { renderCostTable } from './cost-table.js';
import { DroppedTelemetry, type DroppedTelemetryCounts, displayUrl } from './dropped-telemetry.js';
import { GuardedMetricExporter, settle } from './export-guard.js';
import { histogramViews } from './histogram-views.js';
import { IsolatedSampler } from './isolated-sampler.js';
import { IsolatedSpanProcessor } from './isolated-span-processor.js';
import { createMetricExporter, createSpanExporter } from './otlp-exporters.js';
import { PrometheusEndpoint } from './prometheus-endpoint.js';
import { type ResolvedTelemetryConfig, resolveSetup } from './resolve-config.js';
import type { SetupTelemetryOptions, TerminalOutput } from './telemetry-options.js';
import { TerminalSpanProcessor } from './terminal-span-processor.js';
import { createStyle } from './terminal-style.js';

/** Which global registrations `setupTelemetry` made (and so undoes at shutdown). */
export interface GlobalRegistrations {
  readonly traces: boolean;
  readonly metrics: boolean;
  readonly context: boolean;
  readonly propagation: boolean;
}

/** What {@link setupTelemetry} returns: the providers, what was decided, and the way to flush and stop. */
export interface TelemetryHandle {
  /** What was configured, from options, environment and defaults (header names only, never values). */
  readonly config: ResolvedTelemetryConfig;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly resource: Resource;
  /** The Prometheus scrape endpoint (`url`, `ready()`, `waitForScrape()`), when `prometheus` is a metric exporter. */
  readonly prometheus: PrometheusEndpoint | undefined;
  /** The global registrations made; with `registerGlobal: false`, none. */
  readonly registered: GlobalRegistrations;
  /** Telemetry lost so far (failed, timed-out or overflowing exports). Reported once; counted always. */
  readonly dropped: DroppedTelemetryCounts;
  /** Whether `shutdown()` has been called. */
  readonly isShutdown: boolean;
  /**
   * Cost per agent and model from agentrace's metrics (empty with metrics turned off). After shutdown, the final
   * figures.
   */
  costSummary(): Promise<CostSummary>;
  /** Exports everything recorded so far; never rejects and never waits past `shutdownTimeoutMs`. */
  forceFlush(): Promise<void>;
  /**
   * Flushes and stops traces and metrics, prints the terminal view's cost table (console metrics), closes the
   * Prometheus endpoint and undoes the global registrations. Never rejects; returns within `shutdownTimeoutMs`
   * (what is unsent by then is counted as dropped). Calling it again returns the same promise.
   */
  shutdown(): Promise<void>;
}

/**
 * Wires the OpenTelemetry SDK for agentrace in one call: a Node tracer provider (AsyncLocalStorage context), a
 * meter provider with the GenAI histogram buckets, OTLP for traces and metrics (`http/protobuf` by default,
 * `http/json` or `grpc` when asked, per the exporter specification's variables), an optional Prometheus
 * endpoint, and, when no collector is configured, a trace tree and cost table in the terminal.
 *
 * Options win over the standard `OTEL_*` variables, which win over defaults. A collector that is down, slow or
 * failing never throws into the app and never grows memory without bound: exports have deadlines, queues have
 * bounds, and what is lost is counted on `dropped` and reported once.
 *
 * @example
 * ```ts
 * import { setupTelemetry } from '@agentrace/otel-exporter';
 *
 * const telemetry = setupTelemetry({ serviceName: 'research-agent' });
 * try {
 *   await agent.run(async (session) => { … });
 * } finally {
 *   await telemetry.shutdown(); // flushes; prints the cost table in terminal mode
 * }
 * ```
 * @throws {ValidationError} an explicit option is malformed (the field is named). Bad `OTEL_*` values are
 *   reported through `warn` and replaced by their defaults, as the OpenTelemetry configuration spec requires.
 */
export function setupTelemetry(opts: SetupTelemetryOptions = {}): TelemetryHandle {
  if (opts !== null && typeof opts === 'object') {
    if (opts.output !== undefined && typeof opts.output?.write !== 'function') {
      throw new ValidationError({ field: 'output', value: opts.output, expected: 'a stream with write()' });
    }
    if (opts.warn !== undefined && typeof opts.warn !== 'function') {
      throw new ValidationError({ field: 'warn', value: opts.warn, expected: 'a function' });
    }
  }
  const output: TerminalOutput = opts?.output ?? process.stderr;
  const setup = resolveSetup(opts, output);
  return new Telemetry(opts, output, setup);
}

function defaultWarn(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Resolves `true` when `p` settles within `ms`, `false` otherwise (`p` keeps running). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([settle(p).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Margin the metric reader's own deadline keeps behind the guard's: the SDK caps the reader's deadline at the
 * export interval, and if it fired first the reader would log every slow export through the global error handler.
 */
const READER_DEADLINE_MARGIN_MS = 1000;

/**
 * How often the cost reader collects for nothing but to let the SDK drop what it keeps for it between other
 * readers' collections (see CollectingReader): bounds that to ten seconds' worth of exports or scrapes.
 */
const COST_READER_COMPACT_INTERVAL_MS = 10_000;

class Telemetry implements TelemetryHandle {
  readonly config: ResolvedTelemetryConfig;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly resource: Resource;
  readonly prometheus: PrometheusEndpoint | undefined;
  readonly registered: GlobalRegistrations;
  readonly #dropped: DroppedTelemetry;
  readonly #warn: (message: string) => void;
  readonly #output: TerminalOutput;
  readonly #otlpSpans: BoundedSpanProcessor | undefined;
  readonly #costReader: CollectingReader | undefined;
  #shutdown: Promise<void> | undefined;
  #finalSummary: CostSummary | undefined;

  constructor(opts: SetupTelemetryOptions, output: TerminalOutput, setup: ReturnType<typeof resolveSetup>) {
    const { config } = setup;
    this.config = config;
    this.#output = output;
    const report = opts.warn ?? defaultWarn;
    this.#warn = (message) => {
      try {
        report(message);
      } catch {
        // A throwing reporter must not make setup or an export path throw.
      }
    };
    for (const warning of setup.warnings) this.#warn(`agentrace: ${warning}`);
    this.#dropped = new DroppedTelemetry(this.#warn);
    const style = createStyle(config.color);
    this.resource = defaultResource().merge(resourceFromAttributes({ ...config.resourceAttributes }));

    const spanProcessors: SpanProcessor[] = [];
    if (config.traces.otlp !== undefined) {
      const transport = config.traces.otlp;
      this.#otlpSpans = new BoundedSpanProcessor(
        createSpanExporter({
          transport,
          headers: setup.tracesHeaders,
          timeoutMs: transport.timeoutMs,
          warn: this.#warn,
        }),
        {
          maxQueueSize: config.maxQueueSize,
          maxExportBatchSize: config.maxExportBatchSize,
          scheduledDelayMs: config.scheduledDelayMs,
          exportTimeoutMs: transport.timeoutMs,
          dropped: this.#dropped,
          target: `spans to ${displayUrl(transport.url)} (${transport.protocol})`,
        },
      );
      spanProcessors.push(this.#otlpSpans);
    }
    if (config.traces.exporters.includes('console')) {
      spanProcessors.push(new TerminalSpanProcessor({ output, style, dropped: this.#dropped }));
    }
    // The user's processors and sampler are isolated: the SDK calls them unguarded on every span (see each class).
    for (const p of opts.spanProcessors ?? []) spanProcessors.push(new IsolatedSpanProcessor(p, this.#warn));
    this.tracerProvider = new NodeTracerProvider({
      resource: this.resource,
      sampler: config.sampler === 'custom' ? new IsolatedSampler(setup.sampler, this.#warn) : setup.sampler,
      spanProcessors,
    });

    const readers: MetricReader[] = [];
    if (config.metrics.exporters.length > 0) {
      this.#costReader = new CollectingReader({ compactIntervalMs: COST_READER_COMPACT_INTERVAL_MS });
      readers.push(this.#costReader);
    }
    if (config.metrics.otlp !== undefined) {
      const transport = config.metrics.otlp;
      const interval = config.metrics.exportIntervalMs;
      const timeoutMs = Math.min(
        transport.timeoutMs,
        Math.max(1, interval - Math.min(READER_DEADLINE_MARGIN_MS, interval / 2)),
      );
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new GuardedMetricExporter(
            createMetricExporter({
              transport,
              headers: setup.metricsHeaders,
              timeoutMs,
              warn: this.#warn,
            }),
            {
              timeoutMs,
              dropped: this.#dropped,
              target: `metrics to ${displayUrl(transport.url)} (${transport.protocol})`,
            },
          ),
          exportIntervalMillis: interval,
          exportTimeoutMillis: interval,
        }),
      );
    }
    if (config.prometheus !== undefined) {
      this.prometheus = new PrometheusEndpoint({
        ...config.prometheus,
        onError: (err) => this.#warn(`agentrace: ${err.message}; metrics will not be scraped`),
      });
      readers.push(this.prometheus.reader);
    }
    readers.push(...(opts.metricReaders ?? []));
    this.meterProvider = new MeterProvider({
      resource: this.resource,
      views: [...histogramViews(), ...(opts.views ?? [])],
      readers,
    });
    this.registered = config.registerGlobal ? this.#register() : NOT_REGISTERED;
  }

  get dropped(): DroppedTelemetryCounts {
    return this.#dropped.counts();
  }

  get isShutdown(): boolean {
    return this.#shutdown !== undefined;
  }

  async costSummary(): Promise<CostSummary> {
    if (this.#finalSummary) return this.#finalSummary;
    if (this.#shutdown) return EMPTY_SUMMARY;
    return this.#collectSummary();
  }

  async forceFlush(): Promise<void> {
    if (this.#shutdown) return;
    await within(
      Promise.all([settle(this.tracerProvider.forceFlush()), settle(this.meterProvider.forceFlush())]),
      this.config.shutdownTimeoutMs,
    );
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#stop();
    return this.#shutdown;
  }

  async #stop(): Promise<void> {
    // Read the figures before the meter provider stops (a stopped reader cannot collect).
    this.#finalSummary = await this.#summaryBeforeShutdown();
    const finished = await within(
      Promise.all([
        settle(this.tracerProvider.shutdown()),
        settle(this.meterProvider.shutdown()),
        settle(this.prometheus?.close()),
      ]),
      this.config.shutdownTimeoutMs,
    );
    if (!finished) this.#otlpSpans?.abandon();
    if (this.config.metrics.exporters.includes('console')) {
      const table = renderCostTable(this.#finalSummary, {
        style: createStyle(this.config.color),
        title: `Cost by agent and model (${this.config.serviceName})`,
      });
      if (table) {
        try {
          this.#output.write(`\n${table}`);
        } catch {
          // The terminal view is a convenience; a broken stream must not fail shutdown.
        }
      }
    }
    this.#unregister();
  }

  async #summaryBeforeShutdown(): Promise<CostSummary> {
    let summary = EMPTY_SUMMARY;
    await within(
      this.#collectSummary().then((s) => {
        summary = s;
      }),
      this.config.shutdownTimeoutMs,
    );
    return summary;
  }

  async #collectSummary(): Promise<CostSummary> {
    if (!this.#costReader) return EMPTY_SUMMARY;
    try {
      const { resourceMetrics } = await this.#costReader.collect();
      return costSummary(resourceMetrics);
    } catch {
      return EMPTY_SUMMARY;
    }
  }

  #register(): GlobalRegistrations {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    const contextRegistered = context.setGlobalContextManager(contextManager);
    // Another context manager is already in charge (an earlier SDK setup); ours would only be a leak.
    if (!contextRegistered) contextManager.disable();
    const registered: GlobalRegistrations = {
      context: contextRegistered,
      propagation: propagation.setGlobalPropagator(
        new CompositePropagator({
          propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
        }),
      ),
      traces: trace.setGlobalTracerProvider(this.tracerProvider),
      metrics: metrics.setGlobalMeterProvider(this.meterProvider),
    };
    if (!registered.traces || !registered.metrics) {
      this.#warn(
        'agentrace: another OpenTelemetry provider is already registered globally, so this one is not; ' +
          'pass telemetry.tracerProvider / telemetry.meterProvider to agentrace explicitly, or call shutdown() on the other one first',
      );
    }
    return registered;
  }

  /** Undoes our registrations only, so a later setupTelemetry (a test, a restarted job) can register again. */
  #unregister(): void {
    if (this.registered.traces) trace.disable();
    if (this.registered.metrics) metrics.disable();
    if (this.registered.propagation) propagation.disable();
    if (this.registered.context) context.disable();
  }
}

const NOT_REGISTERED: GlobalRegistrations = {
  traces: false,
  metrics: false,
  context: false,
  propagation: false,
};

const EMPTY_SUMMARY: CostSummary = {
  rows: [],
  total: { turns: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
};
