import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import {
  AI_SDK_FULL_STREAM,
  AI_SDK_MODEL_STREAM,
  AI_SDK_V2_MODEL_STREAM,
  ANTHROPIC_STREAM,
  ANTHROPIC_STREAM_CUMULATIVE,
  BEDROCK_CONVERSE_STREAM,
  GEMINI_STREAM,
  OPENAI_CHAT_STREAM,
  OPENAI_CHAT_STREAM_NO_USAGE,
  OPENAI_CHAT_STREAM_TWO_CHOICES,
  OPENAI_RESPONSES_STREAM,
  OPENAI_RESPONSES_STREAM_INCOMPLETE,
  VERTEX_STREAM,
} from '../../../../test/helpers/stream-usage-events.js';
import { ResponseShape } from './response-facts.js';
import { createStreamAccumulator } from './stream-usage.js';

function accumulate(chunks: readonly unknown[], opts?: { provider?: string }) {
  const acc = createStreamAccumulator(opts);
  for (const chunk of chunks) acc.add(chunk);
  return acc;
}

/** [input, output, cacheWrite, cacheRead], plain input excluding cache. */
function counts(chunks: readonly unknown[], opts?: { provider?: string }) {
  const usage = accumulate(chunks, opts).facts()?.usage;
  return usage && [usage.inputTokens, usage.outputTokens, usage.cacheWriteTokens, usage.cacheReadTokens];
}

