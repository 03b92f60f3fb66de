import { AgentraceError, defaultPriceTable, PriceTable, ValidationError } from '@agentrace/pricing';
import { describe, expect, it, vi } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import { UsageSnapshot } from './usage-snapshot.js';
import { BudgetExceededError, formatUsd, UsageTracker } from './usage-tracker.js';

interface CostCase {
  model: string;
  usage: Record<string, number>;
  cost_usd: number;
}

const vector = loadVector('pricing');

function vectorPrices(): PriceTable {
  const table = new PriceTable({ onUnpriced: () => {} });
  for (const [model, [input, output, cacheWrite, cacheRead]] of Object.entries(
    vector.registered as Record<string, [number, number, number, number]>,
  )) {
    table.register(model, {
      inputPerMillion: input,
      outputPerMillion: output,
      cacheWritePerMillion: cacheWrite,
      cacheReadPerMillion: cacheRead,
    });
  }
  return table;
}

function vectorTracker(): UsageTracker {
  const tracker = new UsageTracker({ pricing: vectorPrices() });
  for (const c of vector.costs as CostCase[]) tracker.recordTurn(c.model, UsageSnapshot.fromDict(c.usage));
  return tracker;
}

describe('UsageTracker against vectors/pricing.json', () => {
  it('returns each turn cost as recorded', () => {
    const tracker = new UsageTracker({ pricing: vectorPrices() });
    for (const c of vector.costs as CostCase[]) {
      const usage = UsageSnapshot.fromDict(c.usage);
      expect(tracker.costForTurn(c.model, usage)).toBeCloseTo(c.cost_usd, 12);
      expect(tracker.recordTurn(c.model, usage)).toBeCloseTo(c.cost_usd, 12);
    }
  });

  it('gives the summary exactly', () => {
    expect(vectorTracker().summary()).toEqual(vector.summary);
  });

  it('gives the per-model costs, keyed by the model as recorded', () => {
    const perModel = vectorTracker().perModelSummary();
    expect(Object.keys(perModel).sort()).toEqual(Object.keys(vector.per_model).sort());
    for (const [model, cost] of Object.entries(vector.per_model as Record<string, number>)) {
      expect(perModel[model]).toBeCloseTo(cost, 12);
    }
  });

  it('keeps the token totals, cache tokens separate from plain input', () => {
    const t = vectorTracker();
    expect(t.totalInputTokens).toBe(vector.summary.total_input_tokens);
    expect(t.totalOutputTokens).toBe(vector.summary.total_output_tokens);
    expect(t.totalCacheWriteTokens).toBe(2001);
    expect(t.totalCacheReadTokens).toBe(1_030_001);
    expect(t.turnCount).toBe(6);
    expect(t.totalUsage.toDict()).toEqual({
      input_tokens: 229_457,
      output_tokens: 109_191,
      cache_write_tokens: 2001,
      cache_read_tokens: 1_030_001,
    });
    expect(t.perModelTurns()).toEqual(Object.fromEntries(Object.keys(vector.per_model).map((m) => [m, 1])));
  });

  for (const { cost, formatted } of vector.format_cost as { cost: number; formatted: string }[]) {
    it(`formats ${cost} as ${formatted}`, () => {
      expect(formatUsd(cost)).toBe(formatted);
      const prices = new PriceTable().register('m', { inputPerMillion: cost, outputPerMillion: 0 });
      const tracker = new UsageTracker({ pricing: prices });
      tracker.recordTurn('m', { inputTokens: 1_000_000 });
      expect(tracker.totalCost()).toBe(cost);
      expect(tracker.formatCost()).toBe(formatted);
    });
  }
});

