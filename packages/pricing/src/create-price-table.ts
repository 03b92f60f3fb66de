import { ValidationError } from './agentrace-error.js';
import { datasetPriceSource } from './dataset-price-source.js';
import type { PriceSource } from './price-source.js';
import { PriceTable, type PriceTableOptions } from './price-table.js';

/** Options of {@link createPriceTable}. */
export interface CreatePriceTableOptions extends PriceTableOptions {
  /**
   * The price dataset, asked after the user's registrations and after `sources`: `true` (default) for the
   * process-wide `datasetPriceSource`, `false` for none, or another source to use in its place.
   */
  readonly dataset?: boolean | PriceSource;
}

/**
 * A price table with real prices out of the box: the user's registrations first, then `sources`, then the
 * price dataset (`@pydantic/genai-prices`), then zero with a one-time warning.
 *
 * @throws {ValidationError} when `dataset` is neither a boolean nor a PriceSource, or like `new PriceTable`.
 * @example
 * ```ts
 * const prices = createPriceTable();
 * prices.costOf('gpt-4o', { inputTokens: 1000, outputTokens: 500 }); // 0.0075, source 'dataset@0.1.8'
 * const offline = createPriceTable({ dataset: false }); // only what you register
 * ```
 */
export function createPriceTable(options: CreatePriceTableOptions = {}): PriceTable {
  const { dataset = true, ...rest } = options;
  if (typeof dataset !== 'boolean' && (typeof dataset !== 'object' || dataset === null)) {
    throw new ValidationError({ field: 'dataset', value: dataset, expected: 'a boolean or a PriceSource' });
  }
  const chosen = dataset === true ? datasetPriceSource : dataset === false ? undefined : dataset;
  return new PriceTable({ ...rest, sources: [...(rest.sources ?? []), ...(chosen ? [chosen] : [])] });
}
