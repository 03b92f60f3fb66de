/**
 * agentrace's OpenAIInstrumentation beside the official `@opentelemetry/instrumentation-openai` (0.21, which
 * patches openai >=4.19 <7: here the last 4.x, alias `openai-v4-latest`), both real, against a loopback
 * server answering as the OpenAI API does. In either registration order each call is one chat span —
 * agentrace's, with cost — and its tokens are counted once in `gen_ai.client.token.usage`.
 *
 * Each scenario loads a fresh copy of the CommonJS build (its require cache entries dropped), so the hooks
 * registered for that scenario patch it in their registration order.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { OpenAIInstrumentation } from '@agentrace/instrumentation';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation as OfficialOpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry, type TestTelemetry } from './helpers/otel.js';
import { OPENAI_CHAT_CACHED, OPENAI_RESPONSE } from './helpers/responses.js';
import { OPENAI_CHAT_STREAM } from './helpers/stream-usage-events.js';

const OFFICIAL_SCOPE = '@opentelemetry/instrumentation-openai';
const AGENTRACE_SCOPE = '@agentrace/instrumentation/openai';
const MESSAGES = [{ role: 'user' as const, content: 'Describe the photo.' }];

const pkgRequire = createRequire(
  fileURLToPath(new URL('../packages/instrumentation/package.json', import.meta.url)),
);

interface Client {
  chat: { completions: { create(body: object): Promise<unknown> } };
  responses: { create(body: object): Promise<unknown> };
}
type ClientClass = new (options: object) => Client;

/** A fresh load of openai 4.104.0, patched by whatever hooks are enabled now. */
function loadOpenAI(): ClientClass {
  const main = pkgRequire.resolve('openai-v4-latest');
  const root = main.slice(0, main.lastIndexOf('/openai/') + '/openai/'.length);
  for (const key of Object.keys(pkgRequire.cache)) if (key.startsWith(root)) delete pkgRequire.cache[key];
  return pkgRequire('openai-v4-latest') as ClientClass;
}

let provider: FakeProvider;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  provider = await startFakeProvider();
});

// Each test's instrumentations are disabled after it, so the next fresh load sees only its own.
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

afterAll(async () => {
  await provider.close();
});

interface Scenario {
  otel: TestTelemetry;
  agentrace: OpenAIInstrumentation;
  official: OfficialOpenAIInstrumentation;
  client: Client;
  OpenAI: ClientClass;
}

/** Registers both (in `order`), then loads the client; returns after the load's microtasks have run. */
async function scenario(order: 'agentrace-first' | 'official-first'): Promise<Scenario> {
  const otel = createTestTelemetry();
  const agentrace = new OpenAIInstrumentation({ enabled: false });
  const official = new OfficialOpenAIInstrumentation({ enabled: false });
  const instrumentations: Instrumentation[] =
    order === 'agentrace-first' ? [agentrace, official] : [official, agentrace];
  // registerInstrumentations enables them in this order: their require hooks patch in this order.
  const unregister = registerInstrumentations({
    instrumentations,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  });
  cleanups.push(unregister);
  const OpenAI = loadOpenAI();
  await Promise.resolve();
  const client = new OpenAI({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 });
  return { otel, agentrace, official, client, OpenAI };
}

async function chat(client: Client): Promise<void> {
  provider.enqueue({ json: OPENAI_CHAT_CACHED });
  await client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES });
}

async function streamedChat(client: Client): Promise<void> {
  provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } });
  const stream = (await client.chat.completions.create({
    model: 'gpt-4o',
    messages: MESSAGES,
    stream: true,
    stream_options: { include_usage: true },
  })) as AsyncIterable<unknown>;
  for await (const _ of stream) {
    // drain
  }
}

async function responses(client: Client): Promise<void> {
  provider.enqueue({ json: OPENAI_RESPONSE });
  await client.responses.create({ model: 'gpt-4.1', input: 'Describe the photo.' });
}

/** How many token counts each scope recorded in `gen_ai.client.token.usage` (histogram counts summed). */
async function tokenCounts(otel: TestTelemetry): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const scope of (await otel.collect()).scopeMetrics) {
    for (const m of scope.metrics) {
      if (m.descriptor.name !== 'gen_ai.client.token.usage') continue;
      for (const p of m.dataPoints) {
        const name = scope.scope.name;
        counts[name] = (counts[name] ?? 0) + (p.value as Histogram).count;
      }
    }
  }
  return counts;
}

function scopes(otel: TestTelemetry): string[] {
  return otel.spans().map((s) => s.instrumentationScope.name);
}

