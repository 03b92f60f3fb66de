import type { ValueOf } from '@agentrace/core';
import type { MetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryEnv } from './env.js';
import type { OtlpCompression, OtlpProtocol } from './otlp-protocol.js';
import type { TracesSamplerName } from './sampler.js';

/** Where spans go (`OTEL_TRACES_EXPORTER`). `console` is agentrace's terminal trace tree. */
export const TracesExporterName = { OTLP: 'otlp', CONSOLE: 'console', NONE: 'none' } as const;
export type TracesExporterName = ValueOf<typeof TracesExporterName>;

/**
 * Where metrics go (`OTEL_METRICS_EXPORTER`). `console` prints agentrace's cost table at shutdown;
 * `prometheus` serves a scrape endpoint.
 */
export const MetricsExporterName = {
  OTLP: 'otlp',
  PROMETHEUS: 'prometheus',
  CONSOLE: 'console',
  NONE: 'none',
} as const;
export type MetricsExporterName = ValueOf<typeof MetricsExporterName>;

/** Where the Prometheus scrape endpoint listens. */
export interface PrometheusOptions {
  /** TCP port; `0` picks a free one (read the URL from the handle). Default `OTEL_EXPORTER_PROMETHEUS_PORT`, else 9464. */
  port?: number;
  /** Interface to bind. Default `OTEL_EXPORTER_PROMETHEUS_HOST`, else every interface (what a Prometheus in Docker needs). */
  host?: string;
  /** URL path of the endpoint. Default `/metrics`. */
  path?: string;
}

/** A stream the terminal view writes to (`process.stderr` by default). Colour is used only when `isTTY` is true. */
export interface TerminalOutput {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Options of {@link setupTelemetry}. Every option is optional; an explicit option wins over its `OTEL_*`
 * environment variable, which wins over the default.
 */
export interface SetupTelemetryOptions {
  /** `service.name`. Default `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, then `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** Resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /**
   * OTLP base URL (`http://collector:4318`); over HTTP, `/v1/traces` and `/v1/metrics` are appended, over gRPC
   * it is used as is (`http://collector:4317`, or `collector:4317` with TLS unless `OTEL_EXPORTER_OTLP_INSECURE`).
   * Default `OTEL_EXPORTER_OTLP_ENDPOINT`. With no endpoint anywhere, spans and costs go to the terminal.
   */
  endpoint?: string;
  /** Full traces URL, used as is. Default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. */
  tracesEndpoint?: string;
  /** Full metrics URL, used as is. Default `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`. */
  metricsEndpoint?: string;
  /**
   * OTLP protocol of both signals. Default `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf` (the
   * specification's default).
   */
  protocol?: OtlpProtocol;
  /** Protocol of traces, over `protocol`. Default `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`. */
  tracesProtocol?: OtlpProtocol;
  /** Protocol of metrics, over `protocol`. Default `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`. */
  metricsProtocol?: OtlpProtocol;
  /**
   * Compression of OTLP requests. Default `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` /
   * `OTEL_EXPORTER_OTLP_METRICS_COMPRESSION`, then `OTEL_EXPORTER_OTLP_COMPRESSION`, else `none`.
   */
  compression?: OtlpCompression;
  /** Headers sent with every OTLP request, merged over `OTEL_EXPORTER_OTLP_HEADERS` (and the per-signal variants). */
  headers?: Record<string, string>;
  /** Span exporters. Default `OTEL_TRACES_EXPORTER`, else `otlp` when a traces endpoint is configured, else `console`. */
  traces?: TracesExporterName | readonly TracesExporterName[];
  /** Metric exporters. Default `OTEL_METRICS_EXPORTER`, else `otlp` when a metrics endpoint is configured, else `console`. */
  metrics?: MetricsExporterName | readonly MetricsExporterName[];
  /** Serve a Prometheus scrape endpoint (added to the metric exporters); `false` removes it. */
  prometheus?: boolean | PrometheusOptions;
  /** A sampler, or a built-in's name. Default `OTEL_TRACES_SAMPLER`, else `parentbased_always_on`. */
  sampler?: Sampler | TracesSamplerName;
  /** Ratio of the ratio-based samplers, in [0, 1]. Default `OTEL_TRACES_SAMPLER_ARG`, else 1. */
  samplerRatio?: number;
  /** Interval between metric exports over OTLP. Default `OTEL_METRIC_EXPORT_INTERVAL`, else 60000. */
  metricExportIntervalMs?: number;
  /**
   * Longest an export may take before its telemetry is counted as dropped (OTLP request timeout included).
   * Default `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10000.
   */
  exportTimeoutMs?: number;
  /** Most finished spans held while the collector is slow or down; beyond it spans are dropped and counted. Default `OTEL_BSP_MAX_QUEUE_SIZE`, else 2048. */
  maxQueueSize?: number;
  /** Longest `shutdown()` / `forceFlush()` wait; what is still unsent then is counted as dropped. Default `exportTimeoutMs + 1000`. */
  shutdownTimeoutMs?: number;
  /** Register the providers, AsyncLocalStorage context manager and W3C propagator globally. Default true. */
  registerGlobal?: boolean;
  /** Where the terminal trace tree and cost table go. Default `process.stderr`. */
  output?: TerminalOutput;
  /** Colour the terminal view. Default: only when `output.isTTY` (`NO_COLOR` turns it off, `FORCE_COLOR` on). */
  color?: boolean;
  /** Receives the single "telemetry is being dropped" report and configuration warnings. Default: a line on stderr. */
  warn?: (message: string) => void;
  /** Environment to read `OTEL_*` from. Default `process.env`. */
  env?: TelemetryEnv;
  /** More span processors (after agentrace's). */
  spanProcessors?: readonly SpanProcessor[];
  /** More metric readers (after agentrace's). */
  metricReaders?: readonly MetricReader[];
  /** More views (after agentrace's histogram views). */
  views?: readonly ViewOptions[];
}
