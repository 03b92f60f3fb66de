/**
 * The real Vercel AI SDK (`ai`, `@ai-sdk/openai`, `@ai-sdk/anthropic`) wrapped with agentrace's middleware,
 * against a loopback server that answers as the OpenAI and Anthropic APIs do: every model call a turn, usage
 * and cost from the provider's own answer, error classification and the span tree.
 */

// Imported from source until the workspace aliases `@agentrace/ai-sdk` like the other packages.
import { agentraceMiddleware } from '@agentrace/ai-sdk';
import { AgentSession, type AgentSessionOptions, classifyError, retryAfterMs } from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { SpanStatusCode } from '@opentelemetry/api';
import { APICallError, generateText, streamText, wrapLanguageModel } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry, type TestTelemetry } from './helpers/otel.js';
import { ANTHROPIC_OVERLOADED, OPENAI_RATE_LIMIT } from './helpers/provider-errors.js';
import { ANTHROPIC_MESSAGE_CACHED, OPENAI_CHAT_CACHED } from './helpers/responses.js';
import { ANTHROPIC_STREAM, OPENAI_CHAT_STREAM } from './helpers/stream-usage-events.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

let otel: TestTelemetry;
let provider: FakeProvider;

function agent(opts: Partial<AgentSessionOptions> = {}): AgentSession {
  const pricing = new PriceTable();
  pricing.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
  pricing.register('claude-sonnet-4-5', {
    inputPerMillion: 3,
    outputPerMillion: 15,
    cacheWritePerMillion: 3.75,
    cacheReadPerMillion: 0.3,
  });
  return new AgentSession({
    role: 'assistant',
    phase: 'answer',
    pricing,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

const openaiChat = () =>
  createOpenAI({ apiKey: 'sk-test-not-a-real-key', baseURL: `${provider.url}/v1` }).chat('gpt-4o');
const anthropic = () =>
  createAnthropic({ apiKey: 'sk-ant-test-not-a-real-key', baseURL: `${provider.url}/v1` })(
    'claude-sonnet-4-5',
  );

beforeEach(async () => {
  otel = createTestTelemetry();
  provider = await startFakeProvider();
});

afterEach(async () => {
  await provider.close();
  await otel.shutdown();
});

describe.skipIf(NODE_MAJOR < 22)('AI SDK with agentraceMiddleware (ai 7 declares Node >= 22)', () => {
  it('generateText over @ai-sdk/openai: a chat turn with the usage and cost of the HTTP answer', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const { text, usage, costUsd } = await agent().run(async (session) => {
      const model = wrapLanguageModel({ model: openaiChat(), middleware: agentraceMiddleware({ session }) });
      const { text } = await generateText({ model, prompt: 'Describe the photo.', maxOutputTokens: 300 });
      return { text, usage: session.tracker.totalUsage, costUsd: session.tracker.totalCost() };
    });
    expect(text).toContain('boardwalk');
    expect(provider.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(usage.toDict()).toEqual({
      input_tokens: 86,
      output_tokens: 300,
      cache_write_tokens: 0,
      cache_read_tokens: 1920,
    });
    expect(costUsd).toBeCloseTo((86 * 2.5 + 300 * 10 + 1920 * 1.25) / 1e6, 12);

    const root = otel.span('invoke_agent assistant');
    const chat = otel.span('chat gpt-4o');
    expect(chat.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 300,
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 2006,
      'gen_ai.usage.cache_read.input_tokens': 1920,
    });
  });

  it('streamText over @ai-sdk/openai: usage from the include_usage chunk the provider asked for', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const { text, usage } = await agent().run(async (session) => {
      const model = wrapLanguageModel({ model: openaiChat(), middleware: agentraceMiddleware({ session }) });
      const result = streamText({ model, prompt: 'Weather in Oslo?' });
      let text = '';
      for await (const piece of result.textStream) text += piece;
      await result.consumeStream();
      return { text, usage: session.tracker.totalUsage };
    });
    expect(text).toBe('Oslo is 12°C.');
    expect(provider.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(usage.toDict()).toEqual({
      input_tokens: 72,
      output_tokens: 7,
      cache_write_tokens: 0,
      cache_read_tokens: 1280,
    });
    const chat = otel.span('chat gpt-4o');
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'chatcmpl-C9pStrEamX1a2b3c4',
      'agentrace.stream.outcome': 'completed',
    });
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
  });

  it('streamText over @ai-sdk/anthropic: cache reads and writes priced from message_start', async () => {
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true } });
    const { usage, costUsd } = await agent().run(async (session) => {
      const model = wrapLanguageModel({ model: anthropic(), middleware: agentraceMiddleware({ session }) });
      await streamText({ model, prompt: 'Hello' }).consumeStream();
      return { usage: session.tracker.totalUsage, costUsd: session.tracker.totalCost() };
    });
    expect(provider.requests[0]?.path).toBe('/v1/messages');
    expect(usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 15,
      cache_write_tokens: 556,
      cache_read_tokens: 1200,
    });
    expect(costUsd).toBeCloseTo((50 * 3 + 15 * 15 + 556 * 3.75 + 1200 * 0.3) / 1e6, 12);
    expect(otel.span('chat claude-sonnet-4-5').attributes['gen_ai.provider.name']).toBe('anthropic');
  });

  it('a 429 from the provider: the AI SDK error classified rate_limit, its Retry-After read', async () => {
    provider.enqueue({ status: 429, headers: { 'retry-after': '3' }, json: OPENAI_RATE_LIMIT });
    let caught: unknown;
    await agent().run(async (session) => {
      const model = wrapLanguageModel({ model: openaiChat(), middleware: agentraceMiddleware({ session }) });
      caught = await generateText({ model, prompt: 'x', maxRetries: 0 }).catch((err: unknown) => err);
    });
    expect(APICallError.isInstance(caught)).toBe(true);
    expect(classifyError(caught)).toBe('rate_limit');
    expect(retryAfterMs(caught)).toBe(3000);
    const chat = otel.span('chat gpt-4o');
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe('rate_limit');
  });

  it('the AI SDK retrying a 529 itself: each HTTP attempt is a turn, the first failed as provider_failure', async () => {
    // retry-after-ms keeps the AI SDK's own backoff short; it honours the header as agentrace does.
    provider.enqueue(
      { status: 529, headers: { 'retry-after-ms': '10' }, json: ANTHROPIC_OVERLOADED },
      { json: ANTHROPIC_MESSAGE_CACHED },
    );
    const { text, started, usage } = await agent().run(async (session) => {
      const model = wrapLanguageModel({ model: anthropic(), middleware: agentraceMiddleware({ session }) });
      const { text } = await generateText({ model, prompt: 'Weather in Oslo?', maxRetries: 1 });
      return { text, started: session.turnsStarted, usage: session.tracker.totalUsage };
    });
    expect(text).toBe('');
    expect(provider.requests).toHaveLength(2);
    expect(started).toBe(2);
    expect(usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 120,
      cache_write_tokens: 556,
      cache_read_tokens: 1200,
    });
    const chats = otel.spans().filter((s) => s.name === 'chat claude-sonnet-4-5');
    expect(chats.map((s) => s.attributes['error.type'])).toEqual(['provider_failure', undefined]);
    expect(chats[1]?.attributes['gen_ai.response.finish_reasons']).toEqual(['tool-calls']);
  });
});