describe('formatUsd', () => {
  it('rounds exact ties to even and everything else on the exact binary value, as Python does', () => {
    // expected values from Python's f'{x:.2f}' / f'{x:.4f}'
    expect(formatUsd(0.125)).toBe('$0.12'); // a true tie: toFixed alone would say 0.13
    expect(formatUsd(0.375)).toBe('$0.38');
    expect(formatUsd(12.125)).toBe('$12.12');
    expect(formatUsd(2.675)).toBe('$2.67'); // stored just below 2.675
    expect(formatUsd(1.005)).toBe('$1.00');
    expect(formatUsd(0.00005)).toBe('$0.0001'); // stored just above 0.00005
    expect(formatUsd(0.0099995)).toBe('$0.0100');
  });

  it('rejects negative and non-finite costs', () => {
    for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => formatUsd(bad)).toThrow(
        expect.objectContaining({ name: 'ValidationError', field: 'cost' }),
      );
    }
  });

  it('summary rounds total_cost_usd to 4 decimals, ties to even', () => {
    const prices = new PriceTable().register('m', { inputPerMillion: 0.03125, outputPerMillion: 0 });
    const tracker = new UsageTracker({ pricing: prices });
    tracker.recordTurn('m', { inputTokens: 1_000_000 });
    expect(tracker.summary().total_cost_usd).toBe(0.0312); // Python: round(0.03125, 4) == 0.0312
    tracker.recordTurn('m', { inputTokens: 2_000_000 }); // 0.09375
    expect(tracker.summary().total_cost_usd).toBe(0.0938);
  });
});

describe('budgets', () => {
  const tracker = () => {
    const prices = new PriceTable().register('m', { inputPerMillion: 1, outputPerMillion: 0 });
    const t = new UsageTracker({ pricing: prices });
    t.recordTurn('m', { inputTokens: 500_000 }); // $0.50
    return t;
  };

  it('over budget means strictly greater', () => {
    const t = tracker();
    expect(t.isOverBudget(0.5)).toBe(false);
    expect(t.isOverBudget(0.49)).toBe(true);
    expect(t.isOverBudget(1)).toBe(false);
  });

  it('budgetRemaining never goes below 0', () => {
    const t = tracker();
    expect(t.budgetRemaining(2)).toBe(1.5);
    expect(t.budgetRemaining(0.5)).toBe(0);
    expect(t.budgetRemaining(0.1)).toBe(0);
  });

  it('assertWithinBudget throws BudgetExceededError with the facts', () => {
    const t = tracker();
    expect(() => t.assertWithinBudget(0.5)).not.toThrow();
    let err: unknown;
    try {
      t.assertWithinBudget(0.25);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toBeInstanceOf(AgentraceError);
    expect(BudgetExceededError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ name: 'BudgetExceededError', budgetUsd: 0.25, currentCostUsd: 0.5 });
    expect((err as Error).message).toBe('budget exceeded: cost $0.50 is over the budget of $0.25');
  });

  it('BudgetExceededError renders odd figures without throwing', () => {
    expect(new BudgetExceededError({ budgetUsd: -1, currentCostUsd: Number.NaN }).message).toContain('$NaN');
  });

  it('rejects a bad budget naming budgetUsd', () => {
    const t = tracker();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1']) {
      expect(() => t.isOverBudget(bad as number)).toThrow(expect.objectContaining({ field: 'budgetUsd' }));
      expect(() => t.budgetRemaining(bad as number)).toThrow(ValidationError);
    }
  });
});

