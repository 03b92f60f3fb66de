import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_MESSAGE_CACHED,
  ANTHROPIC_MESSAGE_WRITE,
  OPENAI_RESPONSE,
} from '../../../../test/helpers/responses.js';
import { anthropicUsage, isAnthropicMessage, readAnthropicMessage } from './anthropic.js';

describe('readAnthropicMessage', () => {
  it('input_tokens already excludes the cache; reads both cache counts, the TTL split and the stop reason', () => {
    const facts = readAnthropicMessage(ANTHROPIC_MESSAGE_CACHED);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 50,
      output_tokens: 120,
      cache_write_tokens: 556,
      cache_read_tokens: 1200,
    });
    expect(facts).toEqual({
      shape: 'anthropic.message',
      provider: 'anthropic',
      usage: facts.usage,
      cacheWrite: { ephemeral5mTokens: 456, ephemeral1hTokens: 100 },
      responseModel: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      finishReasons: ['tool_use'],
    });
  });

  it('reads a cache write without the TTL split', () => {
    const facts = readAnthropicMessage(ANTHROPIC_MESSAGE_WRITE);
    expect(facts.usage.toDict()).toEqual({
      input_tokens: 21,
      output_tokens: 393,
      cache_write_tokens: 188086,
      cache_read_tokens: 0,
    });
    expect(facts).not.toHaveProperty('cacheWrite');
    expect(facts).not.toHaveProperty('reasoningTokens');
    expect(facts.finishReasons).toEqual(['end_turn']);
  });

  it('sums the TTL split when cache_creation_input_tokens is absent', () => {
    const facts = anthropicUsage({
      input_tokens: 3,
      output_tokens: 4,
      cache_creation: { ephemeral_5m_input_tokens: null, ephemeral_1h_input_tokens: 2048 },
    });
    expect(facts.usage.cacheWriteTokens).toBe(2048);
    expect(facts.cacheWrite).toEqual({ ephemeral5mTokens: 0, ephemeral1hTokens: 2048 });
    expect(anthropicUsage({ input_tokens: 1, cache_creation: {} }).cacheWrite).toBeUndefined();
  });

  it('a message still streaming (stop_reason null) has no finish reason', () => {
    const facts = readAnthropicMessage({ ...ANTHROPIC_MESSAGE_WRITE, stop_reason: null });
    expect(facts.finishReasons).toBeUndefined();
  });

  it('rejects bad counts and a missing usage, naming the field', () => {
    expect(() => anthropicUsage({ input_tokens: -5 })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'usage.input_tokens' }),
    );
    expect(() => anthropicUsage({ cache_creation: { ephemeral_5m_input_tokens: Number.NaN } })).toThrow(
      expect.objectContaining({ field: 'usage.cache_creation.ephemeral_5m_input_tokens' }),
    );
    expect(() => anthropicUsage({ cache_creation: { ephemeral_1h_input_tokens: 0.5 } })).toThrow(
      expect.objectContaining({ field: 'usage.cache_creation.ephemeral_1h_input_tokens' }),
    );
    expect(() => readAnthropicMessage({ type: 'message', usage: null })).toThrow(
      expect.objectContaining({ field: 'usage' }),
    );
  });

  it('isAnthropicMessage', () => {
    expect(isAnthropicMessage(ANTHROPIC_MESSAGE_CACHED)).toBe(true);
    expect(isAnthropicMessage({ type: 'message_delta' })).toBe(false);
    expect(isAnthropicMessage(OPENAI_RESPONSE)).toBe(false);
  });
});
