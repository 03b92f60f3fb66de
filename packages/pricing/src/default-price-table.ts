import type { ModelPricing, ResolvedPricing, TokenUsage } from './model-pricing.js';
import type { PriceQuery } from './price-source.js';
import { type CostBreakdown, PriceTable } from './price-table.js';

/**
 * The shared price table behind {@link registerPricing} and the other free functions, and the default
 * of every `UsageTracker` and session that is not given its own. It starts empty. Tests can undo their
 * registrations with `defaultPriceTable.clear()`.
 */
export const defaultPriceTable: PriceTable = new PriceTable();

/**
 * Registers the prices of `model` (case-insensitive; also prices models it is a prefix of) on
 * {@link defaultPriceTable}.
 *
 * @throws {ValidationError} when `model` is empty or a price is negative, not finite or not a number.
 * @example
 * ```ts
 * registerPricing('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
 * ```
 */
export function registerPricing(model: string, pricing: ModelPricing): void {
  defaultPriceTable.register(model, pricing);
}

/**
 * Loads a JSON price file in the reference schema into {@link defaultPriceTable}; see `PriceTable.loadFile`.
 *
 * @returns how many models were registered.
 * @throws {PricingFileError} naming the file and the offending key; nothing is registered then.
 */
export function loadPricingFromFile(path: string | URL): number {
  return defaultPriceTable.loadFile(path);
}

/**
 * Whether {@link defaultPriceTable} prices `model` (exactly or by prefix).
 *
 * @throws {ValidationError} when `model` is not a string.
 */
export function hasPricing(model: string, query?: PriceQuery): boolean {
  return defaultPriceTable.has(model, query);
}

/**
 * The prices of `model` in {@link defaultPriceTable}: exact, then longest prefix, then zero.
 *
 * @throws {ValidationError} when `model` is not a string.
 */
export function resolvePricing(model: string, query?: PriceQuery): ResolvedPricing {
  return defaultPriceTable.resolve(model, query);
}

/**
 * The cost in USD of `usage` on `model`, priced by {@link defaultPriceTable}.
 *
 * @throws {ValidationError} when a token count is not a non-negative safe integer.
 * @example
 * ```ts
 * costOf('gpt-4o', { inputTokens: 1000, outputTokens: 200 });
 * ```
 */
export function costOf(model: string, usage: TokenUsage, query?: PriceQuery): number {
  return defaultPriceTable.costOf(model, usage, query);
}

/**
 * The cost in USD of `usage` on `model` by token kind, priced by {@link defaultPriceTable}.
 *
 * @throws {ValidationError} when a token count is not a non-negative safe integer.
 */
export function costBreakdown(model: string, usage: TokenUsage, query?: PriceQuery): CostBreakdown {
  return defaultPriceTable.costBreakdown(model, usage, query);
}
