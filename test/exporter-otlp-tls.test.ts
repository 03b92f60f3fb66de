/**
 * The OTLP TLS variables against real TLS receivers on loopback, with certificates made by `openssl` for the test:
 * `OTEL_EXPORTER_OTLP_CERTIFICATE` makes a private CA trusted (over HTTPS and over gRPC with TLS, the latter from a
 * `host:port` endpoint with no scheme), `OTEL_EXPORTER_OTLP_CLIENT_KEY` / `_CLIENT_CERTIFICATE` answer a receiver
 * that demands a client certificate, and without them the exports fail and are counted as dropped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupTelemetry, type TelemetryEnv } from '@agentrace/otel-exporter';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOS_DIR } from './helpers/otlp-proto.js';

let dir: string;
const file = (name: string) => join(dir, name);

/** A self-signed certificate for 127.0.0.1 (it is its own CA), as PEM files `<name>.key` and `<name>.crt`. */
function selfSigned(name: string, cn: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
    ],
    { stdio: 'ignore' },
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentrace-tls-'));
  selfSigned('server', 'otlp-receiver');
  selfSigned('client', 'agentrace-client');
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function httpsReceiver(opts: { requireClientCert: boolean }) {
  const paths: string[] = [];
  const server: Server = createServer(
    {
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.crt')),
      ...(opts.requireClientCert && {
        requestCert: true,
        rejectUnauthorized: true,
        ca: readFileSync(file('client.crt')),
      }),
    },
    (req, res) => {
      paths.push(`${req.url} ${req.headers['content-type']}`);
      req.resume().on('end', () => res.end());
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

async function send(env: TelemetryEnv) {
  const warnings: string[] = [];
  const handle = setupTelemetry({
    env: { OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_TIMEOUT: '5000', ...env },
    registerGlobal: false,
    warn: (m) => warnings.push(m),
  });
  const tracer = handle.tracerProvider.getTracer('tls-test');
  for (let i = 0; i < 3; i++) tracer.startSpan(`span ${i}`).end();
  await handle.shutdown();
  return { dropped: handle.dropped, warnings };
}

describe('OTLP over HTTPS', () => {
  it('trusts the CA of OTEL_EXPORTER_OTLP_CERTIFICATE, and refuses the receiver without it', async () => {
    const receiver = await httpsReceiver({ requireClientCert: false });
    try {
      const trusted = await send({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_CERTIFICATE: file('server.crt'),
      });
      expect(trusted).toEqual({ dropped: { spans: 0, metricExports: 0, metricPoints: 0 }, warnings: [] });
      expect(receiver.paths).toEqual(['/v1/traces application/x-protobuf']);

      const untrusted = await send({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
      expect(untrusted.dropped.spans).toBe(3);
      expect(untrusted.warnings).toEqual([expect.stringMatching(/self[- ]signed certificate/i)]);
      expect(receiver.paths).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('presents the client key and certificate to a receiver that demands one (mTLS), per signal', async () => {
    const receiver = await httpsReceiver({ requireClientCert: true });
    try {
      const withCert = await send({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_CERTIFICATE: file('server.crt'),
        OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: file('client.key'),
        OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: file('client.crt'),
      });
      expect(withCert.dropped.spans).toBe(0);
      expect(receiver.paths).toEqual(['/v1/traces application/x-protobuf']);

      const without = await send({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_CERTIFICATE: file('server.crt'),
      });
      expect(without.dropped.spans).toBe(3);
      expect(receiver.paths).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('OTLP over gRPC with TLS', () => {
  it('uses TLS for a host:port endpoint, trusting OTEL_EXPORTER_OTLP_CERTIFICATE', async () => {
    const definition = protoLoader.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', {
      includeDirs: [PROTOS_DIR],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      opentelemetry: {
        proto: { collector: { trace: { v1: { TraceService: { service: grpc.ServiceDefinition } } } } };
      };
    };
    let exports = 0;
    const server = new grpc.Server();
    server.addService(pkg.opentelemetry.proto.collector.trace.v1.TraceService.service, {
      Export: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        exports += 1;
        callback(null, {});
      },
    });
    const credentials = grpc.ServerCredentials.createSsl(null, [
      { private_key: readFileSync(file('server.key')), cert_chain: readFileSync(file('server.crt')) },
    ]);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
      const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${port}` };
      const trusted = await send({ ...env, OTEL_EXPORTER_OTLP_CERTIFICATE: file('server.crt') });
      expect(trusted.dropped.spans).toBe(0);
      expect(exports).toBe(1);
      // OTEL_EXPORTER_OTLP_INSECURE=true means plaintext: a TLS-only receiver cannot be reached so.
      const plaintext = await send({ ...env, OTEL_EXPORTER_OTLP_INSECURE: 'true' });
      expect(plaintext.dropped.spans).toBe(3);
      expect(exports).toBe(1);
    } finally {
      await new Promise<void>((r) => server.tryShutdown(() => r()));
    }
  });
});
