import { ValidationError } from './agentrace-error.js';
import { createPriceTable } from './create-price-table.js';
import { datasetPriceSource } from './dataset-price-source.js';
import type { ModelPricing, ResolvedPricing, TokenUsage } from './model-pricing.js';
import type { PriceQuery } from './price-source.js';
import type { CostBreakdown, PriceTable } from './price-table.js';

/**
 * The shared price table behind {@link registerPricing} and the other free functions, and the default
 * of every `UsageTracker` and session that is not given its own. It starts with no user registrations and
 * with the price dataset behind them (see `createPriceTable`); {@link useDatasetPrices} turns the dataset
 * off and on. Tests can undo their registrations with `defaultPriceTable.clear()`.
 */
export const defaultPriceTable: PriceTable = createPriceTable();

/**
 * Turns the price dataset off (`false`: only registered prices count, everything else is unpriced) or back
 * on (`true`) in {@link defaultPriceTable}. Tables made with `createPriceTable` take `{ dataset: false }`.
 *
 * @throws {ValidationError} when `enabled` is not a boolean.
 * @example
 * ```ts
 * useDatasetPrices(false);
 * loadPricingFromFile('./our-negotiated-prices.json');
 * ```
 */
export function useDatasetPrices(enabled: boolean): void {
  if (typeof enabled !== 'boolean') {
    throw new ValidationError({ field: 'enabled', value: enabled, expected: 'a boolean' });
  }
  const on = defaultPriceTable.sources.includes(datasetPriceSource);
  if (enabled && !on) defaultPriceTable.addSource(datasetPriceSource);
  if (!enabled && on) defaultPriceTable.removeSource(datasetPriceSource);
}

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
 * Loads a JSON price file (agentrace's schema or LiteLLM's `model_prices_and_context_window.json`) into
 * {@link defaultPriceTable}; see `PriceTable.loadFile`.
 *
 * @returns how many models were registered.
 * @throws {PricingFileError} naming the file and the offending key; nothing is registered then.
 */
export function loadPricingFromFile(path: string | URL): number {
  return defaultPriceTable.loadFile(path);
}

/**
 * Whether {@link defaultPriceTable} prices `model` (a registration, exactly or by prefix, or the dataset).
 *
 * @throws {ValidationError} when `model` is not a string.
 */
export function hasPricing(model: string, query?: PriceQuery): boolean {
  return defaultPriceTable.has(model, query);
}

/**
 * The prices of `model` in {@link defaultPriceTable}: registrations (exact, then longest prefix), then the
 * dataset, then zero.
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
 * The cost in USD of `usage` on `model` by token kind, with the price's source, priced by
 * {@link defaultPriceTable}. `query.at` prices a past turn at the prices of its day.
 *
 * @throws {ValidationError} when a token count is not a non-negative safe integer.
 * @example
 * ```ts
 * costBreakdown('o3', { inputTokens: 1_000_000, outputTokens: 1_000_000 }, { at: new Date('2025-05-01') });
 * // { input: 10, output: 40, cacheWrite: 0, cacheRead: 0, total: 50, source: 'dataset@0.1.8', matchedModel: 'openai:o3' }
 * ```
 */
export function costBreakdown(model: string, usage: TokenUsage, query?: PriceQuery): CostBreakdown {
  return defaultPriceTable.costBreakdown(model, usage, query);
}
