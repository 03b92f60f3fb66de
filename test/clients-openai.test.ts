/**
 * The real `openai` client against a loopback server that answers as the OpenAI API does: usage read by
 * `usage: 'auto'`, costs, error classification and the span tree, through the real OTel SDK.
 */
import {
  AgentSession,
  type AgentSessionOptions,
  classifyError,
  retryAfterMs,
  type Session,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry, type TestTelemetry } from './helpers/otel.js';
import {
  OPENAI_CONTEXT_LENGTH,
  OPENAI_INSUFFICIENT_QUOTA,
  OPENAI_RATE_LIMIT,
} from './helpers/provider-errors.js';
import { OPENAI_CHAT_CACHED, OPENAI_RESPONSE } from './helpers/responses.js';
import { OPENAI_CHAT_STREAM, OPENAI_RESPONSES_STREAM } from './helpers/stream-usage-events.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const MESSAGES = [{ role: 'user' as const, content: 'Describe the photo.' }];

let otel: TestTelemetry;
let provider: FakeProvider;
let client: OpenAI;

function prices(): PriceTable {
  const table = new PriceTable();
  table.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
  table.register('gpt-4.1', { inputPerMillion: 2, outputPerMillion: 8, cacheReadPerMillion: 0.5 });
  return table;
}

