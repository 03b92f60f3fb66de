import { once } from 'node:events';
import {
  AgentSession,
  type AgentSessionOptions,
  BudgetExceededError,
  CircuitBreaker,
  CircuitOpenError,
  type Session,
  TurnTimeoutError,
  ValidationError,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  APICallError,
  generateObject,
  generateText,
  stepCountIs,
  streamText,
  tool,
  wrapLanguageModel,
} from 'ai';
import { MockLanguageModelV3, MockLanguageModelV4, simulateReadableStream } from 'ai/test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestTelemetry, type TestTelemetry } from '../../../test/helpers/otel.js';
import { agentraceMiddleware } from './agentrace-middleware.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

type MockV4Options = NonNullable<ConstructorParameters<typeof MockLanguageModelV4>[0]>;
type GenerateResult = Awaited<ReturnType<MockLanguageModelV4['doGenerate']>>;
type StreamResult = Awaited<ReturnType<MockLanguageModelV4['doStream']>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never;

/** A `LanguageModelV4Usage` as an OpenAI chat model reports it: input total includes the cached tokens. */
function usage(input: number, cached: number, output: number, reasoning = 0) {
  return {
    inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: undefined },
    outputTokens: { total: output, text: output - reasoning, reasoning },
  };
}

function generated(text: string, u = usage(1200, 1024, 80), id = 'chatcmpl-1'): GenerateResult {
  return {
    content: [{ type: 'text', text }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: u,
    response: { id, modelId: 'gpt-4o-2024-08-06', timestamp: new Date(0) },
    warnings: [],
  };
}

function streamParts(texts: string[], u = usage(1352, 1280, 7)): StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'chatcmpl-s1', modelId: 'gpt-4o-2024-08-06', timestamp: new Date(0) },
    { type: 'text-start', id: '0' },
    ...texts.map((delta): StreamPart => ({ type: 'text-delta', id: '0', delta })),
    { type: 'text-end', id: '0' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: u },
  ];
}

let otel: TestTelemetry;

/** The session's usage (snake_case), cost and recovery scenarios. */
function totals(session: Session) {
  return {
    usage: session.tracker.totalUsage.toDict(),
    costUsd: session.tracker.totalCost(),
    scenarios: session.recovery.records.map((r) => r.scenario),
  };
}

