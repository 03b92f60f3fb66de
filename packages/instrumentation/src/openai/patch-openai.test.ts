import { metrics, SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { resolveClientOptions } from '../clients/client-call.js';
import { type ClientMethod, wrapCreate } from './patch-openai.js';
import { OpenAIOperation } from './request-attributes.js';

// `create` methods of shapes other than the client's APIPromise: the wrapper's contract with what it cannot
// recognise. (The real client is tested against a loopback server in test/instrumentation-openai*.test.ts.)
function setup(original: ClientMethod) {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer(
    't',
  );
  const create = wrapCreate(
    {
      tracer,
      meter: metrics.getMeter('t'),
      enabled: true,
      options: resolveClientOptions({ abandonAfterMs: 1_000 }),
    },
    original,
    OpenAIOperation.CHAT,
  );
  return { exporter, create };
}

const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
};

describe('wrapCreate on what is not an APIPromise', () => {
  it('a plain promise: the app gets that same promise, the span its usage', async () => {
    const returned = Promise.resolve(COMPLETION);
    const { exporter, create } = setup(() => returned);
    const result = create.call({}, { model: 'gpt-4o', messages: [] });
    expect(result).toBe(returned);
    expect(await result).toBe(COMPLETION);
    await new Promise((r) => setImmediate(r));
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes['gen_ai.usage.output_tokens']).toBe(2);
  });

  it('a plain promise that rejects: the app gets the rejection, the span fails', async () => {
    const { exporter, create } = setup(() =>
      Promise.reject(Object.assign(new Error('slow down'), { status: 429 })),
    );
    await expect(create.call({}, { model: 'gpt-4o' }) as Promise<unknown>).rejects.toThrow('slow down');
    await new Promise((r) => setImmediate(r));
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('rate_limit');
  });

  it('a value that is no promise is returned as it is; the span ends at once', () => {
    const value = { hello: 'world' };
    const { exporter, create } = setup(() => value);
    expect(create.call({}, { model: 'gpt-4o' })).toBe(value);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('a create that throws: the app gets the same error, the span fails', () => {
    const boom = new Error('bad argument');
    const { exporter, create } = setup(() => {
      throw boom;
    });
    expect(() => create.call({}, { model: 'gpt-4o' })).toThrow(boom);
    expect(exporter.getFinishedSpans()[0]?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a create called inside a patched call (parse → create) records nothing of its own', () => {
    const inner = setup(() => COMPLETION);
    const outer = setup(() => inner.create.call({}, { model: 'gpt-4o' }));
    outer.create.call({}, { model: 'gpt-4o' });
    expect(outer.exporter.getFinishedSpans()).toHaveLength(1);
    expect(inner.exporter.getFinishedSpans()).toHaveLength(0);
  });
});
