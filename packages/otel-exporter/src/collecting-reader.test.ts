import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollectingReader } from './collecting-reader.js';

/** A reader that collects whenever the test says (an OTLP export or a scrape). */
class OtherReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * How many accumulations the SDK holds back for `reader` (its per-reader stash). SDK internals, read only to show
 * the growth this reader's compaction exists to bound; if the SDK changes shape this helper is what to update.
 */
function stashed(provider: MeterProvider, reader: MetricReader): number {
  // biome-ignore lint/suspicious/noExplicitAny: reading the SDK's internal state is the point of this check.
  const state = (provider as any)._sharedState;
  let total = 0;
  for (const meter of state.meterSharedStates.values())
    for (const storages of meter.metricStorageRegistry._sharedRegistry.values())
      for (const storage of storages)
        for (const [handle, list] of storage._temporalMetricStorage._unreportedAccumulations)
          if (handle._metricReader === reader) total += list.length;
  return total;
}

// The SDK shares an instrument's storage between readers only when a view matches it (setupTelemetry's histogram
// views do), and the stash lives in that shared storage.
const VIEWS = [{ instrumentName: 'c' }];

afterEach(() => {
  vi.useRealTimers();
});

describe('CollectingReader', () => {
  it('without compaction, the SDK keeps an accumulation for it per collection of another reader', async () => {
    const reader = new CollectingReader();
    const other = new OtherReader();
    const provider = new MeterProvider({ readers: [reader, other], views: VIEWS });
    const counter = provider.getMeter('m').createCounter('c');
    for (let i = 0; i < 20; i++) {
      counter.add(1, { k: 'v' });
      await other.collect();
    }
    expect(stashed(provider, reader)).toBe(20);
    await provider.shutdown();
  });

  it('with compaction, it collects on a timer, so what the SDK keeps for it stays bounded and totals stay cumulative', async () => {
    vi.useFakeTimers();
    const reader = new CollectingReader({ compactIntervalMs: 1000 });
    const other = new OtherReader();
    const provider = new MeterProvider({ readers: [reader, other], views: VIEWS });
    const counter = provider.getMeter('m').createCounter('c');
    for (let i = 0; i < 20; i++) {
      counter.add(1, { k: 'v' });
      await other.collect();
      if (i % 5 === 4) await vi.advanceTimersByTimeAsync(1000);
    }
    expect(stashed(provider, reader)).toBeLessThanOrEqual(5);
    const { resourceMetrics } = await reader.collect();
    const point = resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!;
    expect(point.value).toBe(20);
    await provider.shutdown();
  });
});
