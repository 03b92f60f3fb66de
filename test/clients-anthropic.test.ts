/**
 * The real `@anthropic-ai/sdk` client against a loopback server that answers as the Anthropic API does: usage
 * (input excludes the cache) read by `usage: 'auto'`, cache-aware costs, streams, error classification and the
 * span tree, through the real OTel SDK. `@anthropic-ai/sdk` declares no Node floor, so these run on every Node.
 */

import {
  AgentSession,
  type AgentSessionOptions,
  classifyError,
  retryAfterMs,
  type Session,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import Anthropic from '@anthropic-ai/sdk';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry, type TestTelemetry } from './helpers/otel.js';
import {
  ANTHROPIC_OVERLOADED,
  ANTHROPIC_PROMPT_TOO_LONG,
  ANTHROPIC_RATE_LIMIT,
} from './helpers/provider-errors.js';
import { ANTHROPIC_MESSAGE_CACHED } from './helpers/responses.js';
import { ANTHROPIC_STREAM } from './helpers/stream-usage-events.js';

const MODEL = 'claude-sonnet-4-5';
const PARAMS = {
  model: MODEL,
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Weather in Oslo?' }],
};
const PRICE = {
  inputPerMillion: 3,
  outputPerMillion: 15,
  cacheWritePerMillion: 3.75,
  cacheReadPerMillion: 0.3,
};

let otel: TestTelemetry;
let provider: FakeProvider;
let client: Anthropic;

