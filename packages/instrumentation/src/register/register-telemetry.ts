import { setupTelemetry, type TelemetryHandle } from '@agentrace/otel-exporter';
import { metrics } from '@opentelemetry/api';
import type { ExitTelemetry } from './flush-on-exit.js';
import { registeredProviders } from './global-providers.js';

/** Longest time the register entry lets a flush hold an exit, whatever the export timeout says (ms). */
export const MAX_EXIT_FLUSH_MS = 5_000;

/** What the register entry set up, or found set up. */
export interface RegisterTelemetry extends ExitTelemetry {
  /** agentrace's own SDK setup, for the signals nobody had registered; `undefined` when both were. */
  readonly owned: TelemetryHandle | undefined;
  /** Whether the tracer / meter provider in use is one another setup registered before this one ran. */
  readonly borrowed: { readonly traces: boolean; readonly metrics: boolean };
}

interface Flushable {
  forceFlush?: () => Promise<unknown>;
}

async function flushBorrowed(providers: readonly unknown[]): Promise<void> {
  await Promise.all(
    providers.map(async (p) => {
      try {
        await (p as Flushable | undefined)?.forceFlush?.();
      } catch {
        // Someone else's provider: its failures are its own to report.
      }
    }),
  );
}

function borrowedLine(traces: boolean, metricsToo: boolean): string {
  const what =
    traces && metricsToo ? 'tracer and meter providers' : traces ? 'tracer provider' : 'meter provider';
  const rest =
    traces && metricsToo
      ? 'model calls go where that setup sends them'
      : traces
        ? 'spans go where that setup sends them; agentrace sets up metrics only'
        : 'metrics go where that setup sends them; agentrace sets up traces only';
  return `agentrace: using the OpenTelemetry ${what} already registered by another setup; ${rest} (flushed at exit, never shut down by agentrace)\n`;
}

/**
 * Sets up telemetry for `@agentrace/instrumentation/register`: `setupTelemetry` from the `OTEL_*` variables, for
 * each signal nobody registered a provider for. A provider another setup registered first (a `NodeSDK` in an
 * earlier `--import` file, `@opentelemetry/auto-instrumentations-node/register`) is used as it is: no second SDK
 * beside it, one line on `output` saying so, and at exit it is flushed, never shut down (it is not ours).
 */
export function registerTelemetry(output: NodeJS.WritableStream = process.stderr): RegisterTelemetry {
  const found = registeredProviders();
  const borrowed = { traces: found.tracerProvider !== undefined, metrics: found.meterProvider !== undefined };
  let owned: TelemetryHandle | undefined;
  if (!borrowed.traces || !borrowed.metrics) {
    const alone = !borrowed.traces && !borrowed.metrics;
    owned = setupTelemetry({
      output,
      // Registering beside a borrowed provider would fail for that signal (and warn): register ours by hand.
      registerGlobal: alone,
      ...(borrowed.traces && { traces: 'none' as const }),
      ...(borrowed.metrics && { metrics: 'none' as const }),
    });
    // `register()` also installs the AsyncLocalStorage context manager and W3C propagator when none is set.
    if (borrowed.metrics) owned.tracerProvider.register();
    if (borrowed.traces) metrics.setGlobalMeterProvider(owned.meterProvider);
  }
  if (borrowed.traces || borrowed.metrics) {
    try {
      output.write(borrowedLine(borrowed.traces, borrowed.metrics));
    } catch {
      // A closed stderr must not stop the app from starting.
    }
  }
  const others = [found.tracerProvider, found.meterProvider].filter((p) => p !== undefined);
  return {
    owned,
    borrowed,
    boundMs: Math.min(MAX_EXIT_FLUSH_MS, owned?.config.shutdownTimeoutMs ?? MAX_EXIT_FLUSH_MS),
    shutdown: async () => {
      await Promise.all([owned?.shutdown(), flushBorrowed(others)]);
    },
    forceFlush: async () => {
      await Promise.all([owned?.forceFlush(), flushBorrowed(others)]);
    },
  };
}
