import type { Clock } from '../common/clock.js';
import type { Emitter } from '../common/listeners.js';
import { CircuitState } from '../state/circuit-state.js';
import type { BreakerReply } from '../state/state-store.js';
import type { BreakerStrategy } from './breaker-strategy.js';
import type { CircuitBreakerSnapshot, CircuitCallContext } from './circuit-breaker-options.js';
import { type CircuitRejection, type CircuitStateChange, CircuitTransitionReason } from './circuit-events.js';
import { CircuitOpenError } from './circuit-open-error.js';

// Each state carries its own data. Every transition installs a new object, so a call remembers the object
// it was admitted under and a late outcome from a superseded state is recognised by identity.
/** @internal */
export type InternalState =
  | { readonly kind: typeof CircuitState.CLOSED }
  | { readonly kind: typeof CircuitState.OPEN; readonly openedAt: number; lastFailureAt: number }
  | { readonly kind: typeof CircuitState.HALF_OPEN; readonly since: number; inFlight: number };

/** @internal A call admitted by the local machine: the state object it was admitted under. */
export type AdmittingState = Extract<InternalState, { kind: CircuitCallContext['state'] }>;

/** @internal How a call ended, as the breaker counts it. */
export type Outcome = 'success' | 'failure' | 'ignored' | 'cancelled';

/** @internal What the machine is built from: the breaker's validated options and its two emitters. */
export interface CircuitMachineInit {
  readonly name: string;
  readonly recoveryTimeoutMs: number;
  readonly halfOpenMaxProbes: number;
  readonly strategy: BreakerStrategy;
  readonly clock: Clock;
  readonly stateChanged: Emitter<CircuitStateChange>;
  readonly rejected: Emitter<CircuitRejection>;
}

/**
 * @internal A breaker's own state machine (closed → open → half-open → closed): the whole breaker without a
 * store, and a shared breaker's fallback while its store is unavailable.
 */
export class CircuitMachine {
  readonly #name: string;
  readonly #recoveryTimeoutMs: number;
  readonly #halfOpenMaxProbes: number;
  readonly #strategy: BreakerStrategy;
  readonly #clock: Clock;
  readonly #stateChanged: Emitter<CircuitStateChange>;
  readonly #rejected: Emitter<CircuitRejection>;
  #state: InternalState = { kind: CircuitState.CLOSED };

  constructor(init: CircuitMachineInit) {
    this.#name = init.name;
    this.#recoveryTimeoutMs = init.recoveryTimeoutMs;
    this.#halfOpenMaxProbes = init.halfOpenMaxProbes;
    this.#strategy = init.strategy;
    this.#clock = init.clock;
    this.#stateChanged = init.stateChanged;
    this.#rejected = init.rejected;
  }

  /** The state as last noticed (without checking the recovery timeout). */
  get kind(): CircuitState {
    return this.#state.kind;
  }

