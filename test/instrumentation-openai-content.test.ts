/**
 * Message content on the openai path: the real `openai` client (CommonJS build, patched by the require hook)
 * against a loopback server answering as the OpenAI API does. Off by default; on, the request's messages and
 * the response's (plain or streamed) are recorded in the GenAI conventions' shape, secrets masked.
 */

import { createRequire } from 'node:module';
import { OpenAIInstrumentation } from '@agentrace/instrumentation';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry } from './helpers/otel.js';
import { OPENAI_CHAT_CACHED } from './helpers/responses.js';
import { OPENAI_CHAT_STREAM } from './helpers/stream-usage-events.js';

const CONTENT = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
];
const SECRET = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
const BODY = {
  model: 'gpt-4o',
  messages: [
    { role: 'system' as const, content: 'You describe photos.' },
    { role: 'user' as const, content: `Describe the photo. My key is ${SECRET}` },
  ],
  tools: [
    {
      type: 'function' as const,
      function: { name: 'look_up', description: 'Looks things up', parameters: { type: 'object' } },
    },
  ],
};

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

const chat = async (): Promise<ReadableSpan> => {
  await vi.waitFor(() => expect(otel.spans().some((s) => s.name.startsWith('chat '))).toBe(true));
  return otel.spans().find((s) => s.name.startsWith('chat ')) as ReadableSpan;
};
const json = (span: ReadableSpan, name: string): unknown => JSON.parse(String(span.attributes[name]));

describe('OpenAIInstrumentation: message content', () => {
  it('is off by default: no content attribute, the call recorded as ever', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    await client.chat.completions.create(BODY);
    const span = await chat();
    for (const name of CONTENT) expect(span.attributes[name]).toBeUndefined();
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(300);
  });

  it('on: the request and the response in the conventions shape, the secret masked', async () => {
    instrumentation.setConfig({ captureMessageContent: true });
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const completion = await client.chat.completions.create(BODY);
    expect(completion.choices[0]?.message.content).toContain('boardwalk');
    const span = await chat();
    const recorded = CONTENT.map((n) => String(span.attributes[n] ?? '')).join('\n');
    expect(recorded).toContain('Describe the photo.');
    expect(recorded).toContain('You describe photos.');
    expect(recorded).not.toContain(SECRET);
    expect(json(span, 'gen_ai.tool.definitions')).toEqual([{ type: 'function', name: 'look_up' }]);
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'The boardwalk runs through a meadow under a blue sky.' }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('on: a streamed call builds its output message from the chunks', async () => {
    instrumentation.setConfig({ captureMessageContent: true });
    provider.enqueue({ sse: { events: OPENAI_CHAT_STREAM } });
    const stream = await client.chat.completions.create({ ...BODY, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    const span = await chat();
    const output = json(span, 'gen_ai.output.messages') as { role: string; parts: { content?: string }[] }[];
    expect(output).toHaveLength(1);
    expect(output[0]?.role).toBe('assistant');
    expect(output[0]?.parts.map((p) => p.content).join('')).toBe(text);
    expect(String(span.attributes['gen_ai.input.messages'])).toContain('Describe the photo.');
  });
});
