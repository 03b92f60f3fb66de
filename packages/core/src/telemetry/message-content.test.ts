import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CapturedContent,
  contentAttributes,
  DEFAULT_MAX_CONTENT_LENGTH,
  type InputMessage,
  resolveContentCapture,
} from './message-content.js';

const on = (maxLength?: number, redact?: (c: CapturedContent) => CapturedContent | undefined) =>
  resolveContentCapture({
    enabled: true,
    ...(maxLength !== undefined && { maxLength }),
    ...(redact && { redact }),
  });

const user = (text: string): InputMessage => ({ role: 'user', parts: [{ type: 'text', content: text }] });

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
});

describe('resolveContentCapture', () => {
  it('is off by default and on through the environment variable', () => {
    expect(resolveContentCapture({}).enabled).toBe(false);
    expect(contentAttributes({ inputMessages: [user('hi')] }, resolveContentCapture({}))).toEqual({});
    process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = 'true';
    expect(resolveContentCapture({})).toEqual({ enabled: true, maxLength: DEFAULT_MAX_CONTENT_LENGTH });
    expect(resolveContentCapture({ enabled: false }).enabled).toBe(false);
  });

  it('rejects bad options with a typed error naming the field', () => {
    const fields = {
      enabled: 'captureMessageContent',
      maxLength: 'maxContentLength',
      redact: 'contentRedactor',
    };
    for (const [options, field] of [
      [{ maxLength: 10 }, 'maxContentLength'],
      [{ maxLength: 100.5 }, 'maxContentLength'],
      [{ maxLength: '1000' }, 'maxContentLength'],
      [{ redact: {} }, 'contentRedactor'],
      [{ enabled: 'yes' }, 'captureMessageContent'],
    ] as const) {
      expect(() => resolveContentCapture(options, fields)).toThrow(
        expect.objectContaining({ name: 'ValidationError', field }),
      );
    }
  });
});

describe('contentAttributes', () => {
  it('records each present field as the JSON the conventions describe', () => {
    const attrs = contentAttributes(
      {
        inputMessages: [user('Weather in Paris?')],
        systemInstructions: [{ type: 'text', content: 'Be brief.' }],
        toolDefinitions: [{ type: 'function', name: 'get_weather' }],
        outputMessages: [
          { role: 'assistant', parts: [{ type: 'text', content: 'Rainy.' }], finish_reason: 'stop' },
        ],
      },
      on(),
    );
    expect(attrs).toEqual({
      'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]',
      'gen_ai.system_instructions': '[{"type":"text","content":"Be brief."}]',
      'gen_ai.tool.definitions': '[{"type":"function","name":"get_weather"}]',
      'gen_ai.output.messages':
        '[{"role":"assistant","parts":[{"type":"text","content":"Rainy."}],"finish_reason":"stop"}]',
    });
  });

  it('masks secrets inside messages, tool arguments included', () => {
    const attrs = contentAttributes(
      {
        inputMessages: [
          user('my key is sk-proj-AbCdEfGhIjKlMnOpQrStUvWx please'),
          {
            role: 'assistant',
            parts: [
              { type: 'tool_call', id: 'c', name: 'login', arguments: { token: 'Bearer abcdefghijklmnop' } },
            ],
          },
        ],
      },
      on(),
    );
    const json = String(attrs['gen_ai.input.messages']);
    expect(json).not.toContain('sk-proj-AbCd');
    expect(json).not.toContain('abcdefghijklmnop');
    expect(JSON.parse(json)[0].parts[0].content).toBe('my key is [REDACTED] please');
  });

  it('cuts long texts first, keeping the JSON valid and the structure whole', () => {
    const long = 'é'.repeat(3000);
    const attrs = contentAttributes({ inputMessages: [user('short'), user(long)] }, on(300));
    const json = String(attrs['gen_ai.input.messages']);
    expect(json.length).toBeLessThanOrEqual(300);
    const messages = JSON.parse(json);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toEqual(user('short'));
    expect(messages[1].role).toBe('user');
    expect(messages[1].parts[0].type).toBe('text');
    expect(messages[1].parts[0].content).toMatch(/^é+…$/);
    expect(attrs['agentrace.content.truncated']).toEqual(['gen_ai.input.messages']);
  });

  it('leaves out the oldest input messages when even cut texts do not fit, never emitting broken JSON', () => {
    const many = Array.from({ length: 50 }, (_, i) => user(`message number ${i} ${'x'.repeat(100)}`));
    const attrs = contentAttributes({ inputMessages: many }, on(400));
    const json = String(attrs['gen_ai.input.messages']);
    expect(json.length).toBeLessThanOrEqual(400);
    const kept = JSON.parse(json) as { parts: { content: string }[] }[];
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(50);
    // The most recent message is kept, and the order is the order sent.
    expect(kept.at(-1)?.parts[0]?.content).toMatch(/^message number 49/);
    const numbers = kept.map((m) => Number(/number (\d+)/.exec(m.parts[0]?.content ?? '')?.[1]));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it('cuts a surrogate pair never in half and tool arguments as well as text', () => {
    const emoji = '😀'.repeat(400);
    const attrs = contentAttributes(
      {
        outputMessages: [
          {
            role: 'assistant',
            parts: [{ type: 'tool_call', id: 'c', name: 'write', arguments: { body: emoji } }],
            finish_reason: 'tool_call',
          },
        ],
      },
      on(200),
    );
    const json = String(attrs['gen_ai.output.messages']);
    const [message] = JSON.parse(json);
    expect(message.parts[0]).toMatchObject({ type: 'tool_call', id: 'c', name: 'write' });
    expect(message.parts[0].arguments.body).toMatch(/^(😀)+…$/u);
  });

  it('runs the redactor first: what it returns is then masked', () => {
    const redact = vi.fn((c: CapturedContent) => ({
      ...c,
      inputMessages: c.inputMessages?.map(() => user('[removed] then sk-ant-api03-AbCdEfGhIjKlMnOp')),
    }));
    const attrs = contentAttributes({ inputMessages: [user('private')] }, on(undefined, redact));
    expect(redact).toHaveBeenCalledWith({ inputMessages: [user('private')] });
    expect(JSON.parse(String(attrs['gen_ai.input.messages']))[0].parts[0].content).toBe(
      '[removed] then [REDACTED]',
    );
    expect(
      contentAttributes(
        { inputMessages: [user('private')] },
        on(undefined, () => undefined),
      ),
    ).toEqual({});
  });

  it('drops the content of a throwing redactor, warning once', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const capture = on(undefined, () => {
      throw new Error('bug in redactor');
    });
    expect(contentAttributes({ inputMessages: [user('a')] }, capture)).toEqual({});
    expect(contentAttributes({ inputMessages: [user('b')] }, capture)).toEqual({});
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('serialises values JSON cannot hold without throwing', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const attrs = contentAttributes(
      {
        inputMessages: [
          {
            role: 'tool',
            parts: [
              {
                type: 'tool_call_response',
                id: 'x',
                response: { cyclic, big: 10n, bytes: new Uint8Array([255]) },
              },
            ],
          },
        ],
      },
      on(),
    );
    expect(JSON.parse(String(attrs['gen_ai.input.messages']))[0].parts[0].response).toEqual({
      cyclic: { a: 1, self: '[Circular]' },
      big: '10',
      bytes: '/w==',
    });
  });
});
