import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, ValidationError } from './agentrace-error.js';
import {
  type ModelPricing,
  type ResolvedPricing,
  readTokenUsage,
  type TokenUsage,
  validateModelPricing,
  ZERO_PRICING,
} from './model-pricing.js';
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
  /** Tokens written to the prompt cache. */
  readonly cacheWrite: number;
  /** Tokens read from the prompt cache. */
  readonly cacheRead: number;
  /** The whole cost. */
  readonly total: number;
  /** Where the price came from: `'user'`, `'dataset@<version>'` or `'unpriced'`. */
  readonly source: string;
  /** The registered name that matched; undefined when unpriced. */
  readonly matchedModel?: string;
}

/** Options of a {@link PriceTable}. */
export interface PriceTableOptions {
  /** Sources asked after the user's registrations, in order (e.g. a bundled dataset). */
  readonly sources?: readonly PriceSource[];
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
    detail: 'Register its prices with registerPricing(model, pricing) or loadPricingFromFile(path).',
  });
}

/**
 * Forgets which unpriced models were already warned about in this process, so tests can observe the
 * warning again.
 */
export function resetUnpricedWarnings(): void {
  processWarned.clear();
}

const FILE_PRICE_FIELDS = [
  ['input_per_million', 'inputPerMillion', true],
  ['output_per_million', 'outputPerMillion', true],
  ['cache_write_per_million', 'cacheWritePerMillion', false],
  ['cache_read_per_million', 'cacheReadPerMillion', false],
] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkModelName(model: unknown): asserts model is string {
  if (typeof model !== 'string') {
    throw new ValidationError({ field: 'model', value: model, expected: 'a model name (string)' });
  }
}

