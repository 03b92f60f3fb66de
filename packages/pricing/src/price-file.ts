import { describe } from './agentrace-error.js';
import { type PriceTierInit, type ResolvedPricing, validateModelPricing } from './model-pricing.js';
import { PricingFileError } from './pricing-file-error.js';

/** The price file schemas `loadPricingFromFile` reads, told apart by their shape. */
export const PriceFileFormat = {
  /** agentrace's (and the reference's) schema: `{"models": {name: {input_per_million, …}}}`. */
  AGENTRACE: 'agentrace',
  /** LiteLLM's `model_prices_and_context_window.json`: `{name: {input_cost_per_token, …}}`, USD per token. */
  LITELLM: 'litellm',
} as const;

/** One of {@link PriceFileFormat}'s values. */
export type PriceFileFormat = (typeof PriceFileFormat)[keyof typeof PriceFileFormat];

/** A parsed price file: its schema and the prices it gives, by model name. */
export interface ParsedPriceFile {
  /** Which schema the file was in. */
  readonly format: PriceFileFormat;
  /** Validated prices, in file order. */
  readonly entries: readonly (readonly [string, ResolvedPricing])[];
  /** LiteLLM entries left out because they have no token prices (image, audio-second, rerank models). */
  readonly skipped: number;
}

const AGENTRACE_FIELDS = [
  ['input_per_million', 'inputPerMillion', true],
  ['output_per_million', 'outputPerMillion', true],
  ['cache_write_per_million', 'cacheWritePerMillion', false],
  ['cache_read_per_million', 'cacheReadPerMillion', false],
] as const;

// LiteLLM keys (USD per token) → agentrace prices. `input_cost_per_token_cache_hit` is DeepSeek's spelling
// of a cache read.
const LITELLM_FIELDS = {
  input_cost_per_token: 'inputPerMillion',
  output_cost_per_token: 'outputPerMillion',
  cache_read_input_token_cost: 'cacheReadPerMillion',
  input_cost_per_token_cache_hit: 'cacheReadPerMillion',
  cache_creation_input_token_cost: 'cacheWritePerMillion',
  cache_creation_input_token_cost_above_1hr: 'cacheWrite1hPerMillion',
} as const;

type PriceKind = (typeof LITELLM_FIELDS)[keyof typeof LITELLM_FIELDS];

// `input_cost_per_token_above_200k_tokens`: the price once the prompt is over 200 000 tokens.
const LITELLM_TIER_KEY =
  /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost|cache_creation_input_token_cost_above_1hr)_above_(\d+)k_tokens$/;

// LiteLLM's first entry documents the schema with descriptive strings instead of prices.
const LITELLM_SAMPLE_ENTRY = 'sample_spec';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLiteLlmEntry(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  return 'litellm_provider' in value || Object.keys(value).some((k) => k in LITELLM_FIELDS);
}

/**
 * Parses a price file already read as JSON, detecting its schema by shape: a top-level `models` object is
 * agentrace's schema; an object of model entries with LiteLLM keys (`input_cost_per_token`,
 * `litellm_provider`, …) is LiteLLM's. All or nothing: any bad value fails the whole file.
 *
 * @param file - how errors name the origin (a path, a URL, `'<object>'`).
 * @throws {PricingFileError} naming the file and the offending key.
 */
export function parsePriceFile(obj: unknown, file: string): ParsedPriceFile {
  const fail = (key: string | undefined, reason: string) => new PricingFileError({ file, key, reason });
  if (!isPlainObject(obj)) throw fail(undefined, `must be a JSON object, got ${describe(obj)}`);
  if ('models' in obj)
    return { format: PriceFileFormat.AGENTRACE, entries: parseAgentrace(obj.models, fail), skipped: 0 };
  if (Object.values(obj).some(isLiteLlmEntry)) return parseLiteLlm(obj, fail);
  throw fail(
    'models',
    'is missing (and the file is not a LiteLLM price table: no entry has input_cost_per_token or litellm_provider)',
  );
}

type Fail = (key: string | undefined, reason: string) => PricingFileError;

