// Loopback servers that misbehave the way real collectors and networks do. Each answers on 127.0.0.1 and an
// ephemeral port; the OTLP exporters under test talk to it over real HTTP (or fail to, which is the point).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** The collector faults the suite emulates, as `as const` values. */
export const CollectorFault = {
  /** A healthy collector (200, an empty OTLP response): the baseline every fault is compared with. */
  HEALTHY: 'healthy',
  /** Nothing listens on the port (connection refused). */
  NOT_THERE: 'not_there',
  /** Accepts the connection and the request, never answers. */
  HANGS: 'hangs',
  /** 500 Internal Server Error. */
  ERROR_500: 'error_500',
  /** 503 with `Retry-After: 1` (the OTLP exporter's retryable case). */
  UNAVAILABLE_503: 'unavailable_503_retry_after',
  /** Answers 200, but only after 5 s. */
  SLOW_5S: 'slow_5s',
  /** Resets the connection as soon as the request arrives. */
  RESET: 'connection_reset',
  /** The exporter speaks TLS (`https://`) to a server that answers the handshake with plaintext garbage. */
  TLS_HANDSHAKE_FAILURE: 'tls_handshake_failure',
  /** 200 with a body that is not an OTLP response. */
  GARBAGE_200: 'garbage_200',
} as const;
/** One of {@link CollectorFault}. */
export type CollectorFault = (typeof CollectorFault)[keyof typeof CollectorFault];

/** Every fault, baseline excluded. */
export const COLLECTOR_FAULTS: readonly CollectorFault[] = Object.values(CollectorFault).filter(
  (f) => f !== CollectorFault.HEALTHY,
);

/** A running faulty collector. */
export interface FaultyCollector {
  readonly fault: CollectorFault;
  /** The OTLP base endpoint to hand the exporter (`http://` or, for the TLS fault, `https://`). */
  readonly endpoint: string;
  /** Requests (or, for TCP-level faults, connections) received. */
  readonly requests: number;
  close(): Promise<void>;
}

const SLOW_MS = 5000;

/** Starts a collector with `fault` on 127.0.0.1 and an ephemeral port. */
export async function startFaultyCollector(fault: CollectorFault): Promise<FaultyCollector> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let server: Server;
  let scheme = 'http';
  if (fault === CollectorFault.TLS_HANDSHAKE_FAILURE) {
    scheme = 'https';
    server = createTcpServer((socket) => {
      requests++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      // Not a ServerHello: the client's TLS layer fails the handshake ("wrong version number" or the like).
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nnot tls');
    });
  } else {
    server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      requests++;
      req.on('error', () => {});
      res.on('error', () => {});
      req.resume();
      req.on('end', () => answer(fault, req, res, timers));
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  if (fault === CollectorFault.NOT_THERE) {
    // Keep the port number, drop the listener: connections to it are refused.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  let closed = false;
  return {
    fault,
    endpoint: `${scheme}://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      if (fault === CollectorFault.NOT_THERE) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(
  fault: CollectorFault,
  req: IncomingMessage,
  res: ServerResponse,
  timers: Set<NodeJS.Timeout>,
): void {
  const json = String(req.headers['content-type'] ?? '').includes('json');
  const ok = () => {
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : Buffer.alloc(0));
  };
  switch (fault) {
    case CollectorFault.HEALTHY:
      ok();
      return;
    case CollectorFault.HANGS:
      return; // never answers; the socket stays open until the client gives up or close() destroys it
    case CollectorFault.ERROR_500:
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
      return;
    case CollectorFault.UNAVAILABLE_503:
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
      res.end('unavailable');
      return;
    case CollectorFault.SLOW_5S: {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) ok();
      }, SLOW_MS);
      timers.add(t);
      return;
    }
    case CollectorFault.RESET:
      req.socket.resetAndDestroy();
      return;
    case CollectorFault.GARBAGE_200:
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x7b, 0x7b, 0x6e, 0x6f, 0x74]));
      return;
    default:
      res.writeHead(500);
      res.end();
  }
}
