/**
 * `AnthropicInstrumentation` through `registerInstrumentations`: the real `@anthropic-ai/sdk` (its CommonJS
 * build, loaded through Node's require so the require hook patches it) against a loopback server answering
 * as the Messages API does, the real OTel SDK with an in-memory exporter. The app's code is unchanged: a
 * plain client, no agentrace call.
 */

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AgentSession } from '@agentrace/core';
import { AnthropicInstrumentation } from '@agentrace/instrumentation';
import { costBreakdown } from '@agentrace/pricing';
import { context, DiagLogLevel, diag, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry } from './helpers/otel.js';
import { ANTHROPIC_OVERLOADED, ANTHROPIC_RATE_LIMIT } from './helpers/provider-errors.js';
import { ANTHROPIC_MESSAGE_CACHED } from './helpers/responses.js';
import { ANTHROPIC_STREAM } from './helpers/stream-usage-events.js';

const otel = createTestTelemetry();
const instrumentation = new AnthropicInstrumentation();
const unregister = registerInstrumentations({
  instrumentations: [instrumentation],
  tracerProvider: otel.tracerProvider,
  meterProvider: otel.meterProvider,
});
const require = createRequire(import.meta.url);
const Anthropic = require('@anthropic-ai/sdk') as typeof import('@anthropic-ai/sdk').default;
type Client = InstanceType<typeof Anthropic>;

const MODEL = 'claude-sonnet-4-5';
const RESPONSE_MODEL = 'claude-sonnet-4-5-20250929';
const PARAMS = {
  model: MODEL,
  max_tokens: 1024,
  temperature: 0.2,
  top_p: 0.9,
  top_k: 40,
  stop_sequences: ['END'],
  messages: [{ role: 'user' as const, content: 'Weather in Oslo?' }],
};
// The cached message and the stream both bill 50 plain input tokens, 556 cache writes and 1200 cache reads.
const usage = (output: number) => ({
  inputTokens: 50,
  outputTokens: output,
  cacheWriteTokens: 556,
  cacheReadTokens: 1200,
});

let provider: FakeProvider;
let client: Client;

beforeEach(async () => {
  otel.exporter.reset();
  provider = await startFakeProvider();
  // The SDK's own tracing is on and pointed at the same provider: agentrace's span must replace it.
  client = new Anthropic({
    apiKey: 'sk-ant-test-not-a-real-key',
    baseURL: provider.url,
    maxRetries: 0,
    openTelemetry: { tracerProvider: otel.tracerProvider },
  });
});
afterEach(() => provider.close());
afterAll(async () => {
  unregister();
  await otel.shutdown();
});

const port = () => Number(new URL(provider.url).port);

