import { readFileSync } from 'node:fs';
import { credentials, Metadata } from '@grpc/grpc-js';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OtlpProtocol } from './otlp-protocol.js';
import type { ResolvedOtlpTransport } from './resolve-otlp.js';

/** What the exporter factories need besides the resolved transport. */
export interface OtlpExporterInput {
  readonly transport: ResolvedOtlpTransport;
  readonly headers: Readonly<Record<string, string>>;
  /** Deadline of one request (the guard around the exporter may allow less). */
  readonly timeoutMs: number;
  /** Reports a TLS file that cannot be read (the export then goes on without it). */
  readonly warn: (message: string) => void;
}

/**
 * The official OTLP span exporter for the protocol. Every setting is passed explicitly, so the environment
 * `setupTelemetry` was given (not `process.env`, which the exporters would otherwise read) decides.
 */
export function createSpanExporter(input: OtlpExporterInput): SpanExporter {
  const { protocol } = input.transport;
  if (protocol === OtlpProtocol.GRPC) return new GrpcTraceExporter(grpcConfig(input));
  const config = httpConfig(input);
  return protocol === OtlpProtocol.HTTP_JSON ? new JsonTraceExporter(config) : new ProtoTraceExporter(config);
}

/** The official OTLP metric exporter for the protocol (see {@link createSpanExporter}). */
export function createMetricExporter(input: OtlpExporterInput): PushMetricExporter {
  const { protocol } = input.transport;
  if (protocol === OtlpProtocol.GRPC) return new GrpcMetricExporter(grpcConfig(input));
  const config = httpConfig(input);
  return protocol === OtlpProtocol.HTTP_JSON
    ? new JsonMetricExporter(config)
    : new ProtoMetricExporter(config);
}

interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function tlsFiles(input: OtlpExporterInput): TlsFiles {
  const { tls } = input.transport;
  const read = (path: string | undefined, what: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      input.warn(
        `agentrace: cannot read the OTLP ${what} ${JSON.stringify(path)} (${(err as Error).message}); exporting without it`,
      );
      return undefined;
    }
  };
  const ca = read(tls.certificate, 'certificate');
  const cert = read(tls.clientCertificate, 'client certificate');
  const key = read(tls.clientKey, 'client key');
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

function compression(input: OtlpExporterInput): CompressionAlgorithm {
  return input.transport.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
}

function httpConfig(input: OtlpExporterInput) {
  return {
    url: input.transport.url,
    headers: { ...input.headers },
    timeoutMillis: input.timeoutMs,
    compression: compression(input),
    // Always given, so the exporter does not read certificate paths from process.env on its own.
    httpAgentOptions: { keepAlive: true, ...tlsFiles(input) },
  };
}

function grpcConfig(input: OtlpExporterInput) {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(input.headers)) metadata.set(key, value);
  const files = tlsFiles(input);
  return {
    url: input.transport.url,
    metadata,
    timeoutMillis: input.timeoutMs,
    compression: compression(input),
    credentials: input.transport.tls.insecure
      ? credentials.createInsecure()
      : credentials.createSsl(files.ca ?? null, files.key ?? null, files.cert ?? null),
  };
}
