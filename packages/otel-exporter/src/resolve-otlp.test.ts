import { ValidationError } from '@agentrace/core';
import { describe, expect, it } from 'vitest';
import { UnsupportedProtocolError } from './otlp-protocol.js';
import { resolveSetup } from './resolve-config.js';
import type { SetupTelemetryOptions } from './telemetry-options.js';

const pipe = { write: () => true };

function resolve(opts: SetupTelemetryOptions = {}, env: Record<string, string> = {}) {
  return resolveSetup({ env, ...opts }, pipe);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('resolveSetup: OTLP protocol', () => {
  it('defaults to http/protobuf, the specification default, and sends both signals over OTLP with just an endpoint', () => {
    const { config } = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(config.traces).toMatchObject({
      exporters: ['otlp'],
      url: 'http://collector:4318/v1/traces',
      otlp: { protocol: 'http/protobuf', compression: 'none', timeoutMs: 10_000 },
    });
    expect(config.metrics).toMatchObject({
      exporters: ['otlp'],
      url: 'http://collector:4318/v1/metrics',
      otlp: { protocol: 'http/protobuf' },
    });
  });

  it('takes OTEL_EXPORTER_OTLP_PROTOCOL for both signals and the per-signal variables over it', () => {
    const { config } = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      },
    );
    // gRPC uses the general endpoint as it is; HTTP appends the signal path to it.
    expect(config.traces.otlp).toMatchObject({ protocol: 'grpc', url: 'http://collector:4317' });
    expect(config.metrics.otlp).toMatchObject({
      protocol: 'http/json',
      url: 'http://collector:4317/v1/metrics',
    });
  });

  it('lets the options win over the variables, the per-signal option over the general one', () => {
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' };
    const { config } = resolve(
      { protocol: 'http/json', metricsProtocol: 'http/protobuf', endpoint: 'http://c:4318' },
      env,
    );
    expect(config.traces.otlp?.protocol).toBe('http/json');
    expect(config.metrics.otlp?.protocol).toBe('http/protobuf');
  });

  it('uses the default endpoint of the protocol when otlp is chosen without one', () => {
    const grpc = resolve({}, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).config;
    expect(grpc.traces.url).toBe('http://localhost:4317');
    expect(grpc.traces.otlp?.tls.insecure).toBe(true);
    const http = resolve({}, { OTEL_METRICS_EXPORTER: 'otlp' }).config;
    expect(http.metrics.url).toBe('http://localhost:4318/v1/metrics');
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http'],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'grpc/json'],
    ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'protobuf'],
  ])('rejects %s=%s with an error naming the variable and the accepted values', (variable, value) => {
    const err = thrown(() => resolve({}, { [variable]: value }));
    expect(err).toBeInstanceOf(UnsupportedProtocolError);
    expect(err).toBeInstanceOf(ValidationError);
    expect(UnsupportedProtocolError.isInstance(err)).toBe(true);
    expect(ValidationError.isInstance(err)).toBe(true);
    expect(
      UnsupportedProtocolError.isInstance(new ValidationError({ field: 'x', value: 1, expected: 'y' })),
    ).toBe(false);
    expect(err).toMatchObject({
      name: 'UnsupportedProtocolError',
      variable,
      value,
      accepted: ['http/protobuf', 'http/json', 'grpc'],
    });
    expect((err as Error).message).toBe(
      `${variable} must be one of http/protobuf, http/json, grpc, got ${JSON.stringify(value)}`,
    );
  });

  it('rejects an unknown protocol option, naming the option', () => {
    expect(thrown(() => resolve({ tracesProtocol: 'thrift' as never }))).toMatchObject({
      name: 'UnsupportedProtocolError',
      variable: 'tracesProtocol',
    });
  });

  it('treats empty protocol variables as unset and accepts any letter case', () => {
    const { config } = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: '  ',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/JSON',
      },
    );
    expect(config.traces.otlp?.protocol).toBe('http/json');
    expect(config.metrics.otlp?.protocol).toBe('http/protobuf');
  });
});

