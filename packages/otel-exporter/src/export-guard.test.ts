import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  InstrumentType,
  MeterProvider,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollectingReader } from './collecting-reader.js';
import { DroppedTelemetry } from './dropped-telemetry.js';
import { GuardedMetricExporter, GuardedSpanExporter, settle } from './export-guard.js';

/** A span exporter whose answers the test controls. */
class ControlledExporter implements SpanExporter {
  pending: Array<(r: ExportResult) => void> = [];
  received = 0;
  behaviour: 'hold' | 'fail' | 'throw' | 'ok' = 'hold';
  export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    this.received += spans.length;
    if (this.behaviour === 'throw') throw new Error('serializer blew up');
    if (this.behaviour === 'ok') cb({ code: ExportResultCode.SUCCESS });
    else if (this.behaviour === 'fail') {
      cb({ code: ExportResultCode.FAILED, error: Object.assign(new Error('Bad Gateway'), { code: 502 }) });
    } else this.pending.push(cb);
  }
  shutdown(): Promise<void> {
    return Promise.reject(new Error('shutdown failed'));
  }
  forceFlush(): Promise<void> {
    return Promise.reject(new Error('flush failed'));
  }
}

function spans(n: number): ReadableSpan[] {
  const tracer = new BasicTracerProvider().getTracer('t');
  return Array.from({ length: n }, (_, i) => {
    const s = tracer.startSpan(`s${i}`);
    s.end();
    return s as unknown as ReadableSpan;
  });
}

function setup() {
  const reports: string[] = [];
  const dropped = new DroppedTelemetry((m) => reports.push(m));
  const inner = new ControlledExporter();
  const handedOff: number[] = [];
  const settled: number[] = [];
  const state = { counting: true };
  const guarded = new GuardedSpanExporter(
    inner,
    { timeoutMs: 1000, dropped, target: 'spans to http://c/v1/traces' },
    {
      handedOff: (n) => handedOff.push(n),
      settled: (n) => settled.push(n),
      countsFailures: () => state.counting,
    },
  );
  const results: ExportResult[] = [];
  return {
    reports,
    dropped,
    inner,
    guarded,
    results,
    handedOff,
    settled,
    state,
    answer: (r: ExportResult) => results.push(r),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('GuardedSpanExporter', () => {
  it('passes a success through and counts nothing', () => {
    const t = setup();
    t.inner.behaviour = 'ok';
    t.guarded.export(spans(2), t.answer);
    expect(t.results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    expect(t.handedOff).toEqual([2]);
    expect(t.settled).toEqual([2]);
    expect(t.dropped.counts().spans).toBe(0);
  });

  it('does not count a failure once told the spans were already counted', () => {
    const t = setup();
    t.inner.behaviour = 'fail';
    t.state.counting = false;
    t.guarded.export(spans(3), t.answer);
    expect(t.settled).toEqual([3]);
    expect(t.dropped.counts().spans).toBe(0);
    expect(t.reports).toEqual([]);
  });

  it('works without hooks', () => {
    const dropped = new DroppedTelemetry(() => {});
    const inner = new ControlledExporter();
    inner.behaviour = 'fail';
    new GuardedSpanExporter(inner, { timeoutMs: 1000, dropped, target: 'spans' }).export(spans(1), () => {});
    expect(dropped.counts().spans).toBe(1);
  });

  it('counts a failed export as dropped but answers SUCCESS, so the SDK does not log every failure', () => {
    const t = setup();
    t.inner.behaviour = 'fail';
    t.guarded.export(spans(3), t.answer);
    t.guarded.export(spans(2), t.answer);
    expect(t.results).toEqual([{ code: ExportResultCode.SUCCESS }, { code: ExportResultCode.SUCCESS }]);
    expect(t.dropped.counts().spans).toBe(5);
    expect(t.reports).toHaveLength(1);
    expect(t.reports[0]).toContain('export of spans to http://c/v1/traces failed: HTTP 502 Bad Gateway');
  });

  it('counts an exporter that throws', () => {
    const t = setup();
    t.inner.behaviour = 'throw';
    expect(() => t.guarded.export(spans(1), t.answer)).not.toThrow();
    expect(t.results).toHaveLength(1);
    expect(t.reports[0]).toContain('serializer blew up');
  });

  it('gives up on an export with no answer at the deadline and ignores the late answer', () => {
    vi.useFakeTimers();
    const t = setup();
    t.guarded.export(spans(4), t.answer);
    expect(t.results).toHaveLength(0);
    vi.advanceTimersByTime(999);
    expect(t.results).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(t.results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    expect(t.dropped.counts().spans).toBe(4);
    expect(t.reports[0]).toContain('no answer within 1000 ms');
    t.inner.pending[0]?.({ code: ExportResultCode.SUCCESS });
    expect(t.results).toHaveLength(1);
    expect(t.dropped.counts().spans).toBe(4);
  });

  it('resolves shutdown and forceFlush even when the inner exporter rejects', async () => {
    const t = setup();
    await expect(t.guarded.shutdown()).resolves.toBeUndefined();
    await expect(t.guarded.forceFlush()).resolves.toBeUndefined();
    await expect(settle(undefined)).resolves.toBeUndefined();
  });
});

async function someMetrics(): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('m');
  meter.createCounter('a').add(1, { k: 'x' });
  meter.createCounter('a').add(1, { k: 'y' });
  meter.createHistogram('b').record(3);
  return (await reader.collect()).resourceMetrics;
}

describe('GuardedMetricExporter', () => {
  it('counts a failed export and its data points, and answers SUCCESS', async () => {
    const reports: string[] = [];
    const dropped = new DroppedTelemetry((m) => reports.push(m));
    const failing: PushMetricExporter = {
      export: (_m, cb) => cb({ code: ExportResultCode.FAILED, error: new Error('socket hang up') }),
      forceFlush: () => Promise.reject(new Error('x')),
      shutdown: () => Promise.reject(new Error('x')),
    };
    const guarded = new GuardedMetricExporter(failing, {
      timeoutMs: 1000,
      dropped,
      target: 'metrics to http://c',
    });
    const results: ExportResult[] = [];
    guarded.export(await someMetrics(), (r) => results.push(r));
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    expect(dropped.counts()).toEqual({ spans: 0, metricExports: 1, metricPoints: 3 });
    expect(reports[0]).toContain('metrics to http://c failed: socket hang up');
    expect(guarded.selectAggregationTemporality).toBeUndefined();
    await expect(guarded.forceFlush()).resolves.toBeUndefined();
    await expect(guarded.shutdown()).resolves.toBeUndefined();
  });

  it('keeps the inner exporter temporality and aggregation preferences', async () => {
    const inner = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const dropped = new DroppedTelemetry(() => {});
    const guarded = new GuardedMetricExporter(
      Object.assign(inner, { selectAggregation: () => ({ type: 0 }) }) as PushMetricExporter,
      { timeoutMs: 1000, dropped, target: 'metrics' },
    );
    expect(guarded.selectAggregationTemporality?.(InstrumentType.COUNTER)).toBe(AggregationTemporality.DELTA);
    expect(guarded.selectAggregation?.(InstrumentType.COUNTER)).toEqual({ type: 0 });
    guarded.export(await someMetrics(), () => {});
    expect(inner.getMetrics()).toHaveLength(1);
    expect(dropped.counts().metricExports).toBe(0);
  });
});
