/**
 * `node --import @agentrace/instrumentation/register app.js` (or `--require`): traces and costs an unchanged app.
 *
 * It sets up OpenTelemetry through `@agentrace/otel-exporter` from the standard `OTEL_*` variables (OTLP when an
 * endpoint is set, otherwise the trace tree on stderr at exit), registers the ESM loader hook and enables every
 * instrumentation `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` select.
 * `OTEL_SDK_DISABLED=true` turns it all off. Telemetry is flushed when the process runs out of work, on
 * SIGTERM/SIGINT and on an uncaught exception, within a bounded time and without changing the exit. When another
 * setup registered tracer and meter providers first, they are used instead of a second SDK (and said so once).
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ESM_HOOKED_MODULES, registerEsmHook } from './register/esm-hook.js';
import { flushOnExit } from './register/flush-on-exit.js';
import { selectInstrumentations } from './register/instrumentations.js';
import { registerTelemetry } from './register/register-telemetry.js';

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

// Set once the entry has run in this process: loaded twice (`--import` and `--require`, or two copies of the
// package), the second load must not set up, patch or hook exits again.
const STARTED = Symbol.for('agentrace.instrumentation.register');

function start(): void {
  if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return;
  const g = globalThis as { [STARTED]?: true };
  if (g[STARTED]) return;
  g[STARTED] = true;
  if (!loadedByRequire()) registerEsmHook(ESM_HOOKED_MODULES, import.meta.url);
  const telemetry = registerTelemetry(process.stderr);
  // Without providers given, the instrumentations take the global ones: agentrace's, or the ones borrowed.
  registerInstrumentations({ instrumentations: selectInstrumentations(process.env).map((i) => i.create()) });
  flushOnExit(telemetry);
}

start();
