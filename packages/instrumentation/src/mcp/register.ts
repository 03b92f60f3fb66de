/**
 * `node --import @agentrace/instrumentation/mcp/register app.js`: traces an unchanged MCP client or server.
 *
 * It sets up OpenTelemetry through `@agentrace/otel-exporter` (OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set,
 * otherwise a trace tree on stderr, since a stdio MCP server's stdout is its protocol channel), registers the ESM
 * loader hook, and enables {@link McpInstrumentation}. Telemetry is flushed when the process runs out of work or
 * is stopped by SIGTERM/SIGINT, within a bounded time and without changing the exit; `OTEL_SDK_DISABLED=true`
 * turns it off.
 *
 * This is the MCP-only entry. `@agentrace/instrumentation/register` enables every instrumentation agentrace
 * has, MCP included.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MCP_ESM_HOOKED_MODULES, registerEsmHook } from '../register/esm-hook.js';
import { flushOnExit } from '../register/flush-on-exit.js';
import { registerTelemetry } from '../register/register-telemetry.js';
import { McpInstrumentation } from './mcp-instrumentation.js';

// The same setup and exit handling as the general entry (bounded flush, exit code and signals kept, providers
// another setup registered first reused), with only the MCP instrumentation enabled.
if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') {
  registerEsmHook(MCP_ESM_HOOKED_MODULES, import.meta.url);
  const telemetry = registerTelemetry(process.stderr);
  registerInstrumentations({ instrumentations: [new McpInstrumentation()] });
  flushOnExit(telemetry);
}
