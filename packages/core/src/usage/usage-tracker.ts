import {
  AgentraceError,
  type CostBreakdown,
  defaultPriceTable,
  type PriceQuery,
  type PriceTable,
  type TokenUsage,
  ValidationError,
} from '@agentrace/pricing';
import { assertExactTotals } from './usage-bounds.js';
import { type UsageCounts, UsageSnapshot } from './usage-snapshot.js';

/**
 * Formats a cost in USD as the reference does: four decimals below one cent (`$0.0042`), two from one cent
 * up (`$12.50`). Rounding is to the nearest, ties to even on the exact binary value, as Python's format
 * does (so `0.015`, stored as 0.01499…, gives `$0.01`).
 *
 * @throws {ValidationError} when `cost` is negative, NaN or infinite (`field: 'cost'`).
 * @example
 * ```ts
 * formatUsd(0.0001); // '$0.0001'
 * formatUsd(1234.5678); // '$1234.57'
 * ```
 */
export function formatUsd(cost: number): string {
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
    throw new ValidationError({
      field: 'cost',
      value: cost,
      expected: 'a non-negative finite number of USD',
    });
  }
  return `$${toFixedHalfEven(cost, cost < 0.01 ? 4 : 2)}`;
}

/**
 * `x.toFixed(digits)` for non-negative `x`, except that an exact tie rounds to even instead of up.
 * `toFixed` already rounds the exact binary value; the two differ only on true ties. A true tie at
 * `digits` decimals is (2k+1)/(2·10^d), representable only when it equals m/2^(d+1) with m odd, i.e.
 * when x·2^(d+1) (an exact product) is an odd integer.
 */
function toFixedHalfEven(x: number, digits: number): string {
  const twice = x * 2 ** (digits + 1);
  if (!Number.isSafeInteger(twice) || twice % 2 !== 1) return x.toFixed(digits);
  // x·10^d = m·5^d / 2 exactly; k below is its floor, and the tie goes to whichever of k, k+1 is even.
  const k = (BigInt(twice) * 5n ** BigInt(digits) - 1n) / 2n;
  const even = k % 2n === 0n ? k : k + 1n;
  const s = even.toString().padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Rounds like Python's `round(x, digits)`: correctly, ties to even. */
function roundHalfEven(x: number, digits: number): number {
  return Number(toFixedHalfEven(x, digits));
}

/** The reference's tracker summary (keys as in `vectors/pricing.json`). */
export interface UsageSummary {
  /** Total cost in USD, rounded to 4 decimals. */
  total_cost_usd: number;
  /** Plain input tokens over every turn (cache tokens excluded). */
  total_input_tokens: number;
  /** Output tokens over every turn. */
  total_output_tokens: number;
  /** Turns recorded. */
  turns: number;
  /** The total cost as {@link formatUsd} writes it. */
  formatted_cost: string;
}

/** Options of a {@link UsageTracker}. */
export interface UsageTrackerOptions {
  /** Prices to cost turns with; `defaultPriceTable` from `@agentrace/pricing` by default. */
  readonly pricing?: PriceTable;
}

interface ModelTotals {
  costUsd: number;
  turns: number;
}

function checkBudget(budgetUsd: unknown): asserts budgetUsd is number {
  if (typeof budgetUsd !== 'number' || !Number.isFinite(budgetUsd) || budgetUsd < 0) {
    throw new ValidationError({
      field: 'budgetUsd',
      value: budgetUsd,
      expected: 'a non-negative finite number of USD',
    });
  }
}

function checkModel(model: unknown): asserts model is string {
  if (typeof model !== 'string') {
    throw new ValidationError({ field: 'model', value: model, expected: 'a model name (string)' });
  }
}

function snapshot(usage: TurnUsage): UsageSnapshot {
  return usage instanceof UsageSnapshot ? usage : new UsageSnapshot(usage);
}

/**
 * A turn's token counts as the tracker takes them: a {@link UsageSnapshot}, or plain counts that may also say
 * how many of the cache writes used the 1-hour TTL (Anthropic prices those higher than 5-minute writes).
 */
export type TurnUsage =
  | UsageSnapshot
  | (Partial<UsageCounts> & {
      /** Cache writes made with the 1-hour TTL, part of `cacheWriteTokens`; priced at the 1-hour write price. */
      readonly cacheWrite1hTokens?: number;
    });

/** What the price table is asked to cost: the snapshot, with the 1-hour writes when there are any. */
function pricedUsage(usage: TurnUsage, u: UsageSnapshot): TokenUsage {
  const oneHour = usage instanceof UsageSnapshot ? undefined : usage.cacheWrite1hTokens;
  if (oneHour === undefined || oneHour === 0) return u;
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWrite1hTokens: oneHour,
  };
}

