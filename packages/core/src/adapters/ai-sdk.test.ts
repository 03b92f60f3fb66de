import { describe, expect, it } from 'vitest';
import {
  AI_SDK_DO_GENERATE,
  AI_SDK_OBJECT_V5_GOOGLE,
  AI_SDK_RESULT_V5_ANTHROPIC,
  AI_SDK_RESULT_V6,
  BEDROCK_CONVERSE,
} from '../../../../test/helpers/responses.js';
import { aiSdkUsage, isAiSdkResult, isAiSdkUsage, readAiSdkResult, readAiSdkUsage } from './ai-sdk.js';

describe('aiSdkUsage', () => {
  it('ai 6/7: plain input is noCacheTokens; cache read/write and reasoning from the details', () => {
    const facts = aiSdkUsage(AI_SDK_RESULT_V6.totalUsage);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 160,
      cache_write_tokens: 2300,
      cache_read_tokens: 2300,
    });
    expect(facts.reasoningTokens).toBe(60);
    expect(facts.usage.totalTokens).toBe(AI_SDK_RESULT_V6.totalUsage.totalTokens);
  });

  it('ai 6/7 without noCacheTokens: the total minus cache reads and writes', () => {
    const facts = aiSdkUsage({
      inputTokens: 1000,
      inputTokenDetails: { noCacheTokens: undefined, cacheReadTokens: 600, cacheWriteTokens: 100 },
      outputTokens: undefined,
      outputTokenDetails: { textTokens: 20, reasoningTokens: 5 },
      totalTokens: 1025,
    });
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 300,
      output_tokens: 25,
      cache_write_tokens: 100,
      cache_read_tokens: 600,
    });
    expect(facts.reasoningTokens).toBe(5);
  });

  it('ai 6 with only the deprecated flat members filled still reads them', () => {
    const facts = aiSdkUsage({
      inputTokens: 100,
      inputTokenDetails: {
        noCacheTokens: undefined,
        cacheReadTokens: undefined,
        cacheWriteTokens: undefined,
      },
      outputTokens: 10,
      outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
      cachedInputTokens: 40,
      reasoningTokens: 4,
    });
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 60,
      output_tokens: 10,
      cache_write_tokens: 0,
      cache_read_tokens: 40,
    });
    expect(facts.reasoningTokens).toBe(4);
  });

  it("a model's own V3/V4 usage (what middleware sees)", () => {
    const facts = aiSdkUsage(AI_SDK_DO_GENERATE.usage);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 21,
      output_tokens: 393,
      cache_write_tokens: 300,
      cache_read_tokens: 1800,
    });
    expect(facts).not.toHaveProperty('reasoningTokens');
    const noDetail = aiSdkUsage({
      inputTokens: { total: 900, noCache: undefined, cacheRead: 800, cacheWrite: undefined },
      outputTokens: { total: undefined, text: 30, reasoning: 70 },
    });
    expect(noDetail.usage.toDict()).toEqual({
      input_tokens: 100,
      output_tokens: 100,
      cache_write_tokens: 0,
      cache_read_tokens: 800,
    });
    expect(noDetail.reasoningTokens).toBe(70);
  });

  it('ai 5 flat: cached tokens are inside inputTokens for most providers', () => {
    const facts = aiSdkUsage({
      inputTokens: 2006,
      outputTokens: 300,
      totalTokens: 2306,
      cachedInputTokens: 1920,
      reasoningTokens: 0,
    });
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 86,
      output_tokens: 300,
      cache_write_tokens: 0,
      cache_read_tokens: 1920,
    });
  });

  it('ai 5 flat: Anthropic and Bedrock report input without the cache; cache writes come from outside', () => {
    const usage = { inputTokens: 21, outputTokens: 393, totalTokens: 414, cachedInputTokens: 20 };
    expect(aiSdkUsage(usage, { provider: 'anthropic', cacheWriteTokens: 5 }).usage.toDict()).toEqual({
      input_tokens: 21,
      output_tokens: 393,
      cache_write_tokens: 5,
      cache_read_tokens: 20,
    });
    expect(aiSdkUsage(usage, { provider: 'aws.bedrock' }).usage.inputTokens).toBe(21);
    expect(aiSdkUsage(usage).usage.inputTokens).toBe(1);
    // More cached than input tokens proves the input left them out, whatever the provider.
    expect(aiSdkUsage({ inputTokens: 21, cachedInputTokens: 1800 }).usage.inputTokens).toBe(21);
  });

  it('ai 5 flat: adds reasoning to the output when the total shows it was left out (Gemini)', () => {
    const facts = aiSdkUsage(AI_SDK_OBJECT_V5_GOOGLE.usage);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 500,
      output_tokens: 450,
      cache_write_tokens: 0,
      cache_read_tokens: 12000,
    });
    expect(facts.reasoningTokens).toBe(150);
  });

  it('rejects a promise, a non-object and bad counts, naming the field', () => {
    expect(() => aiSdkUsage(Promise.resolve({}) as never)).toThrow(
      expect.objectContaining({
        name: 'ValidationError',
        field: 'usage',
        message: expect.stringContaining('promise'),
      }),
    );
    expect(() => aiSdkUsage([] as never)).toThrow(expect.objectContaining({ field: 'usage' }));
    expect(() =>
      aiSdkUsage({ inputTokens: 10, inputTokenDetails: { cacheReadTokens: 8, cacheWriteTokens: 8 } }),
    ).toThrow(
      expect.objectContaining({ field: 'usage.inputTokenDetails.cacheReadTokens + cacheWriteTokens' }),
    );
    expect(() => aiSdkUsage({ inputTokens: { total: 1, cacheRead: 2 } })).toThrow(
      expect.objectContaining({ field: 'usage.inputTokens.cacheRead + cacheWrite' }),
    );
    expect(() => aiSdkUsage({ inputTokens: -1 })).toThrow(
      expect.objectContaining({ field: 'usage.inputTokens' }),
    );
    expect(() => aiSdkUsage({ inputTokens: 1 }, { cacheWriteTokens: -1 })).toThrow(
      expect.objectContaining({ field: 'cacheWriteTokens' }),
    );
  });
});

