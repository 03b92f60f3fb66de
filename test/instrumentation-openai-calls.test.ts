/**
 * The real `openai` client (its CommonJS build, through Node's require so the instrumentation's require hook
 * patches it) against a loopback server answering as the OpenAI API does: streamed Responses, failures (429,
 * 5xx, a client timeout, an abort), streams abandoned or never read, the stream helpers, and the GenAI
 * metrics with cost through the SDK's metric reader.
 */

import { createRequire } from 'node:module';
import { semconv } from '@agentrace/core';
import { OpenAIInstrumentation } from '@agentrace/instrumentation';
import { costBreakdown } from '@agentrace/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry } from './helpers/otel.js';
import { OPENAI_RATE_LIMIT } from './helpers/provider-errors.js';
import { OPENAI_CHAT_CACHED } from './helpers/responses.js';
import { OPENAI_CHAT_STREAM, OPENAI_RESPONSES_STREAM } from './helpers/stream-usage-events.js';

// `error.type` is stable (`ATTR_ERROR_TYPE` of @opentelemetry/semantic-conventions, not a dependency here).
const ATTR_ERROR_TYPE = 'error.type';
const FAILURE_CLASS = semconv.ATTR_AGENT_FAILURE_CLASS;
const OUTCOME = semconv.ATTR_AGENTRACE_STREAM_OUTCOME;
const COST = semconv.ATTR_AGENTRACE_USAGE_COST;
const MESSAGES = [{ role: 'user' as const, content: 'Describe the photo.' }];
const STREAM_MODEL = 'gpt-4o-2024-08-06';
// OPENAI_CHAT_STREAM's last chunk: 1352 prompt tokens of which 1280 cached, 7 completion tokens.
const STREAM_USAGE = { inputTokens: 72, outputTokens: 7, cacheReadTokens: 1280, cacheWriteTokens: 0 };

const otel = createTestTelemetry();
const instrumentation = new OpenAIInstrumentation();
const unregister = registerInstrumentations({
  instrumentations: [instrumentation],
  tracerProvider: otel.tracerProvider,
  meterProvider: otel.meterProvider,
});
const OpenAI = createRequire(import.meta.url)('openai') as typeof import('openai').default;
let provider: FakeProvider;
let client: InstanceType<typeof OpenAI>;

beforeEach(async () => {
  otel.exporter.reset();
  instrumentation.setConfig({});
  provider = await startFakeProvider();
  client = new OpenAI({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 });
});
afterEach(() => provider.close());
afterAll(async () => {
  unregister();
  await otel.shutdown();
});

const chats = (): ReadableSpan[] => otel.spans().filter((s) => s.name.startsWith('chat '));
/** Waits for the `n`th chat span to end (a span ended by a timer or after the app's await returned). */
const chatSpan = async (n = 1): Promise<ReadableSpan> => {
  await vi.waitFor(() => expect(chats().length).toBeGreaterThanOrEqual(n), { timeout: 5_000 });
  return chats()[n - 1]!;
};
const sum = async (metric: string, filter: (a: Record<string, unknown>) => boolean = () => true) => {
  const points = (await otel.metric<number | { sum: number; count: number }>(metric))?.points ?? [];
  return points
    .filter((p) => filter(p.attributes))
    .reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.sum), 0);
};
const count = async (metric: string, filter: (a: Record<string, unknown>) => boolean = () => true) => {
  const points = (await otel.metric<{ count: number }>(metric))?.points ?? [];
  return points.filter((p) => filter(p.attributes)).reduce((n, p) => n + p.value.count, 0);
};