/**
 * Thrown when a session's cost goes strictly over its budget and the budget is enforced.
 *
 * @example
 * ```ts
 * if (BudgetExceededError.isInstance(err)) console.warn(`spent ${err.currentCostUsd} of ${err.budgetUsd}`);
 * ```
 */
export class BudgetExceededError extends AgentraceError {
  static override readonly errorName: string = 'BudgetExceededError';

  /** The budget in USD. */
  readonly budgetUsd: number;
  /** The cost in USD when the budget was found exceeded. */
  readonly currentCostUsd: number;

  constructor(init: { budgetUsd: number; currentCostUsd: number }, options?: ErrorOptions) {
    super(
      `budget exceeded: cost ${safeFormat(init.currentCostUsd)} is over the budget of ${safeFormat(init.budgetUsd)}`,
      options,
    );
    this.budgetUsd = init.budgetUsd;
    this.currentCostUsd = init.currentCostUsd;
  }
}

// An error message must not itself throw on an odd figure.
function safeFormat(usd: number): string {
  return Number.isFinite(usd) && usd >= 0 ? formatUsd(usd) : `$${usd}`;
}

/**
 * Records the usage and cost of a session's turns and answers budget questions.
 *
 * Totals are kept as running sums, so recording a turn is O(1) and memory does not grow with the number of
 * turns (only with the number of distinct models). Costs are summed in recording order, which gives the
 * reference's figures exactly.
 *
 * @example
 * ```ts
 * const prices = new PriceTable().register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
 * const tracker = new UsageTracker({ pricing: prices });
 * tracker.recordTurn('gpt-4o', new UsageSnapshot({ inputTokens: 1000, outputTokens: 200 })); // 0.0045
 * tracker.isOverBudget(0.01); // false
 * tracker.formatCost(); // '$0.0045'
 * ```
 */
export class UsageTracker {
  readonly #pricing: PriceTable;
  // Plain `private` (not `#`) on purpose: tests audit these to prove no per-turn storage exists.
  private readonly perModel = new Map<string, ModelTotals>();
  private totalCostUsd = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private cacheWriteTokens = 0;
  private cacheReadTokens = 0;
  private turns = 0;

