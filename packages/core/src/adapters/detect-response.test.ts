import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import {
  AI_SDK_DO_GENERATE,
  AI_SDK_OBJECT_V5_GOOGLE,
  AI_SDK_RESULT_V5_ANTHROPIC,
  AI_SDK_RESULT_V6,
  ANTHROPIC_MESSAGE_CACHED,
  ANTHROPIC_MESSAGE_WRITE,
  BEDROCK_CONVERSE,
  BEDROCK_CONVERSE_REST,
  GEMINI_RESPONSE,
  OPENAI_CHAT_CACHED,
  OPENAI_CHAT_REASONING,
  OPENAI_CHAT_USAGE_CHUNK,
  OPENAI_RESPONSE,
  OPENAI_RESPONSE_INCOMPLETE,
  VERTEX_RESPONSE,
} from '../../../../test/helpers/responses.js';
import { detectResponse, detectResponseOrThrow } from './detect-response.js';
import { ResponseShape } from './response-facts.js';
import { UsageDetectionError } from './usage-detection-error.js';

describe('detectResponse', () => {
  it.each([
    ['OpenAI chat.completion', OPENAI_CHAT_CACHED, 'openai.chat_completion', 'openai', [86, 300, 0, 1920]],
    [
      'OpenAI chat.completion (reasoning)',
      OPENAI_CHAT_REASONING,
      'openai.chat_completion',
      'openai',
      [512, 1400, 0, 0],
    ],
    ['OpenAI usage chunk', OPENAI_CHAT_USAGE_CHUNK, 'openai.chat_completion', 'openai', [9, 12, 0, 0]],
    ['OpenAI response', OPENAI_RESPONSE, 'openai.response', 'openai', [464, 52, 0, 4864]],
    [
      'OpenAI response (incomplete)',
      OPENAI_RESPONSE_INCOMPLETE,
      'openai.response',
      'openai',
      [812, 2048, 0, 0],
    ],
    [
      'Anthropic message (cache hit)',
      ANTHROPIC_MESSAGE_CACHED,
      'anthropic.message',
      'anthropic',
      [50, 120, 556, 1200],
    ],
    [
      'Anthropic message (cache write)',
      ANTHROPIC_MESSAGE_WRITE,
      'anthropic.message',
      'anthropic',
      [21, 393, 188086, 0],
    ],
    ['Gemini', GEMINI_RESPONSE, 'gemini.generate_content', 'gcp.gemini', [500, 450, 0, 12000]],
    ['Vertex AI', VERTEX_RESPONSE, 'gemini.generate_content', 'gcp.vertex_ai', [950, 64, 0, 0]],
    [
      'Bedrock Converse (AWS SDK)',
      BEDROCK_CONVERSE,
      'bedrock.converse',
      'aws.bedrock',
      [44, 210, 1000, 3700],
    ],
    ['Bedrock Converse (REST)', BEDROCK_CONVERSE_REST, 'bedrock.converse', 'aws.bedrock', [30, 628, 0, 0]],
    ['AI SDK 6/7 generateText', AI_SDK_RESULT_V6, 'ai_sdk.result', 'anthropic', [50, 160, 2300, 2300]],
    [
      'AI SDK 5 generateText',
      AI_SDK_RESULT_V5_ANTHROPIC,
      'ai_sdk.result',
      'anthropic',
      [42, 500, 1800, 1800],
    ],
    ['AI SDK 5 generateObject', AI_SDK_OBJECT_V5_GOOGLE, 'ai_sdk.result', 'gcp.gemini', [500, 450, 0, 12000]],
    ['AI SDK doGenerate', AI_SDK_DO_GENERATE, 'ai_sdk.result', 'anthropic', [21, 393, 300, 1800]],
    ['AI SDK usage object', AI_SDK_RESULT_V6.totalUsage, 'ai_sdk.usage', undefined, [50, 160, 2300, 2300]],
  ])('%s', (_label, body, shape, provider, [input, output, cacheWrite, cacheRead]) => {
    const facts = detectResponse(body);
    expect(facts?.shape).toBe(shape);
    expect(facts?.provider).toBe(provider);
    expect(facts?.usage.toDict()).toEqual({
      input_tokens: input,
      output_tokens: output,
      cache_write_tokens: cacheWrite,
      cache_read_tokens: cacheRead,
    });
  });

  it('reads a JSON round trip the same (bodies fetched by hand, or replayed from a log)', () => {
    for (const body of [OPENAI_CHAT_CACHED, ANTHROPIC_MESSAGE_CACHED, GEMINI_RESPONSE, BEDROCK_CONVERSE]) {
      expect(detectResponse(JSON.parse(JSON.stringify(body)))).toEqual(detectResponse(body));
    }
  });

  it('reads a class instance whose members are getters (as the SDKs build responses)', () => {
    class GenerateContentResponse {
      get usageMetadata() {
        return GEMINI_RESPONSE.usageMetadata;
      }
      get candidates() {
        return GEMINI_RESPONSE.candidates;
      }
      get modelVersion() {
        return GEMINI_RESPONSE.modelVersion;
      }
    }
    expect(detectResponse(new GenerateContentResponse())?.usage.cacheReadTokens).toBe(12000);
  });

  it("unwraps a client's .withResponse() result", () => {
    const withResponse = { data: OPENAI_CHAT_CACHED, response: new Response('{}'), request_id: 'req_1' };
    expect(detectResponse(withResponse)?.responseId).toBe(OPENAI_CHAT_CACHED.id);
    expect(detectResponse({ data: { nothing: true }, response: {} })).toBeUndefined();
    expect(
      detectResponse({ data: { data: OPENAI_CHAT_CACHED, response: {} }, response: {} }),
    ).toBeUndefined();
  });

  it('returns undefined for anything else, and for a known shape without usage', () => {
    for (const value of [
      undefined,
      null,
      'text',
      42,
      [],
      {},
      { usage: 12 },
      Promise.resolve(OPENAI_CHAT_CACHED),
    ]) {
      expect(detectResponse(value)).toBeUndefined();
    }
    expect(detectResponse({ ...OPENAI_CHAT_USAGE_CHUNK, usage: null })).toBeUndefined();
  });

  it('throws a ValidationError for a recognised shape with a bad count', () => {
    const bad = {
      ...ANTHROPIC_MESSAGE_WRITE,
      usage: { ...ANTHROPIC_MESSAGE_WRITE.usage, output_tokens: -1 },
    };
    expect(() => detectResponse(bad)).toThrow(ValidationError);
    expect(() => detectResponse(bad)).toThrow(expect.objectContaining({ field: 'usage.output_tokens' }));
  });

  it('never lets a hostile object escape', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    expect(detectResponse(hostile)).toBeUndefined();
    expect(() => detectResponseOrThrow(hostile)).toThrow(UsageDetectionError);
  });
});