describe('createStreamAccumulator: each provider stream', () => {
  it('OpenAI Chat Completions: usage from the include_usage chunk; id, model, finish reason', () => {
    const facts = accumulate(OPENAI_CHAT_STREAM).facts();
    expect(facts).toEqual({
      shape: ResponseShape.OPENAI_CHAT_COMPLETION,
      provider: 'openai',
      usage: expect.anything(),
      reasoningTokens: 0,
      responseModel: 'gpt-4o-2024-08-06',
      responseId: 'chatcmpl-C9pStrEamX1a2b3c4',
      finishReasons: ['stop'],
    });
    // prompt_tokens 1352 includes the 1280 cached tokens.
    expect(facts?.usage.toDict()).toEqual({
      input_tokens: 72,
      output_tokens: 7,
      cache_write_tokens: 0,
      cache_read_tokens: 1280,
    });
  });

  it('OpenAI Chat Completions without include_usage: no facts, since no chunk carried usage', () => {
    expect(accumulate(OPENAI_CHAT_STREAM_NO_USAGE).facts()).toBeUndefined();
  });

  it('OpenAI Chat Completions with two choices: finish reasons in choice order, reasoning tokens', () => {
    const facts = accumulate(OPENAI_CHAT_STREAM_TWO_CHOICES).facts();
    expect(facts?.finishReasons).toEqual(['tool_calls', 'length']);
    expect(facts?.reasoningTokens).toBe(1152);
    expect(facts?.responseModel).toBe('o4-mini-2025-04-16');
    expect(facts?.usage.outputTokens).toBe(1400);
  });

  it('OpenAI Responses: usage from response.completed, plain input excluding cached tokens', () => {
    const facts = accumulate(OPENAI_RESPONSES_STREAM).facts();
    expect(facts).toMatchObject({
      shape: ResponseShape.OPENAI_RESPONSE,
      provider: 'openai',
      responseModel: 'gpt-4.1-2025-04-14',
      responseId: 'resp_68b1c2d3e4f5a6b7c8d9e0f1',
      finishReasons: ['completed'],
      reasoningTokens: 0,
    });
    expect(counts(OPENAI_RESPONSES_STREAM)).toEqual([138, 4, 0, 3072]);
  });

  it('OpenAI Responses: an incomplete stream reports its incomplete reason', () => {
    const facts = accumulate(OPENAI_RESPONSES_STREAM_INCOMPLETE).facts();
    expect(facts?.finishReasons).toEqual(['max_output_tokens']);
    expect(facts?.responseModel).toBe('o4-mini-2025-04-16');
    expect(facts?.reasoningTokens).toBe(2048);
    expect(counts(OPENAI_RESPONSES_STREAM_INCOMPLETE)).toEqual([812, 2048, 0, 0]);
  });

  it('OpenAI Responses: no usage before the terminal event', () => {
    expect(accumulate(OPENAI_RESPONSES_STREAM.slice(0, -1)).facts()).toBeUndefined();
  });

  it('Anthropic: input and cache counts from message_start, cumulative output from message_delta', () => {
    const facts = accumulate(ANTHROPIC_STREAM).facts();
    expect(facts).toMatchObject({
      shape: ResponseShape.ANTHROPIC_MESSAGE,
      provider: 'anthropic',
      responseModel: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      finishReasons: ['end_turn'],
      cacheWrite: { ephemeral5mTokens: 456, ephemeral1hTokens: 100 },
    });
    expect(counts(ANTHROPIC_STREAM)).toEqual([50, 15, 556, 1200]);
  });

  it('Anthropic: a message_delta repeating counts (nulls for the unreported ones) keeps the start values', () => {
    const facts = accumulate(ANTHROPIC_STREAM_CUMULATIVE).facts();
    expect(facts?.finishReasons).toEqual(['tool_use']);
    expect(counts(ANTHROPIC_STREAM_CUMULATIVE)).toEqual([472, 89, 0, 0]);
  });

  it('Anthropic: a stream abandoned after message_start still reports the billed input', () => {
    const facts = accumulate(ANTHROPIC_STREAM.slice(0, 4)).facts();
    expect(facts?.usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 1,
      cache_write_tokens: 556,
      cache_read_tokens: 1200,
    });
    expect(facts?.finishReasons).toBeUndefined();
  });

  it('Gemini: the last usageMetadata wins; thoughts are billed as output; cached tokens leave the input', () => {
    const facts = accumulate(GEMINI_STREAM).facts();
    expect(facts).toMatchObject({
      shape: ResponseShape.GEMINI_GENERATE_CONTENT,
      provider: 'gcp.gemini',
      responseModel: 'gemini-2.5-flash',
      responseId: 'mDJmaNb6Dd3X1PIP5LmIsAM',
      finishReasons: ['STOP'],
      reasoningTokens: 150,
    });
    expect(counts(GEMINI_STREAM)).toEqual([500, 450, 0, 12000]);
    expect(counts(GEMINI_STREAM.slice(0, 2))).toEqual([500, 270, 0, 12000]);
  });

  it('Vertex AI: provider gcp.vertex_ai; tool-use prompt tokens count as input', () => {
    const facts = accumulate(VERTEX_STREAM).facts();
    expect(facts?.provider).toBe('gcp.vertex_ai');
    expect(facts?.finishReasons).toEqual(['MAX_TOKENS']);
    expect(counts(VERTEX_STREAM)).toEqual([950, 64, 0, 0]);
    expect(accumulate(VERTEX_STREAM.slice(0, 1)).facts()).toBeUndefined();
  });

  it('Bedrock ConverseStream: usage from the metadata event, stop reason from messageStop', () => {
    const facts = accumulate(BEDROCK_CONVERSE_STREAM).facts();
    expect(facts).toMatchObject({
      shape: ResponseShape.BEDROCK_CONVERSE,
      provider: 'aws.bedrock',
      finishReasons: ['end_turn'],
    });
    expect(facts?.responseModel).toBeUndefined();
    expect(counts(BEDROCK_CONVERSE_STREAM)).toEqual([44, 210, 1000, 3700]);
    // A stream whose first event is the metadata (a replay) is still recognised.
    expect(counts(BEDROCK_CONVERSE_STREAM.slice(-1))).toEqual([44, 210, 1000, 3700]);
  });
});

