import { ValidationError } from '@agentrace/core';
import { defaultServiceName } from '@opentelemetry/resources';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { EnvReader, type TelemetryEnv } from './env.js';
import { DEFAULT_OTLP_PROTOCOL } from './otlp-protocol.js';
import {
  compressionOption,
  configuredEndpoint,
  DEFAULT_OTLP_ENDPOINTS,
  defaultEndpoint,
  type ResolvedOtlpTransport,
  resolveProtocol,
  resolveTransport,
} from './resolve-otlp.js';
import { buildSampler, DEFAULT_SAMPLER, TracesSamplerName, usesRatio } from './sampler.js';
import {
  MetricsExporterName,
  type SetupTelemetryOptions,
  type TerminalOutput,
  TracesExporterName,
} from './telemetry-options.js';

/** Defaults of the OpenTelemetry SDK configuration spec, and agentrace's own. */
export const DEFAULTS = {
  exportTimeoutMs: 10_000,
  metricExportIntervalMs: 60_000,
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMs: 5000,
  prometheusPort: 9464,
  prometheusPath: '/metrics',
  /** The spec's default OTLP/HTTP endpoint, used when `otlp` is chosen with no endpoint configured. */
  otlpEndpoint: DEFAULT_OTLP_ENDPOINTS.http,
  /** The spec's default OTLP/gRPC endpoint. */
  otlpGrpcEndpoint: DEFAULT_OTLP_ENDPOINTS.grpc,
  /** The spec's default protocol. */
  otlpProtocol: DEFAULT_OTLP_PROTOCOL,
} as const;

/** What {@link setupTelemetry} decided from its options and the environment (no secrets: header names only). */
export interface ResolvedTelemetryConfig {
  /** `OTEL_SDK_DISABLED=true`: nothing is exported, nothing registered. */
  readonly disabled: boolean;
  readonly serviceName: string;
  /** Resource attributes set from options and `OTEL_RESOURCE_ATTRIBUTES` (the SDK adds `telemetry.sdk.*`). */
  readonly resourceAttributes: Readonly<Record<string, string | number | boolean>>;
  readonly traces: {
    readonly exporters: readonly TracesExporterName[];
    /** OTLP URL, when `otlp` is among the exporters. */
    readonly url?: string;
    /** Protocol, timeout, compression and TLS of the OTLP export, when `otlp` is among the exporters. */
    readonly otlp?: ResolvedOtlpTransport;
    readonly headerNames: readonly string[];
  };
  readonly metrics: {
    readonly exporters: readonly MetricsExporterName[];
    readonly url?: string;
    readonly otlp?: ResolvedOtlpTransport;
    readonly headerNames: readonly string[];
    readonly exportIntervalMs: number;
  };
  /** Where the Prometheus endpoint listens, when `prometheus` is among the metric exporters. */
  readonly prometheus?: { readonly host?: string; readonly port: number; readonly path: string };
  /** Built-in sampler name, or `custom` for a sampler instance. */
  readonly sampler: TracesSamplerName | 'custom';
  readonly samplerRatio: number;
  readonly exportTimeoutMs: number;
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly registerGlobal: boolean;
  readonly color: boolean;
}

/** The resolved configuration plus what must not be shown (headers) or is not plain data (the sampler). */
export interface ResolvedSetup {
  readonly config: ResolvedTelemetryConfig;
  readonly tracesHeaders: Record<string, string>;
  readonly metricsHeaders: Record<string, string>;
  readonly sampler: Sampler;
  /** Environment values that were bad and replaced by defaults. */
  readonly warnings: readonly string[];
}

const TRACES_EXPORTERS = Object.values(TracesExporterName) as string[];
const METRICS_EXPORTERS = Object.values(MetricsExporterName) as string[];
const SAMPLERS = Object.values(TracesSamplerName) as string[];

/**
 * Resolves options over `OTEL_*` variables over defaults. Pure: no I/O besides reading `env`.
 *
 * @throws {ValidationError} an explicit option is malformed (the field is named); bad environment values are
 *   collected in `warnings` instead and replaced by their defaults.
 * @throws {UnsupportedProtocolError} an option or variable names an unknown OTLP protocol: sending in a format
 *   the collector does not expect would lose everything, so this one is not replaced by a default.
 */
