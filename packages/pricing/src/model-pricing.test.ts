import { describe, expect, it } from 'vitest';
import { ValidationError } from './agentrace-error.js';
import { readTokenUsage, validateModelPricing, ZERO_PRICING } from './model-pricing.js';

describe('validateModelPricing', () => {
  it('fills the cache prices with 0 and freezes the result', () => {
    const p = validateModelPricing({ inputPerMillion: 3, outputPerMillion: 15 });
    expect(p).toEqual({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheWritePerMillion: 0,
      cacheReadPerMillion: 0,
    });
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('keeps given cache prices, zero included', () => {
    expect(
      validateModelPricing({
        inputPerMillion: 0,
        outputPerMillion: 0,
        cacheWritePerMillion: 3.75,
        cacheReadPerMillion: 0.3,
      }),
    ).toEqual({
      inputPerMillion: 0,
      outputPerMillion: 0,
      cacheWritePerMillion: 3.75,
      cacheReadPerMillion: 0.3,
    });
  });

  const fields = [
    'inputPerMillion',
    'outputPerMillion',
    'cacheWritePerMillion',
    'cacheReadPerMillion',
  ] as const;
  const bad: unknown[] = [-1, Number.NaN, Number.POSITIVE_INFINITY, '3', null, true];
  for (const field of fields) {
    for (const value of bad) {
      it(`rejects ${field} = ${String(value)} naming the field`, () => {
        const pricing = { inputPerMillion: 1, outputPerMillion: 1, [field]: value };
        let err: unknown;
        try {
          validateModelPricing(pricing);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).field).toBe(field);
        expect((err as ValidationError).value).toBe(value);
        expect((err as Error).message).toContain(field);
      });
    }
  }

  it('requires input and output prices', () => {
    expect(() => validateModelPricing({ outputPerMillion: 1 })).toThrow(/inputPerMillion/);
    expect(() => validateModelPricing({ inputPerMillion: 1 })).toThrow(/outputPerMillion/);
  });

  it('rejects a non-object, prefixing the field when asked', () => {
    expect(() => validateModelPricing(null)).toThrow(expect.objectContaining({ field: 'pricing' }));
    expect(() => validateModelPricing([1, 2])).toThrow(ValidationError);
    expect(() => validateModelPricing(3, 'prices.')).toThrow(expect.objectContaining({ field: 'prices' }));
    expect(() => validateModelPricing({ inputPerMillion: -1, outputPerMillion: 1 }, 'p.')).toThrow(
      expect.objectContaining({ field: 'p.inputPerMillion' }),
    );
  });

  it('ZERO_PRICING is all zeros and frozen', () => {
    expect(Object.values(ZERO_PRICING)).toEqual([0, 0, 0, 0]);
    expect(Object.isFrozen(ZERO_PRICING)).toBe(true);
  });
});

describe('readTokenUsage', () => {
  it('defaults missing cache counts to 0', () => {
    expect(readTokenUsage({ inputTokens: 5, outputTokens: 6 })).toEqual({
      inputTokens: 5,
      outputTokens: 6,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
    });
  });

  it.each([
    ['inputTokens', -1],
    ['outputTokens', 1.5],
    ['cacheWriteTokens', Number.NaN],
    ['cacheReadTokens', Number.MAX_SAFE_INTEGER + 1],
    ['inputTokens', '10'],
  ])('rejects %s = %s', (field, value) => {
    expect(() => readTokenUsage({ inputTokens: 0, outputTokens: 0, [field]: value })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: `usage.${field}` }),
    );
  });

  it('rejects a non-object', () => {
    expect(() => readTokenUsage(undefined)).toThrow(expect.objectContaining({ field: 'usage' }));
  });
});
