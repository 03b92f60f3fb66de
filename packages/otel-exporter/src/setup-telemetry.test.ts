import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { AgentSession, UsageSnapshot, ValidationError } from '@agentrace/core';
import { context, metrics, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { setupTelemetry, type TelemetryHandle } from './setup-telemetry.js';
import type { SetupTelemetryOptions } from './telemetry-options.js';

const handles: TelemetryHandle[] = [];

function start(opts: SetupTelemetryOptions = {}) {
  const out: string[] = [];
  const warnings: string[] = [];
  const handle = setupTelemetry({
    env: {},
    registerGlobal: false,
    output: { write: (s: string) => out.push(s) },
    warn: (m) => warnings.push(m),
    ...opts,
  });
  handles.push(handle);
  return { handle, out, warnings, text: () => out.join('') };
}

afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
});

async function runAgent(handle: TelemetryHandle, role = 'researcher') {
  const agent = new AgentSession({
    role,
    phase: 'p',
    model: 'model-x',
    provider: 'openai',
    tracerProvider: handle.tracerProvider,
    meterProvider: handle.meterProvider,
  });
  return agent.run(async (s) => {
    await s.runTurn(async () => 'a', { usage: new UsageSnapshot({ inputTokens: 100, outputTokens: 20 }) });
    await s.runTool('search', async () => 'r');
    return 'done';
  });
}