export function resolveSetup(opts: SetupTelemetryOptions, output: TerminalOutput): ResolvedSetup {
  if (typeof opts !== 'object' || opts === null) {
    throw new ValidationError({ field: 'options', value: opts, expected: 'an options object' });
  }
  const env = new EnvReader(opts.env ?? (process.env as TelemetryEnv));
  const disabled = env.boolean('OTEL_SDK_DISABLED') === true;

  const resourceAttributes = resolveResource(opts, env);
  const serviceName = resourceAttributes[ATTR_SERVICE_NAME] as string;

  compressionOption(opts);
  const tracesProtocol = resolveProtocol(opts, env, 'traces');
  const metricsProtocol = resolveProtocol(opts, env, 'metrics');
  const tracesUrl = configuredEndpoint(opts, env, 'traces', tracesProtocol);
  const metricsUrl = configuredEndpoint(opts, env, 'metrics', metricsProtocol);

  const tracesExporters = disabled
    ? []
    : exporterList(
        'traces',
        opts.traces,
        env,
        'OTEL_TRACES_EXPORTER',
        TRACES_EXPORTERS,
        tracesUrl !== undefined ? TracesExporterName.OTLP : TracesExporterName.CONSOLE,
      );
  let metricsExporters = disabled
    ? []
    : exporterList(
        'metrics',
        opts.metrics,
        env,
        'OTEL_METRICS_EXPORTER',
        METRICS_EXPORTERS,
        metricsUrl !== undefined ? MetricsExporterName.OTLP : MetricsExporterName.CONSOLE,
      );
  if (!disabled && opts.prometheus === false) {
    metricsExporters = metricsExporters.filter((e) => e !== MetricsExporterName.PROMETHEUS);
  } else if (!disabled && opts.prometheus !== undefined && !metricsExporters.includes('prometheus')) {
    metricsExporters = [...metricsExporters, MetricsExporterName.PROMETHEUS];
  }

  const explicitTimeoutMs = positive('exportTimeoutMs', opts.exportTimeoutMs);
  const exportTimeoutMs =
    explicitTimeoutMs ??
    env.number('OTEL_EXPORTER_OTLP_TIMEOUT', (n) => n > 0, 'a positive number of milliseconds') ??
    DEFAULTS.exportTimeoutMs;
  const timeouts = { explicit: explicitTimeoutMs, fallback: exportTimeoutMs };
  const tracesOtlp = tracesExporters.includes('otlp')
    ? resolveTransport(
        opts,
        env,
        'traces',
        tracesProtocol,
        tracesUrl ?? defaultEndpoint('traces', tracesProtocol),
        timeouts,
      )
    : undefined;
  const metricsOtlp = metricsExporters.includes('otlp')
    ? resolveTransport(
        opts,
        env,
        'metrics',
        metricsProtocol,
        metricsUrl ?? defaultEndpoint('metrics', metricsProtocol),
        timeouts,
      )
    : undefined;
  const maxQueueSize =
    positiveInteger('maxQueueSize', opts.maxQueueSize) ??
    env.number('OTEL_BSP_MAX_QUEUE_SIZE', isPositiveInteger, 'a positive integer') ??
    DEFAULTS.maxQueueSize;
  const maxExportBatchSize = Math.min(
    maxQueueSize,
    env.number('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', isPositiveInteger, 'a positive integer') ??
      DEFAULTS.maxExportBatchSize,
  );
  const sampling = resolveSampler(opts, env);

  const config: ResolvedTelemetryConfig = {
    disabled,
    serviceName,
    resourceAttributes,
    traces: {
      exporters: tracesExporters,
      ...(tracesOtlp && { url: tracesOtlp.url, otlp: tracesOtlp }),
      headerNames: [],
    },
    metrics: {
      exporters: metricsExporters,
      ...(metricsOtlp && { url: metricsOtlp.url, otlp: metricsOtlp }),
      headerNames: [],
      exportIntervalMs:
        positive('metricExportIntervalMs', opts.metricExportIntervalMs) ??
        env.number('OTEL_METRIC_EXPORT_INTERVAL', (n) => n > 0, 'a positive number of milliseconds') ??
        DEFAULTS.metricExportIntervalMs,
    },
    ...(metricsExporters.includes('prometheus') && { prometheus: resolvePrometheus(opts, env) }),
    sampler: sampling.name,
    samplerRatio: sampling.ratio,
    exportTimeoutMs,
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMs:
      env.number('OTEL_BSP_SCHEDULE_DELAY', (n) => n >= 0, 'a non-negative number of milliseconds') ??
      DEFAULTS.scheduledDelayMs,
    shutdownTimeoutMs:
      positive('shutdownTimeoutMs', opts.shutdownTimeoutMs) ??
      Math.max(exportTimeoutMs, tracesOtlp?.timeoutMs ?? 0, metricsOtlp?.timeoutMs ?? 0) + 1000,
    registerGlobal: !disabled && bool('registerGlobal', opts.registerGlobal, true),
    color: resolveColor(opts, env, output),
  };

  const tracesHeaders = headers(opts, env, 'TRACES');
  const metricsHeaders = headers(opts, env, 'METRICS');
  const withHeaderNames: ResolvedTelemetryConfig = {
    ...config,
    traces: { ...config.traces, headerNames: Object.keys(tracesHeaders) },
    metrics: { ...config.metrics, headerNames: Object.keys(metricsHeaders) },
  };
  return {
    config: withHeaderNames,
    tracesHeaders,
    metricsHeaders,
    sampler: sampling.sampler,
    warnings: env.warnings,
  };
}

