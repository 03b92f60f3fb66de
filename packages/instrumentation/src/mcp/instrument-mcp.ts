import { ValidationError, VERSION } from '@agentrace/core';
import { type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import { INSTRUMENTATION_PACKAGE_NAME } from '../package-name.js';
import { isProtocolLike } from './mcp-shapes.js';
import { type McpInstrumentationOptions, McpTelemetry } from './mcp-telemetry.js';
import { isPatched, patchProtocol } from './patch-protocol.js';

/** Options of {@link instrumentMcp}. */
export interface InstrumentMcpOptions extends McpInstrumentationOptions {
  /** Where spans go (default: the global tracer provider). */
  tracerProvider?: TracerProvider;
  /** Where the MCP duration metrics go (default: the global meter provider). */
  meterProvider?: MeterProvider;
}

/**
 * Instruments one MCP `Client`, `Server`, or `McpServer` (its `.server`), for setups configured in code rather
 * than through the register entry point. Call it before `connect()`. Returns what it was given; instrumenting
 * something already instrumented (by this or by the register entry point) changes nothing.
 *
 * @throws {ValidationError} `target` is not an MCP SDK Client, Server or McpServer.
 * @example
 * ```ts
 * import { instrumentMcp } from '@agentrace/instrumentation/mcp';
 * const client = instrumentMcp(new Client({ name: 'agent', version: '1.0.0' }));
 * await client.connect(transport);
 * ```
 */
export function instrumentMcp<T extends object>(target: T, opts: InstrumentMcpOptions = {}): T {
  const protocol = isProtocolLike(target) ? target : (target as { server?: unknown }).server;
  if (!isProtocolLike(protocol)) {
    throw new ValidationError({
      field: 'target',
      value: target,
      expected: 'an @modelcontextprotocol/sdk Client, Server or McpServer',
    });
  }
  if (isPatched(protocol)) return target;
  const name = `${INSTRUMENTATION_PACKAGE_NAME}/mcp`;
  const telemetry = new McpTelemetry(
    () => (opts.tracerProvider ?? trace.getTracerProvider()).getTracer(name, VERSION),
    () => (opts.meterProvider ?? metrics.getMeterProvider()).getMeter(name, VERSION),
    opts,
  );
  patchProtocol(protocol, telemetry);
  return target;
}
