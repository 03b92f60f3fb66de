// Short variant of the 8-process budget case (`pnpm reliability` runs more turns, more in flight).
import { describe, expect, it } from 'vitest';
import { budgetFleetViolations, describeBudgetFleet, runBudgetFleet } from './redis-budget-fleet.js';

describe('8 processes spending concurrently on one Redis budget', () => {
  it('the Redis total is the exact sum of every process’s µUSD costs; the overshoot is within the turns in flight', async () => {
    const run = await runBudgetFleet({ processes: 8, concurrency: 4, turns: 50, limitMicros: 500_000 });
    expect(budgetFleetViolations(run)).toEqual([]);
    expect(run.spentMicros).toBe(run.settledMicros);
    expect(run.perProcessMicros.reduce((a, b) => a + b, 0)).toBe(run.spentMicros);
    expect(run.reservedMicros).toBe(0);
    expect(run.overshootMicros).toBeLessThanOrEqual(8 * 4 * 400);
    expect(run.outcomes.budget).toBeGreaterThan(0);
    // Every process got some of the budget: they really did spend concurrently.
    for (const share of run.perProcessMicros) expect(share).toBeGreaterThan(0);
    console.log(`redis budget fleet: ${JSON.stringify(describeBudgetFleet(run))}`);
  }, 120_000);
});
