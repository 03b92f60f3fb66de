import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_EXIT_FLUSH_MS, registerTelemetry } from './register-telemetry.js';

function sink() {
  const lines: string[] = [];
  return {
    lines,
    stream: { write: (chunk: string) => lines.push(chunk) > 0 } as unknown as NodeJS.WritableStream,
  };
}

afterEach(() => {
  // `tracerProvider.register()` (the traces-only case) also set the context manager and propagator.
  trace.disable();
  metrics.disable();
  context.disable();
  propagation.disable();
});

describe('registerTelemetry', () => {
  it('both providers registered already: no SDK of its own, one line, and a flush reaches theirs', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const meterProvider = new MeterProvider();
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    const out = sink();
    const t = registerTelemetry(out.stream);
    expect(t.owned).toBeUndefined();
    expect(t.borrowed).toEqual({ traces: true, metrics: true });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toContain('tracer and meter providers already registered by another setup');
    expect(t.boundMs).toBe(MAX_EXIT_FLUSH_MS);
    // Still the globals: agentrace replaced nothing.
    expect(metrics.getMeterProvider()).toBe(meterProvider);
    trace.getTracer('t').startSpan('s').end();
    await t.shutdown();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    // Flushed, not shut down: it still records.
    trace.getTracer('t').startSpan('after').end();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('only a meter provider registered: agentrace sets up and registers traces, and says so', async () => {
    const meterProvider = new MeterProvider();
    metrics.setGlobalMeterProvider(meterProvider);
    const out = sink();
    const t = registerTelemetry(out.stream);
    expect(t.borrowed).toEqual({ traces: false, metrics: true });
    expect(t.owned).toBeDefined();
    expect(metrics.getMeterProvider()).toBe(meterProvider);
    expect(trace.getTracer('t').startSpan('s').spanContext().traceId).not.toMatch(/^0+$/);
    expect(out.lines.join('')).toContain('agentrace sets up traces only');
    await t.shutdown();
  });

  it('nothing registered: its own SDK for both, registered globally, and no line', async () => {
    const out = sink();
    const t = registerTelemetry(out.stream);
    expect(t.borrowed).toEqual({ traces: false, metrics: false });
    expect(t.owned?.registered.traces).toBe(true);
    expect(t.owned?.registered.metrics).toBe(true);
    expect(out.lines.filter((l) => l.includes('already registered'))).toEqual([]);
    expect(t.boundMs).toBeLessThanOrEqual(MAX_EXIT_FLUSH_MS);
    await t.shutdown();
  });
});
