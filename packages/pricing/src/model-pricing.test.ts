import { describe, expect, it } from 'vitest';
import { ValidationError } from './agentrace-error.js';
import { pricesForPrompt, readTokenUsage, validateModelPricing, ZERO_PRICING } from './model-pricing.js';

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
      cacheWrite1hTokens: 0,
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

describe('1-hour cache writes and long-context tiers', () => {
  it('keeps a 1-hour write price and tiers only when given', () => {
    expect(
      validateModelPricing({ inputPerMillion: 3, outputPerMillion: 15, cacheWrite1hPerMillion: 6 }),
    ).toEqual({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheWritePerMillion: 0,
      cacheReadPerMillion: 0,
      cacheWrite1hPerMillion: 6,
    });
    expect(validateModelPricing({ inputPerMillion: 1, outputPerMillion: 1, tiers: [] })).not.toHaveProperty(
      'tiers',
    );
  });

  it('sorts tiers, and fills each left-out price from the tier below', () => {
    const p = validateModelPricing({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheReadPerMillion: 0.3,
      cacheWritePerMillion: 3.75,
      tiers: [
        { aboveInputTokens: 500_000, outputPerMillion: 30 },
        { aboveInputTokens: 200_000, inputPerMillion: 6, cacheWritePerMillion: 7.5 },
      ],
    });
    expect(p.tiers).toEqual([
      {
        aboveInputTokens: 200_000,
        inputPerMillion: 6,
        outputPerMillion: 15,
        cacheReadPerMillion: 0.3,
        cacheWritePerMillion: 7.5,
        // no 1-hour price anywhere: 1-hour writes cost what writes cost in the tier
        cacheWrite1hPerMillion: 7.5,
      },
      {
        aboveInputTokens: 500_000,
        inputPerMillion: 6,
        outputPerMillion: 30,
        cacheReadPerMillion: 0.3,
        cacheWritePerMillion: 7.5,
        cacheWrite1hPerMillion: 7.5,
      },
    ]);
    expect(Object.isFrozen(p.tiers)).toBe(true);
    expect(Object.isFrozen(p.tiers?.[0])).toBe(true);
  });

  it('with a 1-hour price, a tier without one keeps the one below', () => {
    const p = validateModelPricing({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheWritePerMillion: 3.75,
      cacheWrite1hPerMillion: 6,
      tiers: [{ aboveInputTokens: 200_000, cacheWritePerMillion: 7.5 }],
    });
    expect(p.tiers?.[0]).toMatchObject({ cacheWritePerMillion: 7.5, cacheWrite1hPerMillion: 6 });
    const q = validateModelPricing({
      inputPerMillion: 3,
      outputPerMillion: 15,
      tiers: [{ aboveInputTokens: 200_000, cacheWrite1hPerMillion: 12 }],
    });
    expect(q).not.toHaveProperty('cacheWrite1hPerMillion');
    expect(q.tiers?.[0]?.cacheWrite1hPerMillion).toBe(12);
  });

  it.each([
    [{ tiers: 'many' }, 'tiers'],
    [{ tiers: [3] }, 'tiers[0]'],
    [{ tiers: [{}] }, 'tiers[0].aboveInputTokens'],
    [{ tiers: [{ aboveInputTokens: -1 }] }, 'tiers[0].aboveInputTokens'],
    [{ tiers: [{ aboveInputTokens: 1.5 }] }, 'tiers[0].aboveInputTokens'],
    [{ tiers: [{ aboveInputTokens: 10 }, { aboveInputTokens: 10 }] }, 'tiers[1].aboveInputTokens'],
    [{ tiers: [{ aboveInputTokens: 10, outputPerMillion: -2 }] }, 'tiers[0].outputPerMillion'],
    [{ tiers: [{ aboveInputTokens: 10, cacheWrite1hPerMillion: 'x' }] }, 'tiers[0].cacheWrite1hPerMillion'],
    [{ cacheWrite1hPerMillion: Number.NaN }, 'cacheWrite1hPerMillion'],
  ])('rejects %j naming the field', (extra, field) => {
    expect(() => validateModelPricing({ inputPerMillion: 1, outputPerMillion: 1, ...extra }, 'p.')).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: `p.${field}` }),
    );
  });

  it('pricesForPrompt applies a tier only strictly above its threshold', () => {
    const p = validateModelPricing({
      inputPerMillion: 1,
      outputPerMillion: 2,
      cacheWrite1hPerMillion: 5,
      tiers: [{ aboveInputTokens: 100, inputPerMillion: 10 }],
    });
    expect(pricesForPrompt(p, 100)).toEqual({
      inputPerMillion: 1,
      outputPerMillion: 2,
      cacheWritePerMillion: 0,
      cacheReadPerMillion: 0,
      cacheWrite1hPerMillion: 5,
    });
    expect(pricesForPrompt(p, 101)).toMatchObject({ aboveInputTokens: 100, inputPerMillion: 10 });
    expect(pricesForPrompt(ZERO_PRICING, 5).cacheWrite1hPerMillion).toBe(0);
  });
});

describe('readTokenUsage 1-hour writes', () => {
  it('counts 1-hour writes as part of the cache writes', () => {
    expect(
      readTokenUsage({ inputTokens: 1, outputTokens: 1, cacheWriteTokens: 10, cacheWrite1hTokens: 10 }),
    ).toMatchObject({ cacheWriteTokens: 10, cacheWrite1hTokens: 10 });
    expect(() =>
      readTokenUsage({ inputTokens: 1, outputTokens: 1, cacheWriteTokens: 5, cacheWrite1hTokens: 6 }),
    ).toThrow(expect.objectContaining({ field: 'usage.cacheWrite1hTokens' }));
    expect(() => readTokenUsage({ inputTokens: 1, outputTokens: 1, cacheWrite1hTokens: -1 })).toThrow(
      expect.objectContaining({ field: 'usage.cacheWrite1hTokens' }),
    );
  });
});
