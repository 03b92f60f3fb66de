import { createRequire } from 'node:module';
import type { ModelInfo, Provider } from '@pydantic/genai-prices';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ValidationError } from './agentrace-error.js';
import { createPriceTable } from './create-price-table.js';
import {
  type DatasetModule,
  DatasetPriceSource,
  datasetPriceSource,
  datasetProviderId,
  resetDatasetWarnings,
} from './dataset-price-source.js';
import { PriceTable } from './price-table.js';

// The same module instance the source loads (it requires the CommonJS build lazily).
const genai = createRequire(import.meta.url)('@pydantic/genai-prices') as DatasetModule;

/** The dataset version the figures were checked against. */
const CHECKED_VERSION = '0.1.8';

let providers: readonly Provider[];
beforeAll(async () => {
  providers = (await genai.waitForUpdate()) as Provider[];
});

/** The dataset's own entry for a model, to read its USD-per-million prices in the tests. */
function entry(providerId: string, modelId: string): ModelInfo {
  const model = providers.find((p) => p.id === providerId)?.models.find((m) => m.id === modelId);
  if (!model) throw new Error(`dataset has no ${providerId}:${modelId}`);
  return model;
}

function mtok(value: unknown): number {
  if (typeof value === 'number') return value;
  throw new Error(`expected a flat price, got ${JSON.stringify(value)}`);
}

function tiered(value: unknown): { base: number; tiers: { start: number; price: number }[] } {
  if (typeof value === 'object' && value !== null && 'base' in value) return value as never;
  throw new Error(`expected a tiered price, got ${JSON.stringify(value)}`);
}

const table = () => new PriceTable({ sources: [datasetPriceSource], onUnpriced: () => {} });

describe(`the issue's figures, computed from @pydantic/genai-prices ${CHECKED_VERSION}`, () => {
  it(`the installed dataset is ${CHECKED_VERSION} (a new version: re-check the figures below)`, () => {
    expect(datasetPriceSource.version).toBe(CHECKED_VERSION);
    expect(datasetPriceSource.name).toBe(`dataset@${CHECKED_VERSION}`);
  });

  it('gpt-4o, 1,000 in / 500 out = $0.0075', () => {
    const p = entry('openai', 'gpt-4o').prices as Record<string, unknown>;
    const expected = (1_000 * mtok(p.input_mtok) + 500 * mtok(p.output_mtok)) / 1e6;
    expect(expected).toBeCloseTo(0.0075, 12);
    const cost = table().costBreakdown('gpt-4o', { inputTokens: 1_000, outputTokens: 500 });
    expect(cost.total).toBeCloseTo(expected, 12);
    expect(cost).toMatchObject({ source: `dataset@${CHECKED_VERSION}`, matchedModel: 'openai:gpt-4o' });
  });

  it('claude-sonnet-4-5, 250,000 in / 1,000 out = $1.5225 (the >200k tier prices every token)', () => {
    const p = entry('anthropic', 'claude-sonnet-4-5').prices as Record<string, unknown>;
    const input = tiered(p.input_mtok);
    const output = tiered(p.output_mtok);
    expect(input.tiers[0]?.start).toBe(200_000);
    const expected = (250_000 * (input.tiers[0]?.price ?? 0) + 1_000 * (output.tiers[0]?.price ?? 0)) / 1e6;
    expect(expected).toBeCloseTo(1.5225, 12);
    const cost = table().costBreakdown('claude-sonnet-4-5', { inputTokens: 250_000, outputTokens: 1_000 });
    expect(cost.total).toBeCloseTo(expected, 12);
    expect(cost).toMatchObject({ input: 1.5, output: 0.0225, tierAboveInputTokens: 200_000 });
  });

  it('claude-sonnet-4-5, 40,000 plain + 50,000 cache read + 10,000 cache write (5 min), 1,000 out = $0.1875', () => {
    const p = entry('anthropic', 'claude-sonnet-4-5').prices as Record<string, unknown>;
    // 100,000 prompt tokens in all: under the tier, so base prices
    const expected =
      (40_000 * tiered(p.input_mtok).base +
        50_000 * tiered(p.cache_read_mtok).base +
        10_000 * tiered(p.cache_write_mtok).base +
        1_000 * tiered(p.output_mtok).base) /
      1e6;
    expect(expected).toBeCloseTo(0.1875, 12);
    const cost = table().costBreakdown('claude-sonnet-4-5', {
      inputTokens: 40_000,
      cacheReadTokens: 50_000,
      cacheWriteTokens: 10_000,
      outputTokens: 1_000,
    });
    expect(cost.total).toBeCloseTo(expected, 12);
    expect(cost.input).toBeCloseTo(0.12, 12);
    expect(cost.cacheRead).toBeCloseTo(0.015, 12);
    expect(cost.cacheWrite).toBeCloseTo(0.0375, 12);
    expect(cost.output).toBeCloseTo(0.015, 12);
    expect(cost.tierAboveInputTokens).toBeUndefined();
  });

  it('gemini-2.5-pro, 300,000 in / 1,000 out = $0.765 (tier)', () => {
    const p = entry('google', 'gemini-2.5-pro').prices as Record<string, unknown>;
    const expected =
      (300_000 * (tiered(p.input_mtok).tiers[0]?.price ?? 0) +
        1_000 * (tiered(p.output_mtok).tiers[0]?.price ?? 0)) /
      1e6;
    expect(expected).toBeCloseTo(0.765, 12);
    expect(table().costOf('gemini-2.5-pro', { inputTokens: 300_000, outputTokens: 1_000 })).toBeCloseTo(
      expected,
      12,
    );
  });

  it('o3, 1M in / 1M out = $10 today and $50 for a turn dated 2025-05-01 (before the June 2025 cut)', () => {
    const history = entry('openai', 'o3').prices as {
      constraint?: { start_date: string };
      prices: Record<string, unknown>;
    }[];
    const before = history[0]?.prices ?? {};
    const after = history[1]?.prices ?? {};
    expect(history[1]?.constraint?.start_date).toBe('2025-06-10');
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    const today = (1e6 * mtok(after.input_mtok) + 1e6 * mtok(after.output_mtok)) / 1e6;
    const then = (1e6 * mtok(before.input_mtok) + 1e6 * mtok(before.output_mtok)) / 1e6;
    expect([today, then]).toEqual([10, 50]);
    const prices = table();
    expect(prices.costOf('o3', usage)).toBe(today);
    expect(prices.costOf('o3', usage, { at: new Date('2025-05-01T12:00:00Z') })).toBe(then);
    expect(
      prices.costOf('o3-2025-04-16', usage, { at: new Date('2025-05-01T12:00:00Z'), provider: 'openai' }),
    ).toBe(then);
  });
});

