import { AgentSession, semconv as sc } from '@agentrace/core';
import { propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod/v3'; // the v3 API: the lowest supported SDK (1.12) takes only v3 schemas
import { createTestTelemetry } from '../../../../test/helpers/otel.js';
import { instrumentMcp } from './instrument-mcp.js';

const otel = createTestTelemetry();
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

// The newest 1.x and the lowest supported one, loaded side by side (the lowest through an npm alias).
const SDKS = [
  { label: 'sdk latest', root: '@modelcontextprotocol/sdk' },
  { label: 'sdk 1.12.0 (lowest supported)', root: 'mcp-sdk-lowest' },
] as const;

// biome-ignore lint/suspicious/noExplicitAny: two SDK versions' types cannot be named at once
type Any = any;

async function loadSdk(root: string) {
  const [client, mcp, memory] = await Promise.all([
    import(`${root}/client/index.js`),
    import(`${root}/server/mcp.js`),
    import(`${root}/inMemory.js`),
  ]);
  return { Client: client.Client, McpServer: mcp.McpServer, InMemoryTransport: memory.InMemoryTransport };
}

function byName(name: string, kind: SpanKind): ReadableSpan {
  const found = otel.spans().filter((s) => s.name === name && s.kind === kind);
  expect(found, `${name} (${SpanKind[kind]}) among ${otel.spans().map((s) => s.name)}`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

for (const sdkInfo of SDKS) {
  describe(`instrumentMcp (${sdkInfo.label})`, () => {
    let sdk: Awaited<ReturnType<typeof loadSdk>>;
    let client: Any;
    let server: Any;
    let release: (() => void) | undefined;

    beforeAll(async () => {
      sdk = await loadSdk(sdkInfo.root);
    });

    async function connect(opts: { instrumentClient?: boolean; captureContent?: boolean } = {}) {
      const providers = {
        tracerProvider: otel.tracerProvider,
        meterProvider: otel.meterProvider,
        captureContent: opts.captureContent ?? false,
      };
      server = new sdk.McpServer({ name: 'weather', version: '1.0.0' });
      server.tool(
        'get_weather',
        'weather for a city',
        { city: z.string() },
        async ({ city }: { city: string }) => ({
          content: [{ type: 'text', text: `sunny in ${city}` }],
        }),
      );
      server.tool('flaky', 'reports a failure', {}, async () => ({
        content: [{ type: 'text', text: 'upstream down' }],
        isError: true,
      }));
      server.tool('broken', 'throws', {}, async () => {
        throw new Error('kaput');
      });
      server.tool(
        'hang',
        'never answers',
        {},
        () => new Promise<never>((_r, reject) => (release = () => reject(new Error('released')))),
      );
      instrumentMcp(server, providers);
      client = new sdk.Client({ name: 'agent', version: '1.0.0' });
      if (opts.instrumentClient !== false) instrumentMcp(client, providers);
      const [clientSide, serverSide] = sdk.InMemoryTransport.createLinkedPair();
      await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    }

    beforeEach(() => otel.exporter.reset());
    afterAll(() => release?.());

    it('records a tools/call as a CLIENT span and a SERVER span under it, one trace', async () => {
      await connect();
      const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
      expect(result.content[0].text).toBe('sunny in Oslo');
      const c = byName('tools/call get_weather', SpanKind.CLIENT);
      const s = byName('tools/call get_weather', SpanKind.SERVER);
      expect(s.spanContext().traceId).toBe(c.spanContext().traceId);
      expect(parentId(s)).toBe(c.spanContext().spanId);
      for (const span of [c, s]) {
        expect(span.attributes).toMatchObject({
          [sc.ATTR_MCP_METHOD_NAME]: 'tools/call',
          [sc.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
          [sc.ATTR_GEN_AI_TOOL_NAME]: 'get_weather',
          [sc.ATTR_MCP_PROTOCOL_VERSION]: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
          [sc.ATTR_JSONRPC_REQUEST_ID]: expect.any(String),
        });
        expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
        expect(span.attributes[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
      }
      expect(c.attributes[sc.ATTR_JSONRPC_REQUEST_ID]).toBe(s.attributes[sc.ATTR_JSONRPC_REQUEST_ID]);
      // initialize and its notification were traced too, as a pair each.
      expect(parentId(byName('initialize', SpanKind.SERVER))).toBe(
        byName('initialize', SpanKind.CLIENT).spanContext().spanId,
      );
      const initialized = byName('notifications/initialized', SpanKind.SERVER);
      expect(parentId(initialized)).toBe(
        byName('notifications/initialized', SpanKind.CLIENT).spanContext().spanId,
      );
      expect(initialized.attributes[sc.ATTR_JSONRPC_REQUEST_ID]).toBeUndefined();
    });

    it('marks isError results and thrown tools as tool_error on both sides', async () => {
      await connect();
      await client.callTool({ name: 'flaky', arguments: {} });
      const thrown = await client.callTool({ name: 'broken', arguments: {} });
      expect(thrown.isError).toBe(true);
      for (const name of ['tools/call flaky', 'tools/call broken']) {
        for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
          const span = byName(name, kind);
          expect(span.attributes['error.type']).toBe('tool_error');
          expect(span.status.code).toBe(SpanStatusCode.ERROR);
        }
      }
    });

    it('marks a JSON-RPC error with its code on both sides', async () => {
      await connect();
      await expect(
        client.request({ method: 'prompts/get', params: { name: 'nope' } }, z.any()),
      ).rejects.toThrow();
      for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
        const span = byName('prompts/get nope', kind);
        expect(span.attributes['error.type']).toMatch(/^-32\d{3}$/);
        expect(span.attributes[sc.ATTR_RPC_RESPONSE_STATUS_CODE]).toBe(span.attributes['error.type']);
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
        expect(span.attributes[sc.ATTR_GEN_AI_PROMPT_NAME]).toBe('nope');
      }
    });

    it('ends the client span at the client timeout (-32001) and the server span as cancelled', async () => {
      await connect();
      await expect(
        client.callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 150 }),
      ).rejects.toThrow(/timed out/i);
      expect(byName('tools/call hang', SpanKind.CLIENT).attributes['error.type']).toBe('-32001');
      await expect.poll(() => otel.spans().filter((s) => s.name === 'tools/call hang').length).toBe(2);
      expect(byName('tools/call hang', SpanKind.SERVER).attributes['error.type']).toBe('cancelled');
    });

    it('starts a new trace on the server when the request carries no trace context', async () => {
      await connect({ instrumentClient: false });
      await client.callTool({ name: 'get_weather', arguments: { city: 'Rome' } });
      const s = byName('tools/call get_weather', SpanKind.SERVER);
      expect(parentId(s)).toBeUndefined();
    });

    it('ignores a malformed traceparent in _meta and still answers', async () => {
      await connect({ instrumentClient: false });
      const result = await client.request(
        {
          method: 'tools/call',
          params: {
            name: 'get_weather',
            arguments: { city: 'Bern' },
            _meta: { traceparent: 'zz-not-a-trace', tracestate: 42 },
          },
        },
        z.any(),
      );
      expect(result.content[0].text).toBe('sunny in Bern');
      expect(parentId(byName('tools/call get_weather', SpanKind.SERVER))).toBeUndefined();
    });

    it('records content only when capture is on, with secrets masked', async () => {
      await connect({ captureContent: true });
      await client.callTool({ name: 'get_weather', arguments: { city: 'sk-proj-abcdefghijklmnopqrstuvwx' } });
      for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
        const span = byName('tools/call get_weather', kind);
        expect(span.attributes[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBe('{"city":"[REDACTED]"}');
        expect(String(span.attributes[sc.ATTR_GEN_AI_TOOL_CALL_RESULT])).toContain('sunny in [REDACTED]');
      }
    });

    it('nests the client span under an agentrace runTool span without a second execute_tool', async () => {
      await connect();
      const agent = new AgentSession({
        role: 'researcher',
        phase: 'research',
        tracerProvider: otel.tracerProvider,
        meterProvider: otel.meterProvider,
      });
      await agent.run((session) =>
        session.runTool('get_weather', () =>
          client.callTool({ name: 'get_weather', arguments: { city: 'Lima' } }),
        ),
      );
      const tool = byName('execute_tool get_weather', SpanKind.INTERNAL);
      const c = byName('tools/call get_weather', SpanKind.CLIENT);
      const s = byName('tools/call get_weather', SpanKind.SERVER);
      expect(parentId(c)).toBe(tool.spanContext().spanId);
      expect(parentId(s)).toBe(c.spanContext().spanId);
      expect(c.attributes[sc.ATTR_GEN_AI_OPERATION_NAME]).toBeUndefined();
      const executeTools = otel
        .spans()
        .filter(
          (x) => x.kind !== SpanKind.SERVER && x.attributes[sc.ATTR_GEN_AI_OPERATION_NAME] === 'execute_tool',
        );
      expect(executeTools.map((x) => x.name)).toEqual(['execute_tool get_weather']);
    });

    it('records the operation and session duration metrics with the conventions buckets', async () => {
      await connect();
      await client.callTool({ name: 'get_weather', arguments: { city: 'Kyiv' } });
      await client.close();
      for (const name of [sc.METRIC_MCP_CLIENT_OPERATION_DURATION, sc.METRIC_MCP_SERVER_OPERATION_DURATION]) {
        const m = await otel.metric<Any>(name);
        expect(m, name).toBeDefined();
        expect(m?.unit).toBe('s');
        const call = m?.points.find((p) => p.attributes[sc.ATTR_GEN_AI_TOOL_NAME] === 'get_weather');
        expect(call?.attributes).toMatchObject({
          [sc.ATTR_MCP_METHOD_NAME]: 'tools/call',
          [sc.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
        });
        expect(call?.attributes[sc.ATTR_MCP_SESSION_ID]).toBeUndefined();
        expect(call?.value.buckets.boundaries).toEqual(sc.MCP_DURATION_BUCKETS);
      }
      for (const name of [sc.METRIC_MCP_CLIENT_SESSION_DURATION, sc.METRIC_MCP_SERVER_SESSION_DURATION]) {
        const m = await otel.metric<Any>(name);
        expect(m?.points.length, name).toBeGreaterThan(0);
        expect(m?.points[0]?.value.buckets.boundaries).toEqual(sc.MCP_DURATION_BUCKETS);
      }
    });
  });
}

describe('instrumentMcp after connect()', () => {
  it('still joins the two sides (the transport is wrapped on the first request)', async () => {
    const sdk = await loadSdk('@modelcontextprotocol/sdk');
    const providers = { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider };
    const server = new sdk.McpServer({ name: 'late', version: '1.0.0' });
    server.tool('echo', 'echo', {}, async () => ({ content: [{ type: 'text', text: 'hi' }] }));
    const client = new sdk.Client({ name: 'agent', version: '1.0.0' });
    const [a, b] = sdk.InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(b), client.connect(a)]);
    instrumentMcp(server, providers);
    instrumentMcp(client, providers);
    otel.exporter.reset();
    await client.callTool({ name: 'echo', arguments: {} });
    const c = byName('tools/call echo', SpanKind.CLIENT);
    expect(parentId(byName('tools/call echo', SpanKind.SERVER))).toBe(c.spanContext().spanId);
  });
});

describe('instrumentMcp input', () => {
  it('refuses what is not an MCP client or server, naming it', () => {
    expect(() => instrumentMcp({ connect() {} })).toThrow(
      /target must be an @modelcontextprotocol\/sdk Client/,
    );
  });
});