  /**
   * @throws {ValidationError} naming `options` (not an object) or `pricing` (not a price table: no
   *   `costBreakdown`/`costOf`).
   */
  constructor(options: UsageTrackerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError({ field: 'options', value: options, expected: 'an options object' });
    }
    const pricing = options.pricing ?? defaultPriceTable;
    // Checked here, so a wrong value fails where it is given rather than as a TypeError in the first turn.
    if (
      typeof pricing !== 'object' ||
      pricing === null ||
      typeof pricing.costBreakdown !== 'function' ||
      typeof pricing.costOf !== 'function'
    ) {
      throw new ValidationError({ field: 'pricing', value: pricing, expected: 'a PriceTable' });
    }
    this.#pricing = pricing;
  }

  /** The price table turns are costed with. */
  get pricing(): PriceTable {
    return this.#pricing;
  }

  /**
   * Records one turn and returns its cost in USD. An unpriced model costs 0 (and is warned about once).
   *
   * @throws {ValidationError} when `model` is not a string or a token count is not a non-negative safe
   *   integer; nothing is recorded then.
   */
  recordTurn(model: string, usage: TurnUsage): number {
    return this.recordTurnDetailed(model, usage).total;
  }

  /**
   * Records one turn like {@link UsageTracker.recordTurn} and returns its cost by token kind with the price
   * source (`user`, `dataset@<version>`, `unpriced`). `query` passes a provider hint and the turn's date to the
   * price resolution.
   *
   * @throws {ValidationError} like {@link UsageTracker.recordTurn}, or when `cacheWrite1hTokens` is more than
   *   `cacheWriteTokens`; nothing is recorded then.
   * @example
   * ```ts
   * // An Anthropic turn that wrote 2,000 tokens to the cache, 1,500 of them with the 1-hour TTL.
   * tracker.recordTurnDetailed('claude-sonnet-4-5', {
   *   inputTokens: 300, outputTokens: 120, cacheWriteTokens: 2000, cacheWrite1hTokens: 1500,
   * }, { provider: 'anthropic' });
   * ```
   */
  recordTurnDetailed(model: string, usage: TurnUsage, query?: PriceQuery): CostBreakdown {
    checkModel(model);
    const u = snapshot(usage);
    const breakdown = this.#pricing.costBreakdown(model, pricedUsage(usage, u), query);
    const cost = breakdown.total;
    assertExactTotals(
      {
        costUsd: this.totalCostUsd,
        inputTokens: this.inputTokens,
        outputTokens: this.outputTokens,
        cacheReadTokens: this.cacheReadTokens,
        cacheWriteTokens: this.cacheWriteTokens,
      },
      { costUsd: cost, ...u },
    );
    this.totalCostUsd += cost;
    this.inputTokens += u.inputTokens;
    this.outputTokens += u.outputTokens;
    this.cacheWriteTokens += u.cacheWriteTokens;
    this.cacheReadTokens += u.cacheReadTokens;
    this.turns += 1;
    const totals = this.perModel.get(model);
    if (totals) {
      totals.costUsd += cost;
      totals.turns += 1;
    } else {
      this.perModel.set(model, { costUsd: cost, turns: 1 });
    }
    return breakdown;
  }

  /**
   * The cost in USD a turn would have, without recording it. `query` passes a provider hint and the turn's
   * date, as for {@link UsageTracker.recordTurnDetailed}.
   *
   * @throws {ValidationError} like {@link UsageTracker.recordTurn}.
   */
  costForTurn(model: string, usage: TurnUsage, query?: PriceQuery): number {
    checkModel(model);
    return this.#pricing.costOf(model, pricedUsage(usage, snapshot(usage)), query);
  }

  /** Total cost in USD of every recorded turn (unrounded). */
  totalCost(): number {
    return this.totalCostUsd;
  }

  /** The total cost formatted as the reference does (`$0.0042`, `$12.50`); see {@link formatUsd}. */
  formatCost(): string {
    return formatUsd(this.totalCostUsd);
  }

  /**
   * What is left of `budgetUsd`, never below 0 (use {@link UsageTracker.isOverBudget} to tell "spent
   * exactly" from "overspent").
   *
   * @throws {ValidationError} when `budgetUsd` is negative, NaN or infinite.
   */
  budgetRemaining(budgetUsd: number): number {
    checkBudget(budgetUsd);
    return Math.max(0, budgetUsd - this.totalCostUsd);
  }

  /**
   * Whether the total cost is strictly greater than `budgetUsd` (spending exactly the budget is within it).
   *
   * @throws {ValidationError} when `budgetUsd` is negative, NaN or infinite.
   */
  isOverBudget(budgetUsd: number): boolean {
    checkBudget(budgetUsd);
    return this.totalCostUsd > budgetUsd;
  }

  /**
   * Throws when the total cost is strictly greater than `budgetUsd`.
   *
   * @throws {BudgetExceededError} carrying the budget and the current cost.
   * @throws {ValidationError} when `budgetUsd` is negative, NaN or infinite.
   */
  assertWithinBudget(budgetUsd: number): void {
    if (this.isOverBudget(budgetUsd)) {
      throw new BudgetExceededError({ budgetUsd, currentCostUsd: this.totalCostUsd });
    }
  }

  /** The reference's summary: total cost (rounded to 4 decimals), token totals, turns, formatted cost. */
  summary(): UsageSummary {
    return {
      total_cost_usd: roundHalfEven(this.totalCostUsd, 4),
      total_input_tokens: this.inputTokens,
      total_output_tokens: this.outputTokens,
      turns: this.turns,
      formatted_cost: this.formatCost(),
    };
  }

  /** Cost in USD per model, keyed by the model name exactly as recorded (unrounded). */
  perModelSummary(): Record<string, number> {
    // fromEntries defines own properties, so a model named "__proto__" is kept as a key.
    return Object.fromEntries([...this.perModel].map(([model, totals]) => [model, totals.costUsd]));
  }

  /** Turns recorded per model, keyed by the model name exactly as recorded. */
  perModelTurns(): Record<string, number> {
    return Object.fromEntries([...this.perModel].map(([model, totals]) => [model, totals.turns]));
  }

  /** Every recorded turn's usage summed. */
  get totalUsage(): UsageSnapshot {
    return new UsageSnapshot({
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      cacheWriteTokens: this.cacheWriteTokens,
      cacheReadTokens: this.cacheReadTokens,
    });
  }

  /** Plain input tokens over every turn (cache tokens excluded). */
  get totalInputTokens(): number {
    return this.inputTokens;
  }

  /** Output tokens over every turn. */
  get totalOutputTokens(): number {
    return this.outputTokens;
  }

  /** Tokens read from the prompt cache over every turn. */
  get totalCacheReadTokens(): number {
    return this.cacheReadTokens;
  }

  /** Tokens written to the prompt cache over every turn. */
  get totalCacheWriteTokens(): number {
    return this.cacheWriteTokens;
  }

  /** Number of turns recorded. */
  get turnCount(): number {
    return this.turns;
  }
}
