import { semconv } from '@agentrace/core';
import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';

/**
 * Bucket boundaries (seconds) for `agentrace.tool.duration`: tools are often much faster than model calls, so the
 * buckets start at a millisecond. The same values as the API advice `@agentrace/core` sets on the instrument.
 */
export const AGENTRACE_TOOL_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Every histogram agentrace emits (or the GenAI conventions define) and its explicit bucket boundaries. */
export const HISTOGRAM_BUCKETS: Readonly<Record<string, readonly number[]>> = {
  [semconv.METRIC_GEN_AI_CLIENT_TOKEN_USAGE]: semconv.GEN_AI_TOKEN_USAGE_BUCKETS,
  [semconv.METRIC_GEN_AI_CLIENT_OPERATION_DURATION]: semconv.GEN_AI_DURATION_BUCKETS,
  [semconv.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK]: semconv.GEN_AI_DURATION_BUCKETS,
  [semconv.METRIC_AGENTRACE_TOOL_DURATION]: AGENTRACE_TOOL_DURATION_BUCKETS,
  [semconv.METRIC_AGENTRACE_TURN_DURATION]: semconv.GEN_AI_DURATION_BUCKETS,
};

/**
 * Views that pin the explicit bucket boundaries of {@link HISTOGRAM_BUCKETS}.
 *
 * `@agentrace/core` already sets them as instrument advice, which the SDK honours; the views make them hold as
 * well for instruments created without advice (another GenAI instrumentation recording `gen_ai.client.*`, an
 * SDK that ignores advice), whose default boundaries (0 … 10000) are useless for seconds and tokens. They match
 * by instrument name, whatever the meter.
 */
export function histogramViews(): ViewOptions[] {
  return Object.entries(HISTOGRAM_BUCKETS).map(([instrumentName, boundaries]) => ({
    instrumentName,
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...boundaries] },
    },
  }));
}
