import type { ValueOf } from '../common/wire.js';
import type { CircuitState } from '../state/circuit-state.js';
import type { RejectingCircuitState } from './circuit-open-error.js';

/** Why the breaker changed state (carried by {@link CircuitStateChange}, recorded in telemetry). */
export const CircuitTransitionReason = {
  /** closed → open: the strategy decided (consecutive failures or failure rate reached its threshold). */
  FAILURE_THRESHOLD: 'failure_threshold',
  /** open → half_open: the recovery timeout has passed since the last failure. */
  RECOVERY_TIMEOUT: 'recovery_timeout',
  /** half_open → closed: a probe succeeded. */
  PROBE_SUCCEEDED: 'probe_succeeded',
  /** half_open → open: a probe failed; the recovery timer restarts. */
  PROBE_FAILED: 'probe_failed',
  /** → closed: `reset()` was called. */
  RESET: 'reset',
  /**
   * A shared breaker adopted the fleet's state without seeing the transitions that led to it: on first contact
   * with its store, after the store was unavailable, or after missing more transitions than the store keeps.
   */
  STORE_SYNC: 'store_sync',
} as const;
export type CircuitTransitionReason = ValueOf<typeof CircuitTransitionReason>;

/** Payload of {@link CircuitBreaker.onStateChange}. */
export interface CircuitStateChange {
  /** The breaker's name. */
  readonly name: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** When it happened, on the breaker's clock (ms). */
  readonly at: number;
  readonly reason: CircuitTransitionReason;
  /** The error that opened (or re-opened) the circuit, when a call's error did. */
  readonly lastError?: unknown;
  /**
   * `true` when the transition was decided on state shared through a store (`options.store`): the same
   * transition is reported by every breaker of that name on the store, within `syncIntervalMs`. Absent for a
   * local breaker, and for the local decisions a shared breaker makes while its store is unavailable.
   */
  readonly shared?: boolean;
  /** For a shared transition: `local` when this breaker's call made it, `remote` when another breaker's did. */
  readonly origin?: 'local' | 'remote';
  /** For a shared transition: the fleet-wide generation it started (one more per transition). */
  readonly generation?: number;
  /** For a shared transition: when the store recorded it, on the store's clock (epoch ms for Redis). */
  readonly recordedAt?: number;
}

/** Payload of {@link CircuitBreaker.onRejected}. */
export interface CircuitRejection {
  /** The breaker's name. */
  readonly name: string;
  readonly state: RejectingCircuitState;
  /** As on the {@link CircuitOpenError} the caller receives. */
  readonly retryAfterMs: number;
  /** When it happened, on the breaker's clock (ms). */
  readonly at: number;
}
