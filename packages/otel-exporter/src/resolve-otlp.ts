import { ValidationError } from '@agentrace/core';
import type { EnvReader } from './env.js';
import { DEFAULT_OTLP_PROTOCOL, OtlpCompression, OtlpProtocol, parseProtocol } from './otlp-protocol.js';
import type { SetupTelemetryOptions } from './telemetry-options.js';

/** A signal that can go over OTLP. */
export type OtlpSignal = 'traces' | 'metrics';

/** TLS files (paths, as configured) and the gRPC `insecure` switch of one signal. */
export interface ResolvedOtlpTls {
  /** Trusted CA certificate(s), PEM (`OTEL_EXPORTER_OTLP_CERTIFICATE`). */
  readonly certificate?: string;
  /** Client private key for mTLS, PEM (`OTEL_EXPORTER_OTLP_CLIENT_KEY`). */
  readonly clientKey?: string;
  /** Client certificate chain for mTLS, PEM (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`). */
  readonly clientCertificate?: string;
  /** gRPC without transport security (an `http://` endpoint, or `OTEL_EXPORTER_OTLP_INSECURE=true`). */
  readonly insecure: boolean;
}

/** How one signal is sent over OTLP. */
export interface ResolvedOtlpTransport {
  readonly protocol: OtlpProtocol;
  /** Where it goes: a full URL for the HTTP protocols; for gRPC, the scheme, host and port (a path is ignored). */
  readonly url: string;
  readonly timeoutMs: number;
  readonly compression: OtlpCompression;
  readonly tls: ResolvedOtlpTls;
}

/** The defaults of the exporter specification, per protocol. */
export const DEFAULT_OTLP_ENDPOINTS = {
  http: 'http://localhost:4318',
  grpc: 'http://localhost:4317',
} as const;

const COMPRESSIONS = Object.values(OtlpCompression) as readonly string[];

/**
 * The protocol of a signal: the per-signal option, the general option, the per-signal variable, the general
 * variable, then the specification's default (`http/protobuf`).
 *
 * @throws {UnsupportedProtocolError} any of those names an unknown protocol.
 */
export function resolveProtocol(
  opts: SetupTelemetryOptions,
  env: EnvReader,
  signal: OtlpSignal,
): OtlpProtocol {
  const field = signal === 'traces' ? 'tracesProtocol' : 'metricsProtocol';
  const upper = signal.toUpperCase();
  // Every source is checked, even one that is overridden: a typo there is a bug waiting for the override to go.
  const candidates = [
    parseProtocol(field, opts[field]),
    parseProtocol('protocol', opts.protocol),
    parseProtocol(`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`, env.string(`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`)),
    parseProtocol('OTEL_EXPORTER_OTLP_PROTOCOL', env.string('OTEL_EXPORTER_OTLP_PROTOCOL')),
  ];
  return candidates.find((p) => p !== undefined) ?? DEFAULT_OTLP_PROTOCOL;
}

/**
 * The configured endpoint of a signal, or undefined when none is set anywhere. Per the exporter specification,
 * for the HTTP protocols a general endpoint (`endpoint`, `OTEL_EXPORTER_OTLP_ENDPOINT`) gets `/v1/<signal>`
 * appended to its path while a per-signal one is used as is; gRPC uses either as is.
 */