function agent(opts: Partial<AgentSessionOptions> = {}): AgentSession {
  return new AgentSession({
    role: 'researcher',
    phase: 'research',
    pricing: prices(),
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

/** The error the turn threw, for a turn expected to fail. */
async function failure(session: Session, fn: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
  try {
    await session.runTurn(fn, { model: 'gpt-4o', usage: 'auto' });
  } catch (err) {
    return err;
  }
  throw new Error('the turn did not fail');
}

beforeEach(async () => {
  otel = createTestTelemetry();
  provider = await startFakeProvider();
  // The client's own retries are off so that each HTTP answer reaches agentrace as it came.
  client = new OpenAI({ apiKey: 'sk-test-not-a-real-key', baseURL: `${provider.url}/v1`, maxRetries: 0 });
});

afterEach(async () => {
  await provider.close();
  await otel.shutdown();
});

describe.skipIf(NODE_MAJOR < 22)('openai client (openai 7 declares Node >= 22)', () => {
  describe('success', () => {
    it('chat.completions.create: usage, cost, response facts and the span tree', async () => {
      provider.enqueue({ json: OPENAI_CHAT_CACHED });
      const turn = await agent().run((session) =>
        session.runTurn(
          (signal) => client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { signal }),
          { model: 'gpt-4o', usage: 'auto', attributes: { 'gen_ai.request.max_tokens': 512 } },
        ),
      );
      expect(turn.result.choices[0]?.message.content).toContain('boardwalk');
      // prompt_tokens 2006 includes the 1920 cached tokens.
      expect(turn.usage.toDict()).toEqual({
        input_tokens: 86,
        output_tokens: 300,
        cache_write_tokens: 0,
        cache_read_tokens: 1920,
      });
      const cost = (86 * 2.5 + 300 * 10 + 1920 * 1.25) / 1e6;
      expect(turn.costUsd).toBeCloseTo(cost, 12);
      expect(turn.streamed).toBe(false);
      expect((await turn.done).outcome).toBe('completed');

      expect(provider.requests).toHaveLength(1);
      expect(provider.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
      expect(provider.requests[0]?.body).toMatchObject({ model: 'gpt-4o', messages: MESSAGES });

      const root = otel.span('invoke_agent researcher');
      const chat = otel.span('chat gpt-4o');
      expect(chat.kind).toBe(SpanKind.CLIENT);
      expect(chat.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(otel.children(root).map((s) => s.name)).toEqual(['chat gpt-4o']);
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        // Not configured: the response's shape names the provider.
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.max_tokens': 512,
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.id': 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 2006,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 1920,
        'gen_ai.usage.reasoning.output_tokens': 0,
      });
      expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(cost, 12);
      expect(root.attributes['gen_ai.usage.input_tokens']).toBe(2006);
    });

    it('.withResponse() results ({ data, response }) are read too', async () => {
      provider.enqueue({ json: OPENAI_CHAT_CACHED, headers: { 'x-request-id': 'req_123' } });
      const turn = await agent().run((session) =>
        session.runTurn(
          (signal) =>
            client.chat.completions
              .create({ model: 'gpt-4o', messages: MESSAGES }, { signal })
              .withResponse(),
          { model: 'gpt-4o', usage: 'auto' },
        ),
      );
      expect(turn.result.request_id).toBe('req_123');
      expect(turn.usage.cacheReadTokens).toBe(1920);
    });

    it('responses.create: the Responses API usage (cached input inside input_tokens)', async () => {
      provider.enqueue({ json: OPENAI_RESPONSE });
      const turn = await agent().run((session) =>
        session.runTurn(
          (signal) => client.responses.create({ model: 'gpt-4.1', input: 'Describe the photo.' }, { signal }),
          { model: 'gpt-4.1', provider: 'openai', usage: 'auto' },
        ),
      );
      expect(provider.requests[0]?.path).toBe('/v1/responses');
      expect(turn.result.output_text).toBe('A scenic meadow with a boardwalk.');
      expect(turn.usage.toDict()).toEqual({
        input_tokens: 464,
        output_tokens: 52,
        cache_write_tokens: 0,
        cache_read_tokens: 4864,
      });
      expect(turn.costUsd).toBeCloseTo((464 * 2 + 52 * 8 + 4864 * 0.5) / 1e6, 12);
      expect(otel.span('chat gpt-4.1').attributes['gen_ai.response.finish_reasons']).toEqual(['completed']);
    });
  });

  describe('streaming', () => {
    it('chat stream with include_usage: chunks pass as they arrive; usage from the last chunk; span open until the end', async () => {
      let resume!: () => void;
      const resumed = new Promise<void>((r) => {
        resume = r;
      });
      provider.enqueue({
        sse: { events: OPENAI_CHAT_STREAM, doneMarker: true, pauseAfter: 2, resume: resumed },
      });
      const { text, completion, spansWhileStreaming } = await agent().run(async (session) => {
        const turn = await session.runTurn(
          (signal) =>
            client.chat.completions.create(
              { model: 'gpt-4o', messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
              { signal },
            ),
          { model: 'gpt-4o', usage: 'auto' },
        );
        expect(turn.streamed).toBe(true);
        expect(turn.usage.isEmpty).toBe(true);
        // The client's own members still work through the observed stream.
        expect(turn.result.controller).toBeInstanceOf(AbortController);
        let text = '';
        let chunks = 0;
        let spansWhileStreaming = -1;
        for await (const chunk of turn.result) {
          chunks++;
          text += chunk.choices[0]?.delta.content ?? '';
          // The server holds the rest of the stream until the second chunk is here: nothing is buffered ahead.
          if (chunks === 2) {
            spansWhileStreaming = otel.spans().filter((s) => s.name === 'chat gpt-4o').length;
            resume();
          }
        }
        expect(chunks).toBe(OPENAI_CHAT_STREAM.length);
        return { text, completion: await turn.done, spansWhileStreaming };
      });
      expect(text).toBe('Oslo is 12°C.');
      expect(spansWhileStreaming).toBe(0);
      expect(completion.outcome).toBe('completed');
      expect(completion.usage.toDict()).toEqual({
        input_tokens: 72,
        output_tokens: 7,
        cache_write_tokens: 0,
        cache_read_tokens: 1280,
      });
      const cost = (72 * 2.5 + 7 * 10 + 1280 * 1.25) / 1e6;
      expect(completion.costUsd).toBeCloseTo(cost, 12);
      expect(completion.facts?.responseId).toBe('chatcmpl-C9pStrEamX1a2b3c4');
      expect(provider.requests[0]?.body).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
      });

      const chat = otel.span('chat gpt-4o');
      expect(chat.parentSpanContext?.spanId).toBe(otel.span('invoke_agent researcher').spanContext().spanId);
      expect(chat.attributes).toMatchObject({
        'gen_ai.usage.input_tokens': 1352,
        'gen_ai.usage.output_tokens': 7,
        'gen_ai.response.finish_reasons': ['stop'],
        'agentrace.stream.outcome': 'completed',
      });
      expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
      const ttfc = await otel.metric<{ count: number }>('gen_ai.client.operation.time_to_first_chunk');
      expect(ttfc?.points.map((p) => p.value.count)).toEqual([1]);
    });

    it('a consumer that breaks out early abandons the stream: the request is closed, the turn ends', async () => {
      let resume!: () => void;
      const resumed = new Promise<void>((r) => {
        resume = r;
      });
      provider.enqueue({
        sse: { events: OPENAI_CHAT_STREAM, doneMarker: true, pauseAfter: 2, resume: resumed },
      });
      const completion = await agent().run(async (session) => {
        const turn = await session.runTurn(
          (signal) =>
            client.chat.completions.create(
              { model: 'gpt-4o', messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
              { signal },
            ),
          { model: 'gpt-4o', usage: 'auto' },
        );
        for await (const _ of turn.result) break;
        return turn.done;
      });
      resume();
      expect(completion.outcome).toBe('abandoned');
      // OpenAI sends usage last: an abandoned stream has none to record.
      expect(completion.usage.isEmpty).toBe(true);
      expect((await provider.streamEnd(0)).clientClosedEarly).toBe(true);
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(chat.attributes['agentrace.stream.outcome']).toBe('abandoned');
    });

    it('a Responses API stream: usage from response.completed', async () => {
      provider.enqueue({ sse: { events: OPENAI_RESPONSES_STREAM, named: true } });
      const completion = await agent().run(async (session) => {
        const turn = await session.runTurn(
          (signal) => client.responses.create({ model: 'gpt-4.1', input: 'Hi', stream: true }, { signal }),
          { model: 'gpt-4.1', usage: 'auto' },
        );
        const types: string[] = [];
        for await (const event of turn.result) types.push(event.type);
        expect(types.at(-1)).toBe('response.completed');
        return turn.done;
      });
      expect(completion.usage.toDict()).toEqual({
        input_tokens: 138,
        output_tokens: 4,
        cache_write_tokens: 0,
        cache_read_tokens: 3072,
      });
      expect(otel.span('chat gpt-4.1').attributes['gen_ai.response.id']).toBe(
        'resp_68b1c2d3e4f5a6b7c8d9e0f1',
      );
    });
  });

  describe('errors, as the client throws them', () => {
    it('429 rate_limit_exceeded with retry-after: rate_limit, Retry-After read, the span failed', async () => {
      provider.enqueue({ status: 429, headers: { 'retry-after': '2' }, json: OPENAI_RATE_LIMIT });
      const { err, scenarios } = await agent().run(async (session) => ({
        err: await failure(session, (signal) =>
          client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { signal }),
        ),
        scenarios: session.recovery.records.map((r) => r.scenario),
      }));
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(classifyError(err)).toBe('rate_limit');
      expect(retryAfterMs(err)).toBe(2000);
      expect(scenarios).toEqual(['rate_limit']);
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).toBe(SpanStatusCode.ERROR);
      expect(chat.attributes['error.type']).toBe('rate_limit');
    });

    it('429 insufficient_quota is no rate limit: waiting will not bring the quota back', async () => {
      provider.enqueue({ status: 429, json: OPENAI_INSUFFICIENT_QUOTA });
      const err = await agent().run((session) =>
        failure(session, (signal) =>
          client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { signal }),
        ),
      );
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(classifyError(err)).toBe('provider_failure');
      expect(otel.span('chat gpt-4o').attributes['error.type']).toBe('provider_failure');
    });

    it('400 context_length_exceeded: context_overflow', async () => {
      provider.enqueue({ status: 400, json: OPENAI_CONTEXT_LENGTH });
      const err = await agent().run((session) =>
        failure(session, (signal) =>
          client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { signal }),
        ),
      );
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(classifyError(err)).toBe('context_overflow');
      expect(otel.span('chat gpt-4o').attributes['error.type']).toBe('context_overflow');
    });

    it('a refused connection: provider_failure', async () => {
      await provider.close();
      const err = await agent().run((session) =>
        failure(session, (signal) =>
          client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { signal }),
        ),
      );
      expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(classifyError(err)).toBe('provider_failure');
      provider = await startFakeProvider();
    });

    it('with a recovery policy, a 429 is retried after the Retry-After the server sent', async () => {
      provider.enqueue(
        { status: 429, headers: { 'retry-after-ms': '40' }, json: OPENAI_RATE_LIMIT },
        { json: OPENAI_CHAT_CACHED },
      );
      const turn = await agent().run((session) =>
        session.runTurn(
          (signal) => client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { signal }),
          { model: 'gpt-4o', usage: 'auto', recovery: { backoff: { baseMs: 1, capMs: 1, jitter: false } } },
        ),
      );
      expect(turn.ok).toBe(true);
      if (!turn.ok) return;
      expect(provider.requests).toHaveLength(2);
      expect(turn.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
      expect(turn.attempts[0]).toMatchObject({ scenario: 'rate_limit', backoffMs: 40 });
      expect(turn.usage.cacheReadTokens).toBe(1920);
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(otel.children(chat)).toHaveLength(2);
    });
  });
});