/**
 * Model prices and the cost of usage records.
 *
 * Resolution is an ordered chain: the user's registrations, then each added source (such as a bundled
 * dataset); within each, the exact model name (case-insensitive) and then the longest registered name the
 * model starts with, so `claude-sonnet-4` prices `claude-sonnet-4-20250514`. A model no source knows is
 * unpriced: it costs 0 and is warned about once. Resolutions are cached, so a lookup does not scan the
 * table; registering clears the cache.
 *
 * `new PriceTable()` starts empty; `defaultPriceTable` is the shared instance behind `registerPricing` & co.
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
  readonly #cache = new Map<string, PriceResolution>();
  readonly #onUnpriced: ((model: string) => void) | undefined;
  readonly #warned = new Set<string>();

  /**
   * @throws {ValidationError} when a source has no `name` or `lookup`, or `onUnpriced` is not a function.
   */
  constructor(options: PriceTableOptions = {}) {
    if (options.onUnpriced !== undefined && typeof options.onUnpriced !== 'function') {
      throw new ValidationError({ field: 'onUnpriced', value: options.onUnpriced, expected: 'a function' });
    }
    this.#onUnpriced = options.onUnpriced;
    this.#sources = [];
    for (const source of options.sources ?? []) this.addSource(source);
  }

  /** Number of models the user registered (bundled sources not included). */
  get size(): number {
    return this.#user.size;
  }

  /** Names of the resolution chain, in the order they are asked (`'user'` first). */
  get sourceNames(): readonly string[] {
    return [USER_PRICE_SOURCE, ...this.#sources.map((s) => s.name)];
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
    this.#cache.clear();
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
    this.#cache.clear();
    return this;
  }

  /** Forgets the user's registrations (sources added with `addSource` stay). */
  clear(): void {
    this.#user.clear();
    this.#cache.clear();
  }

  /**
   * Loads prices from a JSON file in the reference schema:
   * `{"models": {name: {input_per_million, output_per_million, cache_write_per_million?, cache_read_per_million?}}}`.
   * All or nothing: a bad file registers none of its models. Unknown keys are ignored.
   *
   * @returns how many models were registered.
   * @throws {PricingFileError} when the file cannot be read, is not JSON or breaks the schema; `file` and
   *   `key` (e.g. `models.gpt-x.output_per_million`) name the problem.
   * @example
   * ```ts
   * prices.loadFile('./prices.json'); // 3
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
   * Loads prices from an already-parsed object in the file schema (see {@link PriceTable.loadFile}).
   *
   * @param source - how errors name the origin (a file path, a URL); `'<object>'` by default.
   * @returns how many models were registered.
   * @throws {PricingFileError} when the object breaks the schema; nothing is registered then.
   */
  loadObject(obj: unknown, source = '<object>'): number {
    const fail = (key: string | undefined, reason: string) =>
      new PricingFileError({ file: source, key, reason });
    if (!isPlainObject(obj)) throw fail(undefined, `must be a JSON object, got ${describe(obj)}`);
    if (!('models' in obj)) throw fail('models', 'is missing');
    const models = obj.models;
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
      for (const [fileKey, member, required] of FILE_PRICE_FIELDS) {
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
    for (const [name, pricing] of parsed) this.#user.set(name, pricing);
    this.#cache.clear();
    return parsed.length;
  }

  /**
   * Whether `model` has a price: an exact or prefix match in any source.
   *
   * @throws {ValidationError} when `model` is not a string.
   */
  has(model: string, query?: PriceQuery): boolean {
    return this.resolveWithSource(model, query).source !== UNPRICED_SOURCE;
  }

  /**
   * The prices of `model`: exact name, then longest prefix, along the chain; zero prices when unpriced.
   *
   * @throws {ValidationError} when `model` is not a string.
   */
  resolve(model: string, query?: PriceQuery): ResolvedPricing {
    return this.resolveWithSource(model, query).pricing;
  }

  /**
   * Like {@link PriceTable.resolve}, and says which source priced the model and under which name.
   *
   * @throws {ValidationError} when `model` is not a string.
   * @example
   * ```ts
   * prices.resolveWithSource('gpt-4o-2024-08-06'); // { pricing, source: 'user', matchedModel: 'gpt-4o' }
   * ```
   */
  resolveWithSource(model: string, query: PriceQuery = {}): PriceResolution {
    checkModelName(model);
    // A point in time makes every answer distinct, so such lookups bypass the cache.
    const cacheKey =
      query.at === undefined ? `${query.provider ?? ''}\u0000${model.toLowerCase()}` : undefined;
    if (cacheKey !== undefined) {
      const hit = this.#cache.get(cacheKey);
      if (hit) return hit;
    }
    const resolution = this.#lookup(model.toLowerCase(), query);
    if (cacheKey !== undefined) {
      if (this.#cache.size >= MAX_CACHED_RESOLUTIONS) {
        // Map iterates in insertion order: drop the oldest entry.
        this.#cache.delete(this.#cache.keys().next().value as string);
      }
      this.#cache.set(cacheKey, resolution);
    }
    return resolution;
  }

  #lookup(key: string, query: PriceQuery): PriceResolution {
    const mine = this.#user.lookup(key);
    if (mine) return Object.freeze({ ...mine, source: USER_PRICE_SOURCE });
    for (const source of this.#sources) {
      const match = source.lookup(key, query);
      if (match) return Object.freeze({ ...match, source: source.name });
    }
    return Object.freeze({ pricing: ZERO_PRICING, source: UNPRICED_SOURCE });
  }

  /**
   * The cost in USD of `usage` on `model`. An unpriced model costs 0 and is warned about once.
   *
   * @throws {ValidationError} when `model` is not a string or a token count is not a non-negative safe
   *   integer (`field`, e.g. `usage.inputTokens`).
   * @example
   * ```ts
   * prices.costOf('gpt-4o', { inputTokens: 1000, outputTokens: 200 }); // 0.0045
   * ```
   */
  costOf(model: string, usage: TokenUsage, query?: PriceQuery): number {
    return this.costBreakdown(model, usage, query).total;
  }

  /**
   * The cost in USD of `usage` on `model`, by token kind, with the source of the price.
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
    // tokens × price / 1e6 per kind, summed in this order: the reference's arithmetic, bit for bit.
    const input = (counts.inputTokens * pricing.inputPerMillion) / 1e6;
    const output = (counts.outputTokens * pricing.outputPerMillion) / 1e6;
    const cacheWrite = (counts.cacheWriteTokens * pricing.cacheWritePerMillion) / 1e6;
    const cacheRead = (counts.cacheReadTokens * pricing.cacheReadPerMillion) / 1e6;
    const total = input + output + cacheWrite + cacheRead;
    return matchedModel === undefined
      ? { input, output, cacheWrite, cacheRead, total, source }
      : { input, output, cacheWrite, cacheRead, total, source, matchedModel };
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
