import { AgentraceError } from './agentrace-error.js';
import type { PriceTier, ResolvedPricing } from './model-pricing.js';

/**
 * How `@pydantic/genai-prices` writes one model's prices (`ModelPrice`): keys such as `input_mtok` (USD per
 * million tokens), each a number or `{ base, tiers: [{ start, price }] }`. Typed loosely here because it is
 * also read from a downloaded payload.
 */
export type DatasetModelPrice = Readonly<Record<string, unknown>>;

/** A price of the dataset model as read: the base price and the tier prices by threshold, ascending. */
interface Tiered {
  readonly base: number;
  readonly tiers: readonly { readonly start: number; readonly price: number }[];
}

/**
 * A price or constraint the dataset writes in a form agentrace cannot read. Caught inside the package: a
 * model with such prices is unpriced (with a warning), and a live update carrying one is refused.
 */
export class DatasetPriceFormatError extends AgentraceError {
  static override readonly errorName: string = 'DatasetPriceFormatError';

  /** Path of the offending value inside the model's prices (`input_mtok`, `prices[1].constraint`). */
  readonly key: string;
  /** What is wrong with it. */
  readonly reason: string;

  constructor(key: string, reason: string) {
    super(`${key} ${reason}`);
    this.key = key;
    this.reason = reason;
  }
}

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function readPrice(prices: DatasetModelPrice, key: string): Tiered | undefined {
  const value = prices[key];
  if (value === undefined) return undefined;
  if (isPrice(value)) return { base: value, tiers: [] };
  if (typeof value !== 'object' || value === null) {
    throw new DatasetPriceFormatError(key, 'must be a non-negative number or { base, tiers }');
  }
  const { base, tiers } = value as { base?: unknown; tiers?: unknown };
  if (!isPrice(base) || !Array.isArray(tiers)) {
    throw new DatasetPriceFormatError(key, 'must have a non-negative base price and a tiers array');
  }
  const read = tiers.map((tier: unknown, i) => {
    const { start, price } = (tier ?? {}) as { start?: unknown; price?: unknown };
    if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0 || !isPrice(price)) {
      throw new DatasetPriceFormatError(`${key}.tiers[${i}]`, 'must be { start: token count, price }');
    }
    return { start, price };
  });
  return { base, tiers: read.sort((a, b) => a.start - b.start) };
}

const ZERO: Tiered = { base: 0, tiers: [] };

/** The price of `t` for a prompt just above `threshold` tokens (the dataset applies a tier when prompt > start). */
function priceAbove(t: Tiered, threshold: number): number {
  let price = t.base;
  for (const tier of t.tiers) if (tier.start <= threshold) price = tier.price;
  return price;
}

/**
 * Converts one dataset price set to agentrace's {@link ResolvedPricing}, keeping the dataset's meaning:
 * - cache reads and cache writes the model has no price for are billed as plain input (the dataset
 *   subtracts only priced cache tokens from the input total), and 1-hour writes without a price of their
 *   own cost what other writes cost;
 * - each key's tiers (applied to ALL tokens of the kind once the whole prompt, cache tokens included, is
 *   above `start`) are merged into agentrace tiers by threshold.
 * Prices agentrace does not count (audio, images, web searches, per-request fees) are left out.
 *
 * @throws {DatasetPriceFormatError} when a token price is not a non-negative number or a valid tier set.
 */
export function convertDatasetPrice(prices: DatasetModelPrice): ResolvedPricing {
  const input = readPrice(prices, 'input_mtok') ?? ZERO;
  const output = readPrice(prices, 'output_mtok') ?? ZERO;
  const cacheWrite = readPrice(prices, 'cache_write_mtok') ?? input;
  const cacheRead = readPrice(prices, 'cache_read_mtok') ?? input;
  const cacheWrite1h = readPrice(prices, 'cache_write_1h_mtok');
  const thresholds = [
    ...new Set(
      [input, output, cacheWrite, cacheRead, cacheWrite1h ?? ZERO].flatMap((t) =>
        t.tiers.map((x) => x.start),
      ),
    ),
  ].sort((a, b) => a - b);
  const tiers = thresholds.map(
    (threshold): PriceTier =>
      Object.freeze({
        aboveInputTokens: threshold,
        inputPerMillion: priceAbove(input, threshold),
        outputPerMillion: priceAbove(output, threshold),
        cacheWritePerMillion: priceAbove(cacheWrite, threshold),
        cacheReadPerMillion: priceAbove(cacheRead, threshold),
        cacheWrite1hPerMillion: priceAbove(cacheWrite1h ?? cacheWrite, threshold),
      }),
  );
  return Object.freeze({
    inputPerMillion: input.base,
    outputPerMillion: output.base,
    cacheWritePerMillion: cacheWrite.base,
    cacheReadPerMillion: cacheRead.base,
    ...(cacheWrite1h !== undefined && { cacheWrite1hPerMillion: cacheWrite1h.base }),
    ...(tiers.length > 0 && { tiers: Object.freeze(tiers) }),
  });
}

