import { describe, expect, it } from 'vitest';
import { compileModelPrices, convertDatasetPrice, DatasetPriceFormatError } from './dataset-pricing.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('convertDatasetPrice', () => {
  it('maps the dataset keys onto agentrace prices', () => {
    expect(
      convertDatasetPrice({ input_mtok: 3, output_mtok: 15, cache_read_mtok: 0.3, cache_write_mtok: 3.75 }),
    ).toEqual({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheReadPerMillion: 0.3,
      cacheWritePerMillion: 3.75,
    });
  });

  it('bills cache tokens without a price of their own as plain input, as the dataset does', () => {
    // gpt-4o lists no cache-write price: the dataset then leaves written tokens in input_tokens.
    expect(convertDatasetPrice({ input_mtok: 2.5, cache_read_mtok: 1.25, output_mtok: 10 })).toEqual({
      inputPerMillion: 2.5,
      outputPerMillion: 10,
      cacheReadPerMillion: 1.25,
      cacheWritePerMillion: 2.5,
    });
    expect(convertDatasetPrice({ input_mtok: 1, output_mtok: 2 })).toMatchObject({
      cacheReadPerMillion: 1,
      cacheWritePerMillion: 1,
    });
  });

  it('a free model (no prices) costs nothing; prices agentrace does not count are left out', () => {
    expect(convertDatasetPrice({})).toEqual({
      inputPerMillion: 0,
      outputPerMillion: 0,
      cacheReadPerMillion: 0,
      cacheWritePerMillion: 0,
    });
    expect(
      convertDatasetPrice({ input_mtok: 1, output_mtok: 1, web_searches_kcount: 10, input_audio_mtok: 40 }),
    ).toEqual({ inputPerMillion: 1, outputPerMillion: 1, cacheReadPerMillion: 1, cacheWritePerMillion: 1 });
  });

  it('keeps a separate 1-hour cache-write price', () => {
    expect(
      convertDatasetPrice({ input_mtok: 3, output_mtok: 15, cache_write_mtok: 3.75, cache_write_1h_mtok: 6 }),
    ).toMatchObject({ cacheWritePerMillion: 3.75, cacheWrite1hPerMillion: 6 });
  });

  it('merges per-key tiers into tiers by threshold, each with every price in force above it', () => {
    const pricing = convertDatasetPrice({
      input_mtok: {
        base: 1,
        tiers: [
          { start: 200_000, price: 2 },
          { start: 128_000, price: 1.5 },
        ],
      },
      output_mtok: { base: 10, tiers: [{ start: 200_000, price: 20 }] },
      cache_read_mtok: 0.1,
      cache_write_1h_mtok: { base: 4, tiers: [{ start: 300_000, price: 8 }] },
    });
    expect(pricing.inputPerMillion).toBe(1);
    expect(pricing.cacheWrite1hPerMillion).toBe(4);
    expect(pricing.tiers).toEqual([
      // cache writes have no price: they follow the input price, tier by tier
      {
        aboveInputTokens: 128_000,
        inputPerMillion: 1.5,
        outputPerMillion: 10,
        cacheReadPerMillion: 0.1,
        cacheWritePerMillion: 1.5,
        cacheWrite1hPerMillion: 4,
      },
      {
        aboveInputTokens: 200_000,
        inputPerMillion: 2,
        outputPerMillion: 20,
        cacheReadPerMillion: 0.1,
        cacheWritePerMillion: 2,
        cacheWrite1hPerMillion: 4,
      },
      {
        aboveInputTokens: 300_000,
        inputPerMillion: 2,
        outputPerMillion: 20,
        cacheReadPerMillion: 0.1,
        cacheWritePerMillion: 2,
        cacheWrite1hPerMillion: 8,
      },
    ]);
    expect(Object.isFrozen(pricing)).toBe(true);
  });

  it.each([
    ['a negative price', { input_mtok: -1 }, 'input_mtok'],
    ['a string price', { output_mtok: '2' }, 'output_mtok'],
    ['a tier set without base', { input_mtok: { tiers: [] } }, 'input_mtok'],
    [
      'a malformed tier',
      { input_mtok: { base: 1, tiers: [{ start: 'x', price: 1 }] } },
      'input_mtok.tiers[0]',
    ],
    ['a null tier', { cache_read_mtok: { base: 1, tiers: [null] } }, 'cache_read_mtok.tiers[0]'],
  ])('rejects %s, naming the key', (_what, prices, key) => {
    const err = thrown(() => convertDatasetPrice(prices as never));
    expect(err).toBeInstanceOf(DatasetPriceFormatError);
    expect((err as DatasetPriceFormatError).key).toBe(key);
    expect((err as Error).message).toContain(key);
  });
});