describe('matching by the dataset rules', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    resetDatasetWarnings();
  });

  it('recognises dated, aliased and routed model names', () => {
    const prices = table();
    expect(prices.resolveWithSource('gpt-4o-2024-08-06').matchedModel).toBe('openai:gpt-4o');
    expect(prices.resolveWithSource('GPT-4o-mini-2024-07-18').matchedModel).toBe('openai:gpt-4o-mini');
    expect(prices.resolveWithSource('claude-sonnet-4-5-20250929').matchedModel).toBe(
      'anthropic:claude-sonnet-4-5',
    );
    expect(
      prices.resolveWithSource('anthropic/claude-sonnet-4.5', { provider: 'openrouter' }).matchedModel,
    ).toBe('openrouter:anthropic/claude-sonnet-4.5');
    expect(prices.has('definitely-not-a-model')).toBe(false);
  });

  it('maps gen_ai.provider.name values onto dataset providers', () => {
    expect(datasetProviderId('gcp.vertex_ai')).toBe('google');
    expect(datasetProviderId('AWS.Bedrock')).toBe('aws');
    expect(datasetProviderId('azure.ai.openai')).toBe('azure');
    expect(datasetProviderId('x_ai')).toBe('x-ai');
    expect(datasetProviderId('mistral_ai')).toBe('mistral');
    expect(datasetProviderId(' openai ')).toBe('openai');
    expect(datasetProviderId('')).toBeUndefined();
    expect(datasetProviderId(undefined)).toBeUndefined();
    expect(datasetProviderId('constructor')).toBe('constructor');
    const prices = table();
    expect(prices.resolveWithSource('gpt-4o', { provider: 'azure.ai.openai' }).matchedModel).toBe(
      'azure:gpt-4o',
    );
    expect(prices.resolveWithSource('gemini-2.5-pro', { provider: 'gcp.gemini' }).matchedModel).toBe(
      'google:gemini-2.5-pro',
    );
  });

  it('treats the provider as a hint: unknown, or not listing the model, falls back to the model name', () => {
    const prices = table();
    // the dataset does not know this provider at all
    expect(prices.resolveWithSource('gpt-4o', { provider: 'ibm.watsonx.ai' }).matchedModel).toBe(
      'openai:gpt-4o',
    );
    // Bedrock lists Claude under other names
    expect(prices.resolveWithSource('claude-sonnet-4-5', { provider: 'aws.bedrock' }).matchedModel).toBe(
      'anthropic:claude-sonnet-4-5',
    );
  });

  it('matches each distinct model and provider once, however many turns are costed', () => {
    const calcPrice = vi.fn(genai.calcPrice);
    const source = new DatasetPriceSource({
      load: () => ({ module: { ...genai, calcPrice }, version: 'x' }),
    });
    for (let i = 0; i < 50; i++) source.lookup('gpt-4o', {});
    for (let i = 0; i < 50; i++) source.lookup('gpt-4o', { provider: 'openai' });
    for (let i = 0; i < 50; i++) source.lookup('nope-model', {});
    expect(calcPrice).toHaveBeenCalledTimes(3);
    expect(source.name).toBe('dataset@x');
  });

  it('keeps its match cache bounded', () => {
    const calcPrice = vi.fn(() => null);
    const source = new DatasetPriceSource({
      load: () => ({ module: { ...genai, calcPrice }, version: 'x' }),
    });
    for (let i = 0; i < 4100; i++) source.lookup(`m-${i}`, {});
    source.lookup('m-4099', {});
    expect(calcPrice).toHaveBeenCalledTimes(4100);
    source.lookup('m-0', {});
    expect(calcPrice).toHaveBeenCalledTimes(4101);
  });

  it('a time-dependent match reports its prices per instant; a fixed one does not', () => {
    expect(datasetPriceSource.lookup('gpt-4o', {})?.pricingAt).toBeUndefined();
    const o3 = datasetPriceSource.lookup('o3', {});
    expect(o3?.pricing.inputPerMillion).toBe(2);
    expect(o3?.pricingAt?.(new Date('2025-01-01')).inputPerMillion).toBe(10);
    const deepseek = table();
    const offPeak = deepseek.resolve('deepseek-chat', { at: new Date('2025-05-01T18:00:00Z') });
    const peak = deepseek.resolve('deepseek-chat', { at: new Date('2025-05-01T10:00:00Z') });
    expect(offPeak.inputPerMillion).toBeLessThan(peak.inputPerMillion);
  });

  it('"now" comes from the wall clock', () => {
    const source = new DatasetPriceSource({
      load: () => ({ module: genai, version: 'x' }),
      wallClock: () => Date.parse('2025-01-01T00:00:00Z'),
    });
    expect(source.lookup('o3', {})?.pricing.inputPerMillion).toBe(10);
    const prices = new PriceTable({ sources: [source], wallClock: () => Date.parse('2025-01-01T00:00:00Z') });
    expect(prices.resolve('o3').inputPerMillion).toBe(10);
  });

  it('an unavailable dataset leaves models unpriced, warns once and never throws', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const load = vi.fn(() => {
      throw new Error('Cannot find module');
    });
    const source = new DatasetPriceSource({ load });
    expect(source.load()).toBe(false);
    expect(source.lookup('gpt-4o', {})).toBeUndefined();
    expect(source.version).toBe('unavailable');
    expect(source.name).toBe('dataset@unavailable');
    expect(source.revision).toBe(0);
    const prices = new PriceTable({ sources: [source], onUnpriced: () => {} });
    expect(prices.costBreakdown('gpt-4o', { inputTokens: 1, outputTokens: 1 })).toMatchObject({
      total: 0,
      source: 'unpriced',
    });
    expect(load).toHaveBeenCalledTimes(1);
    expect(emit).toHaveBeenCalledTimes(1);
    expect(emit).toHaveBeenCalledWith(
      expect.stringContaining('could not be loaded (Cannot find module)'),
      expect.objectContaining({ code: 'AGENTRACE_DATASET' }),
    );
  });

  it('a model the dataset fails on, or prices it writes unreadably, is unpriced with a warning', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const calcPrice: DatasetModule['calcPrice'] = (usage, model, options) => {
      if (model === 'broken') throw new Error('Missing ancestor price key');
      const real = genai.calcPrice(usage, 'gpt-4o', options);
      if (real === null || model !== 'odd') return real;
      return { ...real, model: { ...real.model, id: 'odd', prices: { input_mtok: -1 } } };
    };
    const source = new DatasetPriceSource({
      load: () => ({ module: { ...genai, calcPrice }, version: 'x' }),
    });
    expect(source.lookup('broken', {})).toBeUndefined();
    expect(source.lookup('odd', {})).toBeUndefined();
    expect(source.lookup('gpt-4o', {})?.matchedModel).toBe('openai:gpt-4o');
    expect(emit).toHaveBeenCalledWith(expect.stringContaining('failed on model "broken"'), expect.anything());
    expect(emit).toHaveBeenCalledWith(
      expect.stringContaining('openai:odd that agentrace cannot read'),
      expect.anything(),
    );
  });

  it('rejects bad options', () => {
    expect(() => new DatasetPriceSource({ load: 3 as never })).toThrow(ValidationError);
    expect(() => new DatasetPriceSource({ wallClock: 'now' as never })).toThrow(
      expect.objectContaining({ field: 'wallClock' }),
    );
  });

  it('load() brings the package in ahead of the first turn', () => {
    expect(datasetPriceSource.load()).toBe(true);
    expect(createPriceTable().sourceNames).toEqual(['user', `dataset@${CHECKED_VERSION}`]);
  });
});

