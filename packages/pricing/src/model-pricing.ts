import { ValidationError } from './agentrace-error.js';

/**
 * Prices of a long-context tier, in USD per million tokens: they replace the base prices for ALL tokens
 * of a kind once the turn's whole prompt (plain input + cache read + cache write tokens) is larger than
 * `aboveInputTokens`, as Anthropic and Google bill prompts over 200 000 tokens. A price left out is the
 * one of the tier below (or the base price).
 *
 * @example
 * ```ts
 * const over200k: PriceTierInit = { aboveInputTokens: 200_000, inputPerMillion: 6, outputPerMillion: 22.5 };
 * ```
 */
export interface PriceTierInit {
  /** The tier applies when the prompt has strictly more tokens than this. */
  readonly aboveInputTokens: number;
  /** USD per million plain input tokens in this tier. */
  readonly inputPerMillion?: number;
  /** USD per million output tokens in this tier. */
  readonly outputPerMillion?: number;
  /** USD per million cache-write tokens (5-minute writes, or every write without a 1-hour price). */
  readonly cacheWritePerMillion?: number;
  /** USD per million cache-read tokens in this tier. */
  readonly cacheReadPerMillion?: number;
  /** USD per million 1-hour cache-write tokens in this tier. */
  readonly cacheWrite1hPerMillion?: number;
}

/** A validated {@link PriceTierInit}: every price present. */
export interface PriceTier {
  /** The tier applies when the prompt has strictly more tokens than this. */
  readonly aboveInputTokens: number;
  /** USD per million plain input tokens. */
  readonly inputPerMillion: number;
  /** USD per million output tokens. */
  readonly outputPerMillion: number;
  /** USD per million cache-write tokens (5-minute writes). */
  readonly cacheWritePerMillion: number;
  /** USD per million cache-read tokens. */
  readonly cacheReadPerMillion: number;
  /** USD per million 1-hour cache-write tokens. */
  readonly cacheWrite1hPerMillion: number;
}

/**
 * Prices of one model in USD per million tokens. The cache prices default to 0 (a provider without
 * prompt caching, or one that does not bill it separately); 1-hour cache writes default to the
 * cache-write price.
 *
 * @example
 * ```ts
 * const sonnet: ModelPricing = {
 *   inputPerMillion: 3,
 *   outputPerMillion: 15,
 *   cacheWritePerMillion: 3.75,
 *   cacheWrite1hPerMillion: 6,
 *   cacheReadPerMillion: 0.3,
 *   tiers: [{ aboveInputTokens: 200_000, inputPerMillion: 6, outputPerMillion: 22.5 }],
 * };
 * ```
 */
export interface ModelPricing {
  /** USD per million plain (uncached) input tokens. */
  readonly inputPerMillion: number;
  /** USD per million output tokens. */
  readonly outputPerMillion: number;
  /** USD per million tokens written to the prompt cache (default 0); 5-minute writes when 1-hour ones differ. */
  readonly cacheWritePerMillion?: number;
  /** USD per million tokens read from the prompt cache (default 0). */
  readonly cacheReadPerMillion?: number;
  /** USD per million tokens written to the cache with a 1-hour lifetime (default: `cacheWritePerMillion`). */
  readonly cacheWrite1hPerMillion?: number;
  /** Long-context tiers, see {@link PriceTierInit}. */
  readonly tiers?: readonly PriceTierInit[];
}

/**
 * A validated {@link ModelPricing}: the four base prices always present, and the 1-hour write price and
 * the tiers only when the model has them. What price resolution returns.
 */
export interface ResolvedPricing {
  /** USD per million plain input tokens. */
  readonly inputPerMillion: number;
  /** USD per million output tokens. */
  readonly outputPerMillion: number;
  /** USD per million cache-write tokens. */
  readonly cacheWritePerMillion: number;
  /** USD per million cache-read tokens. */
  readonly cacheReadPerMillion: number;
  /** USD per million 1-hour cache-write tokens; absent means `cacheWritePerMillion`. */
  readonly cacheWrite1hPerMillion?: number;
  /** Long-context tiers, ascending by threshold, each with every price filled in. */
  readonly tiers?: readonly PriceTier[];
}

/**
 * Token counts of one model call, as priced. Plain input EXCLUDES cache tokens (as in the reference):
 * a call that read 30 000 tokens from the cache and sent 1 000 new ones has `inputTokens: 1000,
 * cacheReadTokens: 30000`. Any object with these fields is priced (core's `UsageSnapshot` is one).
 */
