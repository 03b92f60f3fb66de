/**
 * `OpenAIInstrumentation` at the low end of its range: `openai` 4.0.0 (installed as the `openai-lowest` alias
 * in packages/instrumentation), loaded through Node's require. The alias's real path is
 * `…/openai@4.0.0/node_modules/openai/`, so the require hook sees a module named `openai` and patches it on
 * load, as it would in an app that depends on `openai@4.0.0`. The first 4.x release has no Responses API, no
 * `parse` and no `Stream#tee`: chat (plain and streamed), embeddings and the failures are what it can show.
 * The last 4.x (4.104.0, alias `openai-v4-latest`) shows what 4.x added: `beta.chat.completions.parse`, the
 * Responses API, and streams whose events sit behind `Stream#iterator` (`tee()`).
 */

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { semconv } from '@agentrace/core';
import { OpenAIInstrumentation } from '@agentrace/instrumentation';
import { costBreakdown } from '@agentrace/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import { isWrapped, registerInstrumentations } from '@opentelemetry/instrumentation';
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
const MESSAGES = [{ role: 'user', content: 'Describe the photo.' }];

// The little of openai 4.0.0's API these tests use (its own types are not visible from here).
interface Call<T> extends Promise<T> {
  withResponse(): Promise<{ data: T; response: { status: number } }>;
}
interface LowStream extends AsyncIterable<unknown> {
  controller: AbortController;
}
interface LowClient {
  chat: { completions: { create(body: object, options?: object): Call<{ id: string }> } };
  embeddings: { create(body: object): Call<{ data: unknown[] }> };
}
interface LowOpenAI {
  new (options: object): LowClient;
  Chat: { Completions: { prototype: Record<string, unknown> } };
  RateLimitError: new (...args: never[]) => Error;
  InternalServerError: new (...args: never[]) => Error;
  APIConnectionTimeoutError: new (...args: never[]) => Error;
  APIUserAbortError: new (...args: never[]) => Error;
}

const otel = createTestTelemetry();
const instrumentation = new OpenAIInstrumentation();
const unregister = registerInstrumentations({
  instrumentations: [instrumentation],
  tracerProvider: otel.tracerProvider,
  meterProvider: otel.meterProvider,
});
const lowRequire = createRequire(
  fileURLToPath(new URL('../packages/instrumentation/package.json', import.meta.url)),
);
const Low = lowRequire('openai-lowest') as LowOpenAI;
let provider: FakeProvider;
let client: LowClient;

beforeEach(async () => {
  otel.exporter.reset();
  instrumentation.setConfig({});
  provider = await startFakeProvider();
  client = new Low({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 });
});
afterEach(() => provider.close());
afterAll(async () => {
  unregister();
  await otel.shutdown();
});

const chatSpan = async (): Promise<ReadableSpan> => {
  await vi.waitFor(() => expect(otel.spans().length).toBeGreaterThan(0), { timeout: 5_000 });
  return otel.spans()[0]!;
};

describe('OpenAIInstrumentation at the low end of its range (openai 4.0.0)', () => {
  it('the require hook patched the 4.0.0 client it loaded', () => {
    expect(lowRequire('openai-lowest/version').VERSION).toBe('4.0.0');
    expect(isWrapped(Low.Chat.Completions.prototype.create)).toBe(true);
  });

  it('chat.completions.create: one priced span with the request and response facts, and the metrics', async () => {
    const before = (await otel.metric('agentrace.cost'))?.points.reduce((n, p) => n + p.value, 0) ?? 0;
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: MESSAGES, seed: 7, temperature: 0.2 })
      .withResponse();
    expect(data.id).toBe(OPENAI_CHAT_CACHED.id);
    expect(response.status).toBe(200);
    const span = await chatSpan();
    expect(otel.spans()).toHaveLength(1);
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.seed': 7,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 2006,
      'gen_ai.usage.cache_read.input_tokens': 1920,
      'gen_ai.usage.output_tokens': 300,
      'server.address': '127.0.0.1',
    });
    const expected = costBreakdown('gpt-4o-2024-08-06', {
      inputTokens: 86,
      cacheReadTokens: 1920,
      cacheWriteTokens: 0,
      outputTokens: 300,
    }).total;
    expect(span.attributes[COST]).toBeCloseTo(expected, 12);
    const after = (await otel.metric('agentrace.cost'))?.points.reduce((n, p) => n + p.value, 0) ?? 0;
    expect(after - before).toBeCloseTo(expected, 12);
  });

  it('a stream (its own async iterator, no tee in 4.0.0): usage from the last chunk, completed', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = (await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    })) as unknown as LowStream;
    expect(stream.controller).toBeInstanceOf(AbortController);
    let chunks = 0;
    for await (const _ of stream) chunks++;
    expect(chunks).toBe(OPENAI_CHAT_STREAM.length);
    const span = await chatSpan();
    expect(span.attributes).toMatchObject({ [OUTCOME]: 'completed', 'gen_ai.usage.output_tokens': 7 });
    expect(span.attributes[COST]).toBeGreaterThan(0);
  });

  it('a stream broken out of ends abandoned; one never read ends after abandonAfterMs', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = (await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    })) as unknown as LowStream;
    for await (const _ of stream) break;
    expect((await chatSpan()).attributes[OUTCOME]).toBe('abandoned');

    otel.exporter.reset();
    instrumentation.setConfig({ abandonAfterMs: 20 });
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const unread = (await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    })) as unknown as LowStream;
    expect((await chatSpan()).attributes[OUTCOME]).toBe('abandoned');
    unread.controller.abort();
  });

  it('embeddings.create: an embeddings span with its input tokens', async () => {
    provider.enqueue({
      json: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: 8, total_tokens: 8 },
      },
    });
    expect(
      (await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' })).data,
    ).toHaveLength(1);
    const span = await chatSpan();
    expect(span.name).toBe('embeddings text-embedding-3-small');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(8);
  });

  it('429 and 500: the client errors reach the app, error.type and the failure class on the span', async () => {
    provider.enqueue({ status: 429, json: OPENAI_RATE_LIMIT });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }),
    ).rejects.toBeInstanceOf(Low.RateLimitError);
    const limited = await chatSpan();
    expect(limited.status.code).toBe(SpanStatusCode.ERROR);
    expect(limited.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: 'rate_limit',
      [FAILURE_CLASS]: 'rate_limit',
    });

    otel.exporter.reset();
    provider.enqueue({
      status: 500,
      json: { error: { message: 'The server had an error', type: 'server_error' } },
    });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES, stream: true }),
    ).rejects.toBeInstanceOf(Low.InternalServerError);
    expect((await chatSpan()).attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: 'provider_failure',
      [FAILURE_CLASS]: 'dependency_failed',
    });
  });

  it("the client's timeout and an abort through the AbortSignal: llm_timeout", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    provider.enqueue({ hold: held, json: OPENAI_CHAT_CACHED });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { timeout: 50 }),
    ).rejects.toBeInstanceOf(Low.APIConnectionTimeoutError);
    expect((await chatSpan()).attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: 'llm_timeout',
      [FAILURE_CLASS]: 'llm_timeout',
    });

    otel.exporter.reset();
    provider.enqueue({ hold: held, json: OPENAI_CHAT_CACHED });
    const controller = new AbortController();
    const call = client.chat.completions.create(
      { model: 'gpt-4o', messages: MESSAGES },
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(provider.requests).toHaveLength(2));
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(Low.APIUserAbortError);
    release();
    const aborted = await chatSpan();
    expect(aborted.status.code).toBe(SpanStatusCode.ERROR);
    expect(aborted.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: 'llm_timeout',
      [FAILURE_CLASS]: 'llm_timeout',
    });
  });
});

