import { createRequire } from 'node:module';
import { semconv as sc } from '@agentrace/core';
import { propagation, SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod/v3'; // the v3 API: the lowest supported SDK (1.12) takes only v3 schemas
import { createTestTelemetry } from '../../../../test/helpers/otel.js';
import { McpInstrumentation } from './mcp-instrumentation.js';

// The CommonJS build of the SDK, loaded through Node's require so the require hook patches it (the ESM build
// is covered by the cross-process tests, whose apps load it through the ESM loader hook).
const otel = createTestTelemetry();
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const instrumentation = new McpInstrumentation();
const unregister = registerInstrumentations({
  instrumentations: [instrumentation],
  tracerProvider: otel.tracerProvider,
  meterProvider: otel.meterProvider,
});
const require = createRequire(import.meta.url);
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { InMemoryTransport } =
  require('@modelcontextprotocol/sdk/inMemory.js') as typeof import('@modelcontextprotocol/sdk/inMemory.js');

afterAll(() => unregister());

async function connected() {
  const server = new McpServer({ name: 'weather', version: '1.0.0' });
  server.tool('get_weather', 'weather', { city: z.string() }, async ({ city }: { city: string }) => ({
    content: [{ type: 'text', text: `sunny in ${city}` }],
  }));
  const client = new Client({ name: 'agent', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(b), client.connect(a)]);
  return client;
}

describe('McpInstrumentation through registerInstrumentations (CommonJS build)', () => {
  it('patches the SDK on require: client and server spans of one call, parent and child', async () => {
    otel.exporter.reset();
    const client = await connected();
    await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
    const calls = otel.spans().filter((s) => s.name === 'tools/call get_weather');
    const c = calls.find((s) => s.kind === SpanKind.CLIENT);
    const s = calls.find((x) => x.kind === SpanKind.SERVER);
    expect(c?.attributes[sc.ATTR_GEN_AI_OPERATION_NAME]).toBe('execute_tool');
    expect(s?.parentSpanContext?.spanId).toBe(c?.spanContext().spanId);
    expect(c?.instrumentationScope.name).toBe('@agentrace/instrumentation/mcp');
    await client.close();
  });

  it('records nothing once disabled, and the app works as before', async () => {
    instrumentation.disable();
    try {
      otel.exporter.reset();
      const client = await connected();
      const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Rome' } });
      expect(result.content[0].text).toBe('sunny in Rome');
      expect(otel.spans()).toEqual([]);
      await client.close();
    } finally {
      instrumentation.enable();
    }
  });
});
