/**
 * A monotonic clock in milliseconds. Injected wherever time decides behaviour (breaker timeouts,
 * elapsed time), so tests can drive time by hand.
 *
 * @example
 * ```ts
 * let now = 0;
 * const breaker = new CircuitBreaker({ name: 'llm', clock: () => now });
 * now += 60_000; // the recovery timeout has passed
 * ```
 */
export type Clock = () => number;

/** The default monotonic clock (`performance.now()`), immune to wall-clock jumps. */
export const monotonicClock: Clock = () => performance.now();

/** A wall clock in epoch milliseconds, used for timestamps that are written out. */
export type WallClock = () => number;

/** The default wall clock (`Date.now()`). */
export const systemWallClock: WallClock = () => Date.now();
