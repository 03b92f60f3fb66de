import { ValidationError } from './agentrace-error.js';

/**
 * Prices of one model in USD per million tokens. The cache prices default to 0 (a provider without
 * prompt caching, or one that does not bill it separately).
 *
 * @example
 * ```ts
 * const sonnet: ModelPricing = {
 *   inputPerMillion: 3,
 *   outputPerMillion: 15,
 *   cacheWritePerMillion: 3.75,
 *   cacheReadPerMillion: 0.3,
 * };
 * ```
 */
export interface ModelPricing {
  /** USD per million plain (uncached) input tokens. */
  readonly inputPerMillion: number;
  /** USD per million output tokens. */
  readonly outputPerMillion: number;
  /** USD per million tokens written to the prompt cache (default 0). */
  readonly cacheWritePerMillion?: number;
  /** USD per million tokens read from the prompt cache (default 0). */
  readonly cacheReadPerMillion?: number;
}

/** A validated {@link ModelPricing} with every price present; what price resolution returns. */
export type ResolvedPricing = Readonly<Required<ModelPricing>>;

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
  /** Tokens written to the prompt cache (default 0). */
  readonly cacheWriteTokens?: number;
  /** Tokens read from the prompt cache (default 0). */
  readonly cacheReadTokens?: number;
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

function price(value: unknown, field: string, optional: boolean): number {
  if (value === undefined && optional) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError({ field, value, expected: PRICE_EXPECTED });
  }
  return value;
}

/**
 * Validates a {@link ModelPricing} and returns a frozen copy with the cache prices filled in.
 *
 * @param fieldPrefix - prepended to field names in errors (e.g. `'pricing.'`).
 * @throws {ValidationError} when `pricing` is not an object or a price is negative, NaN, infinite or not a
 *   number; `field` names the price (`inputPerMillion`, …).
 * @example
 * ```ts
 * validateModelPricing({ inputPerMillion: 3, outputPerMillion: 15 });
 * // { inputPerMillion: 3, outputPerMillion: 15, cacheWritePerMillion: 0, cacheReadPerMillion: 0 }
 * ```
 */
export function validateModelPricing(pricing: unknown, fieldPrefix = ''): ResolvedPricing {
  if (typeof pricing !== 'object' || pricing === null || Array.isArray(pricing)) {
    throw new ValidationError({
      field: fieldPrefix ? fieldPrefix.replace(/\.$/, '') : 'pricing',
      value: pricing,
      expected: 'a ModelPricing object',
    });
  }
  const p = pricing as Record<string, unknown>;
  return Object.freeze({
    inputPerMillion: price(p.inputPerMillion, `${fieldPrefix}inputPerMillion`, false),
    outputPerMillion: price(p.outputPerMillion, `${fieldPrefix}outputPerMillion`, false),
    cacheWritePerMillion: price(p.cacheWritePerMillion, `${fieldPrefix}cacheWritePerMillion`, true),
    cacheReadPerMillion: price(p.cacheReadPerMillion, `${fieldPrefix}cacheReadPerMillion`, true),
  });
}

function count(value: unknown, field: string, optional: boolean): number {
  if (value === undefined && optional) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError({ field, value, expected: COUNT_EXPECTED });
  }
  return value;
}

/**
 * Reads the four token counts of a {@link TokenUsage}, checking each one; missing cache counts are 0.
 *
 * @throws {ValidationError} when `usage` is not an object or a count is not a non-negative safe integer;
 *   `field` names the count (`usage.inputTokens`, …).
 */
export function readTokenUsage(usage: unknown): Required<TokenUsage> {
  if (typeof usage !== 'object' || usage === null) {
    throw new ValidationError({ field: 'usage', value: usage, expected: 'a TokenUsage object' });
  }
  const u = usage as Record<string, unknown>;
  return {
    inputTokens: count(u.inputTokens, 'usage.inputTokens', false),
    outputTokens: count(u.outputTokens, 'usage.outputTokens', false),
    cacheWriteTokens: count(u.cacheWriteTokens, 'usage.cacheWriteTokens', true),
    cacheReadTokens: count(u.cacheReadTokens, 'usage.cacheReadTokens', true),
  };
}
