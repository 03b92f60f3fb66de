import { describe, expect, it } from 'vitest';
import {
  OPENAI_CHAT_CACHED,
  OPENAI_CHAT_REASONING,
  OPENAI_CHAT_USAGE_CHUNK,
  OPENAI_RESPONSE,
  OPENAI_RESPONSE_INCOMPLETE,
} from '../../../../test/helpers/responses.js';
import {
  isOpenAIChatCompletion,
  isOpenAIResponse,
  openAIChatUsage,
  openAIResponsesUsage,
  readOpenAIChatCompletion,
  readOpenAIResponse,
} from './openai.js';

describe('readOpenAIChatCompletion', () => {
  it('takes cached tokens out of prompt_tokens and reads model, id and finish reason', () => {
    const facts = readOpenAIChatCompletion(OPENAI_CHAT_CACHED);
    expect(facts).toEqual({
      shape: 'openai.chat_completion',
      provider: 'openai',
      usage: expect.anything(),
      reasoningTokens: 0,
      responseModel: 'gpt-4o-2024-08-06',
      responseId: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      finishReasons: ['stop'],
    });
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 86,
      output_tokens: 300,
      cache_write_tokens: 0,
      cache_read_tokens: 1920,
    });
    // Nothing lost: plain + cached = what OpenAI calls prompt tokens.
    expect(facts.usage.inputTokens + facts.usage.cacheReadTokens).toBe(
      OPENAI_CHAT_CACHED.usage.prompt_tokens,
    );
  });

  it('keeps reasoning inside the output tokens and lists every choice', () => {
    const facts = readOpenAIChatCompletion(OPENAI_CHAT_REASONING);
    expect(facts.usage.outputTokens).toBe(1400);
    expect(facts.reasoningTokens).toBe(1152);
    expect(facts.finishReasons).toEqual(['tool_calls', 'length']);
    expect(facts.usage.inputTokens).toBe(512);
  });

  it('reads the final usage chunk of a stream (no choices, so no finish reasons)', () => {
    const facts = readOpenAIChatCompletion(OPENAI_CHAT_USAGE_CHUNK);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 9,
      output_tokens: 12,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
    });
    expect(facts.finishReasons).toBeUndefined();
    expect(facts.responseModel).toBe('gpt-4o-mini-2024-07-18');
  });

  it('adds reasoning back when a compatible server counts it beside the completion (total says so)', () => {
    const xai = openAIChatUsage({
      prompt_tokens: 100,
      completion_tokens: 40,
      total_tokens: 400,
      completion_tokens_details: { reasoning_tokens: 260 },
    });
    expect(xai.usage.outputTokens).toBe(300);
    expect(xai.reasoningTokens).toBe(260);
    const noTotal = openAIChatUsage({
      prompt_tokens: 100,
      completion_tokens: 40,
      completion_tokens_details: { reasoning_tokens: 30 },
    });
    expect(noTotal.usage.outputTokens).toBe(40);
  });

  it("reads DeepSeek's prompt_cache_hit_tokens when there are no details", () => {
    const facts = openAIChatUsage({
      prompt_tokens: 1000,
      completion_tokens: 10,
      prompt_cache_hit_tokens: 768,
    });
    expect(facts.usage.cacheReadTokens).toBe(768);
    expect(facts.usage.inputTokens).toBe(232);
    expect(facts.reasoningTokens).toBeUndefined();
  });

  it('treats null and missing counts as not reported', () => {
    const facts = openAIChatUsage({
      prompt_tokens: 5,
      completion_tokens: null,
      prompt_tokens_details: null,
      completion_tokens_details: { reasoning_tokens: null },
    });
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 5,
      output_tokens: 0,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
    });
    expect(facts).not.toHaveProperty('reasoningTokens');
  });

  it('rejects bad counts and a missing usage, naming the field', () => {
    expect(() => openAIChatUsage({ prompt_tokens: -1 })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'usage.prompt_tokens' }),
    );
    expect(() => openAIChatUsage({ prompt_tokens: 10, completion_tokens: 1.5 })).toThrow(
      expect.objectContaining({ field: 'usage.completion_tokens' }),
    );
    expect(() =>
      openAIChatUsage({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 11 } }),
    ).toThrow(
      expect.objectContaining({
        field: 'usage.prompt_tokens_details.cached_tokens',
        message: expect.stringContaining('at most usage.prompt_tokens (10)'),
      }),
    );
    expect(() => openAIChatUsage({ prompt_tokens: '10' as unknown as number })).toThrow(
      expect.objectContaining({ field: 'usage.prompt_tokens' }),
    );
    expect(() => readOpenAIChatCompletion({ ...OPENAI_CHAT_CACHED, usage: null })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'usage' }),
    );
  });
});

describe('readOpenAIResponse', () => {
  it('takes cached tokens out of input_tokens; a completed response finishes as "completed"', () => {
    const facts = readOpenAIResponse(OPENAI_RESPONSE);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 464,
      output_tokens: 52,
      cache_write_tokens: 0,
      cache_read_tokens: 4864,
    });
    expect(facts).toMatchObject({
      shape: 'openai.response',
      provider: 'openai',
      responseModel: 'gpt-4.1-2025-04-14',
      responseId: 'resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41',
      finishReasons: ['completed'],
      reasoningTokens: 0,
    });
  });

  it('an incomplete response finishes with its incomplete reason; reasoning stays in the output', () => {
    const facts = readOpenAIResponse(OPENAI_RESPONSE_INCOMPLETE);
    expect(facts.finishReasons).toEqual(['max_output_tokens']);
    expect(facts.usage.outputTokens).toBe(2048);
    expect(facts.reasoningTokens).toBe(2048);
  });

  it('rejects cached tokens above the input, naming the field', () => {
    expect(() =>
      openAIResponsesUsage({ input_tokens: 1, input_tokens_details: { cached_tokens: 2 } }),
    ).toThrow(expect.objectContaining({ field: 'usage.input_tokens_details.cached_tokens' }));
    expect(() => openAIResponsesUsage({ output_tokens_details: { reasoning_tokens: -3 } })).toThrow(
      expect.objectContaining({ field: 'usage.output_tokens_details.reasoning_tokens' }),
    );
  });

  it('a response without status or usage counts has no finish reason and zero usage', () => {
    const facts = readOpenAIResponse({ object: 'response', usage: {} });
    expect(facts.usage.isEmpty).toBe(true);
    expect(facts.finishReasons).toBeUndefined();
    expect(facts.responseModel).toBeUndefined();
  });
});

describe('OpenAI shape guards', () => {
  it.each([
    [OPENAI_CHAT_CACHED, true],
    [OPENAI_CHAT_USAGE_CHUNK, true],
    [{ object: 'text_completion', choices: [], usage: { prompt_tokens: 1 } }, true],
    // An OpenAI-compatible server that leaves `object` out.
    [{ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } }, true],
    [{ object: 'list', data: [] }, false],
    [{ choices: [] }, false],
    [OPENAI_RESPONSE, false],
  ])('isOpenAIChatCompletion(%#) → %s', (value, expected) => {
    expect(isOpenAIChatCompletion(value)).toBe(expected);
  });

  it('isOpenAIResponse', () => {
    expect(isOpenAIResponse(OPENAI_RESPONSE)).toBe(true);
    expect(isOpenAIResponse(OPENAI_CHAT_CACHED)).toBe(false);
    expect(isOpenAIResponse('response')).toBe(false);
  });
});
