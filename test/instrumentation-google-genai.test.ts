/**
 * `GoogleGenAIInstrumentation` through `registerInstrumentations`: the real `@google/genai` (its CommonJS
 * build, through Node's require so the require hook patches it) against a loopback server answering as the
 * Gemini API does, the real OTel SDK with an in-memory exporter. `@google/genai` 3 declares Node >= 22, so on
 * older Node these skip.
 */

import { createRequire } from 'node:module';
import { GoogleGenAIInstrumentation } from '@agentrace/instrumentation';
import { costBreakdown } from '@agentrace/pricing';
import { DiagLogLevel, diag, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { isWrapped, registerInstrumentations } from '@opentelemetry/instrumentation';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry } from './helpers/otel.js';
import { GEMINI_RESOURCE_EXHAUSTED, GEMINI_UNAVAILABLE } from './helpers/provider-errors.js';
import { GEMINI_RESPONSE } from './helpers/responses.js';
import { GEMINI_STREAM } from './helpers/stream-usage-events.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const MODEL = 'gemini-2.5-flash';
// GEMINI_RESPONSE and the last GEMINI_STREAM chunk: 12 500 prompt tokens of which 12 000 cached, 300
// candidate tokens plus 150 thinking tokens.
const USAGE = { inputTokens: 500, outputTokens: 450, cacheReadTokens: 12000, cacheWriteTokens: 0 };

describe.skipIf(NODE_MAJOR < 22)('GoogleGenAIInstrumentation (@google/genai 3.6.1, CommonJS)', () => {
  const otel = createTestTelemetry();
  const instrumentation = new GoogleGenAIInstrumentation();
  const unregister = registerInstrumentations({
    instrumentations: [instrumentation],
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  });
  const require = createRequire(import.meta.url);
  const { GoogleGenAI } = require('@google/genai') as typeof import('@google/genai');
  let provider: FakeProvider;
  let ai: InstanceType<typeof GoogleGenAI>;

  beforeEach(async () => {
    otel.exporter.reset();
    provider = await startFakeProvider();
    ai = new GoogleGenAI({ apiKey: 'test-not-a-real-key', httpOptions: { baseUrl: provider.url } });
  });
  afterEach(() => provider.close());
  afterAll(async () => {
    unregister();
    await otel.shutdown();
  });

  const request = {
    model: MODEL,
    contents: 'Explain photosynthesis in one sentence.',
    config: { maxOutputTokens: 512, temperature: 0.3, topP: 0.95, topK: 20, stopSequences: ['END'] },
  };

  it('generateContent: one chat span, request config, usage with cache and thinking, cost, server', async () => {
    provider.enqueue({ json: GEMINI_RESPONSE });
    const response = await ai.models.generateContent(request);
    expect(response.text).toBe('Photosynthesis turns light into chemical energy.');
    expect(provider.requests[0]?.path).toContain(`models/${MODEL}:generateContent`);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.instrumentationScope.name).toBe('@agentrace/instrumentation/google-genai');
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': MODEL,
      'gen_ai.request.max_tokens': 512,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.95,
      'gen_ai.request.top_k': 20,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.response.model': MODEL,
      'gen_ai.response.id': 'mDJmaNb6Dd3X1PIP5LmIsAM',
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 12500,
      'gen_ai.usage.cache_read.input_tokens': 12000,
      'gen_ai.usage.output_tokens': USAGE.outputTokens,
      'gen_ai.usage.reasoning.output_tokens': 150,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(provider.url).port),
    });
    const expected = costBreakdown(MODEL, USAGE).total;
    expect(expected).toBeGreaterThan(0);
    expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(expected, 12);
  });

  it('generateContentStream: the span ends with the stream, usage from the last chunk, priced', async () => {
    provider.enqueue({ sse: { events: GEMINI_STREAM } });
    const stream = await ai.models.generateContentStream(request);
    expect(otel.spans()).toHaveLength(0);
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text).toBe('Photosynthesis turns light into chemical energy.');
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 12500,
      'gen_ai.usage.output_tokens': USAGE.outputTokens,
      'agentrace.stream.outcome': 'completed',
    });
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
    expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(costBreakdown(MODEL, USAGE).total, 12);
  });

  describe('message content', () => {
    const CONTENT_ATTRIBUTES = [
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'gen_ai.tool.definitions',
    ];
    const withContext = {
      ...request,
      config: {
        ...request.config,
        systemInstruction: 'Answer like a botanist. Token: AIzaSyA-1234567890abcdefghijklmnopqrstu',
        tools: [{ functionDeclarations: [{ name: 'lookup_plant', description: 'Find a plant' }] }],
      },
    };
    afterEach(() => instrumentation.setConfig({}));

    it('is off by default', async () => {
      provider.enqueue({ json: GEMINI_RESPONSE }, { sse: { events: GEMINI_STREAM } });
      await ai.models.generateContent(withContext);
      for await (const _ of await ai.models.generateContentStream(withContext)) {
        // drained
      }
      const chats = otel.spans().filter((s) => s.name === `chat ${MODEL}`);
      expect(chats).toHaveLength(2);
      for (const chat of chats)
        for (const name of CONTENT_ATTRIBUTES) expect(chat.attributes[name]).toBeUndefined();
    });

    it('on: contents, system instruction, tools and candidates in the conventions shape, masked', async () => {
      instrumentation.setConfig({ captureMessageContent: true });
      provider.enqueue({ json: GEMINI_RESPONSE });
      await ai.models.generateContent(withContext);
      const chat = otel.span(`chat ${MODEL}`);
      const json = (name: string) => JSON.parse(String(chat.attributes[name]));
      expect(json('gen_ai.input.messages')).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'Explain photosynthesis in one sentence.' }] },
      ]);
      expect(json('gen_ai.system_instructions')).toEqual([
        { type: 'text', content: 'Answer like a botanist. Token: [REDACTED]' },
      ]);
      expect(json('gen_ai.tool.definitions')).toEqual([{ type: 'function', name: 'lookup_plant' }]);
      expect(json('gen_ai.output.messages')).toEqual([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: 'Photosynthesis turns light into chemical energy.' }],
          finish_reason: 'stop',
        },
      ]);
    });

    it('on, streamed: the output message joins the chunks', async () => {
      instrumentation.setConfig({ captureMessageContent: true });
      provider.enqueue({ sse: { events: GEMINI_STREAM } });
      for await (const _ of await ai.models.generateContentStream(request)) {
        // drained
      }
      const chat = otel.span(`chat ${MODEL}`);
      expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: 'Photosynthesis turns light into chemical energy.' }],
          finish_reason: 'stop',
        },
      ]);
    });
  });

  it('429 RESOURCE_EXHAUSTED: error.type rate_limit, ERROR status; the app gets the SDK error', async () => {
    provider.enqueue({ status: 429, json: GEMINI_RESOURCE_EXHAUSTED });
    const err = await ai.models.generateContent(request).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(429);
    const chat = otel.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe('rate_limit');
    expect(chat.attributes['agent.failure_class']).toEqual(expect.any(String));
  });

  it('503 on a streamed call: provider_failure', async () => {
    provider.enqueue({ status: 503, json: GEMINI_UNAVAILABLE });
    await expect(ai.models.generateContentStream(request)).rejects.toThrow();
    expect(otel.span(`chat ${MODEL}`).attributes['error.type']).toBe('provider_failure');
  });

  it('disabled: nothing recorded, the app works as before', async () => {
    instrumentation.disable();
    try {
      provider.enqueue({ json: GEMINI_RESPONSE });
      expect((await ai.models.generateContent(request)).text).toContain('Photosynthesis');
      expect(otel.spans()).toHaveLength(0);
    } finally {
      instrumentation.enable();
    }
  });
});