describe('compileModelPrices', () => {
  it('a single price set does not depend on time', () => {
    const compiled = compileModelPrices({ input_mtok: 1, output_mtok: 2 });
    expect(compiled.timeDependent).toBe(false);
    expect(compiled.pricingAt(new Date(0)).outputPerMillion).toBe(2);
  });

  it('picks the last entry whose start date has come, else the first', () => {
    const compiled = compileModelPrices([
      { prices: { input_mtok: 10, output_mtok: 40 } },
      {
        constraint: { start_date: '2025-06-10', type: 'start_date' },
        prices: { input_mtok: 2, output_mtok: 8 },
      },
      { constraint: { start_date: '2026-01-01' }, prices: { input_mtok: 1, output_mtok: 4 } },
    ]);
    expect(compiled.timeDependent).toBe(true);
    expect(compiled.pricingAt(new Date('2025-05-01T00:00:00Z')).inputPerMillion).toBe(10);
    expect(compiled.pricingAt(new Date('2025-06-09T23:59:59.999Z')).inputPerMillion).toBe(10);
    expect(compiled.pricingAt(new Date('2025-06-10T00:00:00Z')).inputPerMillion).toBe(2);
    expect(compiled.pricingAt(new Date('2026-03-01T00:00:00Z')).inputPerMillion).toBe(1);
  });

  it('applies time-of-day windows in UTC, with offsets and windows that wrap past midnight', () => {
    const compiled = compileModelPrices([
      { prices: { input_mtok: 1 } },
      {
        constraint: { start_time: '00:30:00Z', end_time: '16:30:00Z', type: 'time_of_date' },
        prices: { input_mtok: 2 },
      },
      {
        constraint: { start_time: '23:00:00+01:00', end_time: '01:15:00.5+01:00' },
        prices: { input_mtok: 3 },
      },
    ]);
    const at = (t: string) => compiled.pricingAt(new Date(`2026-02-01T${t}Z`)).inputPerMillion;
    expect(at('00:29:59')).toBe(1);
    expect(at('00:30:00')).toBe(2);
    expect(at('16:29:59')).toBe(2);
    expect(at('16:30:00')).toBe(1);
    // 23:00+01:00 is 22:00 UTC and 01:15:00.5+01:00 is 00:15:00.5 UTC: the window wraps past midnight
    expect(at('21:59:59')).toBe(1);
    expect(at('22:00:00')).toBe(3);
    expect(at('23:59:59')).toBe(3);
    expect(at('00:00:00')).toBe(3);
    expect(at('00:15:00.400')).toBe(3);
    expect(at('00:15:00.600')).toBe(1);
  });

  it.each([
    ['not an object', 3, 'prices'],
    ['an empty list', [], 'prices'],
    ['a list entry that is not an object', [null], 'prices[0]'],
    ['a list entry without prices', [{ constraint: { start_date: '2025-01-01' } }], 'prices[0].prices'],
    [
      'a bad start date',
      [{ constraint: { start_date: 'soon' }, prices: {} }],
      'prices[0].constraint.start_date',
    ],
    [
      'a bad time of day',
      [{ constraint: { start_time: '25h', end_time: '01:00:00Z' }, prices: {} }],
      'prices[0].constraint.start_time',
    ],
    ['an unknown constraint', [{ constraint: { weekday: 'monday' }, prices: {} }], 'prices[0].constraint'],
  ])('rejects %s, naming the key', (_what, prices, key) => {
    const err = thrown(() => compileModelPrices(prices));
    expect(err).toBeInstanceOf(DatasetPriceFormatError);
    expect((err as DatasetPriceFormatError).key).toBe(key);
  });
});