export interface TokenUsage {
  /** Plain input tokens, cache tokens excluded. */
  readonly inputTokens: number;
  /** Output tokens. */
  readonly outputTokens: number;
  /** Tokens written to the prompt cache, whatever their lifetime (default 0). */
  readonly cacheWriteTokens?: number;
  /** Tokens read from the prompt cache (default 0). */
  readonly cacheReadTokens?: number;
  /**
   * Of `cacheWriteTokens`, how many were written with a 1-hour lifetime (default 0). Anthropic reports
   * them as `cache_creation.ephemeral_1h_input_tokens`; they are part of `cache_creation_input_tokens`.
   */
  readonly cacheWrite1hTokens?: number;
}

/** The pricing of a model nobody priced: everything costs 0. */
export const ZERO_PRICING: ResolvedPricing = Object.freeze({
  inputPerMillion: 0,
  outputPerMillion: 0,
  cacheWritePerMillion: 0,
  cacheReadPerMillion: 0,
});

const PRICE_EXPECTED = 'a non-negative finite number (USD per million tokens)';
const COUNT_EXPECTED = 'a non-negative safe integer';

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function price(value: unknown, field: string, fallback: number | undefined): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!isPrice(value)) throw new ValidationError({ field, value, expected: PRICE_EXPECTED });
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateTiers(
  value: unknown,
  fieldPrefix: string,
  base: PriceTier,
  separate1h: boolean,
): PriceTier[] {
  const field = `${fieldPrefix}tiers`;
  if (!Array.isArray(value)) {
    throw new ValidationError({ field, value, expected: 'an array of price tiers' });
  }
  const checked = value.map((tier: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(tier))
      throw new ValidationError({ field: at, value: tier, expected: 'a price tier object' });
    const threshold = tier.aboveInputTokens;
    if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 0) {
      throw new ValidationError({
        field: `${at}.aboveInputTokens`,
        value: threshold,
        expected: COUNT_EXPECTED,
      });
    }
    return { tier, at, threshold };
  });
  checked.sort((a, b) => a.threshold - b.threshold);
  const tiers: PriceTier[] = [];
  let below = base;
  for (const { tier, at, threshold } of checked) {
    if (threshold === below.aboveInputTokens && tiers.length > 0) {
      throw new ValidationError({
        field: `${at}.aboveInputTokens`,
        value: threshold,
        expected: 'a threshold no other tier has',
      });
    }
    const writes = price(tier.cacheWritePerMillion, `${at}.cacheWritePerMillion`, below.cacheWritePerMillion);
    below = Object.freeze({
      aboveInputTokens: threshold,
      inputPerMillion: price(tier.inputPerMillion, `${at}.inputPerMillion`, below.inputPerMillion),
      outputPerMillion: price(tier.outputPerMillion, `${at}.outputPerMillion`, below.outputPerMillion),
      cacheWritePerMillion: writes,
      cacheReadPerMillion: price(
        tier.cacheReadPerMillion,
        `${at}.cacheReadPerMillion`,
        below.cacheReadPerMillion,
      ),
      // Without any 1-hour price, 1-hour writes cost what every other write costs in this tier.
      cacheWrite1hPerMillion: separate1h
        ? price(tier.cacheWrite1hPerMillion, `${at}.cacheWrite1hPerMillion`, below.cacheWrite1hPerMillion)
        : writes,
    });
    tiers.push(below);
  }
  return tiers;
}

/**
 * Validates a {@link ModelPricing} and returns a frozen copy with the cache prices filled in. The 1-hour
 * write price and the tiers appear in the result only when given.
 *
 * @param fieldPrefix - prepended to field names in errors (e.g. `'pricing.'`).
 * @throws {ValidationError} when `pricing` is not an object, a price is negative, NaN, infinite or not a
 *   number, or a tier is malformed; `field` names it (`inputPerMillion`, `tiers[0].aboveInputTokens`, …).
 * @example
 * ```ts
 * validateModelPricing({ inputPerMillion: 3, outputPerMillion: 15 });
 * // { inputPerMillion: 3, outputPerMillion: 15, cacheWritePerMillion: 0, cacheReadPerMillion: 0 }
 * ```
 */