describe.each(['agentrace-first', 'official-first'] as const)('both installed, %s', (order) => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario(order);
  });

  it('each call (plain, streamed, Responses) is one chat span, agentrace’s, with cost', async () => {
    await chat(s.client);
    await streamedChat(s.client);
    await responses(s.client);
    const spans = s.otel.spans();
    expect(spans.map((x) => x.name)).toEqual(['chat gpt-4o', 'chat gpt-4o', 'chat gpt-4.1']);
    expect(scopes(s.otel)).toEqual([AGENTRACE_SCOPE, AGENTRACE_SCOPE, AGENTRACE_SCOPE]);
    for (const span of spans) {
      expect(span.attributes['gen_ai.provider.name']).toBe('openai');
      expect(span.attributes['agentrace.usage.cost']).toBeGreaterThan(0);
      expect(span.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    }
    // Input and output counts of three calls, recorded by agentrace alone.
    expect(await tokenCounts(s.otel)).toEqual({ [AGENTRACE_SCOPE]: 6 });
    // The official wrapper is kept beneath agentrace's (called past, not removed).
    const proto = (s.OpenAI as unknown as { Chat: { Completions: { prototype: object } } }).Chat.Completions
      .prototype as { create: { __original?: { name?: string; __wrapped?: boolean } } };
    expect(proto.create.__original?.name).toBe('patchedCreate');
    expect(proto.create.__original?.__wrapped).toBe(true);
  });
});

describe('registration order edge cases', () => {
  it('agentrace first, a call in the very tick the module loaded: the official span is that call’s one span; the next call is agentrace’s', async () => {
    const otel = createTestTelemetry();
    const agentrace = new OpenAIInstrumentation({ enabled: false });
    const official = new OfficialOpenAIInstrumentation({ enabled: false });
    cleanups.push(
      registerInstrumentations({
        instrumentations: [agentrace, official],
        tracerProvider: otel.tracerProvider,
        meterProvider: otel.meterProvider,
      }),
    );
    const OpenAI = loadOpenAI();
    const client = new OpenAI({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 });
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const first = client.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES });
    await first;
    await chat(client);
    expect(scopes(otel)).toEqual([OFFICIAL_SCOPE, AGENTRACE_SCOPE]);
    expect(await tokenCounts(otel)).toEqual({ [OFFICIAL_SCOPE]: 2, [AGENTRACE_SCOPE]: 2 });
  });

  it('the official one installed but disabled: agentrace records alone', async () => {
    const otel = createTestTelemetry();
    const official = new OfficialOpenAIInstrumentation({ enabled: false });
    official.setTracerProvider(otel.tracerProvider);
    official.setMeterProvider(otel.meterProvider);
    const agentrace = new OpenAIInstrumentation({ enabled: false });
    cleanups.push(
      registerInstrumentations({
        instrumentations: [agentrace],
        tracerProvider: otel.tracerProvider,
        meterProvider: otel.meterProvider,
      }),
    );
    const OpenAI = loadOpenAI();
    await Promise.resolve();
    await chat(new OpenAI({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    expect(scopes(otel)).toEqual([AGENTRACE_SCOPE]);
  });

  it('agentrace disabled after both patched: the official one records alone; the official disabled: agentrace does', async () => {
    const s = await scenario('agentrace-first');
    s.agentrace.disable();
    await chat(s.client);
    await streamedChat(s.client);
    expect(scopes(s.otel)).toEqual([OFFICIAL_SCOPE, OFFICIAL_SCOPE]);
    s.otel.exporter.reset();
    s.agentrace.enable();
    s.official.disable();
    await chat(s.client);
    expect(scopes(s.otel)).toEqual([AGENTRACE_SCOPE]);
  });

  it('the official one alone (agentrace absent) is untouched: its own span and token metrics', async () => {
    const otel = createTestTelemetry();
    const official = new OfficialOpenAIInstrumentation({ enabled: false });
    cleanups.push(
      registerInstrumentations({
        instrumentations: [official],
        tracerProvider: otel.tracerProvider,
        meterProvider: otel.meterProvider,
      }),
    );
    const OpenAI = loadOpenAI();
    await chat(new OpenAI({ apiKey: 'test', baseURL: `${provider.url}/v1`, maxRetries: 0 }));
    expect(scopes(otel)).toEqual([OFFICIAL_SCOPE]);
    expect(await tokenCounts(otel)).toEqual({ [OFFICIAL_SCOPE]: 2 });
  });
});
