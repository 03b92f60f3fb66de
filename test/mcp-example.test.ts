// examples/mcp end to end: the agent's one command starts the weather server over stdio, both traced; with OTLP
// configured, one trace runs from the agent's invoke_agent span through runTool's execute_tool span and the MCP
// client span to the server's span in the other process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { semconv as sc } from '@agentrace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecodedSpan, spansOf, startOtlpReceiver } from './helpers/otlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('examples/mcp', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let stdout = '';
  let code: number | null = null;
  let spans: DecodedSpan[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const child = spawn(
      `${ROOT}/node_modules/.bin/tsx`,
      ['--import', './examples/mcp/telemetry.ts', 'examples/mcp/agent.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    code = await new Promise((r) => child.on('close', r));
    spans = spansOf(receiver.requests);
  }, 60_000);
  afterAll(() => receiver?.close());

  it('plans the trip, one tool failing as the server reports', () => {
    expect(code).toBe(0);
    expect(stdout).toContain('✓ Oslo: 4°C, light snow');
    expect(stdout).toContain('✗ no station for Atlantis');
  });

  it('is one trace from the agent to the server, the MCP client span under the runTool span', () => {
    const agent = spans.find((s) => s.name === 'invoke_agent trip-planner');
    expect(agent).toBeDefined();
    const tools = spans.filter((s) => s.name === 'execute_tool get_weather');
    expect(tools).toHaveLength(3);
    for (const tool of tools) {
      expect(tool.parentSpanId).toBe(agent?.spanId);
      const client = spans.find((s) => s.kind === 3 && s.parentSpanId === tool.spanId);
      expect(client?.name).toBe('tools/call get_weather');
      expect(client?.attrs[sc.ATTR_GEN_AI_OPERATION_NAME]).toBeUndefined();
      const server = spans.find((s) => s.kind === 2 && s.parentSpanId === client?.spanId);
      expect(server?.resource['service.name']).toBe('weather-server');
      expect(server?.traceId).toBe(agent?.traceId);
    }
    const failed = spans.filter(
      (s) => s.name === 'tools/call get_weather' && s.attrs['error.type'] === 'tool_error',
    );
    expect(failed.map((s) => s.kind).sort()).toEqual([2, 3]);
  });
});
