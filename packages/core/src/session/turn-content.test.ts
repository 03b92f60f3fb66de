import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { AgentSession } from './agent-session.js';

// runTurn's message content end to end: a real session, the real OTel SDK, provider-shaped results.

let otel: TestTelemetry;
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(async () => {
  await otel.shutdown();
});

const agent = (captureContent: boolean, maxContentLength?: number) =>
  new AgentSession({
    role: 'writer',
    phase: 'draft',
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    captureContent,
    ...(maxContentLength !== undefined && { maxContentLength }),
  });

const body = {
  model: 'claude-sonnet-4-5',
  max_tokens: 256,
  system: 'You write haiku.',
  tools: [{ name: 'rhyme', input_schema: { type: 'object' } }],
  messages: [{ role: 'user', content: 'A haiku about rain' }],
};

async function* anthropicStream() {
  yield {
    type: 'message_start',
    message: { id: 'msg_1', role: 'assistant', content: [], usage: { input_tokens: 9, output_tokens: 1 } },
  };
  yield { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } };
  yield { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Soft rain ' } };
  yield { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'on the roof' } };
  yield { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 6 } };
  yield { type: 'message_stop' };
}

describe('runTurn message content', () => {
  it('a request body as input and a streamed result: all four attributes in the conventions shape', async () => {
    await agent(true).run(async (session) => {
      const turn = await session.runTurn(() => anthropicStream(), {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        usage: 'auto',
        input: body,
      });
      if (!turn.ok || !('done' in turn)) throw new Error('expected a streamed turn');
      let text = '';
      for await (const event of turn.result as AsyncIterable<{ delta?: { text?: string } }>)
        text += event.delta?.text ?? '';
      expect(text).toBe('Soft rain on the roof');
      await turn.done;
    });
    const chat = otel.span('chat claude-sonnet-4-5');
    const json = (name: string) => JSON.parse(String(chat.attributes[name]));
    expect(json('gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'A haiku about rain' }] },
    ]);
    expect(json('gen_ai.system_instructions')).toEqual([{ type: 'text', content: 'You write haiku.' }]);
    expect(json('gen_ai.tool.definitions')).toEqual([{ type: 'function', name: 'rhyme' }]);
    expect(json('gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'Soft rain on the roof' }],
        finish_reason: 'stop',
      },
    ]);
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(6);
  });

  it('off: none of them, though the turn has its input and a result of a known shape', async () => {
    await agent(false).run(async (session) => {
      await session.runTurn(
        () => ({
          type: 'message',
          role: 'assistant',
          content: [{ type: 'text', text: 'hi' }],
          stop_reason: 'end_turn',
        }),
        { model: 'claude-sonnet-4-5', input: body },
      );
    });
    const chat = otel.span('chat claude-sonnet-4-5');
    for (const name of [
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'gen_ai.tool.definitions',
    ])
      expect(chat.attributes[name]).toBeUndefined();
  });

  it('a long input and a long output are both cut, and both are named as cut', async () => {
    const long = 'word '.repeat(400);
    await agent(true, 256).run(async (session) => {
      await session.runTurn(
        () => ({
          type: 'message',
          role: 'assistant',
          content: [{ type: 'text', text: long }],
          stop_reason: 'max_tokens',
        }),
        { model: 'claude-sonnet-4-5', input: { ...body, messages: [{ role: 'user', content: long }] } },
      );
    });
    const chat = otel.span('chat claude-sonnet-4-5');
    for (const name of ['gen_ai.input.messages', 'gen_ai.output.messages']) {
      const json = String(chat.attributes[name]);
      expect(json.length).toBeLessThanOrEqual(256);
      expect(() => JSON.parse(json)).not.toThrow();
    }
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))[0].finish_reason).toBe('length');
    expect(chat.attributes['agentrace.content.truncated']).toEqual([
      'gen_ai.input.messages',
      'gen_ai.output.messages',
    ]);
  });
});
