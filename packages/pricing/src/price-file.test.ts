import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PriceFileFormat, parsePriceFile } from './price-file.js';
import { PriceTable } from './price-table.js';
import { PricingFileError } from './pricing-file-error.js';

// An excerpt in the shape of LiteLLM's model_prices_and_context_window.json: the documenting sample_spec
// first, token-priced chat models, a per-image model, nulls, and keys agentrace does not use.
const LITELLM = {
  sample_spec: {
    input_cost_per_token: 0.0,
    litellm_provider: 'one of https://docs.litellm.ai/docs/providers',
    max_tokens: 'LEGACY parameter. set to max_output_tokens if provider specifies it.',
    mode: 'one of: chat, embedding, completion, image_generation',
    output_cost_per_token: 0.0,
  },
  'claude-sonnet-4-5': {
    litellm_provider: 'anthropic',
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    cache_read_input_token_cost: 3e-7,
    cache_creation_input_token_cost: 3.75e-6,
    cache_creation_input_token_cost_above_1hr: 6e-6,
    input_cost_per_token_above_200k_tokens: 6e-6,
    output_cost_per_token_above_200k_tokens: 2.25e-5,
    cache_read_input_token_cost_above_200k_tokens: 6e-7,
    cache_creation_input_token_cost_above_200k_tokens: 7.5e-6,
    cache_creation_input_token_cost_above_1hr_above_200k_tokens: 1.2e-5,
    max_input_tokens: 200000,
    mode: 'chat',
    supports_prompt_caching: true,
  },
  'gpt-4o': {
    litellm_provider: 'openai',
    input_cost_per_token: 2.5e-6,
    output_cost_per_token: 1e-5,
    cache_read_input_token_cost: 1.25e-6,
    input_cost_per_token_batches: 1.25e-6,
    search_context_cost_per_query: { search_context_size_low: 0.03 },
    mode: 'chat',
  },
  'deepseek/deepseek-chat': {
    litellm_provider: 'deepseek',
    input_cost_per_token: 2.7e-7,
    input_cost_per_token_cache_hit: 7e-8,
    output_cost_per_token: 1.1e-6,
    cache_creation_input_token_cost: null,
  },
  'text-embedding-3-small': { litellm_provider: 'openai', input_cost_per_token: 2e-8, mode: 'embedding' },
  '1024-x-1024/dall-e-2': {
    litellm_provider: 'openai',
    input_cost_per_pixel: 1.9e-8,
    output_cost_per_pixel: 0.0,
    mode: 'image_generation',
  },
};