describe('GoogleGenAIInstrumentation at the low end of its range (@google/genai 1.0.0, Node >= 18)', () => {
  // The aliased package is not named `@google/genai` on disk, so the require hook never sees it: its exports
  // are handed to the instrumentation's patch, as the hook would hand them.
  const otel = createTestTelemetry();
  const instrumentation = new GoogleGenAIInstrumentation();
  const unregister = registerInstrumentations({
    instrumentations: [instrumentation],
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  });
  // 1.0.0's CommonJS entry is ESM in a `type: module` package (unloadable by require): its ESM build it is.
  const lowEntry = new URL(
    '../packages/instrumentation/node_modules/genai-lowest/dist/node/index.mjs',
    import.meta.url,
  );
  let low: typeof import('@google/genai');
  let provider: FakeProvider;
  beforeEach(async () => {
    otel.exporter.reset();
    provider = await startFakeProvider();
  });
  afterEach(() => provider.close());
  afterAll(async () => {
    unregister();
    await otel.shutdown();
  });

  it('patches generateContent and generateContentStream: one priced span each; twice is harmless', async () => {
    low = (await import(lowEntry.href)) as typeof import('@google/genai');
    instrumentation.patchExports(low);
    instrumentation.patchExports(low);
    const ai = new low.GoogleGenAI({ apiKey: 'test-not-a-real-key', httpOptions: { baseUrl: provider.url } });
    provider.enqueue({ json: GEMINI_RESPONSE }, { sse: { events: GEMINI_STREAM } });
    const request = { model: MODEL, contents: 'Explain photosynthesis in one sentence.' };
    expect((await ai.models.generateContent(request)).text).toBe(
      'Photosynthesis turns light into chemical energy.',
    );
    for await (const _ of await ai.models.generateContentStream(request)) {
      // read to the end
    }
    const chats = otel.spans().filter((s) => s.name === `chat ${MODEL}`);
    expect(chats).toHaveLength(2);
    expect(chats.map((s) => s.attributes['gen_ai.usage.output_tokens'])).toEqual([
      USAGE.outputTokens,
      USAGE.outputTokens,
    ]);
    for (const chat of chats) {
      expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(costBreakdown(MODEL, USAGE).total, 12);
    }
  });
});

describe('GoogleGenAIInstrumentation outside its range', () => {
  it('an unsupported version is left unpatched, with one warning', () => {
    const instrumentation = new GoogleGenAIInstrumentation({ enabled: false });
    const warnings: string[] = [];
    const log = (m: string) => warnings.push(m);
    diag.setLogger(
      { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      class Models {
        async generateContentInternal() {}
        async generateContentStreamInternal() {}
      }
      const definition = instrumentation.getModuleDefinitions()[0];
      definition?.patch?.({ Models }, '4.0.0');
      definition?.patch?.({ Models }, '0.9.0');
      expect(isWrapped(Models.prototype.generateContentInternal)).toBe(false);
      expect(warnings).toEqual([
        expect.stringContaining('@google/genai 4.0.0 is outside the supported range'),
      ]);
      definition?.patch?.({ Models }, '3.6.1');
      expect(isWrapped(Models.prototype.generateContentInternal)).toBe(true);
    } finally {
      diag.disable();
    }
  });
});
