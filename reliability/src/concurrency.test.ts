// Short variant of the concurrency case (one round; `pnpm reliability` runs fifty with shifted interleavings).
import { describe, expect, it } from 'vitest';
import { CONCURRENT_TURNS, concurrencyCase, concurrencyRound } from './concurrency.js';

describe('200 concurrent turns', () => {
  it('session and shared budget totals are the exact µUSD sums; the overshoot is bounded by the turns in flight', async () => {
    const r = await concurrencyRound(0);
    expect(r.session.spentMicros).toBe(r.session.expectedMicros);
    expect(r.openBudget.spentMicros).toBe(r.openBudget.expectedMicros);
    // A limit that fills mid-run, turns reserving their actual cost: never over the limit, only budget refusals.
    expect(r.reserving.spentMicros).toBe(r.reserving.admittedMicros);
    expect(r.reserving.spentMicros).toBeLessThanOrEqual(r.reserving.limitMicros);
    expect(r.reserving.admitted).toBeGreaterThan(0);
    expect(r.reserving.admitted).toBeLessThan(CONCURRENT_TURNS);
    expect(r.reserving.otherRejections).toBe(0);
    // Reserving nothing: spent is still exact; the overshoot is at most the costs of the admitted turns.
    expect(r.unreserved.spentMicros).toBe(r.unreserved.admittedMicros);
    expect(r.unreserved.spentMicros - r.unreserved.limitMicros).toBeLessThanOrEqual(
      r.unreserved.overshootBoundMicros,
    );
  });

  it('the case row (short mode) survives', async () => {
    const result = await concurrencyCase.run({ long: false });
    expect(result.survived, result.detail).toBe(true);
  });
});
