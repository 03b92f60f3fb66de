import { SamplingDecision } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { IsolatedSampler } from './isolated-sampler.js';

describe('IsolatedSampler', () => {
  it("a sampler that throws on some spans: those are sampled as by the default, the others by the user's sampler", () => {
    let calls = 0;
    const flaky: Sampler = {
      shouldSample: () => {
        calls++;
        if (calls % 2 === 1) throw new Error('sampler bug');
        return { decision: SamplingDecision.NOT_RECORD };
      },
      toString: () => 'FlakySampler',
    };
    const warnings: string[] = [];
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      sampler: new IsolatedSampler(flaky, (m) => warnings.push(m)),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 6; i++) tracer.startSpan(`s${i}`).end();
    // Odd calls threw (default: sampled), even ones answered NOT_RECORD.
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['s0', 's2', 's4']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/FlakySampler.*sampler bug/);
  });

  it('unisolated (the SDK as is), the same sampler makes startSpan throw', () => {
    const provider = new BasicTracerProvider({
      sampler: {
        shouldSample: () => {
          throw new Error('sampler bug');
        },
      },
    });
    expect(() => provider.getTracer('t').startSpan('s')).toThrow('sampler bug');
  });
});