describe('setupTelemetry in terminal mode (no endpoint configured)', () => {
  it('prints each agent trace as it ends and a cost table at shutdown', async () => {
    const t = start({ serviceName: 'svc' });
    expect(t.handle.config.traces.exporters).toEqual(['console']);
    await expect(runAgent(t.handle)).resolves.toBe('done');
    expect(t.text()).toMatch(
      /^\ninvoke_agent researcher {2}✓ completed .*\n├─ chat model-x \(openai\) .*\n└─ execute_tool search /,
    );
    const before = t.out.length;
    await t.handle.shutdown();
    const table = t.out.slice(before).join('');
    expect(table).toContain('Cost by agent and model (svc)');
    expect(table).toMatch(/researcher\s+model-x\s+1\s+0\s+100\s+20\s+\$0\.0000/);
    expect(t.warnings).toEqual([]);
  });

  it('shuts down once, however often called, and keeps the final figures', async () => {
    const t = start();
    await runAgent(t.handle);
    const live = await t.handle.costSummary();
    expect(live.total.turns).toBe(1);
    const first = t.handle.shutdown();
    expect(t.handle.shutdown()).toBe(first);
    expect(t.handle.isShutdown).toBe(true);
    await first;
    expect(await t.handle.costSummary()).toEqual(live);
    await expect(t.handle.forceFlush()).resolves.toBeUndefined();
    const printed = t.out.length;
    await t.handle.shutdown();
    expect(t.out.length).toBe(printed);
  });

  it('prints nothing and sums nothing with both signals off', async () => {
    const t = start({ traces: 'none', metrics: 'none' });
    await runAgent(t.handle);
    expect(await t.handle.costSummary()).toEqual({
      rows: [],
      total: { turns: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
    await t.handle.shutdown();
    expect(t.out).toEqual([]);
  });

  it('does nothing with OTEL_SDK_DISABLED=true', async () => {
    const t = start({ env: { OTEL_SDK_DISABLED: 'true' }, registerGlobal: true });
    await runAgent(t.handle);
    await t.handle.shutdown();
    expect(t.out).toEqual([]);
    expect(t.handle.registered).toEqual({
      traces: false,
      metrics: false,
      context: false,
      propagation: false,
    });
  });

  it('passes environment problems to warn, once each, prefixed', () => {
    const t = start({ env: { OTEL_TRACES_SAMPLER: 'sometimes', OTEL_EXPORTER_OTLP_ENDPOINT: 'nope' } });
    expect(t.warnings).toHaveLength(2);
    for (const w of t.warnings) expect(w).toMatch(/^agentrace: /);
  });

  it('survives a warn function that throws', () => {
    expect(() =>
      start({
        env: { OTEL_TRACES_SAMPLER: 'sometimes' },
        warn: () => {
          throw new Error('logger down');
        },
      }),
    ).not.toThrow();
  });

  it('rejects an output without write() and a warn that is not a function', () => {
    expect(() => setupTelemetry({ output: {} as never })).toThrow(ValidationError);
    expect(() => setupTelemetry({ warn: 'stderr' as never })).toThrow(/warn must be a function/);
  });

  it('writes a default warning to stderr when no warn function is given', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      handles.push(
        setupTelemetry({
          env: { OTEL_TRACES_SAMPLER: 'sometimes' },
          registerGlobal: false,
          traces: 'none',
          metrics: 'none',
        }),
      );
    } finally {
      process.stderr.write = original;
    }
    expect(written).toEqual([
      expect.stringMatching(/^agentrace: OTEL_TRACES_SAMPLER="sometimes" is not supported.*\n$/),
    ]);
  });
});

describe('setupTelemetry global registration', () => {
  it('registers providers, context manager and propagator, and undoes exactly that at shutdown', async () => {
    const t = start({ registerGlobal: true, metrics: 'none' });
    expect(t.handle.registered).toEqual({ traces: true, metrics: true, context: true, propagation: true });
    expect(metrics.getMeterProvider()).toBe(t.handle.meterProvider);
    // The API's global tracer and the AsyncLocalStorage context work without passing anything explicitly.
    const tracer = trace.getTracer('app');
    await tracer.startActiveSpan('request', async (span) => {
      await new Promise((r) => setImmediate(r));
      tracer.startSpan('inner').end();
      span.end();
    });
    expect(t.text()).toMatch(/request .*\n└─ inner /);

    const second = start({ registerGlobal: true });
    expect(second.handle.registered).toMatchObject({ traces: false, metrics: false });
    expect(second.warnings).toEqual([expect.stringContaining('already registered globally')]);

    await t.handle.shutdown();
    expect(metrics.getMeterProvider()).not.toBe(t.handle.meterProvider);
    expect(context.active()).toBeDefined();
    const third = start({ registerGlobal: true });
    expect(third.handle.registered).toEqual({
      traces: true,
      metrics: true,
      context: true,
      propagation: true,
    });
  });
});

describe('setupTelemetry with a Prometheus endpoint', () => {
  it('serves it, exposes its URL, and closes it at shutdown', async () => {
    const t = start({ prometheus: { port: 0, host: '127.0.0.1' }, traces: 'none' });
    await runAgent(t.handle);
    const url = await t.handle.prometheus!.ready();
    expect(url).toBe(t.handle.prometheus!.url);
    const text = await (await fetch(url)).text();
    expect(text).toContain('agentrace_sessions_total');
    await t.handle.shutdown();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('warns once when its port is taken, and the app carries on', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const t = start({ prometheus: { port, host: '127.0.0.1' }, traces: 'none', metrics: 'none' });
      await expect(t.handle.prometheus!.ready()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(t.warnings).toEqual([
        `agentrace: cannot serve Prometheus metrics on 127.0.0.1:${port} (EADDRINUSE); metrics will not be scraped`,
      ]);
      await expect(runAgent(t.handle)).resolves.toBe('done');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

describe('setupTelemetry over OTLP/HTTP', () => {
  async function receiver() {
    const got: Array<{ path: string; type: string | undefined; encoding: string | undefined; body: Buffer }> =
      [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({
          path: req.url ?? '',
          type: req.headers['content-type'],
          encoding: req.headers['content-encoding'],
          body: Buffer.concat(chunks),
        });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, got, close: () => new Promise((r) => server.close(r)) };
  }

  it('sends protobuf by default, JSON when asked, gzip-compressed when asked', async () => {
    const r = await receiver();
    try {
      const proto = start({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.url } });
      await runAgent(proto.handle);
      await proto.handle.shutdown();
      const json = start({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
        },
      });
      await runAgent(json.handle);
      await json.handle.shutdown();
      const [protoTraces, jsonTraces] = r.got.filter((g) => g.path === '/v1/traces');
      const [protoMetrics, jsonMetrics] = r.got.filter((g) => g.path === '/v1/metrics');
      expect(protoTraces).toMatchObject({ type: 'application/x-protobuf', encoding: undefined });
      expect(protoMetrics).toMatchObject({ type: 'application/x-protobuf' });
      expect(jsonTraces).toMatchObject({ type: 'application/json', encoding: 'gzip' });
      expect(JSON.parse(gunzipSync(jsonTraces!.body).toString('utf8'))).toHaveProperty('resourceSpans');
      expect(jsonMetrics).toMatchObject({ type: 'application/json', encoding: undefined });
      expect([...proto.warnings, ...json.warnings]).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('reports a TLS file it cannot read, once, and goes on without it', () => {
    const t = start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/nonexistent/ca.pem',
        OTEL_METRICS_EXPORTER: 'none',
      },
    });
    expect(t.warnings).toEqual([
      expect.stringMatching(
        /^agentrace: cannot read the OTLP certificate "\/nonexistent\/ca\.pem" \(.*ENOENT/,
      ),
    ]);
  });

  it('over gRPC to nothing: the spans are counted as dropped, the gRPC status reported once', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    await new Promise((r) => blocker.close(r));
    const t = start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      },
    });
    expect(t.handle.config.traces.otlp).toMatchObject({ protocol: 'grpc', tls: { insecure: true } });
    await runAgent(t.handle);
    await t.handle.shutdown();
    expect(t.handle.dropped.spans).toBe(3);
    expect(t.handle.dropped.metricExports).toBe(1);
    expect(t.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `export of (spans|metrics) to http://127\\.0\\.0\\.1:${port}/ \\(grpc\\) failed: gRPC 14 UNAVAILABLE`,
        ),
      ),
    ]);
  });

  it('refuses an unknown protocol before anything is started', () => {
    expect(() => start({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' } })).toThrow(
      expect.objectContaining({ name: 'UnsupportedProtocolError', variable: 'OTEL_EXPORTER_OTLP_PROTOCOL' }),
    );
  });
});