function parseAgentrace(models: unknown, fail: Fail): [string, ResolvedPricing][] {
  if (!isPlainObject(models)) {
    throw fail('models', `must be an object mapping model names to prices, got ${describe(models)}`);
  }
  const parsed: [string, ResolvedPricing][] = [];
  for (const [name, entry] of Object.entries(models)) {
    const at = `models.${name}`;
    if (name.length === 0) throw fail(at, 'is an empty model name');
    if (!isPlainObject(entry)) {
      throw fail(
        at,
        `must be an object with input_per_million and output_per_million, got ${describe(entry)}`,
      );
    }
    const prices: Record<string, number> = {};
    for (const [fileKey, member, required] of AGENTRACE_FIELDS) {
      const value = entry[fileKey];
      if (value === undefined) {
        if (required) throw fail(`${at}.${fileKey}`, 'is missing');
        continue;
      }
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw fail(`${at}.${fileKey}`, `must be a non-negative finite number, got ${describe(value)}`);
      }
      prices[member] = value;
    }
    parsed.push([name, validateModelPricing(prices)]);
  }
  return parsed;
}

/** USD per token → USD per million, without the binary noise of the product (2.5e-6 × 1e6 is 2.5, not 2.4999…). */
function perMillion(perToken: number): number {
  return Number((perToken * 1e6).toPrecision(12));
}

function parseLiteLlm(obj: Record<string, unknown>, fail: Fail): ParsedPriceFile {
  const entries: [string, ResolvedPricing][] = [];
  let skipped = 0;
  for (const [name, entry] of Object.entries(obj)) {
    if (name === LITELLM_SAMPLE_ENTRY) continue;
    if (name.length === 0) throw fail(name, 'is an empty model name');
    if (!isPlainObject(entry)) throw fail(name, `must be an object of prices, got ${describe(entry)}`);
    const base: Partial<Record<PriceKind, number>> = {};
    const tiers = new Map<number, Partial<Record<PriceKind, number>>>();
    for (const [key, value] of Object.entries(entry)) {
      const tierMatch = LITELLM_TIER_KEY.exec(key);
      const kind = tierMatch ? LITELLM_FIELDS[tierMatch[1] as keyof typeof LITELLM_FIELDS] : undefined;
      const baseKind = key in LITELLM_FIELDS ? LITELLM_FIELDS[key as keyof typeof LITELLM_FIELDS] : undefined;
      // LiteLLM writes null for "no such price", as its own loader reads it.
      if ((kind === undefined && baseKind === undefined) || value === null) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw fail(
          `${name}.${key}`,
          `must be a non-negative finite number (USD per token), got ${describe(value)}`,
        );
      }
      if (baseKind !== undefined) {
        base[baseKind] = perMillion(value);
      } else if (tierMatch && kind !== undefined) {
        const threshold = Number(tierMatch[2]) * 1000;
        const tier = tiers.get(threshold) ?? {};
        tier[kind] = perMillion(value);
        tiers.set(threshold, tier);
      }
    }
    if (base.inputPerMillion === undefined && base.outputPerMillion === undefined) {
      skipped += 1;
      continue;
    }
    entries.push([name, toPricing(base, tiers)]);
  }
  return { format: PriceFileFormat.LITELLM, entries, skipped };
}

/**
 * LiteLLM bills cache tokens that have no price of their own as plain input, so a missing cache price
 * is the input price (in each tier too), not 0.
 */
function toPricing(
  base: Partial<Record<PriceKind, number>>,
  tiers: Map<number, Partial<Record<PriceKind, number>>>,
): ResolvedPricing {
  const input = base.inputPerMillion ?? 0;
  const tierList: PriceTierInit[] = [];
  let tierInput = input;
  for (const threshold of [...tiers.keys()].sort((a, b) => a - b)) {
    const t = tiers.get(threshold) as Partial<Record<PriceKind, number>>;
    tierInput = t.inputPerMillion ?? tierInput;
    tierList.push({
      aboveInputTokens: threshold,
      ...t,
      ...(base.cacheReadPerMillion === undefined &&
        t.cacheReadPerMillion === undefined && { cacheReadPerMillion: tierInput }),
      ...(base.cacheWritePerMillion === undefined &&
        t.cacheWritePerMillion === undefined && { cacheWritePerMillion: tierInput }),
    });
  }
  return validateModelPricing({
    inputPerMillion: input,
    outputPerMillion: base.outputPerMillion ?? 0,
    cacheReadPerMillion: base.cacheReadPerMillion ?? input,
    cacheWritePerMillion: base.cacheWritePerMillion ?? input,
    ...(base.cacheWrite1hPerMillion !== undefined && { cacheWrite1hPerMillion: base.cacheWrite1hPerMillion }),
    ...(tierList.length > 0 && { tiers: tierList }),
  });
}
