import { ValidationError } from '@agentrace/core';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { AlwaysOnSampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { EnvReader } from './env.js';
import { DEFAULTS, resolveSetup } from './resolve-config.js';
import { joinUrl } from './resolve-otlp.js';
import type { SetupTelemetryOptions } from './telemetry-options.js';

const tty = { write: () => true, isTTY: true };
const pipe = { write: () => true };

function resolve(opts: SetupTelemetryOptions = {}, env: Record<string, string> = {}) {
  return resolveSetup({ env, ...opts }, pipe);
}

function sample(sampler: ReturnType<typeof resolve>['sampler'], traceId = `${'0'.repeat(31)}1`) {
  return sampler.shouldSample(ROOT_CONTEXT, traceId, 'span', SpanKind.INTERNAL, {}, []).decision;
}

describe('resolveSetup: where telemetry goes', () => {
  it('prints to the terminal when no endpoint is configured anywhere', () => {
    const { config } = resolve();
    expect(config.traces.exporters).toEqual(['console']);
    expect(config.metrics.exporters).toEqual(['console']);
    expect(config.traces.url).toBeUndefined();
    expect(config.metrics.url).toBeUndefined();
    expect(config.prometheus).toBeUndefined();
  });

  it('exports OTLP to the base endpoint from OTEL_EXPORTER_OTLP_ENDPOINT, appending the signal paths', () => {
    const { config } = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(config.traces).toMatchObject({ exporters: ['otlp'], url: 'http://collector:4318/v1/traces' });
    expect(config.metrics).toMatchObject({ exporters: ['otlp'], url: 'http://collector:4318/v1/metrics' });
  });

  it('uses the per-signal endpoint variables as they are, over the base one', () => {
    const { config } = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/custom/traces',
      },
    );
    expect(config.traces.url).toBe('http://jaeger:4318/custom/traces');
    expect(config.metrics.url).toBe('http://base:4318/v1/metrics');
  });

  it('lets explicit endpoints win over the environment, the specific over the base', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env-traces:4318/v1/traces',
    };
    expect(resolve({ endpoint: 'http://opt:4318/prefix' }, env).config.traces.url).toBe(
      'http://opt:4318/prefix/v1/traces',
    );
    const both = resolve({ endpoint: 'http://opt:4318', metricsEndpoint: 'http://m:9/x' }, env).config;
    expect(both.metrics.url).toBe('http://m:9/x');
    expect(both.traces.url).toBe('http://opt:4318/v1/traces');
  });

  it('sends only traces over OTLP when only a traces endpoint exists (metrics stay in the terminal)', () => {
    const { config } = resolve({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' });
    expect(config.traces.exporters).toEqual(['otlp']);
    expect(config.metrics.exporters).toEqual(['console']);
  });

  it('honours OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER lists, with the spec default endpoint for otlp', () => {
    const { config, warnings } = resolve(
      {},
      { OTEL_TRACES_EXPORTER: 'otlp, console', OTEL_METRICS_EXPORTER: 'prometheus,zipkin' },
    );
    expect(config.traces.exporters).toEqual(['otlp', 'console']);
    expect(config.traces.url).toBe(`${DEFAULTS.otlpEndpoint}/v1/traces`);
    expect(config.metrics.exporters).toEqual(['prometheus']);
    expect(config.prometheus).toEqual({ port: 9464, path: '/metrics' });
    expect(warnings).toEqual([expect.stringContaining('"zipkin" is not supported')]);
  });

  it('turns a signal off with none, and falls back to the default when the variable names nothing usable', () => {
    expect(resolve({}, { OTEL_TRACES_EXPORTER: 'none' }).config.traces.exporters).toEqual([]);
    const fallback = resolve({}, { OTEL_METRICS_EXPORTER: 'jaeger' });
    expect(fallback.config.metrics.exporters).toEqual(['console']);
    expect(fallback.warnings).toHaveLength(1);
  });

  it('lets explicit exporters win over the environment', () => {
    const { config } = resolve(
      { traces: 'none', metrics: ['otlp', 'console'] },
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'none' },
    );
    expect(config.traces.exporters).toEqual([]);
    expect(config.metrics.exporters).toEqual(['otlp', 'console']);
  });

  it('adds a Prometheus endpoint from the option, its port and host from the option or the environment', () => {
    const env = { OTEL_EXPORTER_PROMETHEUS_PORT: '9999', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1' };
    const fromEnv = resolve({ prometheus: true }, env).config;
    expect(fromEnv.metrics.exporters).toEqual(['console', 'prometheus']);
    expect(fromEnv.prometheus).toEqual({ host: '127.0.0.1', port: 9999, path: '/metrics' });
    const explicit = resolve({ prometheus: { port: 0, host: '::1', path: 'scrape' } }, env).config;
    expect(explicit.prometheus).toEqual({ host: '::1', port: 0, path: '/scrape' });
  });

  it('removes Prometheus with prometheus: false even when the environment asks for it', () => {
    const { config } = resolve({ prometheus: false }, { OTEL_METRICS_EXPORTER: 'prometheus,otlp' });
    expect(config.metrics.exporters).toEqual(['otlp']);
    expect(config.prometheus).toBeUndefined();
  });

  it('reports a bad Prometheus port in the environment and uses the default', () => {
    const { config, warnings } = resolve({ prometheus: true }, { OTEL_EXPORTER_PROMETHEUS_PORT: '70000' });
    expect(config.prometheus?.port).toBe(9464);
    expect(warnings[0]).toContain('OTEL_EXPORTER_PROMETHEUS_PORT');
  });
});

