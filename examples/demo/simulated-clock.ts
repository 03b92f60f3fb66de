import { ValidationError } from '@agentrace/core';

/**
 * The simulation's clock: it advances by the simulated latency of each model call and tool, not by wall time.
 * The demo's circuit breakers run on it, so when a circuit half-opens depends on the seed and never on how busy
 * the machine running the demo is.
 */
export class SimulatedClock {
  #now = 0;

  /** Milliseconds of simulated time since the clock was made; pass as a `clock` option (`() => clock.now()`). */
  now(): number {
    return this.#now;
  }

  /**
   * Moves simulated time forward.
   *
   * @throws {ValidationError} `ms` is negative or not finite.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new ValidationError({ field: 'ms', value: ms, expected: 'a non-negative finite number' });
    }
    this.#now += ms;
  }
}