describe('AnthropicInstrumentation (@anthropic-ai/sdk 1.14.0, CommonJS)', () => {
  it('messages.create: one chat span, request params, usage with the cache, cost, server; no SDK span', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
    const message = await client.messages.create(PARAMS);
    expect(message.stop_reason).toBe('tool_use');
    expect(otel.spans().map((s) => s.name)).toEqual([`chat ${MODEL}`]);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.instrumentationScope.name).toBe('@agentrace/instrumentation/anthropic');
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': MODEL,
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.response.model': RESPONSE_MODEL,
      'gen_ai.response.id': 'msg_01XFDUDYJgAACzvnptvVoYEL',
      'gen_ai.response.finish_reasons': ['tool_use'],
      'gen_ai.usage.input_tokens': 50 + 556 + 1200,
      'gen_ai.usage.cache_read.input_tokens': 1200,
      'gen_ai.usage.cache_creation.input_tokens': 556,
      'gen_ai.usage.output_tokens': 120,
      'server.address': '127.0.0.1',
      'server.port': port(),
    });
    const expected = costBreakdown(RESPONSE_MODEL, usage(120)).total;
    expect(expected).toBeGreaterThan(0);
    expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(expected, 12);
    expect(chat.attributes['gen_ai.request.stream']).toBeUndefined();

    // The GenAI metrics a runTurn turn records, with its cost.
    const tokens = await otel.metric<{ sum: number }>('gen_ai.client.token.usage');
    const byType = (type: string) =>
      tokens?.points
        .filter((p) => p.attributes['gen_ai.token.type'] === type)
        .reduce((n, p) => n + p.value.sum, 0);
    expect(byType('input')).toBe(50 + 556 + 1200);
    expect(byType('output')).toBe(120);
    expect(tokens?.points[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': RESPONSE_MODEL,
    });
    const duration = await otel.metric<{ count: number }>('gen_ai.client.operation.duration');
    expect(duration?.points.reduce((n, p) => n + p.value.count, 0)).toBeGreaterThanOrEqual(1);
    const costs = await otel.metric('agentrace.cost');
    expect(costs?.points.reduce((n, p) => n + p.value, 0)).toBeCloseTo(expected, 12);
  });

  it('.withResponse() and .asResponse() still work; asResponse ends the span without reading the body', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED }, { json: ANTHROPIC_MESSAGE_CACHED });
    const { data, response } = await client.messages.create(PARAMS).withResponse();
    expect(data.id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect(response.status).toBe(200);
    const raw = await client.messages.create(PARAMS).asResponse();
    expect(((await raw.json()) as { id: string }).id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    const chats = otel.spans().filter((s) => s.name === `chat ${MODEL}`);
    expect(chats).toHaveLength(2);
    expect(chats[0]?.attributes['gen_ai.usage.output_tokens']).toBe(120);
    expect(chats[1]?.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
  });

  it('messages.create({ stream: true }): the span ends with the stream, usage from its events, priced', async () => {
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true } });
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    expect(otel.spans()).toHaveLength(0);
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe('Hello!');
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.output_tokens': 15,
      'gen_ai.usage.cache_read.input_tokens': 1200,
      'agentrace.stream.outcome': 'completed',
    });
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
    expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(
      costBreakdown(RESPONSE_MODEL, usage(15)).total,
      12,
    );
    expect(otel.spans()).toHaveLength(1);
  });

  it('messages.stream(): one span, and finalMessage() still works', async () => {
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true } });
    const stream = client.messages.stream(PARAMS);
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBe(15);
    expect(otel.spans().map((s) => s.name)).toEqual([`chat ${MODEL}`]);
    expect(otel.span(`chat ${MODEL}`).attributes).toMatchObject({
      'gen_ai.usage.output_tokens': 15,
      'agentrace.stream.outcome': 'completed',
    });
  });

  it('a stream abandoned after its first events ends the span with the input already billed', async () => {
    let resume!: () => void;
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true, pauseAfter: 2, resume: resumed } });
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    for await (const event of stream) if (event.type === 'content_block_start') break;
    resume();
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.attributes['agentrace.stream.outcome']).toBe('abandoned');
    expect(chat.attributes['gen_ai.usage.cache_read.input_tokens']).toBe(1200);
  });

  it('429: error.type rate_limit, failure class, ERROR status; the app gets the SDK error', async () => {
    provider.enqueue({ status: 429, headers: { 'retry-after': '7' }, json: ANTHROPIC_RATE_LIMIT });
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe('rate_limit');
    expect(chat.attributes['agent.failure_class']).toEqual(expect.any(String));
    expect(chat.attributes['agentrace.usage.cost']).toBeUndefined();
  });

  it('500 on a streamed call: the span fails before any event', async () => {
    provider.enqueue({ status: 500, json: ANTHROPIC_OVERLOADED });
    await expect(client.messages.create({ ...PARAMS, stream: true })).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.attributes['error.type']).toBe('provider_failure');
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('inside a span of the app the chat span is its child, and the app context is left as it was', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
    const tracer = otel.tracerProvider.getTracer('app');
    await tracer.startActiveSpan('handle request', async (parent) => {
      await client.messages.create(PARAMS);
      parent.end();
    });
    const parent = otel.span('handle request');
    expect(otel.span(`chat ${MODEL}`).parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(trace.getSpan(context.active())).toBeUndefined();
  });

  it('under an agentrace runTurn the turn is the one chat span and the one cost; the client adds neither', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
    const chatsBefore = otel.spans().filter((span) => span.name.startsWith('chat ')).length;
    const session = new AgentSession({
      role: 'planner',
      phase: 'plan',
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    let turnCost = 0;
    await session.run(async (s) => {
      const turn = await s.runTurn((signal) => client.messages.create(PARAMS, { signal }), {
        model: MODEL,
        usage: 'auto',
      });
      turnCost = turn.costUsd;
    });
    const chats = otel
      .spans()
      .filter((span) => span.name.startsWith('chat '))
      .slice(chatsBefore);
    expect(chats).toHaveLength(1);
    expect(chats[0]?.attributes['gen_ai.usage.output_tokens']).toBe(120);
    expect(turnCost).toBeGreaterThan(0);
    // The turn's span (core's tracer, under the session's invoke_agent), not the instrumentation's.
    expect(chats[0]?.instrumentationScope.name).not.toBe(instrumentation.instrumentationName);
    const agentSpan = otel.spans().find((span) => span.name.startsWith('invoke_agent'));
    expect(chats[0]?.parentSpanContext?.spanId).toBe(agentSpan?.spanContext().spanId);
  });

  it('an unexpected response shape reaches the app untouched; the span says usage was not read', async () => {
    const odd = { id: 'msg_odd', type: 'message', model: RESPONSE_MODEL, content: [], usage: 'n/a' };
    provider.enqueue({ json: odd });
    expect(await client.messages.create(PARAMS)).toEqual(odd);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(chat.events.map((e) => e.name)).toContain('agentrace.usage.undetected');
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
  });

  it('a stream aborted through its controller (the SDK ends the loop quietly): the span fails, not completes', async () => {
    let resume!: () => void;
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true, pauseAfter: 2, resume: resumed } });
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type === 'content_block_start') stream.controller.abort();
    }
    resume();
    expect(seen[0]).toBe('message_start');
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    // An abort is classified as core classifies it (the AbortError of a cancelled or timed-out call).
    expect(chat.attributes['error.type']).toBe('llm_timeout');
    expect(chat.attributes['agentrace.usage.cost']).toBeUndefined();
  });

  it('disabled: nothing recorded by agentrace, the SDK traces itself again, the app works as before', async () => {
    instrumentation.disable();
    try {
      provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
      const message = await client.messages.create(PARAMS);
      expect(message.id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
      expect(otel.spans().map((s) => s.name)).toEqual(['anthropic.messages.create']);
    } finally {
      instrumentation.enable();
    }
  });
});