describe('resolveSetup: resource', () => {
  it('takes service.name from the option, then OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES', () => {
    const env = { OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' };
    expect(resolve({ serviceName: 'explicit' }, env).config.serviceName).toBe('explicit');
    expect(resolve({}, env).config.serviceName).toBe('from-env');
    expect(resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).config.serviceName).toBe(
      'from-attrs',
    );
    expect(resolve().config.serviceName).toMatch(/^unknown_service/);
  });

  it('merges explicit resource attributes over OTEL_RESOURCE_ATTRIBUTES, percent-decoding values', () => {
    const { config, warnings } = resolve(
      {
        resourceAttributes: { 'deployment.environment.name': 'prod', 'host.cores': 2 },
        serviceVersion: '1.2.3',
      },
      { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=dev,team=agents%20core,broken' },
    );
    expect(config.resourceAttributes).toMatchObject({
      'deployment.environment.name': 'prod',
      team: 'agents core',
      'host.cores': 2,
      'service.version': '1.2.3',
    });
    expect(warnings).toEqual([expect.stringContaining('"broken" is not key=value')]);
  });
});

describe('resolveSetup: headers, sampler and limits', () => {
  it('merges generic and per-signal header variables, explicit headers over both, and exposes only names', () => {
    const setup = resolve(
      { headers: { 'x-team': 'explicit' } },
      {
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=env',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-traces=1',
      },
    );
    expect(setup.tracesHeaders).toEqual({
      authorization: 'Bearer abc',
      'x-team': 'explicit',
      'x-traces': '1',
    });
    expect(setup.metricsHeaders).toEqual({ authorization: 'Bearer abc', 'x-team': 'explicit' });
    expect(setup.config.traces.headerNames).toEqual(['authorization', 'x-team', 'x-traces']);
    expect(JSON.stringify(setup.config)).not.toContain('Bearer abc');
  });

  it('builds the sampler named by OTEL_TRACES_SAMPLER with OTEL_TRACES_SAMPLER_ARG', () => {
    const off = resolve({}, { OTEL_TRACES_SAMPLER: 'always_off' });
    expect(off.config.sampler).toBe('always_off');
    expect(sample(off.sampler)).toBe(SamplingDecision.NOT_RECORD);
    const none = resolve({}, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(none.config).toMatchObject({ sampler: 'traceidratio', samplerRatio: 0 });
    expect(sample(none.sampler)).toBe(SamplingDecision.NOT_RECORD);
    const all = resolve(
      {},
      { OTEL_TRACES_SAMPLER: 'PARENTBASED_TRACEIDRATIO', OTEL_TRACES_SAMPLER_ARG: '1' },
    );
    expect(all.config.sampler).toBe('parentbased_traceidratio');
    expect(sample(all.sampler)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('defaults to parentbased_always_on, reporting an unsupported sampler or a bad ratio', () => {
    const bad = resolve({}, { OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: '2' });
    expect(bad.config).toMatchObject({ sampler: 'parentbased_always_on', samplerRatio: 1 });
    expect(bad.warnings).toHaveLength(2);
    expect(sample(bad.sampler)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('lets an explicit sampler (name or instance) and ratio win over the environment', () => {
    const env = { OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: '0.5' };
    const named = resolve({ sampler: 'traceidratio', samplerRatio: 0 }, env);
    expect(named.config).toMatchObject({ sampler: 'traceidratio', samplerRatio: 0 });
    const instance = new AlwaysOnSampler();
    const custom = resolve({ sampler: instance }, env);
    expect(custom.config.sampler).toBe('custom');
    expect(custom.sampler).toBe(instance);
  });

  it('reads timeouts, interval and queue bounds from the environment, explicit options first', () => {
    const env = {
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const fromEnv = resolve({}, env).config;
    expect(fromEnv).toMatchObject({
      exportTimeoutMs: 2500,
      maxQueueSize: 100,
      maxExportBatchSize: 100,
      scheduledDelayMs: 200,
      shutdownTimeoutMs: 3500,
    });
    expect(fromEnv.metrics.exportIntervalMs).toBe(15000);
    const explicit = resolve(
      { exportTimeoutMs: 100, metricExportIntervalMs: 50, maxQueueSize: 7, shutdownTimeoutMs: 999 },
      env,
    ).config;
    expect(explicit).toMatchObject({ exportTimeoutMs: 100, maxQueueSize: 7, shutdownTimeoutMs: 999 });
    expect(explicit.metrics.exportIntervalMs).toBe(50);
  });

  it('reports bad numeric variables and keeps the defaults', () => {
    const { config, warnings } = resolve(
      {},
      { OTEL_EXPORTER_OTLP_TIMEOUT: 'soon', OTEL_BSP_MAX_QUEUE_SIZE: '1.5' },
    );
    expect(config.exportTimeoutMs).toBe(DEFAULTS.exportTimeoutMs);
    expect(config.maxQueueSize).toBe(DEFAULTS.maxQueueSize);
    expect(warnings).toHaveLength(2);
  });

  it('disables everything with OTEL_SDK_DISABLED=true', () => {
    const { config } = resolve({ prometheus: true }, { OTEL_SDK_DISABLED: 'TRUE' });
    expect(config).toMatchObject({ disabled: true, registerGlobal: false });
    expect(config.traces.exporters).toEqual([]);
    expect(config.metrics.exporters).toEqual([]);
  });

  it('reports an unparseable boolean and an endpoint that is not a URL', () => {
    const { config, warnings } = resolve(
      {},
      { OTEL_SDK_DISABLED: 'yes', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
    );
    expect(config.disabled).toBe(false);
    expect(config.traces.exporters).toEqual(['console']);
    expect(warnings).toHaveLength(2);
  });
});

describe('resolveSetup: colour', () => {
  it('colours only a TTY, unless NO_COLOR / FORCE_COLOR / the option say otherwise', () => {
    expect(resolveSetup({ env: {} }, tty).config.color).toBe(true);
    expect(resolveSetup({ env: {} }, pipe).config.color).toBe(false);
    expect(resolveSetup({ env: { NO_COLOR: '1' } }, tty).config.color).toBe(false);
    expect(resolveSetup({ env: { FORCE_COLOR: '1' } }, pipe).config.color).toBe(true);
    expect(resolveSetup({ env: { FORCE_COLOR: '0' } }, tty).config.color).toBe(false);
    expect(resolveSetup({ env: { NO_COLOR: '1' }, color: true }, pipe).config.color).toBe(true);
  });
});

describe('resolveSetup: bad options', () => {
  it.each([
    [{ endpoint: 'collector:4318' }, 'endpoint'],
    [{ tracesEndpoint: 42 }, 'tracesEndpoint'],
    [{ traces: 'jaeger' }, 'traces'],
    [{ metrics: ['otlp', 'statsd'] }, 'metrics'],
    [{ prometheus: { port: -1 } }, 'prometheus.port'],
    [{ prometheus: 'yes' }, 'prometheus'],
    [{ prometheus: { host: '' } }, 'prometheus.host'],
    [{ sampler: 'sometimes' }, 'sampler'],
    [{ sampler: {} }, 'sampler'],
    [{ samplerRatio: 1.5 }, 'samplerRatio'],
    [{ exportTimeoutMs: 0 }, 'exportTimeoutMs'],
    [{ metricExportIntervalMs: Number.NaN }, 'metricExportIntervalMs'],
    [{ maxQueueSize: 2.5 }, 'maxQueueSize'],
    [{ shutdownTimeoutMs: -5 }, 'shutdownTimeoutMs'],
    [{ serviceName: ' ' }, 'serviceName'],
    [{ registerGlobal: 'no' }, 'registerGlobal'],
    [{ color: 1 }, 'color'],
    [{ headers: 'x=1' }, 'headers'],
    [{ headers: { 'x-n': 1 } }, 'headers.x-n'],
    [{ resourceAttributes: null }, 'resourceAttributes'],
    [{ resourceAttributes: { tags: ['a'] } }, 'resourceAttributes.tags'],
  ])('rejects %j with a ValidationError naming %s', (opts, field) => {
    let thrown: unknown;
    try {
      resolve(opts as unknown as SetupTelemetryOptions);
    } catch (err) {
      thrown = err;
    }
    expect(ValidationError.isInstance(thrown)).toBe(true);
    expect((thrown as ValidationError).field).toBe(field);
    expect((thrown as ValidationError).message).toContain(field);
  });

  it('rejects a non-object options argument', () => {
    expect(() => resolveSetup(null as unknown as SetupTelemetryOptions, pipe)).toThrow(ValidationError);
  });
});

describe('joinUrl and EnvReader', () => {
  it('appends the signal path once, whatever trailing slashes the base has', () => {
    expect(joinUrl('http://c:4318', 'v1/traces')).toBe('http://c:4318/v1/traces');
    expect(joinUrl('http://c:4318//', 'v1/traces')).toBe('http://c:4318/v1/traces');
    expect(joinUrl('https://c/otlp/', 'v1/metrics')).toBe('https://c/otlp/v1/metrics');
  });

  it('treats blank variables as unset and keeps undecodable values as given', () => {
    const env = new EnvReader({ A: '  ', B: 'k=%E0%A4%A,x= y ', C: 'False' });
    expect(env.string('A')).toBeUndefined();
    expect(env.list('A')).toBeUndefined();
    expect(env.pairs('B')).toEqual({ k: '%E0%A4%A', x: 'y' });
    expect(env.boolean('C')).toBe(false);
    expect(env.warnings).toEqual([]);
  });
});
