/**
 * The demo over each OTLP protocol, configured only by the standard variables, as a user with a collector of their
 * own would: `OTEL_EXPORTER_OTLP_ENDPOINT` alone (http/protobuf, the specification's default), then
 * `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, and `http/json` as the reference. The receivers decode with the published
 * OTLP `.proto` definitions through protobufjs and a `@grpc/grpc-js` server (test/helpers/otlp-proto.ts), never
 * with agentrace's or the exporters' code. Each protocol must carry the whole run: the resource named from the
 * environment, the same span tree, and the metrics with the cost the demo printed and one duration per model
 * call (each recovery attempt, `error.type` on the failed ones) beside one turn duration per turn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../examples/demo/run-demo.js';
import { type DecodedSpan, decodeAttributes, type OtlpAttr, spansOf } from './helpers/otlp.js';
import { startOtlpGrpcReceiver, startOtlpProtobufReceiver } from './helpers/otlp-proto.js';

const SEED = 11;
const SERVICE = 'research-bot';

interface Run {
  readonly result: DemoResult;
  readonly printed: string;
  readonly requests: ReadonlyArray<{
    path: string;
    body: unknown;
    contentType: string | undefined;
    headers: Record<string, unknown>;
  }>;
  readonly spans: DecodedSpan[];
}

const runs = new Map<string, Run>();

async function run(protocol: 'http/protobuf' | 'grpc' | 'http/json'): Promise<Run> {
  const receiver = protocol === 'grpc' ? await startOtlpGrpcReceiver() : await startOtlpProtobufReceiver();
  try {
    let printed = '';
    const result = await runDemo({
      seed: SEED,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
        // The default protocol is asked for by setting nothing at all.
        ...(protocol !== 'http/protobuf' && { OTEL_EXPORTER_OTLP_PROTOCOL: protocol }),
        // Headers (as gRPC metadata there) and gzip, as a vendor endpoint would want them.
        ...(protocol === 'grpc' && {
          OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret%20value',
          OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        }),
        ...(protocol === 'http/protobuf' && { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=traces-only' }),
      },
      output: {
        write: (s: string) => {
          printed += s;
          return true;
        },
      },
    });
    return { result, printed, requests: receiver.requests, spans: spansOf(receiver.requests) };
  } finally {
    await receiver.close();
  }
}

beforeAll(async () => {
  for (const protocol of ['http/protobuf', 'grpc', 'http/json'] as const)
    runs.set(protocol, await run(protocol));
}, 90_000);

afterAll(() => runs.clear());

interface MetricPoint {
  attributes?: OtlpAttr[];
  asDouble?: number;
  asInt?: number;
  count?: number;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: MetricPoint[]; isMonotonic?: boolean };
  histogram?: { dataPoints: MetricPoint[] };
}

/** The metrics of the last export (cumulative: it holds the whole run), with their resource. */
function lastMetrics(r: Run): { resource: Record<string, unknown>; metrics: Map<string, OtlpMetric> } {
  const last = r.requests.filter((q) => q.path === '/v1/metrics').at(-1)?.body as {
    resourceMetrics: Array<{
      resource: { attributes: OtlpAttr[] };
      scopeMetrics: Array<{ scope: { name: string }; metrics: OtlpMetric[] }>;
    }>;
  };
  expect(last, 'a metrics export').toBeDefined();
  const rm = last.resourceMetrics[0]!;
  const metrics = new Map<string, OtlpMetric>();
  for (const sm of rm.scopeMetrics.filter((s) => s.scope.name === '@agentrace/core')) {
    for (const m of sm.metrics) metrics.set(m.name, m);
  }
  return { resource: decodeAttributes(rm.resource.attributes), metrics };
}

/** The span tree as names: each span with its parent's name, sorted (ids and timings differ between runs). */
function shape(spans: DecodedSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans
    .map((s) => `${s.parentSpanId ? (byId.get(s.parentSpanId)?.name ?? '?') : '(root)'} > ${s.name}`)
    .sort();
}

