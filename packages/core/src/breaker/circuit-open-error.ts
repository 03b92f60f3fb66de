import { AgentraceError } from '@agentrace/pricing';
import { CircuitState } from '../state/circuit-state.js';

/** A state in which the breaker rejects calls. */
export type RejectingCircuitState = typeof CircuitState.OPEN | typeof CircuitState.HALF_OPEN;

/**
 * Thrown (as a rejection of `execute`) when a call is refused without running: the circuit is open, or it is
 * half-open and every probe slot is taken. Nothing is counted for a rejected call.
 *
 * @example
 * ```ts
 * try {
 *   return await breaker.execute(callModel);
 * } catch (err) {
 *   if (CircuitOpenError.isInstance(err)) return fallback(`retry in ${err.retryAfterMs} ms`);
 *   throw err;
 * }
 * ```
 */
export class CircuitOpenError extends AgentraceError {
  static override readonly errorName: string = 'CircuitOpenError';

  /** Name of the breaker that rejected the call. */
  readonly breakerName: string;
  /** State the breaker was in: `open`, or `half_open` with all probe slots in use. */
  readonly state: RejectingCircuitState;
  /** Milliseconds until a probe would be admitted (0 when half-open: a slot frees when a probe settles). */
  readonly retryAfterMs: number;

  constructor(init: { breakerName: string; state: RejectingCircuitState; retryAfterMs: number }) {
    super(
      init.state === CircuitState.OPEN
        ? `circuit breaker "${init.breakerName}" is open; calls are rejected for another ${Math.ceil(init.retryAfterMs)} ms`
        : `circuit breaker "${init.breakerName}" is half-open and all its probe slots are in use; call rejected`,
    );
    this.breakerName = init.breakerName;
    this.state = init.state;
    this.retryAfterMs = init.retryAfterMs;
  }
}