export function configuredEndpoint(
  opts: SetupTelemetryOptions,
  env: EnvReader,
  signal: OtlpSignal,
  protocol: OtlpProtocol,
): string | undefined {
  const grpc = protocol === OtlpProtocol.GRPC;
  const specificField = signal === 'traces' ? 'tracesEndpoint' : 'metricsEndpoint';
  const specific = endpointOption(specificField, opts[specificField], grpc);
  if (specific !== undefined) return specific;
  const base = endpointOption('endpoint', opts.endpoint, grpc);
  if (base !== undefined) return grpc ? base : joinUrl(base, `v1/${signal}`);
  const envSpecific = envEndpoint(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`, grpc);
  if (envSpecific !== undefined) return envSpecific;
  const envBase = envEndpoint(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', grpc);
  if (envBase === undefined) return undefined;
  return grpc ? envBase : joinUrl(envBase, `v1/${signal}`);
}

/** The specification's default endpoint of a signal for a protocol. */
export function defaultEndpoint(signal: OtlpSignal, protocol: OtlpProtocol): string {
  return protocol === OtlpProtocol.GRPC
    ? DEFAULT_OTLP_ENDPOINTS.grpc
    : joinUrl(DEFAULT_OTLP_ENDPOINTS.http, `v1/${signal}`);
}

/** The spec: the base endpoint gets `/v1/<signal>` appended, keeping any path it has. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

/**
 * Timeout, compression and TLS of a signal: per-signal variable over general variable over default; explicit
 * options (`exportTimeoutMs`, `compression`) over both.
 */
export function resolveTransport(
  opts: SetupTelemetryOptions,
  env: EnvReader,
  signal: OtlpSignal,
  protocol: OtlpProtocol,
  endpoint: string,
  timeouts: { readonly explicit: number | undefined; readonly fallback: number },
): ResolvedOtlpTransport {
  const upper = signal.toUpperCase();
  const pick = (suffix: string) =>
    env.string(`OTEL_EXPORTER_OTLP_${upper}_${suffix}`) ?? env.string(`OTEL_EXPORTER_OTLP_${suffix}`);
  const timeoutMs =
    timeouts.explicit ??
    env.number(`OTEL_EXPORTER_OTLP_${upper}_TIMEOUT`, (n) => n > 0, 'a positive number of milliseconds') ??
    timeouts.fallback;
  const compression = resolveCompression(opts, env, upper);
  const certificate = pick('CERTIFICATE');
  const clientKey = pick('CLIENT_KEY');
  const clientCertificate = pick('CLIENT_CERTIFICATE');
  const insecureVar =
    env.boolean(`OTEL_EXPORTER_OTLP_${upper}_INSECURE`) ?? env.boolean('OTEL_EXPORTER_OTLP_INSECURE');
  let url = endpoint;
  let insecure = false;
  if (protocol === OtlpProtocol.GRPC) {
    // The spec: the scheme decides; `insecure` applies only to an endpoint without one.
    if (/^https:\/\//i.test(endpoint)) insecure = false;
    else if (/^http:\/\//i.test(endpoint)) insecure = true;
    else {
      insecure = insecureVar === true;
      url = `${insecure ? 'http' : 'https'}://${endpoint}`;
    }
  }
  return {
    protocol,
    url,
    timeoutMs,
    compression,
    tls: {
      ...(certificate !== undefined && { certificate }),
      ...(clientKey !== undefined && { clientKey }),
      ...(clientCertificate !== undefined && { clientCertificate }),
      insecure,
    },
  };
}

/**
 * The `compression` option, checked.
 *
 * @throws {ValidationError} it is not one of {@link OtlpCompression}.
 */
export function compressionOption(opts: SetupTelemetryOptions): OtlpCompression | undefined {
  if (opts.compression === undefined) return undefined;
  if (typeof opts.compression !== 'string' || !COMPRESSIONS.includes(opts.compression)) {
    throw new ValidationError({
      field: 'compression',
      value: opts.compression,
      expected: `one of ${COMPRESSIONS.join(', ')}`,
    });
  }
  return opts.compression;
}

function resolveCompression(opts: SetupTelemetryOptions, env: EnvReader, upper: string): OtlpCompression {
  const explicit = compressionOption(opts);
  if (explicit !== undefined) return explicit;
  for (const name of [`OTEL_EXPORTER_OTLP_${upper}_COMPRESSION`, 'OTEL_EXPORTER_OTLP_COMPRESSION']) {
    const raw = env.string(name)?.toLowerCase();
    if (raw === undefined) continue;
    if (COMPRESSIONS.includes(raw)) return raw as OtlpCompression;
    env.warn(`${name}=${JSON.stringify(raw)} is not one of ${COMPRESSIONS.join(', ')}; ignored`);
  }
  return OtlpCompression.NONE;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** gRPC also takes `host:port` with no scheme (then `insecure` decides on TLS). */
function isHostPort(value: string): boolean {
  return /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i.test(value);
}

function acceptable(value: string, grpc: boolean): boolean {
  return isHttpUrl(value) || (grpc && isHostPort(value));
}

function endpointOption(field: string, value: unknown, grpc: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !acceptable(value.trim(), grpc)) {
    throw new ValidationError({
      field,
      value,
      expected: grpc ? 'an http(s) URL or host:port' : 'an http(s) URL',
    });
  }
  return value.trim();
}

function envEndpoint(env: EnvReader, name: string, grpc: boolean): string | undefined {
  const raw = env.string(name);
  if (raw === undefined) return undefined;
  if (acceptable(raw, grpc)) return raw;
  env.warn(
    `${name}=${JSON.stringify(raw)} is not ${grpc ? 'an http(s) URL or host:port' : 'an http(s) URL'}; ignored`,
  );
  return undefined;
}
