import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { buildSampler, TracesSamplerName, usesRatio } from './sampler.js';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const sampledParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId,
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

function decide(name: TracesSamplerName, ratio: number, parent = ROOT_CONTEXT) {
  return buildSampler(name, ratio).shouldSample(parent, traceId, 's', SpanKind.INTERNAL, {}, []).decision;
}

describe('buildSampler', () => {
  it('builds each built-in sampler with the spec behaviour', () => {
    const { RECORD_AND_SAMPLED: yes, NOT_RECORD: no } = SamplingDecision;
    expect(decide(TracesSamplerName.ALWAYS_ON, 0)).toBe(yes);
    expect(decide(TracesSamplerName.ALWAYS_OFF, 1, sampledParent)).toBe(no);
    expect(decide(TracesSamplerName.TRACE_ID_RATIO, 0)).toBe(no);
    expect(decide(TracesSamplerName.TRACE_ID_RATIO, 1)).toBe(yes);
    // Parent-based samplers follow a sampled parent whatever their root sampler says.
    expect(decide(TracesSamplerName.PARENT_BASED_ALWAYS_OFF, 1)).toBe(no);
    expect(decide(TracesSamplerName.PARENT_BASED_ALWAYS_OFF, 1, sampledParent)).toBe(yes);
    expect(decide(TracesSamplerName.PARENT_BASED_TRACE_ID_RATIO, 0)).toBe(no);
    expect(decide(TracesSamplerName.PARENT_BASED_TRACE_ID_RATIO, 0, sampledParent)).toBe(yes);
    expect(decide(TracesSamplerName.PARENT_BASED_ALWAYS_ON, 0)).toBe(yes);
  });

  it('knows which samplers take a ratio', () => {
    expect(Object.values(TracesSamplerName).filter(usesRatio)).toEqual([
      'traceidratio',
      'parentbased_traceidratio',
    ]);
  });
});