function prices(): PriceTable {
  const table = new PriceTable();
  table.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
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

function openaiModel(init: Omit<MockV4Options, 'provider' | 'modelId'>) {
  return new MockLanguageModelV4({ provider: 'openai.chat', modelId: 'gpt-4o', ...init });
}

beforeEach(() => {
  otel = createTestTelemetry();
});

afterEach(async () => {
  await otel.shutdown();
});

describe.skipIf(NODE_MAJOR < 22)('agentraceMiddleware (ai 7 declares Node >= 22)', () => {
  describe('generateText / generateObject', () => {
    it('a generateText call is a chat turn of the session: usage, cost, response facts, request params', async () => {
      const mock = openaiModel({ doGenerate: generated('Oslo is in Norway.') });
      const summary = await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        const result = await generateText({
          model,
          prompt: 'Where is Oslo?',
          maxOutputTokens: 256,
          temperature: 0,
        });
        expect(result.text).toBe('Oslo is in Norway.');
        return totals(session);
      });
      expect(summary.usage).toMatchObject({ input_tokens: 176, output_tokens: 80, cache_read_tokens: 1024 });
      const cost = (176 * 2.5 + 80 * 10 + 1024 * 1.25) / 1e6;
      expect(summary.costUsd).toBeCloseTo(cost, 12);

      const root = otel.span('invoke_agent researcher');
      const chat = otel.span('chat gpt-4o');
      expect(chat.kind).toBe(SpanKind.CLIENT);
      expect(chat.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.max_tokens': 256,
        'gen_ai.request.temperature': 0,
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.id': 'chatcmpl-1',
        'gen_ai.response.finish_reasons': ['stop'],
        // The conventions count cache reads inside the input tokens.
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.usage.cache_read.input_tokens': 1024,
      });
      expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(cost, 12);
      expect(chat.attributes['gen_ai.request.stream']).toBeUndefined();
    });

    it('every step of a multi-step generateText is its own turn; the tool runs between them', async () => {
      const mock = openaiModel({
        doGenerate: [
          {
            content: [
              { type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: '{"city":"Oslo"}' },
            ],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage: usage(300, 0, 20),
            response: { id: 'chatcmpl-a', modelId: 'gpt-4o-2024-08-06' },
            warnings: [],
          },
          generated('It is 12°C.', usage(340, 256, 10), 'chatcmpl-b'),
        ],
      });
      const summary = await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        const result = await generateText({
          model,
          prompt: 'Weather in Oslo?',
          stopWhen: stepCountIs(3),
          tools: {
            weather: tool({
              inputSchema: z.object({ city: z.string() }),
              execute: ({ city }) => session.runTool('weather', () => ({ city, celsius: 12 })),
            }),
          },
        });
        expect(result.text).toBe('It is 12°C.');
        expect(result.steps).toHaveLength(2);
        return totals(session);
      });
      expect(summary.usage).toMatchObject({ input_tokens: 384, output_tokens: 30, cache_read_tokens: 256 });
      const names = otel.spans().map((s) => s.name);
      expect(names.filter((n) => n === 'chat gpt-4o')).toHaveLength(2);
      expect(names).toContain('execute_tool weather');
      const chats = otel.spans().filter((s) => s.name === 'chat gpt-4o');
      expect(chats.map((s) => s.attributes['gen_ai.response.finish_reasons'])).toEqual([
        ['tool-calls'],
        ['stop'],
      ]);
    });

    it('generateObject is a turn too, with the usage of the structured call', async () => {
      const mock = openaiModel({ doGenerate: generated('{"city":"Oslo","celsius":12}', usage(90, 0, 12)) });
      const summary = await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        const { object } = await generateObject({
          model,
          schema: z.object({ city: z.string(), celsius: z.number() }),
          prompt: 'Weather in Oslo as JSON',
        });
        expect(object).toEqual({ city: 'Oslo', celsius: 12 });
        return totals(session);
      });
      expect(summary.usage).toMatchObject({ input_tokens: 90, output_tokens: 12 });
      expect(otel.span('chat gpt-4o').attributes['gen_ai.usage.output_tokens']).toBe(12);
    });

    it('a LanguageModelV3 model (what ai 6 providers return) is wrapped the same way', async () => {
      const mock = new MockLanguageModelV3({
        provider: 'anthropic.messages',
        modelId: 'claude-sonnet-4-5',
        doGenerate: {
          content: [{ type: 'text', text: 'Hello' }],
          finishReason: { unified: 'stop', raw: 'end_turn' },
          usage: {
            inputTokens: { total: 2121, noCache: 21, cacheRead: 1800, cacheWrite: 300 },
            outputTokens: { total: 393, text: 393, reasoning: undefined },
          },
          warnings: [],
        },
      });
      const summary = await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        await generateText({ model, prompt: 'Hi' });
        return totals(session);
      });
      expect(summary.usage).toMatchObject({
        input_tokens: 21,
        output_tokens: 393,
        cache_read_tokens: 1800,
        cache_write_tokens: 300,
      });
      expect(otel.span('chat claude-sonnet-4-5').attributes['gen_ai.provider.name']).toBe('anthropic');
    });

    it('turnOptions set the turn (model name for pricing, attributes) and see the call', async () => {
      const mock = new MockLanguageModelV4({
        provider: 'my-gateway',
        modelId: 'gw/gpt-4o',
        doGenerate: generated('ok'),
      });
      const calls: { type: string; provider: string; prompt: number }[] = [];
      await agent().run(async (session) => {
        const middleware = agentraceMiddleware({
          session,
          turnOptions: (call) => {
            calls.push({ type: call.type, provider: call.model.provider, prompt: call.params.prompt.length });
            return { model: 'gpt-4o', provider: 'openai', attributes: { 'app.route': '/ask' } };
          },
        });
        await generateText({ model: wrapLanguageModel({ model: mock, middleware }), prompt: 'Hi' });
      });
      expect(calls).toEqual([{ type: 'generate', provider: 'my-gateway', prompt: 1 }]);
      const chat = otel.span('chat gpt-4o');
      expect(chat.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'app.route': '/ask' });
      expect(chat.attributes['agentrace.usage.cost']).toBeGreaterThan(0);
    });

    it('with a session getter that returns nothing, the call runs untraced', async () => {
      const mock = openaiModel({ doGenerate: generated('plain') });
      let current: Session | undefined;
      const model = wrapLanguageModel({
        model: mock,
        middleware: agentraceMiddleware({ session: () => current }),
      });
      expect((await generateText({ model, prompt: 'Hi' })).text).toBe('plain');
      expect(otel.spans()).toHaveLength(0);
      await agent().run(async (session) => {
        current = session;
        await generateText({ model, prompt: 'Hi' });
      });
      expect(otel.spans().map((s) => s.name)).toEqual(['chat gpt-4o', 'invoke_agent researcher']);
    });

    it('recordInput: false keeps the prompt from the turn even with content capture on', async () => {
      const mock = openaiModel({ doGenerate: generated('a') });
      await agent({ captureContent: true }).run(async (session) => {
        const middleware = agentraceMiddleware({ session, recordInput: false });
        await generateText({ model: wrapLanguageModel({ model: mock, middleware }), prompt: 'private' });
      });
      const chat = otel.span('chat gpt-4o');
      expect(chat.attributes['gen_ai.input.messages']).toBeUndefined();
    });

    it('records the prompt only when the session captures content', async () => {
      const mock = openaiModel({ doGenerate: [generated('a'), generated('b')] });
      for (const captureContent of [false, true]) {
        await agent({ captureContent }).run(async (session) => {
          const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
          await generateText({ model, prompt: 'the secret question' });
        });
      }
      const [off, on] = otel.spans().filter((s) => s.name === 'chat gpt-4o');
      for (const name of ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.tool.definitions'])
        expect(off?.attributes[name]).toBeUndefined();
      expect(JSON.parse(String(on?.attributes['gen_ai.input.messages']))).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'the secret question' }] },
      ]);
      expect(JSON.parse(String(on?.attributes['gen_ai.output.messages']))).toEqual([
        { role: 'assistant', parts: [{ type: 'text', content: 'b' }], finish_reason: 'stop' },
      ]);
    });

    it('content on: system, tools and tool calls in the conventions shape, masked, redactor applied', async () => {
      const mock = openaiModel({
        doGenerate: {
          ...generated('unused'),
          content: [
            { type: 'tool-call', toolCallId: 'call_9', toolName: 'weather', input: '{"city":"Oslo"}' },
          ],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        },
      });
      await agent({
        captureContent: true,
        contentRedactor: (content) =>
          content.toolDefinitions
            ? { ...content, toolDefinitions: [{ type: 'function', name: 'hidden' }] }
            : content,
      }).run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        await generateText({
          model,
          system: 'Use key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx',
          prompt: 'Weather?',
          tools: { weather: tool({ inputSchema: z.object({ city: z.string() }) }) },
        });
      });
      const chat = otel.span('chat gpt-4o');
      expect(JSON.parse(String(chat.attributes['gen_ai.input.messages']))).toEqual([
        { role: 'system', parts: [{ type: 'text', content: 'Use key [REDACTED]' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Weather?' }] },
      ]);
      expect(JSON.parse(String(chat.attributes['gen_ai.tool.definitions']))).toEqual([
        { type: 'function', name: 'hidden' },
      ]);
      expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'call_9', name: 'weather', arguments: { city: 'Oslo' } }],
          finish_reason: 'tool_call',
        },
      ]);
    });

    it('content on, streamText: the output message is built from the stream parts', async () => {
      const mock = openaiModel({
        doStream: { stream: simulateReadableStream({ chunks: streamParts(['Hel', 'lo']) }) },
      });
      await agent({ captureContent: true }).run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        const result = streamText({ model, prompt: 'Say hello' });
        expect(await result.text).toBe('Hello');
      });
      const chat = otel.span('chat gpt-4o');
      expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([
        { role: 'assistant', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'stop' },
      ]);
      expect(JSON.parse(String(chat.attributes['gen_ai.input.messages']))).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'Say hello' }] },
      ]);
    });
  });

  describe('streamText', () => {
    it('a streamText call is a streamed turn: parts pass through, usage from the finish part, span open until the end', async () => {
      const mock = openaiModel({
        doStream: {
          stream: simulateReadableStream({ chunks: streamParts(['Oslo', ' is', ' in', ' Norway.']) }),
        },
      });
      let turnEndedBeforeConsumed = false;
      const result = await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        const stream = streamText({ model, prompt: 'Where is Oslo?', maxOutputTokens: 64 });
        const pieces: string[] = [];
        for await (const piece of stream.textStream) {
          pieces.push(piece);
          if (otel.spans().some((s) => s.name === 'chat gpt-4o')) turnEndedBeforeConsumed = true;
        }
        expect(pieces.join('')).toBe('Oslo is in Norway.');
        expect(await stream.text).toBe('Oslo is in Norway.');
        await stream.consumeStream();
        return totals(session);
      });
      expect(turnEndedBeforeConsumed).toBe(false);
      expect(result.usage).toEqual({
        input_tokens: 72,
        output_tokens: 7,
        cache_write_tokens: 0,
        cache_read_tokens: 1280,
      });
      const chat = otel.span('chat gpt-4o');
      expect(chat.attributes).toMatchObject({
        'gen_ai.request.stream': true,
        'gen_ai.request.max_tokens': 64,
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.id': 'chatcmpl-s1',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 1352,
        'gen_ai.usage.output_tokens': 7,
        'agentrace.stream.outcome': 'completed',
      });
      expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
      expect(chat.attributes['agentrace.usage.cost']).toBeGreaterThan(0);
    });

    it('a stream that fails before its first part (HTTP 429) fails the turn, classified', async () => {
      const mock = openaiModel({
        doStream: async () => {
          throw new APICallError({
            message: 'Rate limit reached',
            url: 'https://api.openai.com/v1/chat/completions',
            requestBodyValues: {},
            statusCode: 429,
            responseHeaders: { 'retry-after-ms': '1500' },
            isRetryable: true,
          });
        },
      });
      const errors: unknown[] = [];
      await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        const stream = streamText({
          model,
          prompt: 'x',
          maxRetries: 0,
          onError: ({ error }) => errors.push(error),
        });
        await stream.consumeStream();
      });
      expect(errors.some((e) => APICallError.isInstance(e))).toBe(true);
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).toBe(SpanStatusCode.ERROR);
      expect(chat.attributes['error.type']).toBe('rate_limit');
    });

    it('aborting a stream mid-way ends the turn as cancelled, not failed, billing only usage that had arrived', async () => {
      const controller = new AbortController();
      const parts = streamParts(['a', 'b', 'c', 'd']);
      const mock = openaiModel({
        doStream: async ({ abortSignal }) => {
          if (!abortSignal) throw new Error('the model call was given no abort signal');
          let i = 0;
          return {
            stream: new ReadableStream({
              async pull(c) {
                const part = parts[i++];
                if (part === undefined) return c.close();
                if (part.type === 'text-delta' && part.delta === 'c') {
                  // A provider still generating: nothing more arrives until the request is aborted. (Reading ahead
                  // is up to the runtime's streams: on Node 24 they pull every part before the consumer sees 'b'.)
                  if (!abortSignal.aborted) await once(abortSignal, 'abort');
                  return c.error(abortSignal.reason);
                }
                c.enqueue(part);
              },
            }),
          };
        },
      });
      await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        const stream = streamText({ model, prompt: 'x', abortSignal: controller.signal });
        for await (const piece of stream.textStream) {
          if (piece === 'b') controller.abort(new Error('user navigated away'));
        }
      });
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(chat.attributes['agentrace.stream.outcome']).toBe('cancelled');
      // The finish part (with usage) never arrived: nothing is billed for the cancelled stream.
      expect(chat.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    });
  });

  describe('failures, breaker, budget, timeout', () => {
    it('a provider 429 fails the turn classified as rate_limit, with the AI SDK error rethrown', async () => {
      const error = new APICallError({
        message: 'Rate limit reached for gpt-4o',
        url: 'https://api.openai.com/v1/chat/completions',
        requestBodyValues: {},
        statusCode: 429,
        responseHeaders: { 'retry-after': '2' },
        responseBody: '{"error":{"code":"rate_limit_exceeded","type":"tokens"}}',
        isRetryable: true,
      });
      const mock = openaiModel({
        doGenerate: async () => {
          throw error;
        },
      });
      const agentRun = agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        try {
          await generateText({ model, prompt: 'Hi', maxRetries: 0 });
        } catch (err) {
          expect(APICallError.isInstance(err)).toBe(true);
        }
        return totals(session);
      });
      const summary = await agentRun;
      expect(summary.scenarios).toEqual(['rate_limit']);
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).toBe(SpanStatusCode.ERROR);
      expect(chat.attributes['error.type']).toBe('rate_limit');
    });

    it('the AI SDK retries each become a turn; with a recovery policy agentrace retries instead', async () => {
      const overloaded = () =>
        new APICallError({
          message: 'Service Unavailable',
          url: 'https://api.openai.com/v1/chat/completions',
          requestBodyValues: {},
          statusCode: 503,
          isRetryable: true,
        });
      let calls = 0;
      const mock = openaiModel({
        doGenerate: async () => {
          calls++;
          if (calls === 1) throw overloaded();
          return generated('recovered');
        },
      });
      await agent().run(async (session) => {
        const middleware = agentraceMiddleware({
          session,
          turnOptions: { recovery: { backoff: { baseMs: 1, capMs: 1, jitter: false } } },
        });
        const model = wrapLanguageModel({ model: mock, middleware });
        const { text } = await generateText({ model, prompt: 'Hi', maxRetries: 0 });
        expect(text).toBe('recovered');
        expect(session.turnsStarted).toBe(1);
      });
      expect(calls).toBe(2);
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
      // Each attempt is its own span under the turn.
      expect(otel.children(chat).length).toBeGreaterThanOrEqual(2);
    });

    it('a turn that recovery gives up on with log_and_continue fails the call with the provider error', async () => {
      const error = new APICallError({
        message: 'Bad Gateway',
        url: 'https://api.openai.com/v1/chat/completions',
        requestBodyValues: {},
        statusCode: 502,
      });
      const mock = openaiModel({
        doGenerate: async () => {
          throw error;
        },
      });
      await agent().run(async (session) => {
        const middleware = agentraceMiddleware({
          session,
          turnOptions: { recovery: { maxAttempts: 0, escalation: { provider_failure: 'log_and_continue' } } },
        });
        const model = wrapLanguageModel({ model: mock, middleware });
        await expect(generateText({ model, prompt: 'x', maxRetries: 0 })).rejects.toBe(error);
      });
      expect(otel.span('chat gpt-4o').attributes['error.type']).toBe('provider_failure');
    });

    it('an open circuit rejects the call without calling the model', async () => {
      const breaker = new CircuitBreaker({ name: 'openai', failureThreshold: 1, recoveryTimeoutMs: 60_000 });
      let calls = 0;
      const mock = openaiModel({
        doGenerate: async () => {
          calls++;
          throw new APICallError({
            message: 'Bad Gateway',
            url: 'https://api.openai.com/v1/chat/completions',
            requestBodyValues: {},
            statusCode: 502,
          });
        },
      });
      await agent({ circuitBreaker: breaker }).run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        await expect(generateText({ model, prompt: 'a', maxRetries: 0 })).rejects.toThrow('Bad Gateway');
        await expect(generateText({ model, prompt: 'b', maxRetries: 0 })).rejects.toSatisfy((e) =>
          CircuitOpenError.isInstance(e),
        );
      });
      expect(calls).toBe(1);
      expect(breaker.state()).toBe('open');
    });

    it('an enforced budget stops the next call before it reaches the model', async () => {
      const mock = openaiModel({ doGenerate: generated('pricey', usage(100_000, 0, 10_000)) });
      await agent({ budgetUsd: 0.1, enforceBudget: true })
        .run(async (session) => {
          const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
          // 100k input at $2.50/M + 10k output at $10/M = $0.35: over the budget once recorded.
          await expect(generateText({ model, prompt: 'a', maxRetries: 0 })).rejects.toSatisfy((e) =>
            BudgetExceededError.isInstance(e),
          );
          await expect(generateText({ model, prompt: 'b', maxRetries: 0 })).rejects.toSatisfy((e) =>
            BudgetExceededError.isInstance(e),
          );
        })
        .catch(() => undefined);
      expect(mock.doGenerateCalls).toHaveLength(1);
    });

    it('a turn timeout aborts the request through its signal and fails the turn as llm_timeout', async () => {
      let seen: AbortSignal | undefined;
      const mock = openaiModel({
        doGenerate: ({ abortSignal }) =>
          new Promise((_, reject) => {
            seen = abortSignal;
            abortSignal?.addEventListener('abort', () => reject(abortSignal.reason), { once: true });
          }),
      });
      await agent().run(async (session) => {
        const middleware = agentraceMiddleware({ session, turnOptions: { timeoutMs: 20 } });
        const model = wrapLanguageModel({ model: mock, middleware });
        await expect(generateText({ model, prompt: 'slow', maxRetries: 0 })).rejects.toSatisfy((e) =>
          TurnTimeoutError.isInstance(e),
        );
      });
      expect(seen?.aborted).toBe(true);
      expect(otel.span('chat gpt-4o').attributes['error.type']).toBe('llm_timeout');
    });

    it('the caller aborting the call cancels the turn (not an error)', async () => {
      const controller = new AbortController();
      const mock = openaiModel({
        doGenerate: ({ abortSignal }) =>
          new Promise((_, reject) => {
            abortSignal?.addEventListener('abort', () => reject(abortSignal.reason), { once: true });
            controller.abort(new Error('user left'));
          }),
      });
      await agent().run(async (session) => {
        const model = wrapLanguageModel({ model: mock, middleware: agentraceMiddleware({ session }) });
        await expect(
          generateText({ model, prompt: 'x', maxRetries: 0, abortSignal: controller.signal }),
        ).rejects.toThrow();
      });
      const chat = otel.span('chat gpt-4o');
      expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(chat.attributes['error.type']).toBeUndefined();
    });
  });

  describe('bad options', () => {
    it('names the field', () => {
      expect(() => agentraceMiddleware({ session: undefined as never })).toThrowError(ValidationError);
      expect(() => agentraceMiddleware({ session: {} as never })).toThrowError(/session must be/);
      expect(() => agentraceMiddleware({ session: () => undefined, turnOptions: 5 as never })).toThrowError(
        /turnOptions must be/,
      );
    });
  });
});
