import type { Tracer, TracerProvider } from '@opentelemetry/api';

/**
 * A tracer provider whose tracer forwards every call to `current()`: an instrumentation's tracer, looked up at
 * each span, so that a framework layer made once follows `setTracerProvider` on its instrumentation (as
 * `registerInstrumentations` and a NodeSDK call it) instead of keeping the provider of the moment it was made.
 */
export function forwardingTracerProvider(current: () => Tracer): TracerProvider {
  const tracer: Tracer = {
    startSpan: (name, options, ctx) => current().startSpan(name, options, ctx),
    startActiveSpan: ((...args: unknown[]) =>
      (current().startActiveSpan as (...a: unknown[]) => unknown)(...args)) as Tracer['startActiveSpan'],
  };
  return { getTracer: () => tracer };
}