describe.each(['http/protobuf', 'grpc'])('the demo over OTLP %s', (protocol) => {
  const get = () => runs.get(protocol) as Run;

  it('used the protocol, delivered everything, and said so', () => {
    const { result, printed, requests } = get();
    expect(result.dropped).toEqual({ spans: 0, metricExports: 0, metricPoints: 0 });
    expect(result.highlights.filter((h) => !h.shown)).toEqual([]);
    const types = new Set(requests.map((q) => q.contentType));
    expect(types).toEqual(new Set([protocol === 'grpc' ? 'application/grpc' : 'application/x-protobuf']));
    expect(printed).toContain(`Traces were exported to `);
    expect(printed).toContain(`(${protocol})`);
    expect(printed).toContain(`Cost by agent and model (${SERVICE})`);
  });

  it('sent the headers the variables name, per signal where asked', () => {
    const { requests } = get();
    const key = (path: string) =>
      new Set(requests.filter((q) => q.path === path).map((q) => q.headers['x-api-key']));
    if (protocol === 'grpc') {
      expect(key('/v1/traces')).toEqual(new Set(['s3cret value']));
      expect(key('/v1/metrics')).toEqual(new Set(['s3cret value']));
    } else {
      expect(key('/v1/traces')).toEqual(new Set(['traces-only']));
      expect(key('/v1/metrics')).toEqual(new Set([undefined]));
    }
  });

  it('carries the resource named from the environment on spans and metrics', () => {
    const { spans } = get();
    const expected = {
      'service.name': SERVICE,
      'deployment.environment.name': 'test',
      'agentrace.demo.simulated': true,
      'agentrace.demo.seed': SEED,
      'telemetry.sdk.language': 'nodejs',
    };
    expect(new Set(spans.map((s) => s.resource['service.name']))).toEqual(new Set([SERVICE]));
    expect(spans[0]?.resource).toMatchObject(expected);
    expect(lastMetrics(get()).resource).toMatchObject(expected);
  });

  it('carries the same span tree as OTLP/JSON, in the trace the demo reported', () => {
    const { spans, result } = get();
    const json = runs.get('http/json') as Run;
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([result.rounds[0]?.traceId]));
    expect(spans.filter((s) => !s.parentSpanId).map((s) => s.name)).toEqual([
      'invoke_workflow research-report',
    ]);
    expect(shape(spans)).toEqual(shape(json.spans));
    expect(spans.length).toBeGreaterThan(15);
    // Attributes, events and links decode to the same values too.
    const attempts = (list: DecodedSpan[]) =>
      list
        .filter((s) => s.name.startsWith('attempt '))
        .map(
          (s) =>
            `${s.name} ${s.attrs['error.type'] ?? 'ok'} ${(s.events ?? []).map((e) => e.name).join(',')}`,
        )
        .sort();
    expect(attempts(spans)).toEqual(attempts(json.spans));
    const links = (list: DecodedSpan[]) => list.reduce((n, s) => n + (s.links?.length ?? 0), 0);
    expect(links(spans)).toBe(links(json.spans));
    expect(links(spans)).toBeGreaterThan(0);
  });

  it('carries the cost the demo printed, per agent and model', () => {
    const { metrics } = lastMetrics(get());
    const { result } = get();
    const cost = metrics.get('agentrace.cost');
    expect(cost?.sum?.isMonotonic).toBe(true);
    const byRow = new Map<string, number>();
    for (const p of cost?.sum?.dataPoints ?? []) {
      const a = decodeAttributes(p.attributes);
      const key = `${a['gen_ai.agent.name']}|${a['gen_ai.request.model']}`;
      byRow.set(key, (byRow.get(key) ?? 0) + (p.asDouble ?? 0));
    }
    expect(result.costs.rows.length).toBeGreaterThanOrEqual(4);
    expect([...byRow.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(result.costs.total.costUsd, 10);
    expect(result.costs.total.costUsd).toBeGreaterThan(0);
    for (const row of result.costs.rows) {
      // A row of failed calls only has no cost series at all.
      const got = byRow.get(`${row.agent}|${row.model}`) ?? 0;
      expect(got, `${row.agent}|${row.model}`).toBeCloseTo(row.costUsd, 10);
    }
  });

  it('records a duration per model call (each attempt, error.type on the failed ones) and one per turn', () => {
    const { metrics } = lastMetrics(get());
    const turns = get().result.rounds.flatMap((r) => r.turns);
    const attempts = turns.flatMap((t) => t.attempts);
    const failed = new Map<string, number>();
    for (const a of attempts.filter((x) => x.outcome === 'failed')) {
      failed.set(a.errorType ?? '?', (failed.get(a.errorType ?? '?') ?? 0) + 1);
    }
    expect(failed.size).toBeGreaterThanOrEqual(2);

    const operation = metrics.get('gen_ai.client.operation.duration');
    expect(operation?.unit).toBe('s');
    const points = operation?.histogram?.dataPoints ?? [];
    const count = (filter: (a: Record<string, unknown>) => boolean) =>
      points.filter((p) => filter(decodeAttributes(p.attributes))).reduce((n, p) => n + (p.count ?? 0), 0);
    expect(count(() => true)).toBe(attempts.length);
    for (const [errorType, n] of failed)
      expect(
        count((a) => a['error.type'] === errorType),
        errorType,
      ).toBe(n);
    expect(count((a) => a['error.type'] === undefined)).toBe(
      attempts.filter((a) => a.outcome === 'succeeded').length,
    );

    const turn = metrics.get('agentrace.turn.duration');
    expect(turn?.unit).toBe('s');
    const turnCount = (turn?.histogram?.dataPoints ?? []).reduce((n, p) => n + (p.count ?? 0), 0);
    expect(turnCount).toBe(turns.length);
    expect(attempts.length).toBeGreaterThan(turns.length);
  });
});
