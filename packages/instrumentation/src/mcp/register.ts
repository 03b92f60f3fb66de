/**
 * `node --import @agentrace/instrumentation/mcp/register app.js`: traces an unchanged MCP client or server.
 *
 * It sets up OpenTelemetry through `@agentrace/otel-exporter` (OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set,
 * otherwise a trace tree on stderr, since a stdio MCP server's stdout is its protocol channel), registers the ESM
 * loader hook, and enables {@link McpInstrumentation}. Telemetry is flushed when the process runs out of work or
 * is stopped by SIGTERM/SIGINT.
 *
 * This is the MCP-only entry. `@agentrace/instrumentation/register` enables every instrumentation agentrace
 * has, MCP included.
 */
import { register } from 'node:module';
import { setupTelemetry } from '@agentrace/otel-exporter';
import { McpInstrumentation } from './mcp-instrumentation.js';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const telemetry = setupTelemetry({ output: process.stderr });
new McpInstrumentation();

let flushing: Promise<void> | undefined;
function flush(): Promise<void> {
  flushing ??= telemetry.shutdown();
  return flushing;
}

process.once('beforeExit', () => void flush());
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void flush().finally(() => {
      // Only when nothing else handles the signal: then the process ends as it would have without us.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  });
}
