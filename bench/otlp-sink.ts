// A loopback OTLP sink for otlp-export.ts, run as a child process so its CPU time is not the bench's: an HTTP
// server answering every POST with 200, and a gRPC server answering TraceService/Export without decoding the
// message. Each sits behind a TCP relay that counts the bytes the exporter sent (headers, framing and body).
// Tells its parent the ports, then answers `{ type: 'bytes' }` with the counts so far.
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';

const received = { http: 0, grpc: 0 };

function listen(server: {
  listen: (port: number, host: string, cb: () => void) => unknown;
  address: () => unknown;
}) {
  return new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** A relay to `targetPort` that adds every byte the client sends to `received[kind]`. */
async function relay(kind: 'http' | 'grpc', targetPort: number): Promise<number> {
  const server = createTcpServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      received[kind] += chunk.length;
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return listen(server);
}

const http = createHttpServer((req, res) => {
  req.resume().on('end', () => {
    res.setHeader('content-type', req.headers['content-type'] ?? 'application/json');
    res.end(req.headers['content-type']?.includes('json') ? '{}' : '');
  });
});
const httpPort = await listen(http);

const raw = (b: Buffer) => b;
const server = new grpc.Server();
server.addService(
  {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  },
  { Export: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.alloc(0)) },
);
const grpcPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
    err ? reject(err) : resolve(port),
  ),
);

const ports = { http: await relay('http', httpPort), grpc: await relay('grpc', grpcPort) };
process.send?.({ type: 'ports', ports });
process.on('message', (m: { type: string }) => {
  if (m.type === 'bytes') process.send?.({ type: 'bytes', received: { ...received } });
});
process.on('disconnect', () => process.exit(0));
