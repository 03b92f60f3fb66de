// An unchanged MCP client and server in two processes, each started with `node --import
// @agentrace/instrumentation/mcp/register` (the built package: real OTel SDK through setupTelemetry, OTLP/JSON to a
// loopback receiver): over stdio (the client spawns the server)
// and over Streamable HTTP on loopback. One trace per call across the two processes, errors marked, metrics
// exported, and the apps' own output identical to a run without agentrace.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { semconv as sc } from '@agentrace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DecodedSpan,
  decodeAttributes,
  type OtlpAttr,
  spansOf,
  startOtlpReceiver,
} from './helpers/otlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The children run from test/, so the register entry resolves as an installed package (its dist).
const CWD = `${ROOT}test`;
const FIXTURES = 'fixtures/mcp';
const BOOT = ['--import', '@agentrace/instrumentation/mcp/register'];
const PLAIN: string[] = [];
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const NORMAL_STEPS = 'list,weather,flaky,broken,big,resource,prompt,unanswered';
const CRASH_STEPS = 'crash,after-crash';

// The child processes run the built packages, as an installed app would (`pnpm test` builds first). A dist older
// than its sources would test old code, so that fails too.
function assertBuilt(): void {
  const dist = `${ROOT}packages/instrumentation/dist/mcp/index.js`;
  if (!existsSync(dist)) throw new Error('packages/instrumentation is not built: run `pnpm run build` first');
  const built = statSync(dist).mtimeMs;
  const src = `${ROOT}packages/instrumentation/src/mcp`;
  const stale = readdirSync(src).filter(
    (f) => !f.endsWith('.test.ts') && statSync(`${src}/${f}`).mtimeMs > built,
  );
  if (stale.length > 0)
    throw new Error(`packages/instrumentation/dist is older than ${stale.join(', ')}: rebuild`);
}

type Receiver = Awaited<ReturnType<typeof startOtlpReceiver>>;

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; lines: unknown[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: CWD,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({
          code,
          lines: out
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
        });
      } catch {
        reject(new Error(`unparsable client output:\n${out}\n${err}`));
      }
    });
  });
}

