import type { ValueOf } from '@agentrace/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

/** The `OTEL_TRACES_SAMPLER` values agentrace understands (the spec's built-in samplers). */
export const TracesSamplerName = {
  ALWAYS_ON: 'always_on',
  ALWAYS_OFF: 'always_off',
  TRACE_ID_RATIO: 'traceidratio',
  PARENT_BASED_ALWAYS_ON: 'parentbased_always_on',
  PARENT_BASED_ALWAYS_OFF: 'parentbased_always_off',
  PARENT_BASED_TRACE_ID_RATIO: 'parentbased_traceidratio',
} as const;
export type TracesSamplerName = ValueOf<typeof TracesSamplerName>;

/** The spec's default: follow the parent's decision, sample every root. */
export const DEFAULT_SAMPLER: TracesSamplerName = TracesSamplerName.PARENT_BASED_ALWAYS_ON;

/** Builds a built-in sampler; `ratio` applies to the ratio-based ones (validated by the caller). */
export function buildSampler(name: TracesSamplerName, ratio: number): Sampler {
  switch (name) {
    case TracesSamplerName.ALWAYS_ON:
      return new AlwaysOnSampler();
    case TracesSamplerName.ALWAYS_OFF:
      return new AlwaysOffSampler();
    case TracesSamplerName.TRACE_ID_RATIO:
      return new TraceIdRatioBasedSampler(ratio);
    case TracesSamplerName.PARENT_BASED_ALWAYS_OFF:
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case TracesSamplerName.PARENT_BASED_TRACE_ID_RATIO:
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Whether the sampler takes a ratio argument. */
export function usesRatio(name: TracesSamplerName): boolean {
  return name === TracesSamplerName.TRACE_ID_RATIO || name === TracesSamplerName.PARENT_BASED_TRACE_ID_RATIO;
}
