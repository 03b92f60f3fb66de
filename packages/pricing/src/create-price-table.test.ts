import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from './agentrace-error.js';
import { createPriceTable } from './create-price-table.js';
import { datasetPriceSource } from './dataset-price-source.js';
import {
  costBreakdown,
  defaultPriceTable,
  hasPricing,
  registerPricing,
  useDatasetPrices,
} from './default-price-table.js';
import type { PriceSource } from './price-source.js';
import { resetUnpricedWarnings } from './price-table.js';

const usage = { inputTokens: 1_000, outputTokens: 500 };

describe('createPriceTable', () => {
  it('resolves user registrations, then extra sources, then the dataset, then zero', () => {
    const internal: PriceSource = {
      name: 'internal',
      lookup: (model) =>
        model === 'our-llm'
          ? {
              pricing: {
                inputPerMillion: 1,
                outputPerMillion: 1,
                cacheReadPerMillion: 0,
                cacheWritePerMillion: 0,
              },
              matchedModel: 'our-llm',
            }
          : undefined,
    };
    const onUnpriced = vi.fn();
    const table = createPriceTable({ sources: [internal], onUnpriced });
    expect(table.sourceNames).toEqual(['user', 'internal', datasetPriceSource.name]);
    expect(table.costBreakdown('gpt-4o', usage)).toMatchObject({
      total: 0.0075,
      source: datasetPriceSource.name,
    });
    table.register('gpt-4o', { inputPerMillion: 1, outputPerMillion: 1 });
    expect(table.costBreakdown('gpt-4o-2024-08-06', usage)).toMatchObject({
      total: 0.0015,
      source: 'user',
      matchedModel: 'gpt-4o',
    });
    expect(table.costBreakdown('our-llm', usage).source).toBe('internal');
    expect(table.costBreakdown('nobody-sells-this', usage)).toMatchObject({ total: 0, source: 'unpriced' });
    expect(onUnpriced).toHaveBeenCalledWith('nobody-sells-this');
  });

  it('{ dataset: false } prices only what is registered', () => {
    const table = createPriceTable({ dataset: false, onUnpriced: () => {} });
    expect(table.sourceNames).toEqual(['user']);
    expect(table.costBreakdown('gpt-4o', usage)).toMatchObject({ total: 0, source: 'unpriced' });
  });

  it('takes another source in the dataset slot, and rejects anything else', () => {
    const other: PriceSource = { name: 'other', lookup: () => undefined };
    expect(createPriceTable({ dataset: other }).sourceNames).toEqual(['user', 'other']);
    expect(() => createPriceTable({ dataset: 'yes' as never })).toThrow(ValidationError);
    expect(() => createPriceTable({ dataset: null as never })).toThrow(
      expect.objectContaining({ field: 'dataset' }),
    );
  });
});

describe('defaultPriceTable and the dataset', () => {
  afterEach(() => {
    useDatasetPrices(true);
    defaultPriceTable.clear();
    vi.restoreAllMocks();
    resetUnpricedWarnings();
  });

  it('has real prices out of the box', () => {
    expect(defaultPriceTable.size).toBe(0);
    expect(hasPricing('claude-sonnet-4-5')).toBe(true);
    expect(costBreakdown('gpt-4o', usage)).toMatchObject({ total: 0.0075, source: datasetPriceSource.name });
  });

  it('useDatasetPrices(false) turns the dataset off, true turns it back on (idempotently)', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    registerPricing('our-llm', { inputPerMillion: 1, outputPerMillion: 1 });
    useDatasetPrices(false);
    useDatasetPrices(false);
    expect(defaultPriceTable.sourceNames).toEqual(['user']);
    expect(costBreakdown('gpt-4o', usage)).toMatchObject({ total: 0, source: 'unpriced' });
    expect(costBreakdown('our-llm', usage).source).toBe('user');
    expect(emit).toHaveBeenCalledTimes(1);
    useDatasetPrices(true);
    useDatasetPrices(true);
    expect(defaultPriceTable.sourceNames).toEqual(['user', datasetPriceSource.name]);
    expect(costBreakdown('gpt-4o', usage).source).toBe(datasetPriceSource.name);
    expect(() => useDatasetPrices('no' as never)).toThrow(expect.objectContaining({ field: 'enabled' }));
  });
});