function startHttpServer(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, `${FIXTURES}/server.mjs`, '--http'], {
      cwd: CWD,
      env: { ...process.env, ...env, OTEL_SERVICE_NAME: 'mcp-server' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const port = /PORT (\d+)/.exec(out)?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}/mcp` });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

interface MetricPoint {
  service: string;
  name: string;
  attrs: Record<string, unknown>;
  bounds: number[];
  count: number;
}

function metricsOf(receiver: Receiver): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const r of receiver.requests.filter((x) => x.path === '/v1/metrics')) {
    const body = r.body as {
      resourceMetrics: Array<{
        resource: { attributes: OtlpAttr[] };
        scopeMetrics: Array<{
          metrics: Array<{
            name: string;
            histogram?: {
              dataPoints: Array<{
                attributes?: OtlpAttr[];
                explicitBounds?: number[];
                count?: number | string;
              }>;
            };
          }>;
        }>;
      }>;
    };
    for (const rm of body.resourceMetrics) {
      const service = String(decodeAttributes(rm.resource.attributes)['service.name']);
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics)
          for (const p of m.histogram?.dataPoints ?? [])
            out.push({
              service,
              name: m.name,
              attrs: decodeAttributes(p.attributes),
              bounds: p.explicitBounds ?? [],
              count: Number(p.count),
            });
    }
  }
  return out;
}

const of = (spans: DecodedSpan[], service: string, kind: number, name: string) =>
  spans.filter((s) => s.resource['service.name'] === service && s.kind === kind && s.name === name);

function one(spans: DecodedSpan[], service: string, kind: number, name: string): DecodedSpan {
  const found = of(spans, service, kind, name);
  expect(found, `${service} ${kind} ${name}`).toHaveLength(1);
  return found[0] as DecodedSpan;
}

/** Asserts the client span and the server span of one call are parent and child in one trace. */
function pair(spans: DecodedSpan[], name: string): { client: DecodedSpan; server: DecodedSpan } {
  const client = one(spans, 'mcp-client', SPAN_KIND_CLIENT, name);
  const server = one(spans, 'mcp-server', SPAN_KIND_SERVER, name);
  expect(server.traceId).toBe(client.traceId);
  expect(server.parentSpanId).toBe(client.spanId);
  expect(client.parentSpanId ?? '').toBe('');
  return { client, server };
}

describe('MCP across processes over stdio', () => {
  let receiver: Receiver;
  let instrumented: unknown[];
  let plain: unknown[];
  let spans: DecodedSpan[];

  beforeAll(async () => {
    assertBuilt();
    receiver = await startOtlpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'mcp-client',
      MCP_SERVER_SERVICE_NAME: 'mcp-server',
    };
    const client = (boot: string[]) => [
      ...boot,
      `${FIXTURES}/client.mjs`,
      'stdio',
      process.execPath,
      ...boot,
      `${FIXTURES}/server.mjs`,
    ];
    const [normal, crash, bare] = await Promise.all([
      run(client(BOOT), { ...env, MCP_STEPS: NORMAL_STEPS }),
      run(client(BOOT), { ...env, MCP_STEPS: CRASH_STEPS }),
      run(client(PLAIN), { MCP_STEPS: `${NORMAL_STEPS},${CRASH_STEPS}` }),
    ]);
    expect([normal.code, crash.code, bare.code]).toEqual([0, 0, 0]);
    instrumented = [...normal.lines, ...crash.lines];
    plain = bare.lines;
    spans = spansOf(receiver.requests);
  }, 60_000);
  afterAll(() => receiver?.close());

  it('leaves the apps behaving exactly as without agentrace (huge result, timeout, crash included)', () => {
    expect(instrumented).toEqual(plain);
    expect(plain).toContainEqual(expect.objectContaining({ step: 'big', length: 2_000_000 }));
    expect(plain).toContainEqual(expect.objectContaining({ step: 'unanswered', ok: false, code: -32001 }));
    expect(plain).toContainEqual(expect.objectContaining({ step: 'crash', ok: false, code: -32000 }));
  });

  it('records every request as a client span and a server span joined in one trace', () => {
    for (const name of [
      'initialize',
      'tools/list',
      'tools/call get_weather',
      'tools/call big',
      'resources/read',
      'prompts/get forecast',
    ]) {
      // initialize runs in both client processes; the normal run's pair is the one with a tools/list sibling.
      if (name === 'initialize') continue;
      const { client, server } = pair(spans, name);
      for (const s of [client, server]) {
        expect(s.attrs[sc.ATTR_MCP_METHOD_NAME]).toBe(name.split(' ')[0]);
        expect(s.attrs['network.transport']).toBe('pipe');
        expect(s.attrs[sc.ATTR_MCP_PROTOCOL_VERSION]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(s.attrs[sc.ATTR_JSONRPC_REQUEST_ID]).toBe(client.attrs[sc.ATTR_JSONRPC_REQUEST_ID]);
        expect(s.attrs['error.type']).toBeUndefined();
      }
    }
    const call = pair(spans, 'tools/call get_weather');
    for (const s of [call.client, call.server]) {
      expect(s.attrs[sc.ATTR_GEN_AI_OPERATION_NAME]).toBe('execute_tool');
      expect(s.attrs[sc.ATTR_GEN_AI_TOOL_NAME]).toBe('get_weather');
    }
    expect(pair(spans, 'resources/read').client.attrs[sc.ATTR_MCP_RESOURCE_URI]).toBe('weather://cities');
    expect(of(spans, 'mcp-server', SPAN_KIND_SERVER, 'initialize')).toHaveLength(1);
    expect(of(spans, 'mcp-client', SPAN_KIND_CLIENT, 'initialize')).toHaveLength(2);
    expect(of(spans, 'mcp-client', SPAN_KIND_CLIENT, 'notifications/initialized')).toHaveLength(2);
  });

  it('marks isError results and thrown tools as tool_error on both sides', () => {
    for (const name of ['tools/call flaky', 'tools/call broken']) {
      const { client, server } = pair(spans, name);
      for (const s of [client, server]) {
        expect(s.attrs['error.type']).toBe('tool_error');
        expect(s.status?.code).toBe(2);
      }
    }
  });

  it('ends an unanswered call at the client timeout and a call whose server died, no span left open', () => {
    const slow = pair(spans, 'tools/call slow');
    expect(slow.client.attrs['error.type']).toBe('-32001');
    expect(slow.server.attrs['error.type']).toBe('cancelled');
    const crash = one(spans, 'mcp-client', SPAN_KIND_CLIENT, 'tools/call crash');
    expect(crash.attrs['error.type']).toBe('-32000');
    expect(crash.status?.code).toBe(2);
    // The killed server exported nothing; the call after the crash fails as it does without agentrace.
    expect(
      one(spans, 'mcp-client', SPAN_KIND_CLIENT, 'tools/call get_weather').attrs['error.type'],
    ).toBeUndefined();
  });

  it('exports the four MCP duration metrics with the conventions bucket boundaries', () => {
    const points = metricsOf(receiver);
    const names = new Set(points.map((p) => `${p.service} ${p.name}`));
    for (const n of [
      `mcp-client ${sc.METRIC_MCP_CLIENT_OPERATION_DURATION}`,
      `mcp-client ${sc.METRIC_MCP_CLIENT_SESSION_DURATION}`,
      `mcp-server ${sc.METRIC_MCP_SERVER_OPERATION_DURATION}`,
      `mcp-server ${sc.METRIC_MCP_SERVER_SESSION_DURATION}`,
    ])
      expect(names, n).toContain(n);
    for (const p of points.filter((x) => x.name.startsWith('mcp.')))
      expect(p.bounds).toEqual(sc.MCP_DURATION_BUCKETS);
    const flaky = points.find(
      (p) =>
        p.name === sc.METRIC_MCP_SERVER_OPERATION_DURATION && p.attrs[sc.ATTR_GEN_AI_TOOL_NAME] === 'flaky',
    );
    // The client that closed its session ended well; the one whose server was killed ended in error.
    const sessions = points.filter((p) => p.name === sc.METRIC_MCP_CLIENT_SESSION_DURATION);
    expect(sessions.map((p) => p.attrs['error.type']).sort()).toEqual(['-32000', undefined]);
    expect(flaky?.attrs).toMatchObject({
      'error.type': 'tool_error',
      [sc.ATTR_MCP_METHOD_NAME]: 'tools/call',
      'network.transport': 'pipe',
    });
  });
});

describe('MCP across processes over Streamable HTTP on loopback', () => {
  let receiver: Receiver;
  let spans: DecodedSpan[];
  let crashOutput: unknown[];
  let port: number;

  beforeAll(async () => {
    assertBuilt();
    receiver = await startOtlpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'mcp-client',
      MCP_SERVER_SERVICE_NAME: 'mcp-server',
    };
    const [main, doomed] = await Promise.all([startHttpServer(BOOT, env), startHttpServer(BOOT, env)]);
    port = Number(new URL(main.url).port);
    const [normal, crash] = await Promise.all([
      run([...BOOT, `${FIXTURES}/client.mjs`, 'http', main.url], {
        ...env,
        MCP_STEPS: 'list,weather,flaky,broken,prompt',
      }),
      run([...BOOT, `${FIXTURES}/client.mjs`, 'http', doomed.url], { ...env, MCP_STEPS: 'crash' }),
    ]);
    expect([normal.code, crash.code]).toEqual([0, 0]);
    crashOutput = crash.lines;
    await Promise.all([stopped(main.child), stopped(doomed.child)]);
    spans = spansOf(receiver.requests);
  }, 60_000);
  afterAll(() => receiver?.close());

  it('joins client and server spans in one trace per call, with session id, tcp and the server address', () => {
    const init = of(spans, 'mcp-client', SPAN_KIND_CLIENT, 'initialize').find(
      (s) => s.attrs['server.port'] === port,
    );
    if (!init) throw new Error('no initialize span for the main server');
    const sessionId = init.attrs[sc.ATTR_MCP_SESSION_ID];
    expect(sessionId).toEqual(expect.any(String));
    for (const name of ['tools/list', 'tools/call get_weather', 'prompts/get forecast']) {
      const { client, server } = pair(spans, name);
      for (const s of [client, server]) {
        expect(s.attrs[sc.ATTR_MCP_SESSION_ID]).toBe(sessionId);
        expect(s.attrs['network.transport']).toBe('tcp');
        expect(s.attrs[sc.ATTR_MCP_PROTOCOL_VERSION]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
      expect(client.attrs).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': port });
    }
  });

  it('marks tool errors on both sides and ends the call whose server was killed', () => {
    for (const name of ['tools/call flaky', 'tools/call broken']) {
      const { client, server } = pair(spans, name);
      expect([client.attrs['error.type'], server.attrs['error.type']]).toEqual(['tool_error', 'tool_error']);
    }
    // A client whose server is gone fails to connect exactly as it would without agentrace; its span ends failed.
    // The killed server exported nothing; the client gets the same failure as without agentrace, its span ends.
    expect(crashOutput).toEqual([expect.objectContaining({ step: 'crash', ok: false })]);
    const crash = one(spans, 'mcp-client', SPAN_KIND_CLIENT, 'tools/call crash');
    expect(crash.attrs['error.type']).toEqual(expect.any(String));
    expect(crash.status?.code).toBe(2);
  });

  it('exports the client and server operation metrics', () => {
    const names = new Set(metricsOf(receiver).map((p) => `${p.service} ${p.name}`));
    expect(names).toContain(`mcp-client ${sc.METRIC_MCP_CLIENT_OPERATION_DURATION}`);
    expect(names).toContain(`mcp-server ${sc.METRIC_MCP_SERVER_OPERATION_DURATION}`);
    expect(names).toContain(`mcp-client ${sc.METRIC_MCP_CLIENT_SESSION_DURATION}`);
  });
});