function agent(opts: Partial<AgentSessionOptions> = {}): AgentSession {
  const pricing = new PriceTable();
  pricing.register(MODEL, PRICE);
  return new AgentSession({
    role: 'planner',
    phase: 'plan',
    pricing,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

async function failure(session: Session): Promise<unknown> {
  try {
    await session.runTurn((signal) => client.messages.create(PARAMS, { signal }), {
      model: MODEL,
      usage: 'auto',
    });
  } catch (err) {
    return err;
  }
  throw new Error('the turn did not fail');
}

const cost = (u: { input: number; output: number; write: number; read: number }) =>
  (u.input * PRICE.inputPerMillion +
    u.output * PRICE.outputPerMillion +
    u.write * PRICE.cacheWritePerMillion +
    u.read * PRICE.cacheReadPerMillion) /
  1e6;

beforeEach(async () => {
  otel = createTestTelemetry();
  provider = await startFakeProvider();
  client = new Anthropic({ apiKey: 'sk-ant-test-not-a-real-key', baseURL: provider.url, maxRetries: 0 });
});

afterEach(async () => {
  await provider.close();
  await otel.shutdown();
});

describe('anthropic client', () => {
  it('messages.create: input excludes the cache; reads and both-TTL writes priced; span tree', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
    const turn = await agent().run((session) =>
      session.runTurn((signal) => client.messages.create(PARAMS, { signal }), {
        model: MODEL,
        usage: 'auto',
      }),
    );
    expect(turn.result.stop_reason).toBe('tool_use');
    expect(turn.usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 120,
      cache_write_tokens: 556,
      cache_read_tokens: 1200,
    });
    expect(turn.costUsd).toBeCloseTo(cost({ input: 50, output: 120, write: 556, read: 1200 }), 12);
    expect(provider.requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(provider.requests[0]?.headers['anthropic-version']).toEqual(expect.any(String));

    const root = otel.span('invoke_agent planner');
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.response.id': 'msg_01XFDUDYJgAACzvnptvVoYEL',
      'gen_ai.response.finish_reasons': ['tool_use'],
      // The conventions' input count includes cache reads and writes.
      'gen_ai.usage.input_tokens': 50 + 556 + 1200,
      'gen_ai.usage.cache_read.input_tokens': 1200,
      'gen_ai.usage.cache_creation.input_tokens': 556,
      'gen_ai.usage.output_tokens': 120,
    });
  });

  it('messages.create({ stream: true }): input from message_start, output from message_delta', async () => {
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true } });
    const { text, completion } = await agent().run(async (session) => {
      const turn = await session.runTurn(
        (signal) => client.messages.create({ ...PARAMS, stream: true }, { signal }),
        { model: MODEL, usage: 'auto' },
      );
      expect(turn.streamed).toBe(true);
      let text = '';
      for await (const event of turn.result) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          text += event.delta.text;
      }
      return { text, completion: await turn.done };
    });
    expect(text).toBe('Hello!');
    expect(completion.outcome).toBe('completed');
    expect(completion.usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 15,
      cache_write_tokens: 556,
      cache_read_tokens: 1200,
    });
    expect(completion.costUsd).toBeCloseTo(cost({ input: 50, output: 15, write: 556, read: 1200 }), 12);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.output_tokens': 15,
      'agentrace.stream.outcome': 'completed',
    });
  });

  it('messages.stream() helper: events observed, and its own members (finalMessage) still work', async () => {
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true } });
    const { final, completion } = await agent().run(async (session) => {
      const turn = await session.runTurn((signal) => client.messages.stream(PARAMS, { signal }), {
        model: MODEL,
        usage: 'auto',
      });
      const types: string[] = [];
      for await (const event of turn.result) types.push(event.type);
      expect(types[0]).toBe('message_start');
      return { final: await turn.result.finalMessage(), completion: await turn.done };
    });
    expect(final.usage.output_tokens).toBe(15);
    expect(completion.usage.outputTokens).toBe(15);
    expect(completion.usage.cacheReadTokens).toBe(1200);
  });

  it('a stream abandoned after message_start still records the billed input', async () => {
    let resume!: () => void;
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true, pauseAfter: 2, resume: resumed } });
    const completion = await agent().run(async (session) => {
      const turn = await session.runTurn(
        (signal) => client.messages.create({ ...PARAMS, stream: true }, { signal }),
        { model: MODEL, usage: 'auto' },
      );
      for await (const event of turn.result) if (event.type === 'content_block_start') break;
      return turn.done;
    });
    resume();
    expect(completion.outcome).toBe('abandoned');
    expect(completion.usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 1,
      cache_write_tokens: 556,
      cache_read_tokens: 1200,
    });
    expect((await provider.streamEnd(0)).clientClosedEarly).toBe(true);
    expect(otel.span(`chat ${MODEL}`).attributes['agentrace.stream.outcome']).toBe('abandoned');
  });

  it('529 overloaded_error: provider_failure, the span failed with that error type', async () => {
    provider.enqueue({ status: 529, json: ANTHROPIC_OVERLOADED });
    const { err, scenarios } = await agent().run(async (session) => ({
      err: await failure(session),
      scenarios: session.recovery.records.map((r) => r.scenario),
    }));
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as { status?: number }).status).toBe(529);
    expect(classifyError(err)).toBe('provider_failure');
    expect(scenarios).toEqual(['provider_failure']);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe('provider_failure');
  });

  it('429 rate_limit_error with retry-after: rate_limit, and the wait the server asked for', async () => {
    provider.enqueue({ status: 429, headers: { 'retry-after': '7' }, json: ANTHROPIC_RATE_LIMIT });
    const err = await agent().run(failure);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(classifyError(err)).toBe('rate_limit');
    expect(retryAfterMs(err)).toBe(7000);
    expect(otel.span(`chat ${MODEL}`).attributes['error.type']).toBe('rate_limit');
  });

  it('400 prompt is too long: context_overflow', async () => {
    provider.enqueue({ status: 400, json: ANTHROPIC_PROMPT_TOO_LONG });
    const err = await agent().run(failure);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(classifyError(err)).toBe('context_overflow');
    expect(otel.span(`chat ${MODEL}`).attributes['error.type']).toBe('context_overflow');
  });

  it('with a recovery policy, 529 then success: one turn, two attempts, the second one priced', async () => {
    provider.enqueue({ status: 529, json: ANTHROPIC_OVERLOADED }, { json: ANTHROPIC_MESSAGE_CACHED });
    const turn = await agent().run((session) =>
      session.runTurn((signal) => client.messages.create(PARAMS, { signal }), {
        model: MODEL,
        usage: 'auto',
        recovery: { backoff: { baseMs: 1, capMs: 1, jitter: false } },
      }),
    );
    expect(turn.ok).toBe(true);
    if (!turn.ok) return;
    expect(turn.attempts.map((a) => [a.outcome, a.scenario])).toEqual([
      ['failed', 'provider_failure'],
      ['succeeded', undefined],
    ]);
    expect(provider.requests).toHaveLength(2);
    expect(turn.costUsd).toBeCloseTo(cost({ input: 50, output: 120, write: 556, read: 1200 }), 12);
  });
});
