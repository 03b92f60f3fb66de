import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from './agentrace-error.js';
import {
  type ModelPricing,
  pricesForPrompt,
  type ResolvedPricing,
  readTokenUsage,
  type TokenUsage,
  validateModelPricing,
  ZERO_PRICING,
} from './model-pricing.js';
import { parsePriceFile } from './price-file.js';
import type { PriceQuery, PriceSource } from './price-source.js';
import { StaticPriceSource } from './price-source.js';
import { PricingFileError } from './pricing-file-error.js';

/** Source name of the user's own registrations (`register`, `loadFile`, `loadObject`). */
export const USER_PRICE_SOURCE = 'user';
/** Source name reported for a model that no source prices (it costs 0). */
export const UNPRICED_SOURCE = 'unpriced';
/** Code of the process warning emitted the first time an unpriced model is costed. */
export const UNPRICED_WARNING_CODE = 'AGENTRACE_UNPRICED_MODEL';

/** How a model's price was found. */
export interface PriceResolution {
  /** The prices (all zero when unpriced). */
  readonly pricing: ResolvedPricing;
  /** `'user'`, a dataset's name such as `'dataset@2026-05-01'`, or `'unpriced'`. */
  readonly source: string;
  /** The registered name that matched (the model or a prefix of it); undefined when unpriced. */
  readonly matchedModel?: string;
}

/** The cost of one usage record in USD, by token kind. `total` is their sum. */
export interface CostBreakdown {
  /** Plain input tokens. */
  readonly input: number;
  /** Output tokens. */
  readonly output: number;
  /** Tokens written to the prompt cache (5-minute and 1-hour writes together). */
  readonly cacheWrite: number;
  /** Tokens read from the prompt cache. */
  readonly cacheRead: number;
  /** The whole cost. */
  readonly total: number;
  /** Where the price came from: `'user'`, `'dataset@<version>'` or `'unpriced'`. */
  readonly source: string;
  /** The registered name that matched; undefined when unpriced. */
  readonly matchedModel?: string;
  /** When a long-context tier applied: its threshold (the prompt had more tokens than this). */
  readonly tierAboveInputTokens?: number;
}

/** Options of a {@link PriceTable}. */
export interface PriceTableOptions {
  /** Sources asked after the user's registrations, in order (e.g. the price dataset). */
  readonly sources?: readonly PriceSource[];
  /**
   * Wall clock in epoch milliseconds: "now" for prices that change over time when a lookup gives no `at`
   * (default `Date.now`).
   */
  readonly wallClock?: () => number;
  /**
   * Called the first time this table costs a model it cannot price. By default a process warning
   * (code `AGENTRACE_UNPRICED_MODEL`) is emitted once per model per process, whichever table saw it.
   */
  readonly onUnpriced?: (model: string) => void;
}

// Resolutions are cached per distinct (model, provider); bounded so that user-controlled model names
// cannot grow the cache without limit.
const MAX_CACHED_RESOLUTIONS = 4096;
// Warn-once bookkeeping is bounded for the same reason; past it, further unpriced models go unreported.
const MAX_WARNED_MODELS = 1000;

const processWarned = new Set<string>();

function warnUnpricedOnce(model: string): void {
  const key = model.toLowerCase();
  if (processWarned.has(key) || processWarned.size >= MAX_WARNED_MODELS) return;
  processWarned.add(key);
  process.emitWarning(`agentrace: no pricing for model "${model}"; its usage is costed at $0`, {
    type: 'AgentraceWarning',
    code: UNPRICED_WARNING_CODE,
    detail:
      'Neither your registrations nor the price dataset know it. Register its prices with ' +
      'registerPricing(model, pricing) or loadPricingFromFile(path).',
  });
}

/**
 * Forgets which unpriced models were already warned about in this process, so tests can observe the
 * warning again.
 */
export function resetUnpricedWarnings(): void {
  processWarned.clear();
}

/** A cached answer of the resolution chain for one model and provider. */
interface CachedResolution {
  readonly resolution: PriceResolution;
  readonly pricingAt: ((at: Date) => ResolvedPricing) | undefined;
}

function checkQuery(query: unknown): asserts query is PriceQuery {
  if (typeof query !== 'object' || query === null) {
    throw new ValidationError({
      field: 'query',
      value: query,
      expected: 'a PriceQuery object ({ provider?, at? })',
    });
  }
  const { provider, at } = query as Record<string, unknown>;
  if (provider !== undefined && typeof provider !== 'string') {
    throw new ValidationError({
      field: 'query.provider',
      value: provider,
      expected: 'a provider name (string)',
    });
  }
  if (at !== undefined && !(at instanceof Date && !Number.isNaN(at.getTime()))) {
    throw new ValidationError({ field: 'query.at', value: at, expected: 'a valid Date' });
  }
}

