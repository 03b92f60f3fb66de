import { AgentraceError } from '@agentrace/core';

/**
 * The Prometheus scrape endpoint could not listen (the port is taken, the host is not an address of this
 * machine). Telemetry carries on without it; this surfaces only from `prometheus.ready()`.
 */
export class TelemetryEndpointError extends AgentraceError {
  static override readonly errorName = 'TelemetryEndpointError';
  /** Interface it tried to bind (undefined: every interface). */
  readonly host: string | undefined;
  /** Port it tried to bind. */
  readonly port: number;
  /** The system error code (`EADDRINUSE`, `EADDRNOTAVAIL`, …), when there is one. */
  readonly code: string | undefined;

  constructor(init: { host: string | undefined; port: number; cause: unknown }) {
    const code =
      init.cause && typeof (init.cause as { code?: unknown }).code === 'string'
        ? ((init.cause as { code: string }).code as string)
        : undefined;
    super(
      `cannot serve Prometheus metrics on ${init.host ?? '*'}:${init.port}` +
        (code ? ` (${code})` : init.cause instanceof Error ? ` (${init.cause.message})` : ''),
      { cause: init.cause },
    );
    this.host = init.host;
    this.port = init.port;
    this.code = code;
  }
}