describe('AnthropicInstrumentation at the low end of its range (@anthropic-ai/sdk 0.50.4)', () => {
  // The aliased package is not named `@anthropic-ai/sdk` on disk, so the require hook never sees it: its
  // Messages file is handed to the instrumentation's own file patch, as the hook would hand it.
  const lowRequire = createRequire(
    fileURLToPath(new URL('../packages/instrumentation/package.json', import.meta.url)),
  );
  const Low = lowRequire('anthropic-sdk-lowest') as typeof import('@anthropic-ai/sdk').default;
  const messagesFile = lowRequire('anthropic-sdk-lowest/resources/messages/messages.js');
  const definition = instrumentation.getModuleDefinitions()[0];
  const file = definition?.files.find((f) => f.name.endsWith('messages.js'));

  it('patches create and stream: plain and streamed calls each one priced span', async () => {
    expect(lowRequire('anthropic-sdk-lowest/version.js').VERSION).toBe('0.50.4');
    file?.patch(messagesFile, '0.50.4');
    const low = new Low({ apiKey: 'sk-ant-test-not-a-real-key', baseURL: provider.url, maxRetries: 0 });
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED }, { sse: { events: ANTHROPIC_STREAM, named: true } });
    expect((await low.messages.create(PARAMS)).id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect((await low.messages.stream(PARAMS).finalMessage()).usage.output_tokens).toBe(15);
    const chats = otel.spans().filter((s) => s.name === `chat ${MODEL}`);
    expect(chats.map((s) => s.attributes['gen_ai.usage.output_tokens'])).toEqual([120, 15]);
    expect(chats.every((s) => typeof s.attributes['agentrace.usage.cost'] === 'number')).toBe(true);
    file?.unpatch?.(messagesFile, '0.50.4');
  });
});

