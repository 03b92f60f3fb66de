import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  costBreakdown,
  costOf,
  defaultPriceTable,
  hasPricing,
  loadPricingFromFile,
  registerPricing,
  resolvePricing,
} from './default-price-table.js';
import { PriceTable } from './price-table.js';

describe('defaultPriceTable and the free functions', () => {
  afterEach(() => defaultPriceTable.clear());

  it('is a PriceTable that starts empty', () => {
    expect(defaultPriceTable).toBeInstanceOf(PriceTable);
    expect(defaultPriceTable.size).toBe(0);
  });

  it('register, has, resolve, costOf and costBreakdown act on it', () => {
    registerPricing('Model-A', {
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheWritePerMillion: 3.75,
      cacheReadPerMillion: 0.3,
    });
    expect(defaultPriceTable.has('model-a')).toBe(true);
    expect(hasPricing('MODEL-A-20260514')).toBe(true);
    expect(resolvePricing('model-a-x').outputPerMillion).toBe(15);
    const usage = { inputTokens: 1000, outputTokens: 100, cacheWriteTokens: 2000, cacheReadTokens: 30000 };
    expect(costOf('MODEL-A-20260514', usage)).toBe(0.020999999999999998);
    expect(costBreakdown('model-a', usage)).toMatchObject({ source: 'user', matchedModel: 'Model-A' });
  });

  it('loadPricingFromFile loads into it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentrace-default-'));
    try {
      const path = join(dir, 'p.json');
      writeFileSync(
        path,
        JSON.stringify({ models: { 'gpt-x': { input_per_million: 1, output_per_million: 2 } } }),
      );
      expect(loadPricingFromFile(path)).toBe(1);
      expect(hasPricing('gpt-x-1')).toBe(true);
      expect(costOf('gpt-x', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('clear() resets it for the next test', () => {
    registerPricing('temp', { inputPerMillion: 1, outputPerMillion: 1 });
    defaultPriceTable.clear();
    expect(hasPricing('temp')).toBe(false);
  });
});
