import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { registeredMeterProvider, registeredTracerProvider } from './global-providers.js';

afterEach(() => {
  trace.disable();
  metrics.disable();
});

describe('registeredTracerProvider / registeredMeterProvider', () => {
  it('nothing registered: the API proxy with no delegate and the no-op meter provider count as none', () => {
    expect(registeredTracerProvider()).toBeUndefined();
    expect(registeredMeterProvider()).toBeUndefined();
  });

  it('a registered tracer provider is found behind the proxy; the meter side stays empty', () => {
    const provider = new BasicTracerProvider();
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    expect(registeredTracerProvider()).toBe(provider);
    expect(registeredMeterProvider()).toBeUndefined();
  });

  it('a registered meter provider is found', () => {
    const provider = new MeterProvider();
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    expect(registeredMeterProvider()).toBe(provider);
    expect(registeredTracerProvider()).toBeUndefined();
  });

  it('disabled again: none', () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    metrics.setGlobalMeterProvider(new MeterProvider());
    trace.disable();
    metrics.disable();
    expect(registeredTracerProvider()).toBeUndefined();
    expect(registeredMeterProvider()).toBeUndefined();
  });
});