function checkModelName(model: unknown): asserts model is string {
  if (typeof model !== 'string') {
    throw new ValidationError({ field: 'model', value: model, expected: 'a model name (string)' });
  }
}

/**
 * Model prices and the cost of usage records.
 *
 * Resolution is an ordered chain: the user's registrations, then each added source (such as the price
 * dataset). The user's registrations match the exact model name (case-insensitive) and then the longest
 * registered name the model starts with, so `claude-sonnet-4` prices `claude-sonnet-4-20250514`; a source
 * matches by its own rules. A model no link knows is unpriced: it costs 0 and is warned about once.
 * Resolutions are cached per model and provider, so a lookup does not scan anything twice; registering,
 * adding or removing a source, or a source's live update clears the cache.
 *
 * `new PriceTable()` starts empty, with no sources (the reference's behaviour); `createPriceTable()` adds
 * the price dataset, and `defaultPriceTable` is such a table shared by `registerPricing` & co.
 *
 * @example
 * ```ts
 * const prices = new PriceTable();
 * prices.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
 * prices.costOf('gpt-4o-2024-08-06', { inputTokens: 1000, outputTokens: 200 }); // 0.0045
 * ```
 */
export class PriceTable {
  readonly #user = new StaticPriceSource(USER_PRICE_SOURCE);
  readonly #sources: PriceSource[];
  readonly #cache = new Map<string, CachedResolution>();
  #last: { model: string; provider: string | undefined; cached: CachedResolution } | undefined;
  readonly #onUnpriced: ((model: string) => void) | undefined;
  readonly #wallClock: () => number;
  readonly #warned = new Set<string>();
  #seenRevision = 0;

