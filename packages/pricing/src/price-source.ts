import type { ResolvedPricing } from './model-pricing.js';

/**
 * What a price lookup may take into account besides the model name. The user's registrations ignore both;
 * a dated dataset can use `at` to pick the price in force then, and `provider` to tell apart a model name
 * that two providers sell at different prices.
 */
export interface PriceQuery {
  /** The provider (`gen_ai.provider.name`, e.g. `'openai'`), when known. */
  readonly provider?: string;
  /** When the usage happened; defaults to now for sources that care. */
  readonly at?: Date;
}

/** A price found by a {@link PriceSource}. */
export interface PriceMatch {
  /** The prices. */
  readonly pricing: ResolvedPricing;
  /** The registered name that matched, as it was registered (the model itself, or a prefix of it). */
  readonly matchedModel: string;
}

/**
 * One link of a price table's resolution chain. A `PriceTable` asks the user's registrations first, then
 * each added source in order; the first match wins, and a model no source knows is unpriced.
 *
 * @example
 * ```ts
 * const fixed: PriceSource = {
 *   name: 'internal@2026-01',
 *   lookup: (model) =>
 *     model === 'our-llm' ? { pricing: { ...ZERO_PRICING, inputPerMillion: 1 }, matchedModel: 'our-llm' } : undefined,
 * };
 * table.addSource(fixed);
 * ```
 */
export interface PriceSource {
  /** Name reported as a cost breakdown's `source` (`'user'`, `'dataset@2026-05-01'`). */
  readonly name: string;
  /**
   * The price of `model` (already lower-cased), or undefined when this source does not know it.
   * Called once per distinct model and query: the table caches the answer, so a source must not change
   * its answers without the table being told (`PriceTable.addSource`/`register` clear the cache).
   */
  lookup(model: string, query: PriceQuery): PriceMatch | undefined;
}

interface Entry {
  readonly name: string;
  readonly pricing: ResolvedPricing;
}

/**
 * A {@link PriceSource} over a fixed set of model names, matched case-insensitively: the exact name first,
 * then the longest registered name that the model starts with (so `gpt-4o-mini` beats `gpt-4o` for
 * `gpt-4o-mini-2024-07-18`). A lookup costs at most one map probe per character of the model name, however
 * many models are registered.
 */
export class StaticPriceSource implements PriceSource {
  readonly name: string;
  readonly #entries = new Map<string, Entry>();
  // Only prefixes within these lengths can match, which bounds the probes of a long model name.
  #minLength = Number.POSITIVE_INFINITY;
  #maxLength = 0;

  /** @param name - the source name reported in breakdowns. */
  constructor(name: string) {
    this.name = name;
  }

  /** Number of registered names. */
  get size(): number {
    return this.#entries.size;
  }

  /** Registers (or replaces) the prices of `model`; `pricing` must already be validated. */
  set(model: string, pricing: ResolvedPricing): void {
    const key = model.toLowerCase();
    this.#entries.set(key, { name: model, pricing });
    this.#minLength = Math.min(this.#minLength, key.length);
    this.#maxLength = Math.max(this.#maxLength, key.length);
  }

  /** Whether `model` is registered under exactly that name (case-insensitive). */
  hasExact(model: string): boolean {
    return this.#entries.has(model.toLowerCase());
  }

  /** Forgets every registration. */
  clear(): void {
    this.#entries.clear();
    this.#minLength = Number.POSITIVE_INFINITY;
    this.#maxLength = 0;
  }

  /** {@inheritDoc PriceSource.lookup} */
  lookup(model: string): PriceMatch | undefined {
    const key = model.toLowerCase();
    const exact = this.#entries.get(key);
    if (exact) return { pricing: exact.pricing, matchedModel: exact.name };
    for (let len = Math.min(key.length - 1, this.#maxLength); len >= this.#minLength; len--) {
      const entry = this.#entries.get(key.slice(0, len));
      if (entry) return { pricing: entry.pricing, matchedModel: entry.name };
    }
    return undefined;
  }
}