describe('recording', () => {
  it('rejects bad input without recording anything', () => {
    const t = new UsageTracker({ pricing: new PriceTable() });
    expect(() => t.recordTurn(42 as unknown as string, {})).toThrow(
      expect.objectContaining({ field: 'model' }),
    );
    expect(() => t.recordTurn('m', { inputTokens: -5 })).toThrow(
      expect.objectContaining({ field: 'inputTokens' }),
    );
    expect(() => t.costForTurn(null as unknown as string, {})).toThrow(ValidationError);
    expect(t.turnCount).toBe(0);
    expect(t.totalInputTokens).toBe(0);
    expect(t.perModelSummary()).toEqual({});
  });

  it('prices 1-hour cache writes at their own price, and rejects more of them than there are writes', () => {
    const pricing = new PriceTable().register('claude', {
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheWritePerMillion: 3.75,
      cacheWrite1hPerMillion: 6,
    });
    const t = new UsageTracker({ pricing });
    const usage = { inputTokens: 100, outputTokens: 10, cacheWriteTokens: 1000, cacheWrite1hTokens: 400 };
    expect(t.costForTurn('claude', usage)).toBe(pricing.costOf('claude', usage));
    const breakdown = t.recordTurnDetailed('claude', usage);
    expect(breakdown.cacheWrite).toBeCloseTo((600 * 3.75 + 400 * 6) / 1e6, 15);
    expect(t.totalCost()).toBe(breakdown.total);
    // The snapshot keeps the four counts; the 1-hour share only changes the price.
    expect(t.totalCacheWriteTokens).toBe(1000);
    expect(() => t.recordTurn('claude', { cacheWriteTokens: 10, cacheWrite1hTokens: 11 })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'usage.cacheWrite1hTokens' }),
    );
    expect(t.turnCount).toBe(1);
  });

  it('an unpriced model costs 0 and is reported through the table', () => {
    const onUnpriced = vi.fn();
    const t = new UsageTracker({ pricing: new PriceTable({ onUnpriced }) });
    expect(t.recordTurn('mystery', { inputTokens: 10 })).toBe(0);
    t.recordTurn('mystery', { inputTokens: 10 });
    expect(onUnpriced).toHaveBeenCalledTimes(1);
    expect(t.turnCount).toBe(2);
    expect(t.formatCost()).toBe('$0.0000');
  });

  it('uses defaultPriceTable when given no table', () => {
    const t = new UsageTracker();
    expect(t.pricing).toBe(defaultPriceTable);
    defaultPriceTable.register('tracker-default-test', { inputPerMillion: 2, outputPerMillion: 0 });
    try {
      expect(t.recordTurn('tracker-default-test', { inputTokens: 1_000_000 })).toBe(2);
    } finally {
      defaultPriceTable.clear();
    }
  });

  it('a model named __proto__ is an ordinary key', () => {
    const prices = new PriceTable().register('__proto__', { inputPerMillion: 1, outputPerMillion: 0 });
    const t = new UsageTracker({ pricing: prices });
    t.recordTurn('__proto__', { inputTokens: 1_000_000 });
    const summary = t.perModelSummary();
    expect(Object.keys(summary)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(summary, '__proto__')?.value).toBe(1);
  });

  it('is O(1) per turn: a million turns keep no per-turn storage', () => {
    const prices = new PriceTable({ onUnpriced: () => {} })
      .register('a', { inputPerMillion: 1, outputPerMillion: 2 })
      .register('b', { inputPerMillion: 3, outputPerMillion: 4 });
    const t = new UsageTracker({ pricing: prices });
    const usage = new UsageSnapshot({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 1 });
    const models = ['a', 'b', 'c'];
    for (let i = 0; i < 1_000_000; i++) t.recordTurn(models[i % 3]!, usage);

    // Every collection the tracker holds is bounded by the number of models, never by the number of turns.
    const collections = Object.values(t as unknown as Record<string, unknown>).filter(
      (v) => v instanceof Map || v instanceof Set || Array.isArray(v),
    );
    expect(collections.length).toBeGreaterThan(0);
    for (const c of collections) {
      const size = c instanceof Map || c instanceof Set ? c.size : (c as unknown[]).length;
      expect(size).toBeLessThanOrEqual(models.length);
    }
    expect(t.turnCount).toBe(1_000_000);
    expect(t.totalInputTokens).toBe(10_000_000);
    expect(t.totalCacheReadTokens).toBe(1_000_000);
    expect(t.perModelTurns()).toEqual({ a: 333_334, b: 333_333, c: 333_333 });
    // a: 333 334 turns × (10·1 + 5·2)/1e6, b: 333 333 × (10·3 + 5·4)/1e6, c unpriced
    expect(t.totalCost()).toBeCloseTo(333_334 * 20e-6 + 333_333 * 50e-6, 6);
  });
});

// Found by the reliability fuzzer: `new UsageTracker(null)` was a TypeError, and a wrong `pricing` one in the first turn.
describe('UsageTracker options', () => {
  it.each([
    [null, 'options'],
    [5, 'options'],
    [{ pricing: 5 }, 'pricing'],
    [{ pricing: {} }, 'pricing'],
  ])('%o is refused with a ValidationError naming %s', (options, field) => {
    expect(() => new UsageTracker(options as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field }),
    );
  });
});