const tmp = mkdtempSync(join(tmpdir(), 'agentrace-litellm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function write(content: unknown): string {
  const path = join(tmp, `model_prices_and_context_window-${++n}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 4));
  return path;
}

function thrown(fn: () => unknown): PricingFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PricingFileError) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

describe('LiteLLM model_prices_and_context_window.json', () => {
  it('is detected by shape and converted from USD per token to USD per million', () => {
    const parsed = parsePriceFile(LITELLM, 'x.json');
    expect(parsed.format).toBe(PriceFileFormat.LITELLM);
    expect(parsed.skipped).toBe(1); // the per-pixel image model
    expect(parsed.entries.map(([name]) => name)).toEqual([
      'claude-sonnet-4-5',
      'gpt-4o',
      'deepseek/deepseek-chat',
      'text-embedding-3-small',
    ]);
    const byName = Object.fromEntries(parsed.entries);
    expect(byName['gpt-4o']).toEqual({
      inputPerMillion: 2.5,
      outputPerMillion: 10,
      cacheReadPerMillion: 1.25,
      // LiteLLM bills cache writes without a price of their own as input
      cacheWritePerMillion: 2.5,
    });
    expect(byName['deepseek/deepseek-chat']).toMatchObject({
      inputPerMillion: 0.27,
      cacheReadPerMillion: 0.07,
    });
    expect(byName['text-embedding-3-small']).toMatchObject({ inputPerMillion: 0.02, outputPerMillion: 0 });
  });

  it('keeps 1-hour cache writes and the above-200k tier, all tokens priced at the tier once over it', () => {
    const table = new PriceTable();
    expect(table.loadFile(write(LITELLM))).toBe(4);
    expect(table.resolve('claude-sonnet-4-5-20250929')).toEqual({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheReadPerMillion: 0.3,
      cacheWritePerMillion: 3.75,
      cacheWrite1hPerMillion: 6,
      tiers: [
        {
          aboveInputTokens: 200_000,
          inputPerMillion: 6,
          outputPerMillion: 22.5,
          cacheReadPerMillion: 0.6,
          cacheWritePerMillion: 7.5,
          cacheWrite1hPerMillion: 12,
        },
      ],
    });
    // the figures hold with LiteLLM's table too
    expect(table.costOf('claude-sonnet-4-5', { inputTokens: 250_000, outputTokens: 1_000 })).toBeCloseTo(
      1.5225,
      12,
    );
    expect(
      table.costOf('claude-sonnet-4-5', {
        inputTokens: 40_000,
        cacheReadTokens: 50_000,
        cacheWriteTokens: 10_000,
        outputTokens: 1_000,
      }),
    ).toBeCloseTo(0.1875, 12);
    expect(table.costOf('gpt-4o', { inputTokens: 1_000, outputTokens: 500 })).toBeCloseTo(0.0075, 12);
    expect(table.resolveWithSource('gpt-4o-2024-08-06')).toMatchObject({
      source: 'user',
      matchedModel: 'gpt-4o',
    });
  });

  it('fills a tier cache price from the tier input price when the model has no cache price', () => {
    const [[, pricing] = []] = parsePriceFile(
      {
        m: {
          input_cost_per_token: 1e-6,
          output_cost_per_token: 2e-6,
          input_cost_per_token_above_128k_tokens: 2e-6,
        },
      },
      'x',
    ).entries;
    expect(pricing?.tiers).toEqual([
      {
        aboveInputTokens: 128_000,
        inputPerMillion: 2,
        outputPerMillion: 2,
        cacheReadPerMillion: 2,
        cacheWritePerMillion: 2,
        cacheWrite1hPerMillion: 2,
      },
    ]);
  });

  it.each([
    [
      'a string price',
      { m: { input_cost_per_token: '3e-6' } },
      'm.input_cost_per_token',
      /USD per token\), got "3e-6"/,
    ],
    [
      'a negative price',
      { m: { input_cost_per_token: 1e-6, output_cost_per_token: -1 } },
      'm.output_cost_per_token',
      /got -1/,
    ],
    [
      'a bad tier price',
      { m: { input_cost_per_token: 1e-6, input_cost_per_token_above_200k_tokens: true } },
      'm.input_cost_per_token_above_200k_tokens',
      /got true/,
    ],
    [
      'an entry that is not an object',
      { m: { litellm_provider: 'openai' }, n: 3 },
      'n',
      /must be an object of prices/,
    ],
    ['an empty model name', { '': { input_cost_per_token: 1e-6 } }, '', /empty model name/],
  ])('rejects %s, naming the file and key, registering nothing', (_what, content, key, reason) => {
    const path = write({
      'good-one': { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 },
      ...content,
    });
    const table = new PriceTable();
    const err = thrown(() => table.loadFile(path));
    expect(err).toMatchObject({ name: 'PricingFileError', file: path, key });
    expect(err.reason).toMatch(reason);
    expect(err.message).toContain(path);
    expect(table.size).toBe(0);
  });

  it('an object that is neither schema is reported as missing models', () => {
    const err = thrown(() => parsePriceFile({ prices: { m: { cost: 1 } } }, 'p.json'));
    expect(err).toMatchObject({ file: 'p.json', key: 'models' });
    expect(err.reason).toMatch(/is missing.*not a LiteLLM price table/);
  });

  it('the agentrace schema wins when the file has a models key', () => {
    expect(parsePriceFile({ models: {} }, 'p.json')).toEqual({
      format: PriceFileFormat.AGENTRACE,
      entries: [],
      skipped: 0,
    });
  });
});
