import { ValidationError } from '@agentrace/pricing';

/** Micro-dollars per US dollar: shared budgets keep spend as integer µUSD, so sums never drift. */
export const MICRO_USD_PER_USD = 1_000_000;

// Products like 0.0045 * 1e6 = 4500.000000000001 are decimal amounts the binary double could not hold exactly;
// within this distance of an integer, the amount *is* that integer.
const EPSILON = 1e-6;

/**
 * Converts USD to integer micro-dollars (µUSD). `nearest` (the default) rounds to the nearest µUSD, for costs
 * actually incurred; `up` rounds up, for reservations (never reserve less than the estimate), except that an amount
 * within float noise of an integer is that integer (`0.0045` is 4500 µUSD either way).
 *
 * @throws {ValidationError} when `usd` is negative, NaN, infinite, or too large to count exactly (`field: 'usd'`).
 * @example
 * ```ts
 * toMicroUsd(0.0075); // 7500
 * toMicroUsd(0.0000004); // 0
 * toMicroUsd(0.0000004, 'up'); // 1
 * ```
 */
export function toMicroUsd(usd: number, rounding: 'nearest' | 'up' = 'nearest'): number {
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) {
    throw new ValidationError({ field: 'usd', value: usd, expected: 'a non-negative finite number of USD' });
  }
  const micros = usd * MICRO_USD_PER_USD;
  const nearest = Math.round(micros);
  const result = rounding === 'up' && Math.abs(micros - nearest) > EPSILON ? Math.ceil(micros) : nearest;
  if (!Number.isSafeInteger(result)) {
    throw new ValidationError({ field: 'usd', value: usd, expected: 'at most 9 billion USD' });
  }
  return result;
}

/** Converts integer micro-dollars back to USD (for display and telemetry). */
export function fromMicroUsd(micros: number): number {
  return micros / MICRO_USD_PER_USD;
}
