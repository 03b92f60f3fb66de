import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { IsolatedSpanProcessor } from './isolated-span-processor.js';

const throwing: SpanProcessor = {
  onStart: () => {
    throw new Error('onStart down');
  },
  onEnd: () => {
    throw new Error('onEnd down');
  },
  forceFlush: () => {
    throw new Error('flush down');
  },
  shutdown: () => {
    throw new Error('shutdown down');
  },
};

function providerWith(first: SpanProcessor) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [first, new SimpleSpanProcessor(exporter)] });
  return { exporter, provider };
}

describe('IsolatedSpanProcessor', () => {
  it('unisolated (the SDK as is), a throwing onStart stops the span for every processor', () => {
    const { exporter, provider } = providerWith(throwing);
    expect(() => provider.getTracer('t').startSpan('s')).toThrow('onStart down');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('isolated, the processor after it gets every span, and each failure is reported once', async () => {
    const warnings: string[] = [];
    const { exporter, provider } = providerWith(new IsolatedSpanProcessor(throwing, (m) => warnings.push(m)));
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 5; i++) tracer.startSpan(`s${i}`).end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    await expect(provider.shutdown()).resolves.toBeUndefined();
    expect(warnings).toHaveLength(4);
    expect(warnings.map((w) => /threw in (\w+)/.exec(w)?.[1])).toEqual([
      'onStart',
      'onEnd',
      'forceFlush',
      'shutdown',
    ]);
  });

  it('a rejecting forceFlush or shutdown resolves', async () => {
    const rejecting = new IsolatedSpanProcessor(
      {
        onStart: () => {},
        onEnd: () => {},
        forceFlush: () => Promise.reject(new Error('no')),
        shutdown: () => Promise.reject(new Error('no')),
      },
      () => {},
    );
    await expect(rejecting.forceFlush()).resolves.toBeUndefined();
    await expect(rejecting.shutdown()).resolves.toBeUndefined();
  });
});
