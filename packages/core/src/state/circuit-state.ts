import type { ValueOf } from '../common/wire.js';

/**
 * State of a {@link CircuitBreaker}, as its wire string (the reference's values).
 *
 * - `closed`: calls run; failures are counted by the breaker's strategy.
 * - `open`: calls are rejected with `CircuitOpenError` until the recovery timeout has passed.
 * - `half_open`: a limited number of probe calls run; one success closes the circuit, one failure re-opens it.
 *
 * @example
 * ```ts
 * if (breaker.state() === CircuitState.OPEN) return cachedAnswer();
 * ```
 */
export const CircuitState = {
  CLOSED: 'closed',
  OPEN: 'open',
  HALF_OPEN: 'half_open',
} as const;
export type CircuitState = ValueOf<typeof CircuitState>;
