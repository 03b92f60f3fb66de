// 200 turns at once on one session and on one shared budget (in-memory store): spend is integer µUSD, so the
// totals must be the exact sums, and the budget's overshoot is bounded by what was in flight when it filled.
import { InMemoryStateStore, SharedBudget } from '@agentrace/core';
import { describe, expect, it } from 'vitest';
import { newAgent } from './workload.js';

const TURNS = 200;
// gpt-4o at $2.5/M in, $10/M out: (1000 + i) in, (100 + i) out costs 2500 + 2.5i + 1000 + 10i µUSD; even i keeps
// it whole. Each turn's cost differs, so a lost or doubled settlement changes the total.
const tokens = (i: number) => ({ inputTokens: 1000 + 2 * i, outputTokens: 100 + 2 * i });
const costMicros = (i: number) => 2500 + 5 * i + 1000 + 20 * i;
const delay = (i: number) => new Promise((r) => setTimeout(r, (i * 7) % 13));

describe('200 concurrent turns', () => {
  it('one session: the session total is the exact sum of the turns', async () => {
    const expected = Array.from({ length: TURNS }, (_, i) => costMicros(i)).reduce((a, b) => a + b, 0);
    const summary = await newAgent().run(async (s) => {
      await Promise.all(
        Array.from({ length: TURNS }, (_, i) =>
          s.runTurn(() => delay(i).then(() => 'ok'), { usage: tokens(i) }),
        ),
      );
      return s.summary();
    });
    expect(Math.round(summary.usage.total_cost_usd * 1e6)).toBe(expected);
  });

  it('one shared budget: spent equals the sum exactly; the overshoot is bounded by the turns in flight', async () => {
    const store = new InMemoryStateStore();
    // No limit reached: every turn is admitted and settled.
    const open = new SharedBudget({ name: 'rel-open', limitUsd: 1000, store });
    const agent = newAgent({ gates: [open] });
    await Promise.all(
      Array.from({ length: TURNS }, (_, i) =>
        agent.run((s) => s.runTurn(() => delay(i).then(() => 'ok'), { usage: tokens(i) })),
      ),
    );
    await open.flush();
    const expected = Array.from({ length: TURNS }, (_, i) => costMicros(i)).reduce((a, b) => a + b, 0);
    expect((await open.status()).spentMicros).toBe(expected);
    open.close();

    // A limit that fills mid-run, turns reserving nothing (no expectedUsage): admitted turns are those that entered
    // while spent + reserved ≤ limit; the bound is limit + the costs of the turns in flight when it filled, i.e.
    // at most limit + (turns admitted) × max cost; with reservations = actual cost the overshoot is 0.
    const limitMicros = 100_000;
    const tight = new SharedBudget({ name: 'rel-tight', limitUsd: limitMicros / 1e6, store });
    const reserving = newAgent({ gates: [tight] });
    const results = await Promise.allSettled(
      Array.from({ length: TURNS }, (_, i) =>
        reserving.run((s) =>
          s.runTurn(() => delay(i).then(() => 'ok'), { usage: tokens(i), expectedUsage: tokens(i) }),
        ),
      ),
    );
    await tight.flush();
    const admitted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    const status = await tight.status();
    expect(status.spentMicros).toBe(admitted.reduce((sum, i) => sum + costMicros(i), 0));
    expect(admitted.length).toBeGreaterThan(0);
    expect(admitted.length).toBeLessThan(TURNS);
    // Reservation = actual cost: never over the limit.
    expect(status.spentMicros).toBeLessThanOrEqual(limitMicros);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as Error).name).toBe('SharedBudgetExceededError');
    tight.close();
  });
});