describe('createStreamAccumulator: Vercel AI SDK streams', () => {
  it('streamText fullStream: totalUsage of the finish part; last step response; provider from metadata', () => {
    const facts = accumulate(AI_SDK_FULL_STREAM).facts();
    expect(facts).toMatchObject({
      shape: ResponseShape.AI_SDK_RESULT,
      provider: 'anthropic',
      responseModel: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_01Step2',
      finishReasons: ['stop'],
      reasoningTokens: 60,
    });
    expect(counts(AI_SDK_FULL_STREAM)).toEqual([50, 160, 2300, 2300]);
  });

  it('streamText fullStream abandoned mid-way: the sum of the finished steps', () => {
    const step1 = AI_SDK_FULL_STREAM.findIndex((p) => p.type === 'finish-step');
    const step2 = AI_SDK_FULL_STREAM.findLastIndex((p) => p.type === 'finish-step');
    expect(counts(AI_SDK_FULL_STREAM.slice(0, step1))).toBeUndefined();
    const first = accumulate(AI_SDK_FULL_STREAM.slice(0, step1 + 1)).facts();
    expect(first?.finishReasons).toEqual(['tool-calls']);
    expect(first?.reasoningTokens).toBe(60);
    expect(counts(AI_SDK_FULL_STREAM.slice(0, step1 + 1))).toEqual([30, 60, 2300, 0]);
    const both = accumulate(AI_SDK_FULL_STREAM.slice(0, step2 + 1)).facts();
    expect(both?.reasoningTokens).toBe(60);
    expect(both?.responseId).toBe('msg_01Step2');
    expect(counts(AI_SDK_FULL_STREAM.slice(0, step2 + 1))).toEqual([50, 160, 2300, 2300]);
  });

  it('language-model stream parts (V3/V4): finish usage, unified finish reason, response-metadata', () => {
    const facts = accumulate(AI_SDK_MODEL_STREAM).facts();
    expect(facts).toMatchObject({
      shape: ResponseShape.AI_SDK_RESULT,
      provider: 'openai',
      responseModel: 'gpt-4o-2024-08-06',
      responseId: 'chatcmpl-C9pStrEamX1a2b3c4',
      finishReasons: ['stop'],
      reasoningTokens: 0,
    });
    expect(counts(AI_SDK_MODEL_STREAM)).toEqual([72, 7, 0, 1280]);
  });

  it('ai 5 LanguageModelV2 parts over Anthropic: input excludes cache; writes from providerMetadata', () => {
    expect(counts(AI_SDK_V2_MODEL_STREAM)).toEqual([21, 393, 188086, 1800]);
    expect(accumulate(AI_SDK_V2_MODEL_STREAM).facts()?.provider).toBe('anthropic');
  });

  it('the provider option names the provider and decides how ai 5 flat usage counts cache', () => {
    const parts = AI_SDK_V2_MODEL_STREAM.map((part) =>
      part.type === 'finish' ? { ...part, providerMetadata: undefined } : part,
    );
    // No provider: more cached than input tokens can only mean the input left them out.
    expect(counts(parts)).toEqual([21, 393, 0, 1800]);
    const openai = parts.map((part) =>
      part.type === 'finish'
        ? { ...part, usage: { inputTokens: 2000, outputTokens: 10, cachedInputTokens: 1800 } }
        : part,
    );
    expect(counts(openai)).toEqual([200, 10, 0, 1800]);
    expect(counts(openai, { provider: 'aws.bedrock' })).toEqual([2000, 10, 0, 1800]);
    expect(accumulate(openai, { provider: 'aws.bedrock' }).facts()?.provider).toBe('aws.bedrock');
    expect(accumulate(openai).facts()?.provider).toBeUndefined();
  });

  it('a finish part without usage, or a step without metadata, is no usage', () => {
    expect(accumulate([{ type: 'start' }, { type: 'finish', finishReason: 'stop' }]).facts()).toBeUndefined();
    const facts = accumulate([
      { type: 'start' },
      { type: 'finish-step', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 4 } },
    ]).facts();
    expect(facts?.usage.toDict()).toMatchObject({ input_tokens: 3, output_tokens: 4 });
    expect(facts?.reasoningTokens).toBeUndefined();
    expect(facts?.responseModel).toBeUndefined();
  });
});

