import { semconv } from '@agentrace/core';
import { type DataPoint, type Histogram, MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { CollectingReader } from './collecting-reader.js';
import { AGENTRACE_TOOL_DURATION_BUCKETS, HISTOGRAM_BUCKETS, histogramViews } from './histogram-views.js';

async function boundariesOf(provider: MeterProvider, reader: CollectingReader, name: string) {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const m of scope.metrics) {
      if (m.descriptor.name === name)
        return (m.dataPoints[0] as DataPoint<Histogram>).value.buckets.boundaries;
    }
  }
  throw new Error(`no metric ${name} (provider ${String(provider)})`);
}

describe('histogramViews', () => {
  it('pins the GenAI bucket boundaries on instruments created without advice, from any meter', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ views: histogramViews(), readers: [reader] });
    // Another instrumentation's histograms, with no advice: the SDK default would be 0 … 10000.
    const meter = provider.getMeter('@opentelemetry/instrumentation-openai');
    meter.createHistogram(semconv.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, { unit: 's' }).record(0.3);
    meter.createHistogram(semconv.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, { unit: '{token}' }).record(100);
    meter.createHistogram(semconv.METRIC_AGENTRACE_TOOL_DURATION, { unit: 's' }).record(0.002);
    meter.createHistogram('http.client.request.duration', { unit: 's' }).record(0.3);

    expect(await boundariesOf(provider, reader, semconv.METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).toEqual([
      ...semconv.GEN_AI_DURATION_BUCKETS,
    ]);
    expect(await boundariesOf(provider, reader, semconv.METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toEqual([
      ...semconv.GEN_AI_TOKEN_USAGE_BUCKETS,
    ]);
    expect(await boundariesOf(provider, reader, semconv.METRIC_AGENTRACE_TOOL_DURATION)).toEqual([
      ...AGENTRACE_TOOL_DURATION_BUCKETS,
    ]);
    // Histograms that are not ours keep the SDK's defaults.
    expect(await boundariesOf(provider, reader, 'http.client.request.duration')).toContain(10000);
  });

  it('covers every histogram agentrace records, first-chunk latency included', () => {
    expect(Object.keys(HISTOGRAM_BUCKETS).sort()).toEqual(
      [
        semconv.METRIC_AGENTRACE_TOOL_DURATION,
        semconv.METRIC_AGENTRACE_TURN_DURATION,
        semconv.METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
        semconv.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
        semconv.METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
      ].sort(),
    );
    for (const boundaries of Object.values(HISTOGRAM_BUCKETS)) {
      expect([...boundaries].sort((a, b) => a - b)).toEqual([...boundaries]);
    }
  });
});
