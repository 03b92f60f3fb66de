import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP/JSON attribute value, as the OTel JS OTLP/HTTP exporters send it. */
export type OtlpValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
};
export type OtlpAttr = { key: string; value: OtlpValue };

/** An OTLP/JSON span. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttr[];
  events?: Array<{ name: string; attributes?: OtlpAttr[] }>;
  links?: Array<{ traceId: string; spanId: string; attributes?: OtlpAttr[] }>;
  status?: { code?: number; message?: string };
}

/** A decoded span: its attributes, resource and scope as plain values. */
export interface DecodedSpan extends OtlpSpan {
  readonly attrs: Record<string, unknown>;
  readonly resource: Record<string, unknown>;
  readonly scope: string;
}

/** One request a receiver got. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export const SPAN_KIND_INTERNAL = 1;
export const SPAN_KIND_CLIENT = 3;
export const STATUS_CODE_ERROR = 2;

function decodeValue(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

/** OTLP/JSON attributes as a plain object. */
export function decodeAttributes(list: OtlpAttr[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, decodeValue(a.value)]));
}

/** Every span of the `/v1/traces` requests, decoded. */
export function spansOf(requests: ReadonlyArray<{ path: string; body: unknown }>): DecodedSpan[] {
  const out: DecodedSpan[] = [];
  for (const r of requests.filter((req) => req.path === '/v1/traces')) {
    const body = r.body as {
      resourceSpans: Array<{
        resource: { attributes: OtlpAttr[] };
        scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>;
      }>;
    };
    for (const rs of body.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          out.push({
            ...s,
            attrs: decodeAttributes(s.attributes),
            resource: decodeAttributes(rs.resource.attributes),
            scope: ss.scope.name,
          });
        }
      }
    }
  }
  return out;
}

/** A loopback OTLP/HTTP receiver: records each request, answers as `respond` says (default 200 `{}`). */
export async function startOtlpReceiver(respond?: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: Received[] = [];
  const waiters: Array<{ path: string; resolve: () => void }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      requests.push({ path: req.url ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : undefined });
      for (const w of waiters.filter((w) => w.path === req.url)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (respond) respond(req, res);
      else {
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    /** Resolves when the next request to `path` has arrived. */
    next(path: string): Promise<void> {
      return new Promise((resolve) => waiters.push({ path, resolve }));
    },
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
