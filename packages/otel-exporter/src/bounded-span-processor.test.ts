import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoundedSpanProcessor } from './bounded-span-processor.js';
import { DroppedTelemetry } from './dropped-telemetry.js';

/** Holds every export until the test answers it: a collector that has stalled. */
class StalledExporter implements SpanExporter {
  batches: Array<{ size: number; answer: (r: ExportResult) => void }> = [];
  export(spans: ReadableSpan[], answer: (r: ExportResult) => void): void {
    this.batches.push({ size: spans.length, answer });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(opts: { exportTimeoutMs?: number; sampler?: Sampler } = {}) {
  const reports: string[] = [];
  const dropped = new DroppedTelemetry((m) => reports.push(m));
  const exporter = new StalledExporter();
  const processor = new BoundedSpanProcessor(exporter, {
    maxQueueSize: 4,
    maxExportBatchSize: 2,
    scheduledDelayMs: 60_000,
    exportTimeoutMs: opts.exportTimeoutMs ?? 60_000,
    dropped,
    target: 'spans to http://stalled/v1/traces',
  });
  const provider = new BasicTracerProvider({
    spanProcessors: [processor],
    ...(opts.sampler && { sampler: opts.sampler }),
  });
  const tracer = provider.getTracer('t');
  const end = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end();
  };
  return { reports, dropped, exporter, processor, end };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BoundedSpanProcessor', () => {
  it('holds at most maxQueueSize spans while the collector stalls, counting each one that does not fit', () => {
    const t = setup();
    t.end(2); // a full batch goes straight to the (stalled) exporter
    expect(t.exporter.batches.map((b) => b.size)).toEqual([2]);
    expect(t.processor.queued).toBe(0);
    t.end(7);
    expect(t.processor.queued).toBe(4);
    expect(t.dropped.counts().spans).toBe(3);
    expect(t.reports).toEqual([expect.stringContaining('the span queue is full (4 spans)')]);
  });

  it('accepts spans again once the collector answers, and keeps its count in step with the batch processor', async () => {
    const t = setup();
    t.end(6);
    expect(t.processor.queued).toBe(4);
    t.exporter.batches[0]?.answer({ code: ExportResultCode.SUCCESS });
    // The batch processor moves on to the next full batch after the answer settles.
    await new Promise((r) => setImmediate(r));
    expect(t.exporter.batches.map((b) => b.size)).toEqual([2, 2]);
    expect(t.processor.queued).toBe(2);
    t.end(2);
    expect(t.processor.queued).toBe(4);
    expect(t.dropped.counts().spans).toBe(0);
  });

  it('counts every undelivered span once when shutdown gives up, and spans that end after shutdown', async () => {
    const t = setup({ exportTimeoutMs: 20 });
    t.end(5);
    expect([t.processor.queued, t.processor.inFlight]).toEqual([3, 2]);
    t.processor.abandon();
    t.processor.abandon();
    expect(t.dropped.counts().spans).toBe(5);
    expect(t.reports).toEqual([expect.stringContaining('shutdown timed out with spans unsent')]);
    // The stalled exports now reach their deadline: already counted, so not counted again.
    await t.processor.shutdown();
    await t.processor.forceFlush();
    expect(t.dropped.counts().spans).toBe(5);
    t.end(1);
    expect(t.dropped.counts().spans).toBe(6);
  });

  it('counts an export that never answers at its deadline', () => {
    vi.useFakeTimers();
    const t = setup({ exportTimeoutMs: 20 });
    t.end(2);
    expect(t.processor.inFlight).toBe(2);
    vi.advanceTimersByTime(19);
    expect(t.processor.inFlight).toBe(2);
    vi.advanceTimersByTime(1);
    expect(t.processor.inFlight).toBe(0);
    expect(t.dropped.counts().spans).toBe(2);
    expect(t.reports[0]).toContain('no answer within 20 ms');
  });

  it('ignores spans that were recorded but not sampled, as exporters do', () => {
    const recordOnly: Sampler = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD }),
      toString: () => 'RecordOnly',
    };
    const t = setup({ sampler: recordOnly });
    t.end(10);
    expect(t.processor.queued).toBe(0);
    expect(t.exporter.batches).toEqual([]);
    expect(t.dropped.counts().spans).toBe(0);
  });
});
