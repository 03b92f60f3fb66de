import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A model provider on loopback HTTP, for tests with the real client packages. It is SIMULATED: it answers
 * whatever replies the test queued, in order, as the provider would put them on the wire (JSON bodies,
 * server-sent events, error statuses and headers). It knows no model and checks no API key.
 */

/** A streamed reply: server-sent events, one `data:` line per event. */
export interface FakeStream {
  readonly events: readonly unknown[];
  /** Write `event: <type>` before each `data:` line (Anthropic and the OpenAI Responses API do). */
  readonly named?: boolean;
  /** End with `data: [DONE]` (OpenAI Chat Completions does). */
  readonly doneMarker?: boolean;
  /** Hold the rest of the stream after this many events until `resume` settles. */
  readonly pauseAfter?: number;
  readonly resume?: Promise<void>;
}

/** One queued reply. */
export interface FakeReply {
  /** HTTP status (default 200). */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body. */
  readonly json?: unknown;
  /** A server-sent-events body. */
  readonly sse?: FakeStream;
  /** Answer nothing (not even the headers) until this settles: a provider too slow for the client's timeout. */
  readonly hold?: Promise<void>;
}

/** A request the fake provider received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (or the raw text when it was not JSON). */
  readonly body: unknown;
}

/** How a streamed reply ended on the server side. */
export interface StreamEnd {
  /** Events written before the end. */
  readonly written: number;
  /** Whether the client went away before the stream was complete. */
  readonly clientClosedEarly: boolean;
}

export interface FakeProvider {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Queues replies, answered in order whatever the path. */
  enqueue(...replies: FakeReply[]): void;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** How each streamed reply ended, in order; resolves once it has. */
  streamEnd(index: number): Promise<StreamEnd>;
  close(): Promise<void>;
}

function sseFrame(event: unknown, named: boolean): string {
  const type =
    named && typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  const name = typeof type === 'string' ? `event: ${type}\n` : '';
  return `${name}data: ${JSON.stringify(event)}\n\n`;
}

/** Starts a fake provider on a free loopback port. */
export async function startFakeProvider(): Promise<FakeProvider> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const ends: { promise: Promise<StreamEnd>; resolve: (end: StreamEnd) => void }[] = [];
  const endAt = (index: number) => {
    while (ends.length <= index) {
      let resolve!: (end: StreamEnd) => void;
      const promise = new Promise<StreamEnd>((r) => {
        resolve = r;
      });
      ends.push({ promise, resolve });
    }
    return ends[index]!;
  };
  let streams = 0;

  async function writeStream(res: ServerResponse, stream: FakeStream, index: number): Promise<void> {
    let closed = false;
    res.on('close', () => {
      closed = !res.writableFinished;
    });
    let written = 0;
    for (const event of stream.events) {
      if (closed) break;
      if (stream.pauseAfter !== undefined && written === stream.pauseAfter) await stream.resume;
      if (closed) break;
      res.write(sseFrame(event, stream.named ?? false));
      written++;
      // Let the socket flush each event on its own, as a real provider's token stream arrives.
      await new Promise((r) => setImmediate(r));
    }
    if (!closed) {
      if (stream.doneMarker) res.write('data: [DONE]\n\n');
      res.end();
    }
    endAt(index).resolve({ written, clientClosedEarly: closed });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        // Keep the raw text.
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const reply = queue.shift();
      if (reply === undefined) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'fake provider: no reply queued', type: 'test_error' } }));
        return;
      }
      if (reply.hold) {
        void reply.hold.then(() => {
          if (!res.destroyed) answer(res, reply);
        });
        return;
      }
      answer(res, reply);
    });
  });

  function answer(res: ServerResponse, reply: FakeReply): void {
    const status = reply.status ?? 200;
    if (reply.sse) {
      res.writeHead(status, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        ...reply.headers,
      });
      void writeStream(res, reply.sse, streams++);
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.json ?? {}));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    requests,
    streamEnd: (index) => endAt(index).promise,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
