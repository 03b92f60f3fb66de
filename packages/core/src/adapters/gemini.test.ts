import { describe, expect, it } from 'vitest';
import { GEMINI_RESPONSE, VERTEX_RESPONSE } from '../../../../test/helpers/responses.js';
import { geminiUsage, isGeminiResponse, readGeminiResponse } from './gemini.js';

describe('readGeminiResponse', () => {
  it('promptTokenCount includes the cached tokens; thoughts are billed as output', () => {
    const facts = readGeminiResponse(GEMINI_RESPONSE);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 500,
      output_tokens: 450,
      cache_write_tokens: 0,
      cache_read_tokens: 12000,
    });
    expect(facts).toEqual({
      shape: 'gemini.generate_content',
      provider: 'gcp.gemini',
      usage: facts.usage,
      reasoningTokens: 150,
      responseModel: 'gemini-2.5-flash',
      responseId: 'mDJmaNb6Dd3X1PIP5LmIsAM',
      finishReasons: ['STOP'],
    });
    // Every token Gemini counted is accounted for once.
    expect(facts.usage.totalTokens).toBe(GEMINI_RESPONSE.usageMetadata.totalTokenCount);
  });

  it('a Vertex AI response (createTime) is gcp.vertex_ai; tool-use prompt tokens are input', () => {
    const facts = readGeminiResponse(VERTEX_RESPONSE);
    expect(facts.provider).toBe('gcp.vertex_ai');
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 950,
      output_tokens: 64,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
    });
    expect(facts.usage.totalTokens).toBe(VERTEX_RESPONSE.usageMetadata.totalTokenCount);
    expect(facts).not.toHaveProperty('reasoningTokens');
    expect(facts.finishReasons).toEqual(['MAX_TOKENS']);
  });

  it('rejects cached tokens above the prompt and bad counts, naming the field', () => {
    expect(() => geminiUsage({ promptTokenCount: 10, cachedContentTokenCount: 11 })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'usageMetadata.cachedContentTokenCount' }),
    );
    expect(() => geminiUsage({ thoughtsTokenCount: -1 })).toThrow(
      expect.objectContaining({ field: 'usageMetadata.thoughtsTokenCount' }),
    );
    expect(() => readGeminiResponse({ candidates: [], modelVersion: 'gemini-2.5-flash' })).toThrow(
      expect.objectContaining({ field: 'usageMetadata' }),
    );
  });

  it('isGeminiResponse', () => {
    expect(isGeminiResponse(GEMINI_RESPONSE)).toBe(true);
    expect(
      isGeminiResponse({ candidates: [{ finishReason: 'STOP' }], modelVersion: 'gemini-2.5-flash' }),
    ).toBe(true);
    expect(isGeminiResponse({ candidates: [] })).toBe(false);
    expect(isGeminiResponse({ usageMetadata: 'none' })).toBe(false);
  });
});