describe('OpenAIInstrumentation: streams', () => {
  it('responses.create({ stream: true }): the span ends with the stream, usage from response.completed, priced', async () => {
    provider.enqueue({ sse: { events: OPENAI_RESPONSES_STREAM, named: true } });
    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'Hi', stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      expect(chats()).toHaveLength(0);
    }
    expect(text).toBe('Hi there!');
    const span = await chatSpan();
    expect(span.name).toBe('chat gpt-4.1');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'resp_68b1c2d3e4f5a6b7c8d9e0f1',
      'gen_ai.usage.input_tokens': 3210,
      'gen_ai.usage.cache_read.input_tokens': 3072,
      'gen_ai.usage.output_tokens': 4,
      [OUTCOME]: 'completed',
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
    expect(span.attributes[COST]).toBeGreaterThan(0);
  });

  it('a chat stream broken out of early: ends abandoned, the request is cut, the app sees nothing else', async () => {
    let resume!: () => void;
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    provider.enqueue({
      sse: { events: OPENAI_CHAT_STREAM, doneMarker: true, pauseAfter: 2, resume: resumed },
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    });
    let seen = 0;
    for await (const _ of stream) if (++seen === 1) break;
    resume();
    const span = await chatSpan();
    expect(span.attributes[OUTCOME]).toBe('abandoned');
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect((await provider.streamEnd(0)).clientClosedEarly).toBe(true);
  });

  it('a stream never read ends after abandonAfterMs, with no usage and no leak', async () => {
    instrumentation.setConfig({ abandonAfterMs: 20 });
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    });
    const span = await chatSpan();
    expect(span.attributes[OUTCOME]).toBe('abandoned');
    expect(span.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    stream.controller.abort();
  });

  it('an APIPromise never awaited ends its span after abandonAfterMs', async () => {
    instrumentation.setConfig({ abandonAfterMs: 20 });
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    void client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES });
    const span = await chatSpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('tee(): both branches read the same events, the span ends once, with the usage', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    });
    const [left, right] = stream.tee();
    const read = async (s: AsyncIterable<unknown>) => {
      let n = 0;
      for await (const _ of s) n++;
      return n;
    };
    expect(await Promise.all([read(left), read(right)])).toEqual([
      OPENAI_CHAT_STREAM.length,
      OPENAI_CHAT_STREAM.length,
    ]);
    const span = await chatSpan();
    expect(chats()).toHaveLength(1);
    expect(span.attributes).toMatchObject({ [OUTCOME]: 'completed', 'gen_ai.usage.output_tokens': 7 });
  });

  it('toReadableStream(): the app reads the bytes, the span gets the usage', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    });
    const reader = stream.toReadableStream().getReader();
    let lines = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) lines++;
    expect(lines).toBe(OPENAI_CHAT_STREAM.length);
    const span = await chatSpan();
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(7);
  });

  it('chat.completions.stream() and responses.stream(): the helpers work, each one span with its usage', async () => {
    provider.enqueue(
      { sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } },
      { sse: { events: OPENAI_RESPONSES_STREAM, named: true } },
    );
    const chat = await client.chat.completions
      .stream({ model: 'gpt-4o', messages: MESSAGES, stream_options: { include_usage: true } })
      .finalChatCompletion();
    expect(chat.usage?.completion_tokens).toBe(7);
    const response = await client.responses.stream({ model: 'gpt-4.1', input: 'Hi' }).finalResponse();
    expect(response.output_text).toBe('Hi there!');
    await vi.waitFor(() => expect(chats()).toHaveLength(2));
    expect(
      chats().map((s) => [s.name, s.attributes[OUTCOME], s.attributes['gen_ai.usage.output_tokens']]),
    ).toEqual([
      ['chat gpt-4o', 'completed', 7],
      ['chat gpt-4.1', 'completed', 4],
    ]);
  });

  it('.asResponse(): the app gets the raw response and its body; the span ends without usage', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const raw = await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }).asResponse();
    expect(((await raw.json()) as { id: string }).id).toBe(OPENAI_CHAT_CACHED.id);
    const span = await chatSpan();
    expect(span.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
  });
});

