/**
 * An agent that plans a trip with the weather MCP server's tools: each tool call is an agentrace `runTool`
 * (an `execute_tool` span), the MCP `tools/call` client span nests under it, and the server's span, in the other
 * process, under that: one trace from the agent's `invoke_agent` span to the server's work. The "plan" is fixed
 * (no model call), so it runs without an API key.
 *
 * One command, from the repository root: `npx -y pnpm@10.34.9 example:mcp` (starts the server over stdio, both
 * processes traced). To call a server already running over HTTP (`pnpm example:mcp-server`), add `--url
 * http://127.0.0.1:3300/mcp`.
 */
import { AgentSession } from '@agentrace/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const urlAt = process.argv.indexOf('--url');
const transport =
  urlAt >= 0
    ? new StreamableHTTPClientTransport(new URL(String(process.argv[urlAt + 1])))
    : new StdioClientTransport({
        // The server starts the way this process did (same preload), so both sides are traced.
        command: process.execPath,
        args: [...process.execArgv, new URL('./weather-server.ts', import.meta.url).pathname],
        env: process.env as Record<string, string>,
        stderr: 'inherit',
      });

const client = new Client({ name: 'trip-planner', version: '1.0.0' });
await client.connect(transport);

const agent = new AgentSession({ role: 'trip-planner', phase: 'plan' });
const report = await agent.run(async (session) => {
  const lines: string[] = [];
  for (const city of ['Oslo', 'Rome', 'Atlantis']) {
    const result = (await session.runTool(
      'get_weather',
      () => client.callTool({ name: 'get_weather', arguments: { city } }),
      { args: { city } },
    )) as { content: Array<{ text: string }>; isError?: boolean };
    lines.push(`${result.isError ? '✗' : '✓'} ${result.content[0]?.text}`);
  }
  return lines;
});
console.log(report.join('\n'));
await client.close();
