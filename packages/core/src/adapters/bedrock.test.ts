import { describe, expect, it } from 'vitest';
import {
  AI_SDK_RESULT_V6,
  BEDROCK_CONVERSE,
  BEDROCK_CONVERSE_REST,
} from '../../../../test/helpers/responses.js';
import { bedrockUsage, isBedrockConverse, readBedrockConverse } from './bedrock.js';

describe('readBedrockConverse', () => {
  it('inputTokens excludes the cache; reads cache read and write and the stop reason', () => {
    const facts = readBedrockConverse(BEDROCK_CONVERSE);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 44,
      output_tokens: 210,
      cache_write_tokens: 1000,
      cache_read_tokens: 3700,
    });
    expect(facts.usage.totalTokens).toBe(BEDROCK_CONVERSE.usage.totalTokens);
    // Converse carries no model and no response id; the $metadata request id is not one.
    expect(facts).toEqual({
      shape: 'bedrock.converse',
      provider: 'aws.bedrock',
      usage: facts.usage,
      finishReasons: ['end_turn'],
    });
  });

  it('reads the REST JSON without $metadata', () => {
    const facts = readBedrockConverse(BEDROCK_CONVERSE_REST);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 30,
      output_tokens: 628,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
    });
    expect(facts.finishReasons).toEqual(['max_tokens']);
  });

  it('rejects bad counts, naming the field', () => {
    expect(() => bedrockUsage({ cacheWriteInputTokens: 2 ** 60 })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'usage.cacheWriteInputTokens' }),
    );
    expect(() => readBedrockConverse({ stopReason: 'end_turn' })).toThrow(
      expect.objectContaining({ field: 'usage' }),
    );
  });

  it('isBedrockConverse tells a Converse response from an AI SDK result', () => {
    expect(isBedrockConverse(BEDROCK_CONVERSE)).toBe(true);
    expect(isBedrockConverse(BEDROCK_CONVERSE_REST)).toBe(true);
    expect(isBedrockConverse({ $metadata: {}, usage: {} })).toBe(true);
    expect(isBedrockConverse(AI_SDK_RESULT_V6)).toBe(false);
    expect(isBedrockConverse({ ...BEDROCK_CONVERSE, finishReason: 'stop' })).toBe(false);
    expect(isBedrockConverse({ usage: { inputTokens: 1 } })).toBe(false);
  });
});
