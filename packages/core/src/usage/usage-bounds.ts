import { ValidationError } from '@agentrace/pricing';
import { MICRO_USD_PER_USD } from './micro-usd.js';

/** @internal The running totals a turn is about to be added to. */
export interface RunningTotals {
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

function exactMicros(usd: number): boolean {
  return Number.isFinite(usd) && Number.isSafeInteger(Math.round(usd * MICRO_USD_PER_USD));
}

/**
 * @internal Refuses a turn whose figures would no longer be exact: a cost (or running total) whose micro-dollar
 * amount is past 2^53, or a token total past 2^53. Past those a double silently rounds, and the session's total
 * would be wrong from then on (budgets, shared spend and the cost metric are all kept in µUSD).
 *
 * @throws {ValidationError} naming `usage` (the turn's counts are the cause), before anything is recorded.
 */
export function assertExactTotals(before: RunningTotals, turn: RunningTotals): void {
  if (!exactMicros(turn.costUsd) || !exactMicros(before.costUsd + turn.costUsd)) {
    throw new ValidationError({
      field: 'usage',
      value: turn.costUsd,
      expected: `token counts whose cost stays exact in micro-dollars (this turn costs $${turn.costUsd})`,
    });
  }
  for (const key of ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const) {
    if (!Number.isSafeInteger(before[key] + turn[key])) {
      throw new ValidationError({
        field: `usage.${key}`,
        value: turn[key],
        expected: 'a count that keeps the session total a safe integer',
      });
    }
  }
}
