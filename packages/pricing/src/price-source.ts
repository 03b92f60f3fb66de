import type { ResolvedPricing } from './model-pricing.js';

/**
 * What a price lookup may take into account besides the model name. The user's registrations ignore both;
 * the dataset uses `provider` to tell apart a model name that two providers sell at different prices, and
 * `at` to pick the price in force then (prices change; a record from last spring is costed at last
 * spring's price).
 */
export interface PriceQuery {
  /**
   * The provider, as `gen_ai.provider.name` writes it (`'openai'`, `'aws.bedrock'`, `'gcp.vertex_ai'`) or
   * as the dataset names it (`'aws'`, `'google'`). A hint: a provider the dataset does not know, or that
   * does not list the model, falls back to matching by model name.
   */
  readonly provider?: string;
  /** When the usage happened; defaults to now (the table's wall clock). */
  readonly at?: Date;
}

/** A price found by a {@link PriceSource}. */
export interface PriceMatch {
  /** The prices (for a time-dependent match: the prices at the time of the lookup). */
  readonly pricing: ResolvedPricing;
  /** The name that matched, as the source spells it (the model itself, a prefix of it, `provider:model`). */
  readonly matchedModel: string;
  /**
   * For prices that change over time (a price cut on a date, off-peak hours): the prices in force at `at`.
   * The table keeps the match and asks this for every costing, instead of asking the source again.
   */
  readonly pricingAt?: (at: Date) => ResolvedPricing;
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
  /** Name reported as a cost breakdown's `source` (`'user'`, `'dataset@0.1.8'`). */
  readonly name: string;
  /**
   * Grows whenever the source's answers or name change (a live update). A table that sees a new revision
   * forgets what it cached. Sources whose answers never change leave it out.
   */
  readonly revision?: number;
  /**
   * The price of `model` (already lower-cased), or undefined when this source does not know it. Asked once
   * per distinct model and provider: the table caches the answer (until `revision` changes), so prices
   * that depend on the date go through {@link PriceMatch.pricingAt}, not through `query.at`.
   */
  lookup(model: string, query: Pick<PriceQuery, 'provider'>): PriceMatch | undefined;
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
