/**
 * OTLP receivers on loopback that decode protobuf independently of agentrace and of the OTel JS exporters: the
 * published OTLP `.proto` definitions (as shipped in `@opentelemetry/otlp-grpc-exporter-base@0.36.1`'s
 * `build/protos`, opentelemetry-proto v0.19, wire-compatible with what current exporters send for the fields read
 * here) read by protobufjs for OTLP/HTTP, and by `@grpc/proto-loader` for a `@grpc/grpc-js` server implementing the
 * OTLP trace and metrics services.
 *
 * Decoded requests are normalised to the OTLP/JSON shape (camelCase fields, hex ids, numbers), so the helpers of
 * `otlp.ts` (`spansOf`, `decodeAttributes`) read them as they read JSON payloads.
 */

import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { Received } from './otlp.js';

const require = createRequire(import.meta.url);

/** Where the `.proto` files are: `opentelemetry/proto/...` below it. */
export const PROTOS_DIR = join(
  dirname(require.resolve('@opentelemetry/otlp-grpc-exporter-base/package.json')),
  'build',
  'protos',
);

const TRACE_SERVICE = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';
const METRICS_SERVICE = 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto';

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, bytes: Buffer as never };

let root: protobuf.Root | undefined;

function otlpRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => join(PROTOS_DIR, target);
  r.loadSync([TRACE_SERVICE, METRICS_SERVICE]);
  root = r;
  return r;
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** Bytes ids to hex, as OTLP/JSON has them; everything else as decoded. */
function normalise(value: unknown, key = ''): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const hex = Buffer.from(value).toString('hex');
    return ID_FIELDS.has(key) ? (hex === '' ? undefined : hex) : hex;
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalise(v, k);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return value;
}

/** Decodes an `ExportTraceServiceRequest` or `ExportMetricsServiceRequest` (by URL path) from protobuf bytes. */
export function decodeOtlpProtobuf(path: string, bytes: Uint8Array): unknown {
  const type = otlpRoot().lookupType(
    path.endsWith('/v1/metrics')
      ? 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'
      : 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  );
  return normalise(type.toObject(type.decode(bytes), TO_OBJECT));
}

/** One request as it came over the wire, for byte counts. */
export interface ReceivedWire extends Received {
  /** Bytes of the request body as sent (compressed, when it was). */
  readonly wireBytes: number;
  readonly contentType: string | undefined;
}

function recorder() {
  const requests: ReceivedWire[] = [];
  const waiters: Array<{ path: string; resolve: () => void }> = [];
  return {
    requests,
    push(r: ReceivedWire) {
      requests.push(r);
      for (const w of waiters.filter((x) => x.path === r.path)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    next(path: string): Promise<void> {
      return new Promise((resolve) => waiters.push({ path, resolve }));
    },
  };
}

/**
 * A loopback OTLP/HTTP receiver for `application/x-protobuf` (gzip or not); a JSON request is parsed as JSON, so
 * one receiver can take either protocol.
 */
export async function startOtlpProtobufReceiver(opts: { onRequest?: (r: ReceivedWire) => void } = {}) {
  const rec = recorder();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wire = Buffer.concat(chunks);
      const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
      const path = req.url ?? '';
      const contentType = req.headers['content-type'];
      const body = contentType?.startsWith('application/x-protobuf')
        ? decodeOtlpProtobuf(path, raw)
        : raw.length > 0
          ? JSON.parse(raw.toString('utf8'))
          : undefined;
      const received = { path, headers: req.headers, body, wireBytes: wire.length, contentType };
      rec.push(received);
      opts.onRequest?.(received);
      res.setHeader('content-type', contentType ?? 'application/x-protobuf');
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests: rec.requests,
    next: rec.next,
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

type ServiceDef = grpc.ServiceDefinition;

function serviceDefinitions(): { trace: ServiceDef; metrics: ServiceDef } {
  const definition = protoLoader.loadSync([TRACE_SERVICE, METRICS_SERVICE], {
    includeDirs: [PROTOS_DIR],
    keepCase: false,
    longs: Number,
    enums: Number,
    bytes: Buffer,
    defaults: false,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    opentelemetry: {
      proto: {
        collector: {
          trace: { v1: { TraceService: { service: ServiceDef } } };
          metrics: { v1: { MetricsService: { service: ServiceDef } } };
        };
      };
    };
  };
  const { collector } = pkg.opentelemetry.proto;
  return {
    trace: collector.trace.v1.TraceService.service,
    metrics: collector.metrics.v1.MetricsService.service,
  };
}

/**
 * A loopback OTLP/gRPC receiver (`TraceService/Export`, `MetricsService/Export`). Requests are recorded under the
 * OTLP/HTTP paths (`/v1/traces`, `/v1/metrics`) so the same helpers read them; `headers` holds the call metadata.
 */
export async function startOtlpGrpcReceiver() {
  const rec = recorder();
  const server = new grpc.Server();
  const { trace, metrics } = serviceDefinitions();
  const handler =
    (path: string) =>
    (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const metadata = call.metadata.getMap();
      rec.push({
        path,
        headers: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
        body: normalise(call.request),
        wireBytes: 0,
        contentType: 'application/grpc',
      });
      callback(null, {});
    };
  server.addService(trace, { Export: handler('/v1/traces') });
  server.addService(metrics, { Export: handler('/v1/metrics') });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    requests: rec.requests,
    next: rec.next,
    close(): Promise<void> {
      return new Promise((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