describe('resolveSetup: OTLP endpoints, timeouts, compression and TLS per signal', () => {
  it('uses a per-signal endpoint as is over gRPC and over HTTP', () => {
    const { config } = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example:4317',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/custom',
      },
    );
    expect(config.traces.otlp).toMatchObject({
      url: 'https://traces.example:4317',
      tls: { insecure: false },
    });
    expect(config.metrics.url).toBe('http://metrics:4318/custom');
  });

  it('takes host:port for gRPC, with TLS unless OTEL_EXPORTER_OTLP_INSECURE says otherwise', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    const secure = resolve({}, env).config.traces.otlp;
    expect(secure).toMatchObject({ url: 'https://collector:4317', tls: { insecure: false } });
    const insecure = resolve({}, { ...env, OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'true' }).config;
    expect(insecure.traces.otlp).toMatchObject({ url: 'http://collector:4317', tls: { insecure: true } });
    expect(insecure.metrics.otlp?.tls.insecure).toBe(false);
    // The scheme decides when there is one.
    const http = resolve(
      {},
      { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_INSECURE: 'false' },
    );
    expect(http.config.traces.otlp?.tls.insecure).toBe(true);
  });

  it('does not take host:port for the HTTP protocols', () => {
    const { config, warnings } = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' });
    expect(config.traces.exporters).toEqual(['console']);
    expect(warnings).toEqual([expect.stringContaining('is not an http(s) URL')]);
    expect(() => resolve({ endpoint: 'collector:4318' })).toThrow(ValidationError);
    expect(resolve({ endpoint: 'collector:4317', protocol: 'grpc' }).config.traces.url).toBe(
      'https://collector:4317',
    );
  });

  it('reads per-signal timeouts over the general one, an explicit exportTimeoutMs over both', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '7000',
    };
    const fromEnv = resolve({}, env).config;
    expect(fromEnv.traces.otlp?.timeoutMs).toBe(2000);
    expect(fromEnv.metrics.otlp?.timeoutMs).toBe(7000);
    // Shutdown waits for the slowest signal.
    expect(fromEnv.shutdownTimeoutMs).toBe(8000);
    const explicit = resolve({ exportTimeoutMs: 500 }, env).config;
    expect(explicit.metrics.otlp?.timeoutMs).toBe(500);
  });

  it('reads gzip compression per signal, reporting an unknown one', () => {
    const { config, warnings } = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'zstd',
      },
    );
    expect(config.traces.otlp?.compression).toBe('gzip');
    expect(config.metrics.otlp?.compression).toBe('gzip');
    expect(warnings).toEqual([expect.stringContaining('OTEL_EXPORTER_OTLP_METRICS_COMPRESSION="zstd"')]);
    expect(
      resolve(
        { compression: 'none' },
        { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_TRACES_EXPORTER: 'otlp' },
      ).config.traces.otlp?.compression,
    ).toBe('none');
    expect(() => resolve({ compression: 'br' as never })).toThrow(ValidationError);
  });

  it('reads the TLS file variables per signal over the general ones', () => {
    const { config } = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318',
        OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/ca.pem',
        OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/etc/traces-ca.pem',
        OTEL_EXPORTER_OTLP_CLIENT_KEY: '/etc/key.pem',
        OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: '/etc/metrics-cert.pem',
      },
    );
    expect(config.traces.otlp?.tls).toEqual({
      certificate: '/etc/traces-ca.pem',
      clientKey: '/etc/key.pem',
      insecure: false,
    });
    expect(config.metrics.otlp?.tls).toEqual({
      certificate: '/etc/ca.pem',
      clientKey: '/etc/key.pem',
      clientCertificate: '/etc/metrics-cert.pem',
      insecure: false,
    });
  });
});