  /** The state at `now`, first noticing (and announcing) an open circuit whose timeout has passed. */
  current(now: number): InternalState {
    const state = this.#state;
    if (state.kind === CircuitState.OPEN && now - state.lastFailureAt >= this.#recoveryTimeoutMs) {
      this.#transition(
        { kind: CircuitState.HALF_OPEN, since: now, inFlight: 0 },
        CircuitTransitionReason.RECOVERY_TIMEOUT,
        now,
      );
    }
    // Re-read: a listener of that transition may already have moved the breaker on.
    return this.#state;
  }

  /** Admits a call (taking a probe slot when half-open) or throws the rejection. */
  admit(): AdmittingState {
    const now = this.#clock();
    const state = this.current(now);
    if (state.kind === CircuitState.CLOSED) return state;
    if (state.kind === CircuitState.HALF_OPEN && state.inFlight < this.#halfOpenMaxProbes) {
      state.inFlight += 1;
      return state;
    }
    const error = new CircuitOpenError({
      breakerName: this.#name,
      state: state.kind,
      retryAfterMs: state.kind === CircuitState.OPEN ? this.#retryAfterMs(state, now) : 0,
    });
    if (this.#rejected.hasListeners) {
      this.#rejected.emit({
        name: this.#name,
        state: error.state,
        retryAfterMs: error.retryAfterMs,
        at: now,
      });
    }
    throw error;
  }

  /** Counts the outcome of a call admitted under `admitted`, unless a newer state has superseded it. */
  settle(admitted: AdmittingState, outcome: Outcome, error?: unknown): void {
    if (admitted !== this.#state) return;
    const now = this.#clock();
    if (admitted.kind === CircuitState.HALF_OPEN) {
      admitted.inFlight -= 1;
      if (outcome === 'success') {
        this.#transition({ kind: CircuitState.CLOSED }, CircuitTransitionReason.PROBE_SUCCEEDED, now);
      } else if (outcome === 'failure') {
        this.#open(now, CircuitTransitionReason.PROBE_FAILED, error);
      }
    } else if (outcome === 'success') {
      this.#strategy.onSuccess(now);
    } else if (outcome === 'failure' && this.#strategy.onFailure(now)) {
      this.#open(now, CircuitTransitionReason.FAILURE_THRESHOLD, error);
    }
  }

  /** Closes the circuit (announced unless it was closed) and forgets every count. */
  reset(): void {
    if (this.#state.kind === CircuitState.CLOSED) {
      this.#strategy.reset();
      return;
    }
    this.#transition({ kind: CircuitState.CLOSED }, CircuitTransitionReason.RESET, this.#clock());
  }

  /** A success of a call made outside `execute`. */
  recordSuccess(): void {
    const now = this.#clock();
    const state = this.current(now);
    if (state.kind === CircuitState.CLOSED) this.#strategy.onSuccess(now);
    else if (state.kind === CircuitState.HALF_OPEN) {
      this.#transition({ kind: CircuitState.CLOSED }, CircuitTransitionReason.PROBE_SUCCEEDED, now);
    }
  }

  /** A failure of a call made outside `execute`. */
  recordFailure(error?: unknown): void {
    const now = this.#clock();
    const state = this.current(now);
    if (state.kind === CircuitState.OPEN) state.lastFailureAt = now;
    else if (state.kind === CircuitState.HALF_OPEN)
      this.#open(now, CircuitTransitionReason.PROBE_FAILED, error);
    else if (this.#strategy.onFailure(now)) this.#open(now, CircuitTransitionReason.FAILURE_THRESHOLD, error);
  }

  /** A success or failure recorded outside `execute`; `ignored` counts nothing. */
  record(outcome: 'success' | 'failure' | 'ignored', error?: unknown): void {
    if (outcome === 'success') this.recordSuccess();
    else if (outcome === 'failure') this.recordFailure(error);
  }

  /** Puts the machine where the fleet was (without reporting anything: `state()` does not change). */
  seed(view: { readonly reply: BreakerReply; readonly fetchedAt: number } | undefined): void {
    const now = this.#clock();
    this.#strategy.reset();
    if (!view || view.reply.state === CircuitState.CLOSED) {
      this.#state = { kind: CircuitState.CLOSED };
    } else if (view.reply.state === CircuitState.OPEN) {
      const remaining = Math.max(0, view.reply.retryAfterMs - (now - view.fetchedAt));
      const lastFailureAt = now - (this.#recoveryTimeoutMs - remaining);
      this.#state = { kind: CircuitState.OPEN, openedAt: lastFailureAt, lastFailureAt };
    } else {
      this.#state = { kind: CircuitState.HALF_OPEN, since: now, inFlight: 0 };
    }
  }

  /** Back to closed with no counts, silently (the fleet's state is the truth again). */
  restart(): void {
    this.#state = { kind: CircuitState.CLOSED };
    this.#strategy.reset();
  }

  /** The machine's snapshot; `shared` is set for a shared breaker running on its fallback. */
  snapshot(shared?: CircuitBreakerSnapshot['shared']): CircuitBreakerSnapshot {
    const now = this.#clock();
    const state = this.current(now);
    const common = {
      name: this.#name,
      recovery_timeout_ms: this.#recoveryTimeoutMs,
      half_open_max_probes: this.#halfOpenMaxProbes,
      strategy: this.#strategy.toJSON?.() ?? null,
      ...(shared && { shared }),
    };
    switch (state.kind) {
      case CircuitState.CLOSED:
        return { ...common, state: state.kind };
      case CircuitState.OPEN:
        return {
          ...common,
          state: state.kind,
          opened_at: state.openedAt,
          last_failure_at: state.lastFailureAt,
          retry_after_ms: this.#retryAfterMs(state, now),
        };
      case CircuitState.HALF_OPEN:
        return { ...common, state: state.kind, half_opened_at: state.since, in_flight: state.inFlight };
    }
  }

  #retryAfterMs(state: Extract<InternalState, { kind: typeof CircuitState.OPEN }>, now: number): number {
    return Math.max(0, state.lastFailureAt + this.#recoveryTimeoutMs - now);
  }

  #open(now: number, reason: CircuitTransitionReason, error: unknown): void {
    this.#transition({ kind: CircuitState.OPEN, openedAt: now, lastFailureAt: now }, reason, now, error);
  }

  #transition(next: InternalState, reason: CircuitTransitionReason, at: number, lastError?: unknown): void {
    const from = this.#state.kind;
    this.#state = next;
    if (next.kind === CircuitState.CLOSED) this.#strategy.reset();
    if (!this.#stateChanged.hasListeners) return;
    this.#stateChanged.emit({
      name: this.#name,
      from,
      to: next.kind,
      at,
      reason,
      ...(lastError === undefined ? {} : { lastError }),
    });
  }
}
