/**
 * An MCP weather server with nothing agentrace in it. Over stdio by default (agent.ts starts it that way), or
 * Streamable HTTP on loopback with `--http [port]`. Traced when started with telemetry.ts preloaded:
 * `node --import tsx --import ./examples/mcp/telemetry.ts examples/mcp/weather-server.ts --http 3300`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const FORECASTS: Record<string, { tempC: number; sky: string }> = {
  oslo: { tempC: 4, sky: 'light snow' },
  rome: { tempC: 17, sky: 'sunny' },
  lima: { tempC: 21, sky: 'overcast' },
};

function weatherServer(): McpServer {
  const server = new McpServer({ name: 'weather', version: '1.0.0' });
  server.tool('get_weather', 'Current weather for a city', { city: z.string() }, async ({ city }) => {
    const f = FORECASTS[city.toLowerCase()];
    if (!f) return { content: [{ type: 'text', text: `no station for ${city}` }], isError: true };
    return { content: [{ type: 'text', text: `${city}: ${f.tempC}°C, ${f.sky}` }] };
  });
  server.resource('stations', 'weather://stations', async (uri) => ({
    contents: [{ uri: uri.href, text: Object.keys(FORECASTS).join(', ') }],
  }));
  return server;
}

const httpAt = process.argv.indexOf('--http');
if (httpAt >= 0) {
  const port = Number(process.argv[httpAt + 1] ?? 3300);
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!transport) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      await weatherServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  });
  http.listen(Number.isFinite(port) ? port : 3300, '127.0.0.1', () => {
    console.error(`weather MCP server on http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  });
} else {
  await weatherServer().connect(new StdioServerTransport());
}