function resolveResource(
  opts: SetupTelemetryOptions,
  env: EnvReader,
): Record<string, string | number | boolean> {
  const attrs: Record<string, string | number | boolean> = { ...env.pairs('OTEL_RESOURCE_ATTRIBUTES') };
  if (opts.resourceAttributes !== undefined) {
    if (typeof opts.resourceAttributes !== 'object' || opts.resourceAttributes === null) {
      throw new ValidationError({
        field: 'resourceAttributes',
        value: opts.resourceAttributes,
        expected: 'an object of string, number or boolean values',
      });
    }
    for (const [key, value] of Object.entries(opts.resourceAttributes)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new ValidationError({
          field: `resourceAttributes.${key}`,
          value,
          expected: 'a string, number or boolean',
        });
      }
      attrs[key] = value;
    }
  }
  const envServiceName = env.string('OTEL_SERVICE_NAME');
  const fromAttrs = attrs[ATTR_SERVICE_NAME];
  attrs[ATTR_SERVICE_NAME] =
    text('serviceName', opts.serviceName) ??
    envServiceName ??
    (typeof fromAttrs === 'string' && fromAttrs !== '' ? fromAttrs : defaultServiceName());
  const version = text('serviceVersion', opts.serviceVersion);
  if (version !== undefined) attrs[ATTR_SERVICE_VERSION] = version;
  return attrs;
}

function exporterList<T extends string>(
  field: 'traces' | 'metrics',
  explicit: T | readonly T[] | undefined,
  env: EnvReader,
  envName: string,
  known: readonly string[],
  fallback: T,
): T[] {
  let names: string[];
  if (explicit !== undefined) {
    const list: unknown[] = Array.isArray(explicit) ? [...explicit] : [explicit];
    for (const name of list) {
      if (typeof name !== 'string' || !known.includes(name)) {
        throw new ValidationError({ field, value: name, expected: `one of ${known.join(', ')}` });
      }
    }
    names = list as string[];
  } else {
    const fromEnv = env.list(envName);
    if (fromEnv === undefined) return [fallback];
    names = [];
    for (const name of fromEnv) {
      if (known.includes(name)) names.push(name);
      else
        env.warn(`${envName}: exporter ${JSON.stringify(name)} is not supported (use ${known.join(', ')})`);
    }
    if (names.length === 0) return [fallback];
  }
  // `none` alone disables the signal; beside others it means nothing.
  return [...new Set(names.filter((n) => n !== 'none'))] as T[];
}

function resolvePrometheus(
  opts: SetupTelemetryOptions,
  env: EnvReader,
): { host?: string; port: number; path: string } {
  const given = typeof opts.prometheus === 'object' && opts.prometheus !== null ? opts.prometheus : {};
  if (opts.prometheus !== undefined && typeof opts.prometheus !== 'boolean' && given !== opts.prometheus) {
    throw new ValidationError({
      field: 'prometheus',
      value: opts.prometheus,
      expected: 'a boolean or { port?, host?, path? }',
    });
  }
  let port: number;
  if (given.port !== undefined) {
    if (!isPort(given.port)) {
      throw new ValidationError({
        field: 'prometheus.port',
        value: given.port,
        expected: 'an integer port from 0 to 65535',
      });
    }
    port = given.port;
  } else {
    port =
      env.number('OTEL_EXPORTER_PROMETHEUS_PORT', isPort, 'an integer port from 0 to 65535') ??
      DEFAULTS.prometheusPort;
  }
  const host = text('prometheus.host', given.host) ?? env.string('OTEL_EXPORTER_PROMETHEUS_HOST');
  const rawPath = text('prometheus.path', given.path) ?? DEFAULTS.prometheusPath;
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  return { ...(host !== undefined && { host }), port, path };
}

