/**
 * What `--import` loads before the unchanged MCP apps of this folder: OpenTelemetry set up by agentrace
 * (`setupTelemetry`: a trace tree in the terminal, or OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set), the ESM loader
 * hook, and the MCP instrumentation, from the sources (so the example needs no build). Installed from npm, the
 * same is `node --import @agentrace/instrumentation/mcp/register app.js`. The terminal output goes to stderr: a
 * stdio MCP server's stdout is its protocol channel.
 */
import { register } from 'node:module';
import { setupTelemetry } from '@agentrace/otel-exporter';

register(
  '@opentelemetry/instrumentation/hook.mjs',
  new URL('../../packages/instrumentation/package.json', import.meta.url),
);
const { McpInstrumentation } = await import('@agentrace/instrumentation/mcp');

const script = (process.argv[1] ?? 'app').replace(/^.*[\\/]/, '').replace(/\.[cm]?[jt]s$/, '');
const telemetry = setupTelemetry({ serviceName: script, output: process.stderr });
new McpInstrumentation();

let flushed = false;
function flush(): Promise<void> {
  if (flushed) return Promise.resolve();
  flushed = true;
  return telemetry.shutdown();
}
process.once('beforeExit', () => void flush());
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void flush().finally(() => process.exit(0)));
