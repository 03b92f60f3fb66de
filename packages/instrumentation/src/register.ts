/**
 * `node --import @agentrace/instrumentation/register app.js` (or `--require`): traces and costs an unchanged app.
 *
 * It sets up OpenTelemetry through `@agentrace/otel-exporter` from the standard `OTEL_*` variables (OTLP when an
 * endpoint is set, otherwise the trace tree on stderr at exit), registers the ESM loader hook and enables every
 * instrumentation `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` select.
 * `OTEL_SDK_DISABLED=true` turns it all off. Telemetry is flushed when the process runs out of work, on
 * SIGTERM/SIGINT and on an uncaught exception, within a bounded time and without changing the exit.
 */
import { register } from 'node:module';
import { setupTelemetry } from '@agentrace/otel-exporter';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { selectInstrumentations } from './register/instrumentations.js';

const FLUSH_TIMEOUT_MS = 5_000;

// Loaded with `--require` (Node's require of an ES module), this file must not register the ESM loader hook:
// on Node 22 an async hook registered during a synchronous require breaks every later require of an ES module
// (ERR_METHOD_NOT_IMPLEMENTED resolveSync). A CommonJS app is patched through require-in-the-middle instead.
function loadedByRequire(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((arg, i) => {
    const value = arg.startsWith('--require=') ? arg.slice('--require='.length) : undefined;
    const next = arg === '--require' || arg === '-r' ? args[i + 1] : value;
    return next?.includes('instrumentation/register') === true;
  });
}

function start(): void {
  if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return;
  if (!loadedByRequire()) register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const telemetry = setupTelemetry({ output: process.stderr });
  registerInstrumentations({ instrumentations: selectInstrumentations(process.env).map((i) => i.create()) });

  let flushing: Promise<void> | undefined;
  const flush = (): Promise<void> => {
    flushing ??= new Promise<void>((resolve) => {
      // Bounded: a collector that does not answer must not hold the process.
      const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
      timer.unref();
      telemetry.shutdown().then(
        () => resolve(),
        () => resolve(),
      );
    });
    return flushing;
  };

  process.once('beforeExit', () => void flush());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void flush().finally(() => {
        // Only when nothing else handles the signal: then the process ends as it would have without us.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    });
  }
  // A monitor listener neither swallows the error nor changes the exit code: Node still prints it and exits 1.
  // The flush it starts races the exit; the spans already exported by then are the ones that survive.
  process.on('uncaughtExceptionMonitor', () => void flush());
}

start();