/** One dataset price entry with its constraint, compiled for fast selection. */
type Entry =
  | { readonly kind: 'always'; readonly pricing: ResolvedPricing }
  | { readonly kind: 'from'; readonly fromMs: number; readonly pricing: ResolvedPricing }
  | {
      readonly kind: 'window';
      readonly startSec: number;
      readonly endSec: number;
      readonly pricing: ResolvedPricing;
    };

/** A dataset model's prices over time, ready to be asked for the prices in force at an instant. */
export interface CompiledModelPrices {
  /** Whether the prices depend on the date or the time of day. */
  readonly timeDependent: boolean;
  /** The prices in force at `at`. */
  pricingAt(at: Date): ResolvedPricing;
}

const TIME_OF_DAY = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Seconds after UTC midnight of a dataset time of day such as `00:30:00Z` or `09:00:00+08:00`. */
function secondsOfDay(text: unknown, key: string): number {
  const m = typeof text === 'string' ? TIME_OF_DAY.exec(text) : null;
  if (!m) throw new DatasetPriceFormatError(key, 'must be a time of day such as 00:30:00Z');
  const [, hh, mm, ss, frac = '', zone, sign, oh = '00', om = '00'] = m;
  const local = Number(hh) * 3600 + Number(mm) * 60 + Number(ss) + Number(`0.${frac}`);
  const offset = zone === 'Z' ? 0 : (sign === '+' ? 1 : -1) * (Number(oh) * 3600 + Number(om) * 60);
  return (((local - offset) % 86_400) + 86_400) % 86_400;
}

function compileEntry(entry: unknown, i: number): Entry {
  const at = `prices[${i}]`;
  if (typeof entry !== 'object' || entry === null) throw new DatasetPriceFormatError(at, 'must be an object');
  const { constraint, prices } = entry as { constraint?: unknown; prices?: unknown };
  if (typeof prices !== 'object' || prices === null) {
    throw new DatasetPriceFormatError(`${at}.prices`, 'must be an object');
  }
  const pricing = convertDatasetPrice(prices as DatasetModelPrice);
  if (constraint === undefined || constraint === null) return { kind: 'always', pricing };
  const c = constraint as Record<string, unknown>;
  if (typeof c.start_date === 'string') {
    const fromMs = Date.parse(c.start_date);
    if (Number.isNaN(fromMs))
      throw new DatasetPriceFormatError(`${at}.constraint.start_date`, 'must be a date');
    return { kind: 'from', fromMs, pricing };
  }
  if (c.start_time !== undefined || c.end_time !== undefined) {
    return {
      kind: 'window',
      startSec: secondsOfDay(c.start_time, `${at}.constraint.start_time`),
      endSec: secondsOfDay(c.end_time, `${at}.constraint.end_time`),
      pricing,
    };
  }
  throw new DatasetPriceFormatError(`${at}.constraint`, 'must be a start date or a time-of-day window');
}

function matches(entry: Entry, ms: number, sec: number): boolean {
  switch (entry.kind) {
    case 'always':
      return true;
    case 'from':
      return ms >= entry.fromMs;
    default:
      // A window may wrap past midnight (22:00 to 06:00).
      return entry.endSec < entry.startSec
        ? sec >= entry.startSec || sec < entry.endSec
        : sec >= entry.startSec && sec < entry.endSec;
  }
}

/**
 * Compiles a dataset model's `prices` (one price set, or a list of them with start-date and time-of-day
 * constraints) for selection by instant, as the dataset selects them: the LAST entry whose constraint holds,
 * else the first entry.
 *
 * @throws {DatasetPriceFormatError} when a price or constraint cannot be read.
 */
export function compileModelPrices(prices: unknown): CompiledModelPrices {
  if (!Array.isArray(prices)) {
    if (typeof prices !== 'object' || prices === null)
      throw new DatasetPriceFormatError('prices', 'must be an object');
    const pricing = convertDatasetPrice(prices as DatasetModelPrice);
    return { timeDependent: false, pricingAt: () => pricing };
  }
  if (prices.length === 0) throw new DatasetPriceFormatError('prices', 'must not be empty');
  const entries = prices.map(compileEntry);
  const first = (entries[0] as Entry).pricing;
  return {
    timeDependent: true,
    pricingAt(at: Date): ResolvedPricing {
      const ms = at.getTime();
      const sec = (((ms / 1000) % 86_400) + 86_400) % 86_400;
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i] as Entry;
        if (matches(entry, ms, sec)) return entry.pricing;
      }
      return first;
    },
  };
}