describe('readAiSdkResult', () => {
  it('ai 6/7 generateText: totalUsage over every step, response facts, provider from the final step', () => {
    const facts = readAiSdkResult(AI_SDK_RESULT_V6);
    expect(facts).toEqual({
      shape: 'ai_sdk.result',
      provider: 'anthropic',
      usage: facts.usage,
      reasoningTokens: 60,
      responseModel: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_01Hx5pPu4AqSrn2EgjxyqnVt',
      finishReasons: ['stop'],
    });
    expect(facts.usage.inputTokens).toBe(50);
    expect(facts.usage.cacheWriteTokens).toBe(2300);
  });

  it('ai 7: the provider of finalStep wins; an explicit provider wins over both', () => {
    const v7 = {
      ...AI_SDK_RESULT_V6,
      finalStep: { model: { provider: 'google.vertex.chat', modelId: 'gemini-2.5-pro' } },
    };
    expect(readAiSdkResult(v7).provider).toBe('gcp.vertex_ai');
    expect(readAiSdkResult(v7, { provider: 'azure.ai.openai' }).provider).toBe('azure.ai.openai');
  });

  it('ai 5 generateText over Anthropic: input without cache, cache writes summed over the steps', () => {
    const facts = readAiSdkResult(AI_SDK_RESULT_V5_ANTHROPIC);
    expect(facts.provider).toBe('anthropic');
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 42,
      output_tokens: 500,
      cache_write_tokens: 1800,
      cache_read_tokens: 1800,
    });
  });

  it('ai 5 without steps takes cache writes from the result metadata (Anthropic or Bedrock)', () => {
    const single = { ...AI_SDK_RESULT_V5_ANTHROPIC, steps: undefined, totalUsage: undefined };
    single.providerMetadata = { anthropic: { cacheCreationInputTokens: 64, usage: { input_tokens: 21 } } };
    expect(readAiSdkResult(single).usage.toDict()).toEqual({
      input_tokens: 21,
      output_tokens: 393,
      cache_write_tokens: 64,
      cache_read_tokens: 1800,
    });
    const bedrock = {
      finishReason: 'stop',
      usage: { inputTokens: 44, outputTokens: 210, totalTokens: 254, cachedInputTokens: 3700 },
      providerMetadata: { bedrock: { usage: { cacheWriteInputTokens: 1000 }, stopSequence: null } },
    };
    const facts = readAiSdkResult(bedrock);
    expect(facts.provider).toBe('aws.bedrock');
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 44,
      output_tokens: 210,
      cache_write_tokens: 1000,
      cache_read_tokens: 3700,
    });
    expect(facts).not.toHaveProperty('responseModel');
  });

  it('ai 5 generateObject over Gemini: provider from metadata, thoughts added to the output', () => {
    const facts = readAiSdkResult(AI_SDK_OBJECT_V5_GOOGLE);
    expect(facts.provider).toBe('gcp.gemini');
    expect(facts.usage.outputTokens).toBe(450);
    expect(facts.responseModel).toBe('gemini-2.5-flash');
    expect(facts.finishReasons).toEqual(['stop']);
  });

  it('a doGenerate result: nested usage, the unified finish reason', () => {
    const facts = readAiSdkResult(AI_SDK_DO_GENERATE);
    expect(facts.finishReasons).toEqual(['stop']);
    expect(facts.usage.cacheWriteTokens).toBe(300);
    expect(facts.provider).toBe('anthropic');
  });

  it('no provider when neither steps nor known metadata tell', () => {
    const facts = readAiSdkResult({
      finishReason: 'stop',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      providerMetadata: { gateway: { routing: {} } },
    });
    expect(facts).not.toHaveProperty('provider');
    expect(
      readAiSdkResult({ finishReason: 'stop', usage: { inputTokens: 1 }, providerMetadata: 'x' as never }),
    ).not.toHaveProperty('provider');
  });

  it('a providerMetadata whose keys cannot be listed tells no provider', () => {
    const metadata = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    const facts = readAiSdkResult({
      finishReason: 'stop',
      usage: { inputTokens: 1 },
      providerMetadata: metadata,
    });
    expect(facts).not.toHaveProperty('provider');
  });

  it('names the step whose metadata is bad', () => {
    const bad = {
      ...AI_SDK_RESULT_V5_ANTHROPIC,
      steps: [{ providerMetadata: { anthropic: { cacheCreationInputTokens: -1 } } }],
    };
    expect(() => readAiSdkResult(bad)).toThrow(
      expect.objectContaining({ field: 'steps[0].providerMetadata.anthropic.cacheCreationInputTokens' }),
    );
  });

  it('a streamText result (usage is a promise) is refused with a hint', () => {
    const streaming = {
      finishReason: Promise.resolve('stop'),
      usage: Promise.resolve({}),
      totalUsage: Promise.resolve({}),
    };
    expect(() => readAiSdkResult(streaming as never)).toThrow(
      expect.objectContaining({
        field: 'totalUsage',
        message: expect.stringContaining('await its totalUsage'),
      }),
    );
  });
});