  /**
   * @throws {ValidationError} when a source has no `name` or `lookup`, or `onUnpriced` or `wallClock` is not
   *   a function.
   */
  constructor(options: PriceTableOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError({ field: 'options', value: options, expected: 'an options object' });
    }
    for (const field of ['onUnpriced', 'wallClock'] as const) {
      if (options[field] !== undefined && typeof options[field] !== 'function') {
        throw new ValidationError({ field, value: options[field], expected: 'a function' });
      }
    }
    this.#onUnpriced = options.onUnpriced;
    this.#wallClock = options.wallClock ?? Date.now;
    this.#sources = [];
    for (const source of options.sources ?? []) this.addSource(source);
  }

  /** Number of models the user registered (sources not included). */
  get size(): number {
    return this.#user.size;
  }

  /** Names of the resolution chain, in the order they are asked (`'user'` first). */
  get sourceNames(): readonly string[] {
    return [USER_PRICE_SOURCE, ...this.#sources.map((s) => s.name)];
  }

  /** The sources asked after the user's registrations, in order. */
  get sources(): readonly PriceSource[] {
    return [...this.#sources];
  }

  /**
   * Registers (or replaces) the prices of `model`, matched case-insensitively, and as a prefix of longer
   * model names (dated or suffixed variants).
   *
   * @throws {ValidationError} when `model` is not a non-empty string (`field: 'model'`) or a price is
   *   negative, not finite or not a number (`field` names it, e.g. `outputPerMillion`).
   * @example
   * ```ts
   * prices.register('claude-sonnet-4', { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3 });
   * ```
   */
  register(model: string, pricing: ModelPricing): this {
    checkModelName(model);
    // An empty name would be a prefix of every model and silently price all of them.
    if (model.length === 0) {
      throw new ValidationError({ field: 'model', value: model, expected: 'a non-empty model name' });
    }
    this.#user.set(model, validateModelPricing(pricing));
    this.#clearCache();
    return this;
  }

  /**
   * Appends a source to the resolution chain, after the user's registrations and earlier sources.
   *
   * @throws {ValidationError} when `source` has no string `name` or no `lookup` function.
   */
  addSource(source: PriceSource): this {
    if (
      !isPlainObjectLike(source) ||
      typeof source.name !== 'string' ||
      typeof source.lookup !== 'function'
    ) {
      throw new ValidationError({
        field: 'source',
        value: source,
        expected: 'a PriceSource ({ name: string, lookup(model, query) })',
      });
    }
    this.#sources.push(source);
    this.#clearCache();
    return this;
  }

  /**
   * Takes a source out of the resolution chain, e.g. the price dataset:
   * `defaultPriceTable.removeSource(datasetPriceSource)`.
   *
   * @returns whether the source was in the chain.
   */
  removeSource(source: PriceSource): boolean {
    const i = this.#sources.indexOf(source);
    if (i < 0) return false;
    this.#sources.splice(i, 1);
    this.#clearCache();
    return true;
  }

  /** Forgets the user's registrations (sources added with `addSource` stay). */
  clear(): void {
    this.#user.clear();
    this.#clearCache();
  }

  /**
   * Loads prices from a JSON file, in either schema (told apart by shape):
   * - agentrace's (the reference's): `{"models": {name: {input_per_million, output_per_million,
   *   cache_write_per_million?, cache_read_per_million?}}}`, USD per million tokens, cache prices default 0;
   * - LiteLLM's `model_prices_and_context_window.json`: `{name: {input_cost_per_token, output_cost_per_token,
   *   cache_read_input_token_cost?, cache_creation_input_token_cost?, cache_creation_input_token_cost_above_1hr?,
   *   …_above_200k_tokens?}}`, USD per token. Entries without token prices (images, audio seconds) are
   *   skipped; a missing cache price is the input price, as LiteLLM bills it.
   *
   * All or nothing: a bad file registers none of its models. Unknown keys are ignored. The models are
   * user registrations (exact name, then longest prefix).
   *
   * @returns how many models were registered.
   * @throws {PricingFileError} when the file cannot be read, is not JSON or breaks the schema; `file` and
   *   `key` (e.g. `models.gpt-x.output_per_million`, `gpt-x.input_cost_per_token`) name the problem.
   * @example
   * ```ts
   * prices.loadFile('./prices.json'); // 3
   * prices.loadFile('./model_prices_and_context_window.json'); // 1900
   * ```
   */
  loadFile(path: string | URL): number {
    const file = path instanceof URL ? fileURLToPath(path) : path;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PricingFileError({ file, reason: `cannot be read (${errorText(err)})` }, { cause: err });
    }
    let parsed: unknown;
    try {
      // Editors on Windows like to save a byte-order mark, which JSON.parse rejects.
      parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      throw new PricingFileError({ file, reason: `is not valid JSON (${errorText(err)})` }, { cause: err });
    }
    return this.loadObject(parsed, file);
  }

  /**
   * Loads prices from an already-parsed object in either file schema (see {@link PriceTable.loadFile}).
   *
   * @param source - how errors name the origin (a file path, a URL); `'<object>'` by default.
   * @returns how many models were registered.
   * @throws {PricingFileError} when the object breaks the schema; nothing is registered then.
   */
  loadObject(obj: unknown, source = '<object>'): number {
    const { entries } = parsePriceFile(obj, source);
    for (const [name, pricing] of entries) this.#user.set(name, pricing);
    this.#clearCache();
    return entries.length;
  }

  /**
   * Whether `model` has a price: a match in any link of the chain.
   *
   * @throws {ValidationError} when `model` is not a string or `query` is malformed.
   */
  has(model: string, query?: PriceQuery): boolean {
    return this.resolveWithSource(model, query).source !== UNPRICED_SOURCE;
  }

  /**
   * The prices of `model` along the chain (at `query.at`, now by default); zero prices when unpriced.
   *
   * @throws {ValidationError} when `model` is not a string or `query` is malformed.
   */
  resolve(model: string, query?: PriceQuery): ResolvedPricing {
    return this.resolveWithSource(model, query).pricing;
  }

  /**
   * Like {@link PriceTable.resolve}, and says which source priced the model and under which name.
   *
   * @throws {ValidationError} when `model` is not a string, `query.provider` not a string or `query.at` not
   *   a valid Date.
   * @example
   * ```ts
   * prices.resolveWithSource('gpt-4o-2024-08-06'); // { pricing, source: 'user', matchedModel: 'gpt-4o' }
   * ```
   */
  resolveWithSource(model: string, query: PriceQuery = {}): PriceResolution {
    checkModelName(model);
    checkQuery(query);
    this.#dropCacheOnNewRevision();
    // A session prices the same model turn after turn: the last resolution is kept apart so that the common
    // case builds no lower-cased name and no cache key.
    const last = this.#last;
    let cached: CachedResolution | undefined;
    if (last !== undefined && last.model === model && last.provider === query.provider) {
      cached = last.cached;
    } else {
      cached = this.#cachedResolution(model, query.provider);
      this.#last = { model, provider: query.provider, cached };
    }
    if (cached.pricingAt === undefined) return cached.resolution;
    const pricing = cached.pricingAt(query.at ?? new Date(this.#wallClock()));
    return Object.freeze({ ...cached.resolution, pricing });
  }

  #cachedResolution(model: string, provider: string | undefined): CachedResolution {
    const key = model.toLowerCase();
    const cacheKey = `${provider ?? ''}\u0000${key}`;
    let cached = this.#cache.get(cacheKey);
    if (cached === undefined) {
      cached = this.#lookup(key, provider);
      if (this.#cache.size >= MAX_CACHED_RESOLUTIONS) {
        // Map iterates in insertion order: drop the oldest entry.
        this.#cache.delete(this.#cache.keys().next().value as string);
      }
      this.#cache.set(cacheKey, cached);
    }
    return cached;
  }

  #clearCache(): void {
    this.#cache.clear();
    this.#last = undefined;
  }

  #dropCacheOnNewRevision(): void {
    // Revisions only grow, so their sum changes whenever any source's does.
    let revision = 0;
    for (const source of this.#sources) revision += source.revision ?? 0;
    if (revision !== this.#seenRevision) {
      this.#clearCache();
      this.#seenRevision = revision;
    }
  }

  #lookup(key: string, provider: string | undefined): CachedResolution {
    const mine = this.#user.lookup(key);
    if (mine)
      return { resolution: Object.freeze({ ...mine, source: USER_PRICE_SOURCE }), pricingAt: undefined };
    const query = provider === undefined ? {} : { provider };
    for (const source of this.#sources) {
      const match = source.lookup(key, query);
      if (match) {
        return {
          resolution: Object.freeze({
            pricing: match.pricing,
            matchedModel: match.matchedModel,
            source: source.name,
          }),
          pricingAt: match.pricingAt,
        };
      }
    }
    return {
      resolution: Object.freeze({ pricing: ZERO_PRICING, source: UNPRICED_SOURCE }),
      pricingAt: undefined,
    };
  }

  /**
   * The cost in USD of `usage` on `model`. An unpriced model costs 0 and is warned about once.
   *
   * @throws {ValidationError} when `model` is not a string, a token count is not a non-negative safe
   *   integer (`field`, e.g. `usage.inputTokens`) or `query` is malformed.
   * @example
   * ```ts
   * prices.costOf('gpt-4o', { inputTokens: 1000, outputTokens: 200 }); // 0.0045
   * ```
   */
  costOf(model: string, usage: TokenUsage, query?: PriceQuery): number {
    return this.costBreakdown(model, usage, query).total;
  }

  /**
   * The cost in USD of `usage` on `model`, by token kind, with the source of the price. A long-context
   * tier applies to all tokens of a kind once the whole prompt (plain input + cache read + cache write
   * tokens) is above its threshold; 1-hour cache writes (`cacheWrite1hTokens`, part of `cacheWriteTokens`)
   * cost the 1-hour write price.
   *
   * @throws {ValidationError} like {@link PriceTable.costOf}.
   * @example
   * ```ts
   * prices.costBreakdown('gpt-4o', { inputTokens: 1000, outputTokens: 200 });
   * // { input: 0.0025, output: 0.002, cacheWrite: 0, cacheRead: 0, total: 0.0045, source: 'user', matchedModel: 'gpt-4o' }
   * ```
   */
  costBreakdown(model: string, usage: TokenUsage, query?: PriceQuery): CostBreakdown {
    const counts = readTokenUsage(usage);
    const { pricing, source, matchedModel } = this.resolveWithSource(model, query);
    if (source === UNPRICED_SOURCE) this.#reportUnpriced(model);
    const prompt = counts.inputTokens + counts.cacheReadTokens + counts.cacheWriteTokens;
    const prices = pricesForPrompt(pricing, prompt);
    // tokens × price / 1e6 per kind, summed in this order: the reference's arithmetic, bit for bit (a turn
    // without 1-hour writes adds an exact 0).
    const input = (counts.inputTokens * prices.inputPerMillion) / 1e6;
    const output = (counts.outputTokens * prices.outputPerMillion) / 1e6;
    const cacheWrite =
      ((counts.cacheWriteTokens - counts.cacheWrite1hTokens) * prices.cacheWritePerMillion) / 1e6 +
      (counts.cacheWrite1hTokens * prices.cacheWrite1hPerMillion) / 1e6;
    const cacheRead = (counts.cacheReadTokens * prices.cacheReadPerMillion) / 1e6;
    const total = input + output + cacheWrite + cacheRead;
    const tier = 'aboveInputTokens' in prices ? (prices.aboveInputTokens as number) : undefined;
    const breakdown: { -readonly [K in keyof CostBreakdown]: CostBreakdown[K] } = {
      input,
      output,
      cacheWrite,
      cacheRead,
      total,
      source,
    };
    if (matchedModel !== undefined) breakdown.matchedModel = matchedModel;
    if (tier !== undefined) breakdown.tierAboveInputTokens = tier;
    return breakdown;
  }

  #reportUnpriced(model: string): void {
    if (this.#onUnpriced === undefined) {
      warnUnpricedOnce(model);
      return;
    }
    const key = model.toLowerCase();
    if (this.#warned.has(key) || this.#warned.size >= MAX_WARNED_MODELS) return;
    this.#warned.add(key);
    try {
      this.#onUnpriced(model);
    } catch (err) {
      // A broken hook must not turn costing a turn into a failure; surface it where warnings go.
      process.emitWarning(`agentrace: the onUnpriced hook threw: ${errorText(err)}`, {
        type: 'AgentraceWarning',
        code: 'AGENTRACE_HOOK_FAILED',
      });
    }
  }
}

function isPlainObjectLike(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
