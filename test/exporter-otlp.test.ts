/**
 * `setupTelemetry` against real collectors on loopback: an OTLP/HTTP receiver (decoding the JSON the JS exporter
 * sends), a port with nothing listening, a server answering 500, and one that accepts and never answers.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AgentSession,
  CircuitBreaker,
  PermissionEnforcer,
  PermissionMode,
  PermissionPolicy,
  semconv as sc,
  UsageSnapshot,
} from '@agentrace/core';
import { type SetupTelemetryOptions, setupTelemetry, type TelemetryHandle } from '@agentrace/otel-exporter';
import { PriceTable } from '@agentrace/pricing';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeAttributes as attrs,
  type OtlpAttr,
  type Received,
  spansOf,
  startOtlpReceiver as startReceiver,
} from './helpers/otlp.js';

/** A loopback port with nothing listening on it: connections are refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

interface OtlpMetric {
  name: string;
  unit: string;
  sum?: { dataPoints: Array<{ attributes: OtlpAttr[]; asDouble?: number; asInt?: number | string }> };
  histogram?: {
    dataPoints: Array<{
      attributes: OtlpAttr[];
      explicitBounds: number[];
      count: number | string;
      sum: number;
    }>;
  };
}

/** The last export's metrics (cumulative: the last holds the totals). */
function lastMetrics(requests: Received[]): Map<string, OtlpMetric> {
  const last = requests.filter((r) => r.path === '/v1/metrics').at(-1);
  const out = new Map<string, OtlpMetric>();
  const body = last?.body as
    | { resourceMetrics: Array<{ scopeMetrics: Array<{ scope: { name: string }; metrics: OtlpMetric[] }> }> }
    | undefined;
  for (const rm of body?.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics) {
      if (sm.scope.name !== '@agentrace/core') continue;
      for (const m of sm.metrics) out.set(m.name, m);
    }
  }
  return out;
}