function resolveSampler(
  opts: SetupTelemetryOptions,
  env: EnvReader,
): { name: TracesSamplerName | 'custom'; ratio: number; sampler: Sampler } {
  let ratio = 1;
  if (opts.samplerRatio !== undefined) {
    if (typeof opts.samplerRatio !== 'number' || !(opts.samplerRatio >= 0 && opts.samplerRatio <= 1)) {
      throw new ValidationError({
        field: 'samplerRatio',
        value: opts.samplerRatio,
        expected: 'a number from 0 to 1',
      });
    }
    ratio = opts.samplerRatio;
  } else {
    ratio = env.number('OTEL_TRACES_SAMPLER_ARG', (n) => n >= 0 && n <= 1, 'a number from 0 to 1') ?? 1;
  }
  const given = opts.sampler;
  if (given !== undefined && typeof given === 'object' && given !== null) {
    if (typeof given.shouldSample !== 'function') {
      throw new ValidationError({
        field: 'sampler',
        value: given,
        expected: `a Sampler or one of ${SAMPLERS.join(', ')}`,
      });
    }
    return { name: 'custom', ratio, sampler: given };
  }
  let name: TracesSamplerName = DEFAULT_SAMPLER;
  if (given !== undefined) {
    if (typeof given !== 'string' || !SAMPLERS.includes(given)) {
      throw new ValidationError({
        field: 'sampler',
        value: given,
        expected: `a Sampler or one of ${SAMPLERS.join(', ')}`,
      });
    }
    name = given;
  } else {
    const fromEnv = env.string('OTEL_TRACES_SAMPLER')?.toLowerCase();
    if (fromEnv !== undefined) {
      if (SAMPLERS.includes(fromEnv)) name = fromEnv as TracesSamplerName;
      else
        env.warn(
          `OTEL_TRACES_SAMPLER=${JSON.stringify(fromEnv)} is not supported (use ${SAMPLERS.join(', ')}); using ${DEFAULT_SAMPLER}`,
        );
    }
  }
  return { name, ratio: usesRatio(name) ? ratio : 1, sampler: buildSampler(name, ratio) };
}

function headers(
  opts: SetupTelemetryOptions,
  env: EnvReader,
  signal: 'TRACES' | 'METRICS',
): Record<string, string> {
  const out = {
    ...env.pairs('OTEL_EXPORTER_OTLP_HEADERS'),
    ...env.pairs(`OTEL_EXPORTER_OTLP_${signal}_HEADERS`),
  };
  if (opts.headers !== undefined) {
    if (typeof opts.headers !== 'object' || opts.headers === null) {
      throw new ValidationError({ field: 'headers', value: opts.headers, expected: 'an object of strings' });
    }
    for (const [key, value] of Object.entries(opts.headers)) {
      if (typeof value !== 'string') {
        throw new ValidationError({ field: `headers.${key}`, value, expected: 'a string' });
      }
      out[key] = value;
    }
  }
  return out;
}

function resolveColor(opts: SetupTelemetryOptions, env: EnvReader, output: TerminalOutput): boolean {
  if (opts.color !== undefined) return bool('color', opts.color, false);
  if (env.string('NO_COLOR') !== undefined) return false;
  const force = env.string('FORCE_COLOR');
  if (force !== undefined) return force !== '0' && force !== 'false';
  return output.isTTY === true;
}

function text(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError({ field, value, expected: 'a non-empty string' });
  }
  return value;
}

function bool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError({ field, value, expected: 'a boolean' });
  return value;
}

function positive(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError({ field, value, expected: 'a positive finite number of milliseconds' });
  }
  return value;
}

function isPositiveInteger(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}

function positiveInteger(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !isPositiveInteger(value)) {
    throw new ValidationError({ field, value, expected: 'a positive integer' });
  }
  return value;
}

function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
}