/**
 * agentrace's usage excludes cache tokens from `inputTokens`; the dataset's `input_tokens` includes them.
 * For every model of the dataset, agentrace's cost of a usage must equal the dataset's own calcPrice of the
 * same usage mapped to its accounting.
 */
describe('token accounting: agentrace usage vs the dataset calcPrice, over the whole dataset', () => {
  const usages = [
    { inputTokens: 1_234, outputTokens: 567 },
    {
      inputTokens: 1_000,
      cacheReadTokens: 3_000,
      cacheWriteTokens: 2_000,
      cacheWrite1hTokens: 500,
      outputTokens: 100,
    },
    // 220k prompt tokens: over the 200k tiers only because cache tokens count toward the threshold
    { inputTokens: 150_000, cacheReadTokens: 60_000, cacheWriteTokens: 10_000, outputTokens: 2_000 },
    { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 5_000_000 },
    // exactly at common thresholds: a tier applies only strictly above its start
    { inputTokens: 150_000, cacheReadTokens: 50_000, outputTokens: 10 },
    { inputTokens: 128_000, outputTokens: 1 },
  ];
  const toDataset = (u: (typeof usages)[number]) => ({
    input_tokens: u.inputTokens + (u.cacheReadTokens ?? 0) + (u.cacheWriteTokens ?? 0),
    cache_read_tokens: u.cacheReadTokens ?? 0,
    cache_write_tokens: u.cacheWriteTokens ?? 0,
    cache_write_1h_tokens: u.cacheWrite1hTokens ?? 0,
    output_tokens: u.outputTokens,
  });
  const instants = [
    '2025-05-01T10:00:00Z',
    '2025-05-01T18:00:00Z',
    '2026-09-01T02:00:00Z',
    '2026-09-01T12:00:00Z',
  ];

  it('agrees on every model (except per-request fees agentrace does not count)', () => {
    const prices = table();
    let compared = 0;
    const perRequestFee: string[] = [];
    for (const provider of providers) {
      for (const model of provider.models) {
        const found = genai.calcPrice({}, model.id, { providerId: provider.id });
        if (found?.model !== model) continue; // this id is caught by an earlier model's rule
        const sets = Array.isArray(model.prices) ? model.prices.map((c) => c.prices) : [model.prices];
        if (sets.some((s) => s.requests_kcount !== undefined)) {
          perRequestFee.push(`${provider.id}:${model.id}`);
          continue;
        }
        for (const at of instants) {
          const timestamp = new Date(at);
          for (const usage of usages) {
            const theirs = genai.calcPrice(toDataset(usage), model.id, {
              providerId: provider.id,
              timestamp,
            });
            const ours = prices.costOf(model.id, usage, { provider: provider.id, at: timestamp });
            const tolerance = 1e-12 * Math.max(1, theirs?.total_price ?? 0);
            if (Math.abs(ours - (theirs?.total_price ?? Number.NaN)) > tolerance) {
              throw new Error(
                `${provider.id}:${model.id} at ${at} ${JSON.stringify(usage)}: ours ${ours}, dataset ${theirs?.total_price}`,
              );
            }
            compared += 1;
          }
        }
      }
    }
    expect(perRequestFee.sort()).toEqual([
      'perplexity:sonar',
      'perplexity:sonar-pro',
      'perplexity:sonar-reasoning',
      'perplexity:sonar-reasoning-pro',
    ]);
    // well over a thousand models, four usages, four instants
    expect(compared).toBeGreaterThan(1_000 * usages.length * instants.length);
  });
});
