import { describe, expect, it } from 'vitest';
import { OPENAI_CHAT_REASONING } from '../../../../test/helpers/responses.js';
import { readOpenAIChatCompletion } from './openai.js';
import { compact, responseAttributes } from './response-facts.js';

describe('responseAttributes', () => {
  it('maps the facts onto the GenAI span attributes', () => {
    expect(responseAttributes(readOpenAIChatCompletion(OPENAI_CHAT_REASONING))).toEqual({
      'gen_ai.response.model': 'o4-mini-2025-04-16',
      'gen_ai.response.id': 'chatcmpl-C1a2b3c4d5e6f7g8h9i0',
      'gen_ai.response.finish_reasons': ['tool_calls', 'length'],
      'gen_ai.usage.reasoning.output_tokens': 1152,
    });
  });

  it('leaves out what is unknown, and an empty reason list', () => {
    expect(responseAttributes({})).toEqual({});
    expect(responseAttributes({ finishReasons: [], reasoningTokens: 0 })).toEqual({
      'gen_ai.usage.reasoning.output_tokens': 0,
    });
  });

  it('copies the reasons, so the facts stay frozen in shape', () => {
    const reasons = ['stop'];
    const attributes = responseAttributes({ finishReasons: reasons });
    (attributes['gen_ai.response.finish_reasons'] as string[]).push('x');
    expect(reasons).toEqual(['stop']);
  });
});

describe('compact', () => {
  it('drops undefined members only', () => {
    expect(compact({ a: 1, b: undefined, c: 0, d: null })).toEqual({ a: 1, c: 0, d: null });
    expect(Object.keys(compact({ a: undefined }))).toEqual([]);
  });
});
