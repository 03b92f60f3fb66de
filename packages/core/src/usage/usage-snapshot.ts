import { ValidationError } from '@agentrace/pricing';

/** The four token counts of a {@link UsageSnapshot}, camelCase. */
export interface UsageCounts {
  /** Plain input tokens, cache tokens excluded. */
  readonly inputTokens: number;
  /** Output tokens. */
  readonly outputTokens: number;
  /** Tokens written to the prompt cache. */
  readonly cacheWriteTokens: number;
  /** Tokens read from the prompt cache. */
  readonly cacheReadTokens: number;
}

/** The JSON form of a {@link UsageSnapshot} (snake_case, as in the reference). */
export interface UsageDict {
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
}

const FIELDS = [
  ['inputTokens', 'input_tokens'],
  ['outputTokens', 'output_tokens'],
  ['cacheWriteTokens', 'cache_write_tokens'],
  ['cacheReadTokens', 'cache_read_tokens'],
] as const;

const EXPECTED = 'a non-negative safe integer';

function tokenCount(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError({ field, value, expected: EXPECTED });
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Token usage of one model call (or a sum of them). Immutable; every count is a non-negative safe integer
 * and missing counts are 0. Plain input EXCLUDES cache tokens, as in the reference. Any `UsageSnapshot` is
 * a `TokenUsage` for `@agentrace/pricing`.
 *
 * @example
 * ```ts
 * const usage = new UsageSnapshot({ inputTokens: 1200, outputTokens: 350, cacheReadTokens: 8000 });
 * usage.totalTokens; // 9550
 * usage.toDict(); // { input_tokens: 1200, output_tokens: 350, cache_write_tokens: 0, cache_read_tokens: 8000 }
 * ```
 */
export class UsageSnapshot implements UsageCounts {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheWriteTokens: number;
  readonly cacheReadTokens: number;

  /**
   * @throws {ValidationError} when `init` is not an object or a count is negative, fractional, NaN,
   *   infinite, not a number, or above `Number.MAX_SAFE_INTEGER`; `field` names the count (`inputTokens`, …).
   */
  constructor(init: Partial<UsageCounts> = {}) {
    if (!isObject(init)) {
      throw new ValidationError({ field: 'usage', value: init, expected: 'an object of token counts' });
    }
    this.inputTokens = tokenCount(init.inputTokens, 'inputTokens');
    this.outputTokens = tokenCount(init.outputTokens, 'outputTokens');
    this.cacheWriteTokens = tokenCount(init.cacheWriteTokens, 'cacheWriteTokens');
    this.cacheReadTokens = tokenCount(init.cacheReadTokens, 'cacheReadTokens');
    Object.freeze(this);
  }

  /**
   * Reads the snake_case JSON form (`input_tokens`, …); missing keys are 0, unknown keys are ignored
   * (provider payloads often carry `total_tokens` and the like).
   *
   * @throws {ValidationError} when `obj` is not an object or a count is not a non-negative safe integer;
   *   `field` names the key (`input_tokens`, …).
   * @example
   * ```ts
   * UsageSnapshot.fromDict({ input_tokens: 10, output_tokens: 2 });
   * ```
   */
  static fromDict(obj: unknown): UsageSnapshot {
    if (!isObject(obj)) {
      throw new ValidationError({ field: 'usage', value: obj, expected: 'an object of token counts' });
    }
    const init: Record<string, number> = {};
    for (const [member, key] of FIELDS) init[member] = tokenCount(obj[key], key);
    return new UsageSnapshot(init);
  }

  /** All four counts summed. */
  get totalTokens(): number {
    return this.inputTokens + this.outputTokens + this.cacheWriteTokens + this.cacheReadTokens;
  }

  /** Whether every count is 0. */
  get isEmpty(): boolean {
    return this.totalTokens === 0;
  }

  /**
   * A new snapshot with `other`'s counts added to these.
   *
   * @throws {ValidationError} when `other` has a bad count or a sum exceeds `Number.MAX_SAFE_INTEGER`.
   */
  add(other: Partial<UsageCounts>): UsageSnapshot {
    const o = other instanceof UsageSnapshot ? other : new UsageSnapshot(other);
    return new UsageSnapshot({
      inputTokens: this.inputTokens + o.inputTokens,
      outputTokens: this.outputTokens + o.outputTokens,
      cacheWriteTokens: this.cacheWriteTokens + o.cacheWriteTokens,
      cacheReadTokens: this.cacheReadTokens + o.cacheReadTokens,
    });
  }

  /** The snake_case JSON form. */
  toDict(): UsageDict {
    return {
      input_tokens: this.inputTokens,
      output_tokens: this.outputTokens,
      cache_write_tokens: this.cacheWriteTokens,
      cache_read_tokens: this.cacheReadTokens,
    };
  }

  /** Same as {@link UsageSnapshot.toDict}, so `JSON.stringify(usage)` writes the wire form. */
  toJSON(): UsageDict {
    return this.toDict();
  }
}
