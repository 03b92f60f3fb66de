import { ROOT_CONTEXT, type SpanContext, trace } from '@opentelemetry/api';
import { BasicTracerProvider, type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DroppedTelemetry } from './dropped-telemetry.js';
import { TerminalSpanProcessor } from './terminal-span-processor.js';
import { createStyle } from './terminal-style.js';

function setup(opts: { maxBufferedSpans?: number; sampler?: Sampler; write?: (s: string) => unknown } = {}) {
  const chunks: string[] = [];
  const reports: string[] = [];
  const dropped = new DroppedTelemetry((m) => reports.push(m));
  const processor = new TerminalSpanProcessor({
    output: { write: opts.write ?? ((s: string) => chunks.push(s)) },
    style: createStyle(false),
    dropped,
    ...(opts.maxBufferedSpans !== undefined && { maxBufferedSpans: opts.maxBufferedSpans }),
  });
  const provider = new BasicTracerProvider({
    spanProcessors: [processor],
    ...(opts.sampler && { sampler: opts.sampler }),
  });
  return { chunks, reports, dropped, processor, provider, tracer: provider.getTracer('t') };
}

describe('TerminalSpanProcessor', () => {
  it('prints a trace once, when its root ends, with the children that ended before it', () => {
    const t = setup();
    const root = t.tracer.startSpan('invoke_agent a');
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    t.tracer.startSpan('chat m', {}, ctx).end();
    t.tracer.startSpan('execute_tool x', {}, ctx).end();
    expect(t.chunks).toEqual([]);
    expect(t.processor.buffered).toBe(2);
    root.end();
    expect(t.chunks).toHaveLength(1);
    expect(t.chunks[0]).toMatch(/^\ninvoke_agent a .*\n├─ chat m .*\n└─ execute_tool x .*\n$/);
    expect(t.processor.buffered).toBe(0);
  });

  it('treats a span under a remote parent as a local root (a request that continues a trace)', () => {
    const t = setup();
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
      isRemote: true,
    });
    t.tracer.startSpan('server span', {}, remote).end();
    expect(t.chunks[0]).toContain(`server span`);
    expect(t.chunks[0]).toContain(`trace ${'a'.repeat(32)}`);
  });

  it('bounds what it holds for unfinished traces, dropping (and counting) the oldest trace', () => {
    const t = setup({ maxBufferedSpans: 3 });
    const first = t.tracer.startSpan('first root');
    const second = t.tracer.startSpan('second root');
    const c1 = trace.setSpan(ROOT_CONTEXT, first);
    const c2 = trace.setSpan(ROOT_CONTEXT, second);
    t.tracer.startSpan('a', {}, c1).end();
    t.tracer.startSpan('b', {}, c1).end();
    t.tracer.startSpan('c', {}, c2).end();
    expect(t.dropped.counts().spans).toBe(0);
    t.tracer.startSpan('d', {}, c2).end();
    expect(t.dropped.counts().spans).toBe(2);
    expect(t.processor.buffered).toBe(2);
    expect(t.reports[0]).toContain('the terminal view holds at most 3 spans');
    first.end();
    second.end();
    expect(t.chunks[0]).not.toContain('├─ a');
    expect(t.chunks[1]).toMatch(/second root .*\n├─ c .*\n└─ d /);
  });

  it('prints what is left at shutdown as incomplete, then counts late spans as dropped', async () => {
    const t = setup();
    const root = t.tracer.startSpan('still running');
    t.tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
    await t.processor.forceFlush();
    expect(t.chunks).toEqual([]);
    await t.processor.shutdown();
    await t.processor.shutdown();
    expect(t.chunks).toHaveLength(1);
    expect(t.chunks[0]).toContain('(trace incomplete');
    expect(t.chunks[0]).toContain('child');
    root.end();
    expect(t.chunks).toHaveLength(1);
    expect(t.dropped.counts().spans).toBe(1);
  });

  it('never lets a failing output reach the code that ended the span', () => {
    const t = setup({
      write: () => {
        throw new Error('EPIPE');
      },
    });
    expect(() => t.tracer.startSpan('root').end()).not.toThrow();
  });

  it('skips spans that were recorded but not sampled', () => {
    const recordOnly: Sampler = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD }),
      toString: () => 'RecordOnly',
    };
    const t = setup({ sampler: recordOnly });
    t.tracer.startSpan('root').end();
    expect(t.chunks).toEqual([]);
  });

  it('names handoff sources it printed, remembering a bounded number of agents', () => {
    const t = setup();
    const agents: SpanContext[] = [];
    for (let i = 0; i < 1001; i++) {
      const span = t.tracer.startSpan(`invoke_agent a${i}`, {
        attributes: { 'gen_ai.operation.name': 'invoke_agent' },
      });
      span.end();
      agents.push(span.spanContext());
    }
    const link = (context: SpanContext) => ({
      context,
      attributes: { 'agentrace.link.type': 'handoff' },
    });
    t.tracer.startSpan('invoke_agent target', { links: [link(agents[0]!), link(agents[1000]!)] }).end();
    const printed = t.chunks.at(-1)!;
    expect(printed).toContain(`↪ handed off from span ${agents[0]!.spanId}`);
    expect(printed).toContain(`↪ handed off from invoke_agent a1000 ${agents[1000]!.spanId}`);
  });
});
