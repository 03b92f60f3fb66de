import { describe, expect, it } from 'vitest';
import { OpenAIOperation, openAIRequestAttributes } from './request-attributes.js';

describe('openAIRequestAttributes', () => {
  it('max_completion_tokens wins over the older max_tokens; a single stop string becomes a list', () => {
    expect(
      openAIRequestAttributes(OpenAIOperation.CHAT, {
        max_tokens: 10,
        max_completion_tokens: 20,
        stop: 'END',
      }),
    ).toEqual({ 'gen_ai.request.max_tokens': 20, 'gen_ai.request.stop_sequences': ['END'] });
  });

  it('choice count only when not 1; output type from response_format, text.format or audio modalities', () => {
    const chat = (params: Record<string, unknown>) => openAIRequestAttributes(OpenAIOperation.CHAT, params);
    expect(chat({ n: 1 })).toEqual({});
    expect(chat({ n: 3 })['gen_ai.request.choice.count']).toBe(3);
    expect(chat({ response_format: { type: 'json_object' } })['gen_ai.output.type']).toBe('json');
    expect(chat({ text: { format: { type: 'json_schema' } } })['gen_ai.output.type']).toBe('json');
    expect(chat({ text: { format: { type: 'text' } } })['gen_ai.output.type']).toBe('text');
    expect(chat({ modalities: ['text', 'audio'] })['gen_ai.output.type']).toBe('speech');
    expect(chat({ response_format: { type: 'something_new' } })['gen_ai.output.type']).toBeUndefined();
  });

  it('embeddings: the encoding format the app asked for, nothing of the chat parameters', () => {
    expect(
      openAIRequestAttributes(OpenAIOperation.EMBEDDINGS, { encoding_format: 'base64', temperature: 1 }),
    ).toEqual({ 'gen_ai.request.encoding_formats': ['base64'] });
    expect(openAIRequestAttributes(OpenAIOperation.EMBEDDINGS, {})).toEqual({});
  });

  it('values of the wrong type are left out', () => {
    expect(
      openAIRequestAttributes(OpenAIOperation.CHAT, {
        seed: Number.NaN,
        temperature: null,
        n: 1.5,
        stop: [1],
      }),
    ).toEqual({});
  });
});