describe('readAiSdkUsage and the guards', () => {
  it('readAiSdkUsage has no provider unless given', () => {
    const facts = readAiSdkUsage(AI_SDK_RESULT_V6.usage);
    expect(facts.shape).toBe('ai_sdk.usage');
    expect(facts).not.toHaveProperty('provider');
    expect(readAiSdkUsage(AI_SDK_RESULT_V6.usage, { provider: 'anthropic' }).provider).toBe('anthropic');
  });

  it('isAiSdkUsage: camelCase counts, not Bedrock usage, not a promise', () => {
    expect(isAiSdkUsage(AI_SDK_RESULT_V6.usage)).toBe(true);
    expect(isAiSdkUsage({ inputTokens: undefined, outputTokens: undefined, totalTokens: undefined })).toBe(
      true,
    );
    expect(isAiSdkUsage(AI_SDK_DO_GENERATE.usage)).toBe(true);
    expect(isAiSdkUsage(BEDROCK_CONVERSE.usage)).toBe(false);
    expect(isAiSdkUsage({ prompt_tokens: 1 })).toBe(false);
    expect(isAiSdkUsage(Promise.resolve({ inputTokens: 1 }))).toBe(false);
    const hostile = new Proxy(
      {},
      {
        has() {
          throw new Error('boom');
        },
      },
    );
    expect(isAiSdkUsage(hostile)).toBe(false);
  });

  it('isAiSdkResult', () => {
    expect(isAiSdkResult(AI_SDK_RESULT_V6)).toBe(true);
    expect(isAiSdkResult(AI_SDK_DO_GENERATE)).toBe(true);
    expect(
      isAiSdkResult({
        usage: Promise.resolve({}),
        steps: Promise.resolve([]),
        finishReason: Promise.resolve('stop'),
      }),
    ).toBe(true);
    expect(isAiSdkResult({ usage: { inputTokens: 1 }, content: [] })).toBe(true);
    expect(isAiSdkResult({ usage: { inputTokens: 1 }, steps: [] })).toBe(true);
    expect(isAiSdkResult({ usage: { inputTokens: 1 } })).toBe(false);
    expect(isAiSdkResult({ usage: { prompt_tokens: 1 }, finishReason: 'stop' })).toBe(false);
  });
});
