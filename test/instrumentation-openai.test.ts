/**
 * The real `openai` client, patched by OpenAIInstrumentation, against a loopback server that answers as the
 * OpenAI API does; spans through the real OTel SDK. One cross-process run: an unchanged app started with
 * `node --import @agentrace/instrumentation/register`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AgentSession } from '@agentrace/core';
import { OpenAIInstrumentation } from '@agentrace/instrumentation';
import { DiagLogLevel, diag, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { isWrapped, registerInstrumentations } from '@opentelemetry/instrumentation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry } from './helpers/otel.js';
import { OPENAI_RATE_LIMIT } from './helpers/provider-errors.js';
import { OPENAI_CHAT_CACHED, OPENAI_RESPONSE } from './helpers/responses.js';
import { OPENAI_CHAT_STREAM, OPENAI_CHAT_STREAM_NO_USAGE } from './helpers/stream-usage-events.js';

const MESSAGES = [{ role: 'user' as const, content: 'Describe the photo.' }];

// The CommonJS build through Node's require, so the instrumentation's require hook patches it on load.
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

beforeAll(async () => {
  provider = await startFakeProvider();
  client = new OpenAI({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  unregister();
  await provider.close();
  await otel.shutdown();
});

beforeEach(() => otel.exporter.reset());

describe('OpenAIInstrumentation', () => {
  it('chat.completions.create: one CLIENT span with request parameters, response facts, usage and cost', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      max_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ['\n\n'],
      frequency_penalty: 0.5,
      presence_penalty: -0.25,
      n: 2,
      response_format: { type: 'text' },
    });
    expect(completion.id).toBe(OPENAI_CHAT_CACHED.id);
    const [span] = otel.spans();
    expect(otel.spans()).toHaveLength(1);
    expect(span!.name).toBe('chat gpt-4o');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    const a = span!.attributes;
    expect(a).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 300,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.seed': 7,
      'gen_ai.request.stop_sequences': ['\n\n'],
      'gen_ai.request.frequency_penalty': 0.5,
      'gen_ai.request.presence_penalty': -0.25,
      'gen_ai.request.choice.count': 2,
      'gen_ai.output.type': 'text',
      'gen_ai.response.id': OPENAI_CHAT_CACHED.id,
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 2006,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1920,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(provider.url).port),
    });
    expect(a['agentrace.usage.cost']).toBeGreaterThan(0);
  });

  it('keeps the APIPromise helpers: .withResponse() gives the data and the raw response', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: MESSAGES })
      .withResponse();
    expect(data.id).toBe(OPENAI_CHAT_CACHED.id);
    expect(response.status).toBe(200);
    expect(otel.spans()).toHaveLength(1);
  });

  it('a stream: the span stays open until the consumer finishes, usage from the last chunk is priced', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream.controller).toBeInstanceOf(AbortController);
    let chunks = 0;
    for await (const _ of stream) {
      chunks++;
      expect(otel.spans()).toHaveLength(0);
    }
    expect(chunks).toBe(OPENAI_CHAT_STREAM.length);
    const [span] = otel.spans();
    expect(span!.attributes['gen_ai.request.stream']).toBe(true);
    expect(span!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(span!.attributes['agentrace.usage.cost']).toBeGreaterThan(0);
    expect(span!.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    // include_usage was the app's choice, not forced.
    expect((provider.requests.at(-1)!.body as { stream_options?: unknown }).stream_options).toEqual({
      include_usage: true,
    });
  });

  it('a stream without usage: the span ends at the end, with no usage and no forced stream_options', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM_NO_USAGE, doneMarker: true } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    expect((provider.requests.at(-1)!.body as { stream_options?: unknown }).stream_options).toBeUndefined();
    const [span] = otel.spans();
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('a consumer that breaks out early ends the span', async () => {
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
    });
    for await (const _ of stream) break;
    expect(otel.spans()).toHaveLength(1);
  });

  it('responses.create: a chat span with the Responses usage', async () => {
    provider.enqueue({ json: OPENAI_RESPONSE });
    const response = await client.responses.create({
      model: 'gpt-4.1',
      input: 'Hi',
      max_output_tokens: 100,
      text: { format: { type: 'json_object' } },
    });
    expect(response.id).toBe(OPENAI_RESPONSE.id);
    const [span] = otel.spans();
    expect(span!.name).toBe('chat gpt-4.1');
    expect(span!.attributes['gen_ai.request.max_tokens']).toBe(100);
    expect(span!.attributes['gen_ai.output.type']).toBe('json');
    expect(span!.attributes['gen_ai.response.id']).toBe(OPENAI_RESPONSE.id);
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBe(OPENAI_RESPONSE.usage.input_tokens);
  });

  it('embeddings.create: an embeddings span with input tokens', async () => {
    provider.enqueue({
      json: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: 8, total_tokens: 8 },
      },
    });
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hello',
      encoding_format: 'float',
    });
    expect(res.data).toHaveLength(1);
    const [span] = otel.spans();
    expect(span!.name).toBe('embeddings text-embedding-3-small');
    expect(span!.attributes['gen_ai.operation.name']).toBe('embeddings');
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBe(8);
    expect(span!.attributes['gen_ai.request.encoding_formats']).toEqual(['float']);
    expect(span!.attributes['gen_ai.request.choice.count']).toBeUndefined();
  });

  it('a 429: the app gets the client error, the span records error.type and the failure class', async () => {
    provider.enqueue({ status: 429, json: OPENAI_RATE_LIMIT });
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const [span] = otel.spans();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    // The anthropic and Gemini paths' rule: error.type is core's failure scenario.
    expect(span!.attributes['error.type']).toBe('rate_limit');
    expect(span!.attributes['agent.failure_class']).toBeDefined();
  });

  it('chat.completions.parse: one chat span (its inner create adds none), usage, cost, gen_ai.output.type', async () => {
    const durationCount = async () =>
      (await otel.metric<{ count: number }>('gen_ai.client.operation.duration'))?.points.reduce(
        (n, p) => n + p.value.count,
        0,
      ) ?? 0;
    const before = await durationCount();
    const answer = { scene: 'boardwalk', sky: 'blue' };
    provider.enqueue({
      json: {
        ...OPENAI_CHAT_CACHED,
        choices: [
          {
            ...OPENAI_CHAT_CACHED.choices[0],
            message: { role: 'assistant', content: JSON.stringify(answer), refusal: null },
          },
        ],
      },
    });
    const completion = await client.chat.completions.parse({
      model: 'gpt-4o',
      messages: MESSAGES,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'photo',
          strict: true,
          schema: {
            type: 'object',
            properties: { scene: { type: 'string' }, sky: { type: 'string' } },
            required: ['scene', 'sky'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(completion.choices[0]?.message.parsed).toEqual(answer);
    // parse is patched itself (the span is there whatever parse calls inside), and its create stays silent.
    expect(isWrapped(OpenAI.Chat.Completions.prototype.parse)).toBe(true);
    expect(otel.spans().map((s) => s.name)).toEqual(['chat gpt-4o']);
    const [span] = otel.spans();
    expect(span!.attributes).toMatchObject({
      'gen_ai.output.type': 'json',
      'gen_ai.response.id': OPENAI_CHAT_CACHED.id,
      'gen_ai.usage.input_tokens': 2006,
      'gen_ai.usage.output_tokens': 300,
    });
    expect(span!.attributes['agentrace.usage.cost']).toBeGreaterThan(0);
    expect((await durationCount()) - before).toBe(1);
  });

  it('under an agentrace runTurn the turn is the one chat span and the one cost; the client adds neither', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const session = new AgentSession({
      role: 'planner',
      phase: 'plan',
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    let turnCost = 0;
    await session.run(async (s) => {
      const turn = await s.runTurn(
        (signal) => client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }, { signal }),
        { model: 'gpt-4o', usage: 'auto' },
      );
      turnCost = turn.costUsd;
    });
    const chats = otel.spans().filter((span) => span.name.startsWith('chat '));
    expect(chats).toHaveLength(1);
    expect(chats[0]?.instrumentationScope.name).not.toBe(instrumentation.instrumentationName);
    expect(chats[0]?.attributes['gen_ai.usage.output_tokens']).toBe(300);
    expect(turnCost).toBeGreaterThan(0);
  });

  it('a response of an unexpected shape is returned untouched', async () => {
    provider.enqueue({ json: { hello: 'world' } });
    const res = (await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES })) as unknown;
    expect(res).toEqual({ hello: 'world' });
    expect(otel.spans()).toHaveLength(1);
  });

  it('a chat completion or a Responses object without usage: the span keeps its response model, id and finish reasons', async () => {
    const { usage: _u, ...chatWithoutUsage } = OPENAI_CHAT_CACHED;
    provider.enqueue({ json: chatWithoutUsage });
    await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES });
    const { usage: _r, ...responseWithoutUsage } = OPENAI_RESPONSE;
    provider.enqueue({ json: responseWithoutUsage });
    await client.responses.create({ model: 'gpt-4.1', input: 'Describe the photo.' });
    const [chat, response] = otel.spans();
    expect(chat!.attributes).toMatchObject({
      'gen_ai.response.model': OPENAI_CHAT_CACHED.model,
      'gen_ai.response.id': OPENAI_CHAT_CACHED.id,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(response!.attributes).toMatchObject({
      'gen_ai.response.model': OPENAI_RESPONSE.model,
      'gen_ai.response.id': OPENAI_RESPONSE.id,
      'gen_ai.response.finish_reasons': ['completed'],
    });
    for (const span of [chat!, response!]) {
      expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
      expect(span.attributes['agentrace.usage.cost']).toBeUndefined();
      expect(span.events.map((e) => e.name)).toContain('agentrace.usage.undetected');
    }
  });
});

describe('OpenAIInstrumentation outside its range', () => {
  it('an unsupported version is left unpatched, with one warning however often it loads', () => {
    const outside = new OpenAIInstrumentation({ enabled: false });
    const warnings: string[] = [];
    const log = (m: string) => warnings.push(m);
    diag.setLogger(
      { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      class Completions {
        create() {}
      }
      const exports = { OpenAI: { Chat: { Completions } } };
      const definition = outside.getModuleDefinitions()[0];
      expect(definition?.supportedVersions).toEqual(['*']);
      definition?.patch?.(exports, '8.0.0');
      definition?.patch?.(exports, '3.3.0');
      expect(isWrapped(Completions.prototype.create)).toBe(false);
      expect(warnings).toEqual([
        expect.stringContaining('openai 8.0.0 is outside the supported range >=4.0.0 <8'),
      ]);
      definition?.patch?.(exports, '4.0.0');
      expect(isWrapped(Completions.prototype.create)).toBe(true);
      definition?.patch?.(exports, '4.0.0');
      definition?.unpatch?.(exports, '4.0.0');
      expect(isWrapped(Completions.prototype.create)).toBe(false);
    } finally {
      diag.disable();
    }
  });
});

/** Runs a fixture app under the register hook; resolves with its exit code and output. */
async function runApp(
  flag: '--import' | '--require',
  file: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const app = fileURLToPath(new URL(`./fixtures/openai/${file}`, import.meta.url));
  const child = spawn(process.execPath, [flag, '@agentrace/instrumentation/register', app], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: {
      ...process.env,
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: `${provider.url}/v1`,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_TRACES_EXPORTER: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('@agentrace/instrumentation/register', () => {
  it('node --import, an unchanged ESM app: its chat call shows in the terminal trace tree', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const { code, stdout, stderr } = await runApp('--import', 'app.mjs');
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('boardwalk');
    expect(stderr).toContain('chat gpt-4o');
  }, 15_000);

  it('node --require, an unchanged CommonJS app: the same span', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const { code, stdout, stderr } = await runApp('--require', 'app.cjs');
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('boardwalk');
    expect(stderr).toContain('chat gpt-4o');
  }, 15_000);

  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=openai: the app runs, no chat span', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const { code, stdout, stderr } = await runApp('--import', 'app.mjs', {
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'openai',
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('boardwalk');
    expect(stderr).not.toContain('chat gpt-4o');
  }, 15_000);
});