describe('createStreamAccumulator: robustness', () => {
  it('ignores chunks of no known shape, and decides on the first chunk that tells', () => {
    const acc = createStreamAccumulator();
    for (const chunk of ['data: {}', 42, null, undefined, new Uint8Array([123, 125]), { hello: 'world' }]) {
      acc.add(chunk);
    }
    acc.add({ type: 'ping' });
    acc.add({ type: 'error', error: { type: 'overloaded_error' } });
    expect(acc.facts()).toBeUndefined();
    for (const event of ANTHROPIC_STREAM) acc.add(event);
    expect(acc.facts()?.usage.outputTokens).toBe(15);
  });

  it('an unknown object type or event type decides nothing', () => {
    expect(accumulate([{ object: 'list', data: [] }, ...GEMINI_STREAM]).facts()?.provider).toBe('gcp.gemini');
    expect(accumulate([{ type: 'custom' }, ...OPENAI_CHAT_STREAM]).facts()?.provider).toBe('openai');
  });

  it('a chat chunk without `object` (some OpenAI-compatible servers) is still read', () => {
    const chunks = OPENAI_CHAT_STREAM.map(({ object: _, ...chunk }) => chunk);
    expect(counts(chunks)).toEqual([72, 7, 0, 1280]);
  });

  it('never throws from add: a throwing getter is skipped and the stream carries on', () => {
    const acc = createStreamAccumulator();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        has() {
          throw new Error('boom');
        },
      },
    );
    expect(() => acc.add(hostile)).not.toThrow();
    for (const chunk of OPENAI_CHAT_STREAM.slice(0, 2)) acc.add(chunk);
    const choiceThrows = {
      ...OPENAI_CHAT_STREAM[2],
      get choices(): unknown {
        throw new Error('boom');
      },
    };
    expect(() => acc.add(choiceThrows)).not.toThrow();
    for (const chunk of OPENAI_CHAT_STREAM.slice(3)) acc.add(chunk);
    expect(acc.facts()?.finishReasons).toEqual(['stop']);
  });

  it('does not change the chunks it reads', () => {
    const chunks = structuredClone(AI_SDK_FULL_STREAM);
    const before = structuredClone(chunks);
    accumulate(chunks).facts();
    expect(chunks).toEqual(before);
  });

  it('facts() throws a ValidationError naming the field of an invalid count', () => {
    const last = OPENAI_CHAT_STREAM.at(-1)!;
    const bad = [
      ...OPENAI_CHAT_STREAM.slice(0, -1),
      { ...last, usage: { ...last.usage, prompt_tokens: -1 } },
    ];
    const acc = accumulate(bad);
    expect(() => acc.add({ ...last })).not.toThrow();
    expect(() => accumulate(bad).facts()).toThrowError(ValidationError);
    expect(() => accumulate(bad).facts()).toThrowError(/usage\.prompt_tokens/);
    const cached = [{ ...last, usage: { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 20 } } }];
    expect(() => accumulate(cached).facts()).toThrowError(/cached_tokens/);
  });

  it('facts() is computed once per change: the same object until a chunk brings something new', () => {
    const acc = createStreamAccumulator();
    for (const event of ANTHROPIC_STREAM.slice(0, 4)) acc.add(event);
    const first = acc.facts();
    acc.add(ANTHROPIC_STREAM[4]);
    expect(acc.facts()).toBe(first);
    for (const event of ANTHROPIC_STREAM.slice(5)) acc.add(event);
    const last = acc.facts();
    expect(last).not.toBe(first);
    expect(last?.usage.outputTokens).toBe(15);
    expect(acc.facts()).toBe(last);
  });

  it('after the shape is decided, each chunk costs a bounded number of property reads', () => {
    let reads = 0;
    const counted = <T extends object>(chunk: T): T =>
      new Proxy(chunk, {
        get(target, key, receiver) {
          reads++;
          return Reflect.get(target, key, receiver);
        },
      });
    const acc = createStreamAccumulator();
    acc.add(counted(OPENAI_CHAT_STREAM[0]!));
    const perChunk: number[] = [];
    for (let i = 0; i < 1000; i++) {
      reads = 0;
      acc.add(counted(OPENAI_CHAT_STREAM[1]!));
      perChunk.push(reads);
    }
    // id (until known) + choices + usage: the same few reads for the thousandth chunk as for the first.
    expect(Math.max(...perChunk)).toBeLessThanOrEqual(3);
    expect(new Set(perChunk).size).toBe(1);

    const ai = createStreamAccumulator();
    ai.add(counted({ type: 'start' }));
    reads = 0;
    ai.add(counted({ type: 'text-delta', id: 't', text: 'x' }));
    expect(reads).toBe(1);
  });
});
