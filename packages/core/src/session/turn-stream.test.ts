import { PriceTable } from '@agentrace/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { AgentSession } from './agent-session.js';
import type { Session } from './session.js';
import { isStreamResult, observeStream } from './turn-stream.js';

let otel: TestTelemetry;
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(async () => {
  await otel.shutdown();
});

function agent() {
  const pricing = new PriceTable();
  pricing.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
  return new AgentSession({
    role: 'writer',
    phase: 'draft',
    pricing,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  });
}

/** Chat Completions chunks as OpenAI streams them with `stream_options: { include_usage: true }`. */
function openAIChunks(words: string[]) {
  const base = {
    id: 'chatcmpl-abc',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-2024-08-06',
  };
  return [
    ...words.map((w, i) => ({
      ...base,
      choices: [
        {
          index: 0,
          delta: i === 0 ? { role: 'assistant', content: w } : { content: w },
          finish_reason: null,
        },
      ],
    })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    {
      ...base,
      choices: [],
      usage: {
        prompt_tokens: 120,
        completion_tokens: 30,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 20 },
      },
    },
  ];
}

/** A lazy source that records when each chunk was produced, to prove nothing is read ahead. */
function lazySource<T>(chunks: T[], log: string[]) {
  return {
    extra: 'kept',
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < chunks.length; i++) {
        log.push(`produce ${i}`);
        yield chunks[i] as T;
      }
    },
  };
}