describe('detectResponseOrThrow and UsageDetectionError', () => {
  const thrown = (value: unknown): UsageDetectionError => {
    try {
      detectResponseOrThrow(value);
    } catch (err) {
      if (UsageDetectionError.isInstance(err)) return err;
      throw err;
    }
    throw new Error('detectResponseOrThrow returned');
  };

  it('returns the facts when it can', () => {
    expect(detectResponseOrThrow(OPENAI_RESPONSE).shape).toBe('openai.response');
  });

  it('names the shapes tried and the keys the object had', () => {
    const err = thrown({ id: 'x', choices: [{ text: 'hi' }], tokens: 3 });
    expect(err).toBeInstanceOf(UsageDetectionError);
    expect(err.name).toBe('UsageDetectionError');
    expect(err.shapesTried).toEqual(Object.values(ResponseShape));
    expect(err.received).toBe('an object');
    expect(err.keys).toEqual(['id', 'choices', 'tokens']);
    expect(err.hint).toBeUndefined();
    expect(err.message).toContain("usage: 'auto' could not read token usage");
    expect(err.message).toContain('(an object with keys id, choices, tokens)');
    for (const words of [
      'OpenAI Chat Completions',
      'OpenAI Responses',
      'Anthropic Messages',
      'Gemini/Vertex AI',
      'Bedrock Converse',
      'Vercel AI SDK generateText/generateObject result',
      'Vercel AI SDK usage object',
    ]) {
      expect(err.message).toContain(words);
    }
    expect(err.message).toContain('pass usage/estimateUsage');
  });

  it.each([
    [undefined, 'undefined', 'the work function returned nothing'],
    [null, 'null', undefined],
    ['hello', 'a string', undefined],
    [[1, 2], 'an array of 2 items', undefined],
    [Promise.resolve(OPENAI_CHAT_CACHED), 'a promise', 'await the client call'],
    [{ ...OPENAI_CHAT_USAGE_CHUNK, usage: null }, 'an object', 'include_usage'],
    [{ ...OPENAI_RESPONSE, usage: undefined }, 'an object', 'OpenAI Responses object without usage'],
    [{ ...ANTHROPIC_MESSAGE_WRITE, usage: null }, 'an object', 'Anthropic message without usage'],
    [
      { candidates: [], modelVersion: 'gemini-2.5-flash' },
      'an object',
      'Gemini response without usageMetadata',
    ],
    [{ stopReason: 'end_turn', output: {} }, 'an object', 'Bedrock Converse response without usage'],
    [
      { finishReason: Promise.resolve('stop'), usage: Promise.resolve({}), totalUsage: Promise.resolve({}) },
      'an object',
      'await result.totalUsage',
    ],
    [
      {
        async *[Symbol.asyncIterator](): AsyncGenerator<number> {
          yield 1;
        },
      },
      'a stream',
      'last chunk',
    ],
    [new ReadableStream(), 'a stream', 'last chunk'],
  ])('describes %o as %s (hint: %s)', (value, received, hint) => {
    const err = thrown(value);
    expect(err.received).toBe(received);
    if (hint === undefined) expect(err.hint).toBeUndefined();
    else {
      expect(err.hint).toContain(hint);
      expect(err.message).toContain(`Hint: ${err.hint}.`);
    }
  });

  it('lists at most 20 keys, each cut to 40 characters', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 25; i++) wide[`k${i}`] = i;
    wide['x'.repeat(100)] = 1;
    const err = thrown(wide);
    expect(err.keys).toHaveLength(21);
    expect(err.keys.at(-1)).toBe('… 6 more');
    const long = thrown({ ['y'.repeat(100)]: 1 });
    expect(long.keys[0]).toHaveLength(40);
    expect(long.keys[0]?.endsWith('…')).toBe(true);
  });

  it('can be built directly, and is an AgentraceError', async () => {
    const { AgentraceError } = await import('@agentrace/pricing');
    const err = new UsageDetectionError({ received: 'a number' });
    expect(err).toBeInstanceOf(AgentraceError);
    expect(err.keys).toEqual([]);
    expect(err.message).toContain('(a number)');
  });
});