// What 4.104.0 adds to the API used above.
interface LatestClient extends LowClient {
  beta: {
    chat: { completions: { parse(body: object): Promise<{ choices: { message: { parsed: unknown } }[] }> } };
  };
  responses: { create(body: object): Promise<AsyncIterable<{ type: string }>> };
}
interface LatestOpenAI extends LowOpenAI {
  new (options: object): LatestClient;
}

describe('OpenAIInstrumentation on the last 4.x (openai 4.104.0)', () => {
  const Latest = lowRequire('openai-v4-latest') as LatestOpenAI;
  let latest: LatestClient;
  beforeEach(() => {
    latest = new Latest({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 });
  });

  it('beta.chat.completions.parse: one priced chat span, recorded by the create it calls', async () => {
    expect(lowRequire('openai-v4-latest/version').VERSION).toBe('4.104.0');
    const answer = { scene: 'boardwalk' };
    provider.enqueue({
      json: {
        ...OPENAI_CHAT_CACHED,
        choices: [
          {
            ...OPENAI_CHAT_CACHED.choices[0],
            message: { role: 'assistant', content: JSON.stringify(answer) },
          },
        ],
      },
    });
    const completion = await latest.beta.chat.completions.parse({
      model: 'gpt-4o',
      messages: MESSAGES,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'photo', schema: { type: 'object', properties: { scene: { type: 'string' } } } },
      },
    });
    expect(completion.choices[0]?.message.parsed).toEqual(answer);
    await chatSpan();
    expect(otel.spans().map((s) => s.name)).toEqual(['chat gpt-4o']);
    expect(otel.spans()[0]?.attributes).toMatchObject({
      'gen_ai.output.type': 'json',
      'gen_ai.usage.output_tokens': 300,
    });
    expect(otel.spans()[0]?.attributes[COST]).toBeGreaterThan(0);
  });

  it('responses.create({ stream: true }) and a tee()d chat stream: each one span with its usage', async () => {
    provider.enqueue(
      { sse: { events: OPENAI_RESPONSES_STREAM, named: true } },
      { sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } },
    );
    let events = 0;
    for await (const _ of await latest.responses.create({ model: 'gpt-4.1', input: 'Hi', stream: true }))
      events++;
    expect(events).toBe(OPENAI_RESPONSES_STREAM.length);
    const stream = (await latest.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    })) as unknown as LowStream & { tee(): [AsyncIterable<unknown>, AsyncIterable<unknown>] };
    const [left, right] = stream.tee();
    let n = 0;
    for await (const _ of left) n++;
    for await (const _ of right) n++;
    expect(n).toBe(2 * OPENAI_CHAT_STREAM.length);
    await vi.waitFor(() => expect(otel.spans()).toHaveLength(2));
    expect(
      otel.spans().map((s) => [s.name, s.attributes[OUTCOME], s.attributes['gen_ai.usage.output_tokens']]),
    ).toEqual([
      ['chat gpt-4.1', 'completed', 4],
      ['chat gpt-4o', 'completed', 7],
    ]);
  });
});