describe('streamed turns', () => {
  it('passes chunks through one by one, reads usage from the final chunk, and ends the span with the stream', async () => {
    const log: string[] = [];
    let session: Session | undefined;
    const seen: unknown[] = [];
    const turn = await agent().run(async (s) => {
      session = s;
      const t = await s.runTurn(() => lazySource(openAIChunks(['Hello', ' world']), log), {
        model: 'gpt-4o',
        provider: 'openai',
      });
      expect(t.streamed).toBe(true);
      expect(t.usage.isEmpty).toBe(true); // not known yet
      expect((t.result as { extra: string }).extra).toBe('kept'); // the original object's members still work
      expect(otel.spans().filter((sp) => sp.name === 'chat gpt-4o')).toHaveLength(0); // still open
      for await (const chunk of t.result) {
        log.push(`consume ${seen.length}`);
        seen.push(chunk);
      }
      return t;
    });
    expect(seen).toHaveLength(4);
    expect(log.slice(0, 4)).toEqual(['produce 0', 'consume 0', 'produce 1', 'consume 1']);
    const done = await turn.done;
    expect(done.outcome).toBe('completed');
    expect(done.usage.toDict()).toEqual({
      input_tokens: 100,
      output_tokens: 30,
      cache_read_tokens: 20,
      cache_write_tokens: 0,
    });
    expect(done.costUsd).toBeCloseTo((100 * 2.5 + 30 * 10 + 20 * 1.25) / 1e6, 12);
    expect(session!.tracker.turnCount).toBe(1);
    const span = otel.span('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'agentrace.stream.outcome': 'completed',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-abc',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(Number(span.attributes['gen_ai.response.time_to_first_chunk'])).toBeGreaterThanOrEqual(0);
    const ttfc = (await otel.metric<Histogram>('gen_ai.client.operation.time_to_first_chunk'))!;
    expect(ttfc.points[0]!.value.count).toBe(1);
    expect(ttfc.unit).toBe('s');
  });

  it('a consumer that breaks early abandons the stream: the span ends, usage so far is recorded', async () => {
    let returned = false;
    const source = {
      async *[Symbol.asyncIterator]() {
        try {
          for (const c of openAIChunks(['a', 'b', 'c'])) yield c;
        } finally {
          returned = true;
        }
      },
    };
    const turn = await agent().run((s) => s.runTurn(() => source, { model: 'gpt-4o' }));
    for await (const _chunk of turn.result) break;
    expect(returned).toBe(true); // return() reached the source
    const done = await turn.done;
    expect(done.outcome).toBe('abandoned');
    expect(otel.span('chat gpt-4o').attributes['agentrace.stream.outcome']).toBe('abandoned');
    expect(otel.span('chat gpt-4o').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('an error mid-stream fails the turn span with its classification', async () => {
    const source = {
      async *[Symbol.asyncIterator]() {
        yield openAIChunks(['a'])[0];
        throw Object.assign(new Error('Overloaded'), { status: 529 });
      },
    };
    let session: Session | undefined;
    const turn = await agent().run(async (s) => {
      session = s;
      const t = await s.runTurn(() => source, { model: 'gpt-4o' });
      await expect(async () => {
        for await (const _chunk of t.result) {
          /* consume */
        }
      }).rejects.toThrow('Overloaded');
      return t;
    });
    const done = await turn.done;
    expect(done.outcome).toBe('failed');
    const span = otel.span('chat gpt-4o');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('provider_failure');
    expect(session!.recovery.attemptCount('provider_failure')).toBe(1);
  });

  it('cancelling the turn ends the stream span as cancelled even if nobody is reading', async () => {
    const controller = new AbortController();
    const s = agent().open();
    const turn = await s.runTurn(
      (signal) => ({
        async *[Symbol.asyncIterator]() {
          yield 1;
          await new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        },
      }),
      { model: 'gpt-4o', signal: controller.signal },
    );
    controller.abort(new Error('user left'));
    const done = await turn.done;
    expect(done.outcome).toBe('cancelled');
    const span = otel.span('chat gpt-4o');
    expect(span.attributes['agentrace.cancelled']).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    s.complete();
  });

  it('a ReadableStream is piped through on demand and observed', async () => {
    let pulled = 0;
    const chunks = openAIChunks(['x', 'y']);
    const source = new ReadableStream(
      {
        pull(controller) {
          const next = chunks[pulled++];
          if (next) controller.enqueue(next);
          else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const turn = await agent().run(async (s) => {
      const t = await s.runTurn(() => source, { model: 'gpt-4o' });
      expect(t.result).toBeInstanceOf(ReadableStream);
      const reader = (t.result as ReadableStream<unknown>).getReader();
      await reader.read();
      expect(pulled).toBeLessThanOrEqual(2); // nothing read far ahead of the consumer
      while (!(await reader.read()).done) {
        /* drain */
      }
      return t;
    });
    const done = await turn.done;
    expect(done.outcome).toBe('completed');
    expect(done.usage.outputTokens).toBe(30);
  });

  it('stream: false treats an iterable result as a plain value; strings are never streams', async () => {
    const iterable = { async *[Symbol.asyncIterator]() {} };
    const turn = await agent().run((s) => s.runTurn(() => iterable, { model: 'gpt-4o', stream: false }));
    expect(turn.streamed).toBe(false);
    expect(turn.result).toBe(iterable);
    expect(isStreamResult('text')).toBe(false);
    expect(isStreamResult(null)).toBe(false);
    expect(isStreamResult(iterable)).toBe(true);
  });

  it('a stream still open when the session ends is ended with it (abandoned), before the agent span', async () => {
    const turn = await agent().run(async (s) => {
      const t = await s.runTurn(() => lazySource(openAIChunks(['a', 'b']), []), { model: 'gpt-4o' });
      await t.result[Symbol.asyncIterator]().next(); // read one chunk, then walk away
      return t;
    });
    expect((await turn.done).outcome).toBe('abandoned');
    const names = otel.spans().map((s) => s.name);
    expect(names.indexOf('chat gpt-4o')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('chat gpt-4o')).toBeLessThan(names.indexOf('invoke_agent writer'));
  });

  it('an AI SDK error part ends the turn as failed', async () => {
    const parts = [
      { type: 'text-delta', id: '1', delta: 'hi' },
      { type: 'error', error: Object.assign(new Error('rate limited'), { statusCode: 429 }) },
      { type: 'finish', finishReason: 'error', usage: { inputTokens: 5, outputTokens: 1 } },
    ];
    const turn = await agent().run(async (s) => {
      const t = await s.runTurn(
        () => ({
          async *[Symbol.asyncIterator]() {
            yield* parts;
          },
        }),
        { model: 'gpt-4o' },
      );
      for await (const _part of t.result) {
        /* consume */
      }
      return t;
    });
    expect((await turn.done).outcome).toBe('failed');
    expect(otel.span('chat gpt-4o').attributes['error.type']).toBe('rate_limit');
  });

  it('observes a client stream helper through its events, however it is consumed', async () => {
    const { EventEmitter } = await import('node:events');
    class FakeMessageStream extends EventEmitter {
      finalMessage() {
        return Promise.resolve({});
      }
    }
    const helper = new FakeMessageStream();
    const events = [
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-x',
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } },
      { type: 'message_stop' },
    ];
    const turn = await agent().run(async (s) => {
      const t = await s.runTurn(() => helper, { model: 'gpt-4o' });
      expect(t.result).toBe(helper); // returned as it is
      for (const e of events) helper.emit('streamEvent', e, {});
      helper.emit('end');
      return t;
    });
    const done = await turn.done;
    expect(done.outcome).toBe('completed');
    expect(done.usage.inputTokens).toBe(10);
    expect(done.usage.outputTokens).toBe(7);
  });

  it("observes openai's toReadableStream()", async () => {
    const make = () => ({
      async *[Symbol.asyncIterator]() {
        yield* openAIChunks(['a']);
      },
      toReadableStream(this: AsyncIterable<unknown>) {
        const it = this[Symbol.asyncIterator]();
        return new ReadableStream({
          async pull(c) {
            const n = await it.next();
            if (n.done) c.close();
            else c.enqueue(n.value);
          },
        });
      },
    });
    const turn = await agent().run(async (s) => {
      const t = await s.runTurn(() => make(), { model: 'gpt-4o' });
      const reader = (t.result as ReturnType<typeof make>).toReadableStream().getReader();
      while (!(await reader.read()).done) {
        /* drain */
      }
      return t;
    });
    const done = await turn.done;
    expect(done.outcome).toBe('completed');
    expect(done.usage.outputTokens).toBe(30);
  });

  it('observeStream reports end and error at most once', async () => {
    const events: string[] = [];
    const wrapped = observeStream(
      {
        async *[Symbol.asyncIterator]() {
          yield 1;
        },
      },
      {
        onChunk: () => events.push('chunk'),
        onEnd: (o) => events.push(o),
        onError: () => events.push('error'),
      },
    );
    const it = wrapped[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    await it.return?.();
    expect(events).toEqual(['chunk', 'completed']);
  });
});