describe('AnthropicInstrumentation: message content', () => {
  const CONTENT_ATTRIBUTES = [
    'gen_ai.input.messages',
    'gen_ai.output.messages',
    'gen_ai.system_instructions',
    'gen_ai.tool.definitions',
  ];
  const WITH_CONTEXT = {
    ...PARAMS,
    system: 'You are a weather bot. Internal key: sk-ant-api03-AbCdEfGhIjKlMnOpQrSt',
    tools: [
      { name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object' as const } },
    ],
  };
  afterEach(() => instrumentation.setConfig({}));

  it('is off by default: no content attribute on a plain or a streamed call', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED }, { sse: { events: ANTHROPIC_STREAM, named: true } });
    await client.messages.create(WITH_CONTEXT);
    await client.messages.stream(WITH_CONTEXT).finalMessage();
    const chats = otel.spans().filter((s) => s.name === `chat ${MODEL}`);
    expect(chats).toHaveLength(2);
    for (const chat of chats)
      for (const name of CONTENT_ATTRIBUTES) expect(chat.attributes[name]).toBeUndefined();
  });

  it('on: input, system instructions, tools and the output in the conventions shape, secrets masked', async () => {
    instrumentation.setConfig({ captureMessageContent: true });
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
    const message = await client.messages.create(WITH_CONTEXT);
    expect(message.content[0]?.type).toBe('tool_use');
    const chat = otel.span(`chat ${MODEL}`);
    const json = (name: string) => JSON.parse(String(chat.attributes[name]));
    expect(json('gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Oslo?' }] },
    ]);
    expect(json('gen_ai.system_instructions')).toEqual([
      { type: 'text', content: 'You are a weather bot. Internal key: [REDACTED]' },
    ]);
    expect(json('gen_ai.tool.definitions')).toEqual([{ type: 'function', name: 'get_weather' }]);
    expect(json('gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: 'toolu_01A09q90qw90lq917835lq9',
            name: 'get_weather',
            arguments: { city: 'Oslo' },
          },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    // Usage and cost are recorded as without content.
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(120);
  });

  it('on: a streamed call builds its output message from the events', async () => {
    instrumentation.setConfig({ captureMessageContent: true });
    provider.enqueue({ sse: { events: ANTHROPIC_STREAM, named: true } });
    const final = await client.messages.stream(PARAMS).finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    const chat = otel.span(`chat ${MODEL}`);
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello!' }], finish_reason: 'stop' },
    ]);
    expect(chat.attributes['gen_ai.input.messages']).toBeDefined();
  });

  it('the redactor runs first; a throwing one drops the content and the app still gets its response', async () => {
    instrumentation.setConfig({
      captureMessageContent: true,
      contentRedactor: (content) => (content.outputMessages ? content : { inputMessages: [] }),
    });
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
    await client.messages.create(WITH_CONTEXT);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.attributes['gen_ai.system_instructions']).toBeUndefined();
    expect(chat.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(chat.attributes['gen_ai.output.messages']).toBeDefined();

    otel.exporter.reset();
    instrumentation.setConfig({
      captureMessageContent: true,
      contentRedactor: () => {
        throw new Error('redactor bug');
      },
    });
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
    expect((await client.messages.create(WITH_CONTEXT)).id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    const other = otel.span(`chat ${MODEL}`);
    for (const name of CONTENT_ATTRIBUTES) expect(other.attributes[name]).toBeUndefined();
    expect(other.attributes['gen_ai.usage.output_tokens']).toBe(120);
  });

  it('rejects bad content options when the instrumentation is built', () => {
    expect(() => new AnthropicInstrumentation({ maxContentLength: 3 })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'maxContentLength' }),
    );
  });
});

describe('AnthropicInstrumentation outside its range', () => {
  it('an unsupported version is left unpatched, with one warning however often it loads', () => {
    const warnings: string[] = [];
    const log = (m: string) => warnings.push(m);
    diag.setLogger(
      { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      const definition = instrumentation.getModuleDefinitions()[0];
      const file = definition?.files.find((f) => f.name.endsWith('messages.js'));
      // The versions the package-level hook sees; the file patches only match inside the range.
      expect(file?.supportedVersions).toEqual(['>=0.50.0 <2']);
      const exports = { Messages: class {} };
      definition?.patch?.(exports, '2.0.0');
      definition?.patch?.(exports, '0.40.1');
      expect(warnings.filter((w) => w.includes('outside the supported range'))).toHaveLength(1);
      expect(warnings[0]).toContain('@anthropic-ai/sdk 2.0.0');
      definition?.patch?.(exports, '1.14.0');
      expect(warnings).toHaveLength(1);
    } finally {
      diag.disable();
    }
  });
});