/** Counts the sampled spans that ended, to check every one is either delivered or counted as dropped. */
class EndedCounter implements SpanProcessor {
  ended = 0;
  onStart(): void {}
  onEnd(_span: ReadableSpan): void {
    this.ended += 1;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function prices(): PriceTable {
  const table = new PriceTable();
  table.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
  return table;
}

const handles: TelemetryHandle[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
  for (const c of cleanups.splice(0)) await c();
});

function start(opts: SetupTelemetryOptions) {
  const warnings: string[] = [];
  const output: string[] = [];
  const counter = new EndedCounter();
  const handle = setupTelemetry({
    registerGlobal: false,
    warn: (m) => warnings.push(m),
    output: { write: (s: string) => output.push(s) },
    spanProcessors: [counter],
    ...opts,
    // This receiver decodes JSON; test/exporter-otlp-protobuf.test.ts covers the default protocol.
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', ...opts.env },
  });
  handles.push(handle);
  return { handle, warnings, output, counter };
}

/** A small but complete agent run: a priced turn, a failed turn (recovery), a tool, a denied tool, a handoff. */
async function runAgents(handle: TelemetryHandle | 'global') {
  // 'global': rely on setupTelemetry's global registration, as most apps do.
  const telemetry =
    handle === 'global' ? {} : { tracerProvider: handle.tracerProvider, meterProvider: handle.meterProvider };
  const pricing = prices();
  const researcher = new AgentSession({
    role: 'researcher',
    phase: 'research',
    provider: 'openai',
    model: 'gpt-4o',
    pricing,
    circuitBreaker: new CircuitBreaker({ name: 'llm', failureThreshold: 5 }),
    permissions: new PermissionEnforcer(
      new PermissionPolicy({
        roles: { researcher: { role: 'researcher', mode: PermissionMode.READ_ONLY } },
        toolRequirements: { delete_file: PermissionMode.FULL_ACCESS },
      }),
    ),
    ...telemetry,
  });
  let costUsd = 0;
  const handoff = await researcher.run(async (s) => {
    await s.runTurn(async () => 'plan', {
      usage: new UsageSnapshot({ inputTokens: 1000, outputTokens: 200, cacheReadTokens: 400 }),
    });
    await s
      .runTurn(async () => {
        throw Object.assign(new Error('rate limited'), { status: 429 });
      })
      .catch(() => undefined);
    await s.runTool('web_search', async () => 'results');
    await s.runTool('delete_file', async () => 'gone').catch(() => undefined);
    costUsd = s.tracker.totalCost();
    return s.handoffTo('writer', 'findings ready');
  });
  const writer = new AgentSession({
    role: 'writer',
    phase: 'research',
    model: 'gpt-4o',
    pricing,
    ...telemetry,
  });
  await writer.run(
    async (s) => {
      await s.runTurn(async () => 'draft', {
        usage: new UsageSnapshot({ inputTokens: 300, outputTokens: 900 }),
      });
      costUsd += s.tracker.totalCost();
    },
    { handoff },
  );
  return { costUsd };
}

describe('OTLP/HTTP round trip to a loopback receiver', () => {
  it('delivers the span tree, semconv attributes, resource and headers as OTLP JSON, and the metrics', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const t = start({
      endpoint: receiver.url,
      registerGlobal: true,
      env: {
        OTEL_SERVICE_NAME: 'otlp-roundtrip',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret%20value',
      },
    });
    expect(t.handle.config.traces).toMatchObject({ exporters: ['otlp'], url: `${receiver.url}/v1/traces` });
    expect(t.handle.registered).toMatchObject({ traces: true, metrics: true, context: true });
    const { costUsd } = await runAgents('global');
    await t.handle.forceFlush();

    const traceRequests = receiver.requests.filter((r) => r.path === '/v1/traces');
    expect(traceRequests.length).toBeGreaterThan(0);
    for (const r of traceRequests) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-api-key']).toBe('s3cret value');
    }
    const spans = spansOf(receiver.requests);
    expect(spans).toHaveLength(t.counter.ended);
    expect(spans[0]?.resource).toMatchObject({
      'service.name': 'otlp-roundtrip',
      'deployment.environment.name': 'test',
      'telemetry.sdk.language': 'nodejs',
    });
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const [researcher] = byName('invoke_agent researcher');
    const [writer] = byName('invoke_agent writer');
    const chats = byName('chat gpt-4o');
    expect(chats).toHaveLength(3);
    // agent → turns and tools, parented explicitly.
    for (const child of [
      ...chats.slice(0, 2),
      ...byName('execute_tool web_search'),
      ...byName('execute_tool delete_file'),
    ]) {
      expect(child.parentSpanId).toBe(researcher?.spanId);
      expect(child.traceId).toBe(researcher?.traceId);
    }
    expect(chats[2]?.parentSpanId).toBe(writer?.spanId);
    // SpanKind: agent spans INTERNAL (1), model calls CLIENT (3).
    expect(researcher?.kind).toBe(1);
    expect(chats[0]?.kind).toBe(3);
    expect(chats[0]?.attrs).toMatchObject({
      [sc.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o',
      [sc.ATTR_GEN_AI_AGENT_NAME]: 'researcher',
      // The conventions' accounting: input includes cache reads.
      [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1400,
      [sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 400,
      [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 200,
    });
    const failed = chats[1]!;
    expect(failed.status?.code).toBe(2);
    expect(failed.attrs['error.type']).toBe('rate_limit');
    // With the AsyncLocalStorage context registered, the recovery record lands on the failed turn.
    const recovery = failed.events?.find((e) => e.name.startsWith('agent.recovery.'));
    expect(attrs(recovery?.attributes)[sc.ATTR_AGENTRACE_RECOVERY_SCENARIO]).toBe('rate_limit');
    expect(byName('execute_tool delete_file')[0]?.attrs[sc.ATTR_AGENTRACE_TOOL_OUTCOME]).toBe('denied');
    // The handoff: an event on the source, a link from the target to the source.
    expect(researcher?.events?.map((e) => e.name)).toContain('agent.handoff');
    expect(writer?.links).toHaveLength(1);
    expect(writer?.links?.[0]?.spanId).toBe(researcher?.spanId);
    expect(attrs(writer?.links?.[0]?.attributes)[sc.ATTR_AGENTRACE_LINK_TYPE]).toBe('handoff');
    const totalCost =
      Number(researcher?.attrs[sc.ATTR_AGENTRACE_USAGE_COST]) +
      Number(writer?.attrs[sc.ATTR_AGENTRACE_USAGE_COST]);
    expect(totalCost).toBeCloseTo(costUsd, 12);

    const metrics = lastMetrics(receiver.requests);
    const tokens = metrics.get(sc.METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(tokens?.unit).toBe('{token}');
    for (const p of tokens?.histogram?.dataPoints ?? [])
      expect(p.explicitBounds).toEqual([...sc.GEN_AI_TOKEN_USAGE_BUCKETS]);
    const inputSum = (tokens?.histogram?.dataPoints ?? [])
      .filter((p) => attrs(p.attributes)[sc.ATTR_GEN_AI_TOKEN_TYPE] === 'input')
      .reduce((a, p) => a + p.sum, 0);
    expect(inputSum).toBe(1400 + 300);
    const duration = metrics.get(sc.METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(duration?.histogram?.dataPoints[0]?.explicitBounds).toEqual([...sc.GEN_AI_DURATION_BUCKETS]);
    const cost = metrics.get(sc.METRIC_AGENTRACE_COST);
    expect(cost?.unit).toBe('{USD}');
    const exportedCost = (cost?.sum?.dataPoints ?? []).reduce(
      (a, p) => a + Number(p.asDouble ?? p.asInt ?? 0),
      0,
    );
    expect(exportedCost).toBeCloseTo(costUsd, 12);

    // Exporting, nothing goes to the terminal; nothing was lost.
    expect(t.output).toEqual([]);
    expect(t.handle.dropped).toEqual({ spans: 0, metricExports: 0, metricPoints: 0 });
    expect(t.warnings).toEqual([]);
  });

  it('honours the per-signal endpoint variables: traces to one receiver, metrics to another', async () => {
    const traces = await startReceiver();
    const metrics = await startReceiver();
    cleanups.push(traces.close, metrics.close);
    const t = start({
      env: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${traces.url}/custom/traces`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${metrics.url}/v1/metrics`,
      },
    });
    const arrived = Promise.all([traces.next('/custom/traces'), metrics.next('/v1/metrics')]);
    await runAgents(t.handle);
    await t.handle.forceFlush();
    await arrived;
    expect(new Set(traces.requests.map((r) => r.path))).toEqual(new Set(['/custom/traces']));
    expect(new Set(metrics.requests.map((r) => r.path))).toEqual(new Set(['/v1/metrics']));
  });
});

describe('a collector that is down, failing or stalled', () => {
  it('refused connections: the app carries on, every span is counted as dropped, reported once', async () => {
    const port = await refusedPort();
    const t = start({ endpoint: `http://127.0.0.1:${port}`, exportTimeoutMs: 1500 });
    expect(t.handle.config.shutdownTimeoutMs).toBe(2500);

    await expect(runAgents(t.handle)).resolves.toMatchObject({ costUsd: expect.any(Number) });
    await t.handle.forceFlush();
    const afterFirst = t.handle.dropped;
    expect(afterFirst.spans).toBe(t.counter.ended);
    expect(afterFirst.metricExports).toBe(1);
    expect(afterFirst.metricPoints).toBeGreaterThan(0);

    await runAgents(t.handle);
    const started = performance.now();
    await t.handle.shutdown();
    const shutdownMs = performance.now() - started;
    expect(t.handle.dropped.spans).toBe(t.counter.ended);
    expect(t.handle.dropped.metricExports).toBe(2);
    expect(t.warnings).toHaveLength(1);
    expect(t.warnings[0]).toMatch(
      /^agentrace: telemetry is being dropped \(export of (spans|metrics) to http:\/\/127\.0\.0\.1:\d+\/v1\/(traces|metrics) \(http\/json\) failed: .*ECONNREFUSED/,
    );
    // Shutdown is bounded by its timeout (2500 ms here), whatever the collector does.
    expect(shutdownMs).toBeLessThan(t.handle.config.shutdownTimeoutMs + 500);
  });

  it('HTTP 500 on every export: counted, reported once with the status, the app unaffected', async () => {
    const receiver = await startReceiver((_req, res) => {
      res.statusCode = 500;
      res.end('collector exploded');
    });
    cleanups.push(receiver.close);
    const t = start({ endpoint: receiver.url, exportTimeoutMs: 2000 });
    for (let i = 0; i < 3; i++) {
      await runAgents(t.handle);
      await t.handle.forceFlush();
    }
    expect(receiver.requests.filter((r) => r.path === '/v1/traces').length).toBeGreaterThanOrEqual(3);
    expect(t.handle.dropped.spans).toBe(t.counter.ended);
    expect(t.handle.dropped.metricExports).toBe(3);
    expect(t.warnings).toEqual([expect.stringMatching(/failed: HTTP 500 Internal Server Error/)]);
    const started = performance.now();
    await t.handle.shutdown();
    expect(performance.now() - started).toBeLessThan(t.handle.config.shutdownTimeoutMs + 500);
    expect(t.warnings).toHaveLength(1);
  });

  it('a collector that accepts and never answers: the queue stays bounded, shutdown gives up on time', async () => {
    const stalled: ServerResponse[] = [];
    const receiver = await startReceiver((_req, res) => {
      stalled.push(res);
    });
    cleanups.push(receiver.close);
    const t = start({
      endpoint: receiver.url,
      exportTimeoutMs: 5000,
      maxQueueSize: 16,
      shutdownTimeoutMs: 1000,
    });
    for (let i = 0; i < 10; i++) await runAgents(t.handle);
    // One full batch (16) is stuck in the exporter, 16 wait in the queue; every other span was counted as
    // dropped the moment it ended instead of being buffered.
    expect(t.counter.ended).toBeGreaterThan(32);
    expect(t.handle.dropped.spans).toBe(t.counter.ended - 32);
    const started = performance.now();
    await t.handle.shutdown();
    expect(performance.now() - started).toBeLessThan(1000 + 500);
    // Shutdown stopped waiting: what was queued or in flight is counted too, so every span is accounted for.
    expect(t.handle.dropped.spans).toBe(t.counter.ended);
    expect(t.warnings).toEqual([expect.stringContaining('the span queue is full (16 spans)')]);
    expect(stalled.length).toBeGreaterThan(0);
  });
});