describe('OpenAIInstrumentation: failures', () => {
  it('429: error.type rate_limit, the failure class, ERROR status; the app gets RateLimitError', async () => {
    provider.enqueue({ status: 429, headers: { 'retry-after': '3' }, json: OPENAI_RATE_LIMIT });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const span = await chatSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('rate_limit');
    expect(span.attributes[FAILURE_CLASS]).toBe('rate_limit');
    expect(span.attributes[COST]).toBeUndefined();
  });

  it.each([500, 503])('%i on a streamed call: provider_failure before any event', async (status) => {
    provider.enqueue({
      status,
      json: { error: { message: 'The server had an error', type: 'server_error' } },
    });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES, stream: true }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    const span = await chatSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('provider_failure');
    expect(span.attributes[FAILURE_CLASS]).toBe('dependency_failed');
  });

  it("the client's timeout: llm_timeout; the app gets APIConnectionTimeoutError", async () => {
    let release!: () => void;
    provider.enqueue({ hold: new Promise<void>((r) => (release = r)), json: OPENAI_CHAT_CACHED });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { timeout: 50 }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    release();
    const span = await chatSpan();
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('llm_timeout');
    expect(span.attributes[FAILURE_CLASS]).toBe('llm_timeout');
  });

  it('an abort through the AbortSignal: the app gets APIUserAbortError, the span fails as core classifies it', async () => {
    let release!: () => void;
    provider.enqueue({ hold: new Promise<void>((r) => (release = r)), json: OPENAI_CHAT_CACHED });
    const controller = new AbortController();
    const call = client.chat.completions.create(
      { model: 'gpt-4o', messages: MESSAGES },
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(provider.requests).toHaveLength(1));
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    release();
    const span = await chatSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('llm_timeout');
    expect(span.attributes[FAILURE_CLASS]).toBe('llm_timeout');
  });
});

describe('OpenAIInstrumentation: GenAI metrics', () => {
  it('a priced stream records token usage, duration, time to first chunk and the cost a turn would', async () => {
    const isStream = (a: Record<string, unknown>) => a['gen_ai.request.model'] === 'gpt-4o-mini';
    const before = {
      input: await sum('gen_ai.client.token.usage', (a) => isStream(a) && a['gen_ai.token.type'] === 'input'),
      output: await sum(
        'gen_ai.client.token.usage',
        (a) => isStream(a) && a['gen_ai.token.type'] === 'output',
      ),
      duration: await count('gen_ai.client.operation.duration', isStream),
      ttfc: await count('gen_ai.client.operation.time_to_first_chunk', isStream),
      cost: await sum('agentrace.cost', isStream),
    };
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
      // read to the end
    }
    const span = await chatSpan();
    const expected = costBreakdown(STREAM_MODEL, STREAM_USAGE).total;
    expect(expected).toBeGreaterThan(0);
    expect(span.attributes[COST]).toBeCloseTo(expected, 12);
    const input = await sum(
      'gen_ai.client.token.usage',
      (a) => isStream(a) && a['gen_ai.token.type'] === 'input',
    );
    const output = await sum(
      'gen_ai.client.token.usage',
      (a) => isStream(a) && a['gen_ai.token.type'] === 'output',
    );
    expect(input - before.input).toBe(1352);
    expect(output - before.output).toBe(7);
    expect((await count('gen_ai.client.operation.duration', isStream)) - before.duration).toBe(1);
    expect((await count('gen_ai.client.operation.time_to_first_chunk', isStream)) - before.ttfc).toBe(1);
    expect((await sum('agentrace.cost', isStream)) - before.cost).toBeCloseTo(expected, 12);
    const points = (await otel.metric('gen_ai.client.token.usage'))?.points.filter((p) =>
      isStream(p.attributes),
    );
    expect(points?.[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': STREAM_MODEL,
    });
  });

  it('a failed call records its duration with error.type', async () => {
    const failed = (a: Record<string, unknown>) => a[ATTR_ERROR_TYPE] === 'rate_limit';
    const before = await count('gen_ai.client.operation.duration', failed);
    provider.enqueue({ status: 429, json: OPENAI_RATE_LIMIT });
    await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }).catch(() => undefined);
    await chatSpan();
    expect((await count('gen_ai.client.operation.duration', failed)) - before).toBe(1);
  });
});
