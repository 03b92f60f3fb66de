// 200 turns at once on one session and on one shared budget (in-memory store): spend is integer µUSD, so the
// totals must be the exact sums, and the budget's overshoot is bounded by what was in flight when it filled.
// The long run repeats the rounds with different interleavings (each turn's delay shifts with the round).
import { InMemoryStateStore, SharedBudget } from '@agentrace/core';
import type { ReliabilityCase } from './case.js';
import { newAgent } from './workload.js';

/** Turns at once, per the issue. */
export const CONCURRENT_TURNS = 200;

// gpt-4o at $2.5/M in, $10/M out: (1000 + 2i) in, (100 + 2i) out costs 2500 + 5i + 1000 + 20i µUSD. Each turn's
// cost differs, so a lost or doubled settlement changes the total.
const tokens = (i: number) => ({ inputTokens: 1000 + 2 * i, outputTokens: 100 + 2 * i });
/** Cost of turn `i` in µUSD. */
export const costMicros = (i: number): number => 2500 + 5 * i + 1000 + 20 * i;
const delay = (i: number, round: number) => new Promise((r) => setTimeout(r, (i * 7 + round) % 13));
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** What one round found. */
export interface ConcurrencyRound {
  /** Session total (µUSD) and the exact sum of its turns. */
  session: { spentMicros: number; expectedMicros: number };
  /** A shared budget never reached: spent and the exact sum. */
  openBudget: { spentMicros: number; expectedMicros: number };
  /** A budget that fills mid-run, turns reserving their actual cost. */
  reserving: {
    limitMicros: number;
    spentMicros: number;
    admittedMicros: number;
    admitted: number;
    /** Rejections that were not `SharedBudgetExceededError`. */
    otherRejections: number;
  };
  /** The same budget, turns reserving nothing: overshoot and its bound (costs of the admitted turns in flight). */
  unreserved: {
    limitMicros: number;
    spentMicros: number;
    admittedMicros: number;
    overshootBoundMicros: number;
  };
}

/** Runs one round of the three scenarios. */
export async function concurrencyRound(round: number, turns = CONCURRENT_TURNS): Promise<ConcurrencyRound> {
  const all = Array.from({ length: turns }, (_, i) => i);
  const expected = sum(all.map(costMicros));
  const summary = await newAgent().run(async (s) => {
    await Promise.all(
      all.map((i) => s.runTurn(() => delay(i, round).then(() => 'ok'), { usage: tokens(i) })),
    );
    return s.summary();
  });

  const store = new InMemoryStateStore();
  const open = new SharedBudget({ name: `rel-open-${round}`, limitUsd: 1000, store });
  const openAgent = newAgent({ gates: [open] });
  await Promise.all(
    all.map((i) =>
      openAgent.run((s) => s.runTurn(() => delay(i, round).then(() => 'ok'), { usage: tokens(i) })),
    ),
  );
  await open.flush();
  const openSpent = (await open.status()).spentMicros;
  open.close();

  const limitMicros = 100_000;
  const budgeted = async (reserve: boolean) => {
    const budget = new SharedBudget({
      name: `rel-${reserve ? 'res' : 'unres'}-${round}`,
      limitUsd: limitMicros / 1e6,
      store,
    });
    const agent = newAgent({ gates: [budget] });
    const results = await Promise.allSettled(
      all.map((i) =>
        agent.run((s) =>
          s.runTurn(() => delay(i, round).then(() => 'ok'), {
            usage: tokens(i),
            ...(reserve && { expectedUsage: tokens(i) }),
          }),
        ),
      ),
    );
    await budget.flush();
    const admitted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    const otherRejections = results.filter(
      (r) => r.status === 'rejected' && (r.reason as Error)?.name !== 'SharedBudgetExceededError',
    ).length;
    const spentMicros = (await budget.status()).spentMicros;
    budget.close();
    return { admitted, spentMicros, otherRejections, admittedMicros: sum(admitted.map(costMicros)) };
  };
  const reserving = await budgeted(true);
  const unreserved = await budgeted(false);
  return {
    session: { spentMicros: Math.round(summary.usage.total_cost_usd * 1e6), expectedMicros: expected },
    openBudget: { spentMicros: openSpent, expectedMicros: expected },
    reserving: {
      limitMicros,
      spentMicros: reserving.spentMicros,
      admittedMicros: reserving.admittedMicros,
      admitted: reserving.admitted.length,
      otherRejections: reserving.otherRejections + unreserved.otherRejections,
    },
    unreserved: {
      limitMicros,
      spentMicros: unreserved.spentMicros,
      admittedMicros: unreserved.admittedMicros,
      // Without reservations every admitted turn may be in flight when the limit fills: the bound is their costs.
      overshootBoundMicros: unreserved.admittedMicros,
    },
  };
}

/** Whether a round kept every promise: exact totals, no overshoot with reservations, bounded overshoot without. */
export function roundHeld(r: ConcurrencyRound, turns = CONCURRENT_TURNS): boolean {
  return (
    r.session.spentMicros === r.session.expectedMicros &&
    r.openBudget.spentMicros === r.openBudget.expectedMicros &&
    r.reserving.spentMicros === r.reserving.admittedMicros &&
    r.reserving.spentMicros <= r.reserving.limitMicros &&
    r.reserving.admitted > 0 &&
    r.reserving.admitted < turns &&
    r.reserving.otherRejections === 0 &&
    r.unreserved.spentMicros === r.unreserved.admittedMicros &&
    r.unreserved.spentMicros - r.unreserved.limitMicros <= r.unreserved.overshootBoundMicros
  );
}

/** The concurrency row: short = 1 round, long = 50 rounds with shifted interleavings. */
export const concurrencyCase: ReliabilityCase = {
  name: 'concurrency-200-turns',
  description:
    '200 concurrent turns on one session, on one shared budget never reached, and on one that fills mid-run (in-memory store)',
  async run({ long }) {
    const rounds = long ? 50 : 1;
    let held = 0;
    let worstUnreservedOver = Number.NEGATIVE_INFINITY;
    let last: ConcurrencyRound | undefined;
    for (let round = 0; round < rounds; round++) {
      last = await concurrencyRound(round);
      if (roundHeld(last)) held++;
      worstUnreservedOver = Math.max(
        worstUnreservedOver,
        last.unreserved.spentMicros - last.unreserved.limitMicros,
      );
    }
    const r = last!;
    return {
      survived: held === rounds,
      figure: `spend exact in ${held}/${rounds} rounds; overshoot 0 µUSD with reservations`,
      detail:
        `session and shared budget totals equal the µUSD sums (${r.session.expectedMicros} µUSD per round); a ` +
        `${r.reserving.limitMicros} µUSD budget filled mid-run admitted ${r.reserving.admitted}/${CONCURRENT_TURNS} ` +
        `turns reserving their cost and never went over; without reservations the worst overshoot was ` +
        `${Math.max(0, worstUnreservedOver)} µUSD, within the bound (the costs of the turns in flight when it filled)`,
    };
  },
};
