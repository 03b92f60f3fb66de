import {
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';

/**
 * The providers another setup (a `NodeSDK` in an earlier `--import` file, `@opentelemetry/auto-instrumentations-node/register`,
 * a hand-written `provider.register()`) has registered globally before agentrace's register entry ran; `undefined`
 * for a signal nobody registered.
 */
export interface RegisteredProviders {
  readonly tracerProvider: TracerProvider | undefined;
  readonly meterProvider: MeterProvider | undefined;
}

interface Delegating {
  getDelegate(): TracerProvider;
}

function isDelegating(p: unknown): p is Delegating {
  return typeof (p as Partial<Delegating> | undefined)?.getDelegate === 'function';
}

// The API's stand-ins are recognised by class name as well as by identity: a second copy of
// `@opentelemetry/api` in the app (another version of the same major shares the global slot) has its own
// singletons, which identity alone would take for a real provider.
function isNoop(p: unknown, noop: unknown, className: string): boolean {
  return (
    p === noop || (p as { constructor?: { name?: string } } | undefined)?.constructor?.name === className
  );
}

// A proxy with no delegate answers the API's no-op provider (this copy's singleton).
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * The tracer provider registered globally, or `undefined` when there is none. `trace.getTracerProvider()` always
 * answers a `ProxyTracerProvider`; it stands for a real provider only once a delegate is set, which
 * `trace.setGlobalTracerProvider` does (the proxy answers the API's no-op provider until then).
 */
export function registeredTracerProvider(): TracerProvider | undefined {
  const global = trace.getTracerProvider();
  const provider = isDelegating(global) ? global.getDelegate() : global;
  return isNoop(provider, NOOP_TRACER_PROVIDER, 'NoopTracerProvider') ? undefined : provider;
}

/**
 * The meter provider registered globally, or `undefined` when there is none: the metrics API has no proxy, and
 * answers its no-op provider (not exported, so known by its class) until `metrics.setGlobalMeterProvider` is called.
 */
export function registeredMeterProvider(): MeterProvider | undefined {
  const provider = metrics.getMeterProvider();
  return isNoop(provider, undefined, 'NoopMeterProvider') ? undefined : provider;
}

/** Both signals' {@link registeredTracerProvider} and {@link registeredMeterProvider}. */
export function registeredProviders(): RegisteredProviders {
  return { tracerProvider: registeredTracerProvider(), meterProvider: registeredMeterProvider() };
}