export function validateModelPricing(pricing: unknown, fieldPrefix = ''): ResolvedPricing {
  if (!isObject(pricing)) {
    throw new ValidationError({
      field: fieldPrefix ? fieldPrefix.replace(/\.$/, '') : 'pricing',
      value: pricing,
      expected: 'a ModelPricing object',
    });
  }
  const p = pricing;
  const cacheWritePerMillion = price(p.cacheWritePerMillion, `${fieldPrefix}cacheWritePerMillion`, 0);
  const base = {
    inputPerMillion: price(p.inputPerMillion, `${fieldPrefix}inputPerMillion`, undefined),
    outputPerMillion: price(p.outputPerMillion, `${fieldPrefix}outputPerMillion`, undefined),
    cacheWritePerMillion,
    cacheReadPerMillion: price(p.cacheReadPerMillion, `${fieldPrefix}cacheReadPerMillion`, 0),
  };
  const cacheWrite1hPerMillion =
    p.cacheWrite1hPerMillion === undefined
      ? undefined
      : price(p.cacheWrite1hPerMillion, `${fieldPrefix}cacheWrite1hPerMillion`, undefined);
  const tiers =
    p.tiers === undefined
      ? undefined
      : validateTiers(
          p.tiers,
          fieldPrefix,
          {
            ...base,
            aboveInputTokens: 0,
            cacheWrite1hPerMillion: cacheWrite1hPerMillion ?? cacheWritePerMillion,
          },
          cacheWrite1hPerMillion !== undefined ||
            (Array.isArray(p.tiers) &&
              p.tiers.some((t) => isObject(t) && t.cacheWrite1hPerMillion !== undefined)),
        );
  return Object.freeze({
    ...base,
    ...(cacheWrite1hPerMillion !== undefined && { cacheWrite1hPerMillion }),
    ...(tiers !== undefined && tiers.length > 0 && { tiers: Object.freeze(tiers) }),
  });
}

/** The five prices in force for one turn, see {@link pricesForPrompt}. */
export type EffectivePrices = Omit<PriceTier, 'aboveInputTokens'>;

/**
 * The prices that apply to a turn whose prompt (plain input + cache read + cache write tokens) has
 * `promptTokens` tokens: the highest tier the prompt is strictly above, else the base prices.
 */
export function pricesForPrompt(pricing: ResolvedPricing, promptTokens: number): EffectivePrices {
  const tiers = pricing.tiers;
  if (tiers !== undefined) {
    for (let i = tiers.length - 1; i >= 0; i--) {
      const tier = tiers[i] as PriceTier;
      if (promptTokens > tier.aboveInputTokens) return tier;
    }
  }
  return {
    inputPerMillion: pricing.inputPerMillion,
    outputPerMillion: pricing.outputPerMillion,
    cacheWritePerMillion: pricing.cacheWritePerMillion,
    cacheReadPerMillion: pricing.cacheReadPerMillion,
    cacheWrite1hPerMillion: pricing.cacheWrite1hPerMillion ?? pricing.cacheWritePerMillion,
  };
}

function count(value: unknown, field: string, optional: boolean): number {
  if (value === undefined && optional) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError({ field, value, expected: COUNT_EXPECTED });
  }
  return value;
}

/**
 * Reads the token counts of a {@link TokenUsage}, checking each one; missing cache counts are 0.
 *
 * @throws {ValidationError} when `usage` is not an object, a count is not a non-negative safe integer, or
 *   `cacheWrite1hTokens` is more than `cacheWriteTokens`; `field` names the count (`usage.inputTokens`, …).
 */
export function readTokenUsage(usage: unknown): Required<TokenUsage> {
  if (typeof usage !== 'object' || usage === null) {
    throw new ValidationError({ field: 'usage', value: usage, expected: 'a TokenUsage object' });
  }
  const u = usage as Record<string, unknown>;
  const cacheWriteTokens = count(u.cacheWriteTokens, 'usage.cacheWriteTokens', true);
  const cacheWrite1hTokens = count(u.cacheWrite1hTokens, 'usage.cacheWrite1hTokens', true);
  if (cacheWrite1hTokens > cacheWriteTokens) {
    throw new ValidationError({
      field: 'usage.cacheWrite1hTokens',
      value: cacheWrite1hTokens,
      expected: `at most usage.cacheWriteTokens (${cacheWriteTokens}): 1-hour writes are part of the cache writes`,
    });
  }
  return {
    inputTokens: count(u.inputTokens, 'usage.inputTokens', false),
    outputTokens: count(u.outputTokens, 'usage.outputTokens', false),
    cacheWriteTokens,
    cacheReadTokens: count(u.cacheReadTokens, 'usage.cacheReadTokens', true),
    cacheWrite1hTokens,
  };
}
