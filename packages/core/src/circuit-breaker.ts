import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';
import {
  type BreakerStrategy,
  ConsecutiveFailureStrategy,
  requirePositiveInteger,
} from './breaker-strategy.js';
import { CircuitState } from './circuit-state.js';
import { type Clock, monotonicClock } from './clock.js';
import { Emitter, type Listener } from './listeners.js';
import type { ValueOf } from './wire.js';

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

/** Second argument of the work function given to {@link CircuitBreaker.execute}. */
export interface CircuitCallContext {
  /** The breaker's name. */
  readonly breakerName: string;
  /** `half_open` when this call is a probe (its outcome closes or re-opens the circuit). */
  readonly state: typeof CircuitState.CLOSED | typeof CircuitState.HALF_OPEN;
}

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Name of the protected dependency (`openai`, `search-tool`); carried by errors, events and telemetry. */
  name: string;
  /**
   * Consecutive failures that open the circuit (a positive integer, default 5). Configures the default
   * {@link ConsecutiveFailureStrategy}; give either this or `strategy`, not both.
   */
  failureThreshold?: number;
  /** Time after the last failure before a probe is admitted (ms, non-negative, default 60 000). */
  recoveryTimeoutMs?: number;
  /** Probe calls allowed in flight at once while half-open (a positive integer, default 1). */
  halfOpenMaxProbes?: number;
  /** Monotonic clock in ms (default `performance.now()`); inject one to drive time in tests. */
  clock?: Clock;
  /** When the closed circuit opens (default: consecutive failures, `failureThreshold`). One instance per breaker. */
  strategy?: BreakerStrategy;
  /**
   * Which errors count as failures (default: every error). An error it rejects is rethrown but counts as
   * neither failure nor success: a validation error or a 4xx says nothing about the dependency's health.
   * If the filter itself throws, the error counts as a failure.
   */
  isFailure?: (err: unknown) => boolean;
}

/** Options of {@link CircuitBreaker.execute}. */
export interface CircuitExecuteOptions {
  /** Cancels the call: forwarded to the work function; an abort is neither a failure nor a success. */
  signal?: AbortSignal;
}

/** Snapshot written by {@link CircuitBreaker.toJSON} (snake_case; times on the breaker's clock, ms). */
export type CircuitBreakerSnapshot = {
  name: string;
  recovery_timeout_ms: number;
  half_open_max_probes: number;
  strategy: Record<string, unknown> | null;
} & (
  | { state: typeof CircuitState.CLOSED }
  | { state: typeof CircuitState.OPEN; opened_at: number; last_failure_at: number; retry_after_ms: number }
  | { state: typeof CircuitState.HALF_OPEN; half_opened_at: number; in_flight: number }
);

// Each state carries its own data. Every transition installs a new object, so a call remembers the object
// it was admitted under and a late outcome from a superseded state is recognised by identity.
type InternalState =
  | { readonly kind: typeof CircuitState.CLOSED }
  | { readonly kind: typeof CircuitState.OPEN; readonly openedAt: number; lastFailureAt: number }
  | { readonly kind: typeof CircuitState.HALF_OPEN; readonly since: number; inFlight: number };

type AdmittingState = Extract<InternalState, { kind: CircuitCallContext['state'] }>;

type Outcome = 'success' | 'failure' | 'ignored' | 'cancelled';

const DEFAULT_FAILURE_THRESHOLD = 5;
const DEFAULT_RECOVERY_TIMEOUT_MS = 60_000;
const DEFAULT_HALF_OPEN_MAX_PROBES = 1;

/**
 * A circuit breaker: stops calling a failing dependency, then lets a few probe calls through to find out
 * whether it recovered.
 *
 * - closed: calls run; the strategy counts outcomes (default: consecutive failures, a success resets the
 *   count) and opens the circuit at its threshold.
 * - open: calls are rejected with {@link CircuitOpenError} until `recoveryTimeoutMs` has passed since the
 *   last failure; then the circuit is half-open (noticed lazily, by the next `state()`, `execute()`, …).
 * - half-open: at most `halfOpenMaxProbes` calls in flight, extra calls rejected; a probe success closes the
 *   circuit, a probe failure re-opens it and restarts the timer.
 *
 * A call's outcome is judged under the state it was admitted in: if the circuit changed state meanwhile
 * (other calls opened it, a probe decided, `reset()`), the late outcome is returned to its caller but not
 * counted — a newer decision has superseded it.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'openai', failureThreshold: 3, recoveryTimeoutMs: 30_000 });
 * breaker.onStateChange(({ from, to, reason }) => log.warn(`openai breaker ${from} -> ${to} (${reason})`));
 * const reply = await breaker.execute((signal) => client.chat.completions.create(req, { signal }), { signal });
 * ```
 */
export class CircuitBreaker {
  /** Name of the protected dependency. */
  readonly name: string;
  /** Time after the last failure before a probe is admitted (ms). */
  readonly recoveryTimeoutMs: number;
  /** Probe calls allowed in flight at once while half-open. */
  readonly halfOpenMaxProbes: number;
  /** Decides when the closed circuit opens. */
  readonly strategy: BreakerStrategy;

  readonly #clock: Clock;
  readonly #isFailure: ((err: unknown) => boolean) | undefined;
  #state: InternalState = { kind: CircuitState.CLOSED };
  readonly #stateChanged = new Emitter<CircuitStateChange>();
  readonly #rejected = new Emitter<CircuitRejection>();

  /**
   * Subscribes to state changes. Each transition is reported once, including the lazy open → half_open one,
   * at the moment it is first noticed. A throwing listener is reported through `diag` and ignored.
   */
  readonly onStateChange: Listener<CircuitStateChange> = this.#stateChanged.event;

  /** Subscribes to rejected calls (open, or half-open with every probe slot taken). */
  readonly onRejected: Listener<CircuitRejection> = this.#rejected.event;

  /**
   * @throws {ValidationError} naming the option that is wrong: `name` (a non-empty string), `failureThreshold`
   * and `halfOpenMaxProbes` (positive integers; `failureThreshold` also when given together with `strategy`),
   * `recoveryTimeoutMs` (non-negative finite), `clock` and `isFailure` (functions), `strategy`.
   */
  constructor(options: CircuitBreakerOptions) {
    const {
      name,
      failureThreshold,
      recoveryTimeoutMs = DEFAULT_RECOVERY_TIMEOUT_MS,
      halfOpenMaxProbes = DEFAULT_HALF_OPEN_MAX_PROBES,
      clock = monotonicClock,
      strategy,
      isFailure,
    } = options ?? ({} as Partial<CircuitBreakerOptions>);
    if (typeof name !== 'string' || name.length === 0) {
      throw new ValidationError({ field: 'name', value: name, expected: 'a non-empty string' });
    }
    if (
      typeof recoveryTimeoutMs !== 'number' ||
      !Number.isFinite(recoveryTimeoutMs) ||
      recoveryTimeoutMs < 0
    ) {
      throw new ValidationError({
        field: 'recoveryTimeoutMs',
        value: recoveryTimeoutMs,
        expected: 'a non-negative finite number of milliseconds',
      });
    }
    if (typeof clock !== 'function') {
      throw new ValidationError({
        field: 'clock',
        value: clock,
        expected: 'a function returning milliseconds',
      });
    }
    if (isFailure !== undefined && typeof isFailure !== 'function') {
      throw new ValidationError({ field: 'isFailure', value: isFailure, expected: 'a function' });
    }
    this.name = name;
    this.recoveryTimeoutMs = recoveryTimeoutMs;
    this.halfOpenMaxProbes = requirePositiveInteger('halfOpenMaxProbes', halfOpenMaxProbes);
    this.#clock = clock;
    this.#isFailure = isFailure;
    if (strategy === undefined) {
      const threshold = requirePositiveInteger(
        'failureThreshold',
        failureThreshold ?? DEFAULT_FAILURE_THRESHOLD,
      );
      this.strategy = new ConsecutiveFailureStrategy({ threshold });
    } else if (!isStrategy(strategy)) {
      throw new ValidationError({
        field: 'strategy',
        value: strategy,
        expected: 'an object with onSuccess, onFailure and reset methods',
      });
    } else if (failureThreshold !== undefined) {
      throw new ValidationError({
        field: 'failureThreshold',
        value: failureThreshold,
        expected: 'left unset when a strategy is given (the strategy decides when to open)',
      });
    } else {
      this.strategy = strategy;
    }
  }

  /**
   * Runs `fn` through the breaker. Sync and async work are both accepted; a sync throw becomes a rejection.
   * `fn` gets an `AbortSignal` that aborts when `options.signal` does, and a small context (`state` is
   * `half_open` for a probe). `execute` settles when `fn` does, so `fn` should honour the signal.
   *
   * A success or a failure (per `isFailure`) is counted; an error the filter rejects and a rejection that
   * follows the caller's abort (cancellation) count nothing, and free a half-open probe slot.
   *
   * @returns what `fn` returned.
   * @throws {CircuitOpenError} (as a rejection) when the circuit is open, or half-open with every probe slot
   * taken; `fn` is not called.
   * @throws the caller's `signal.reason` when the signal was already aborted; `fn` is not called.
   * @throws whatever `fn` threw, unchanged.
   * @example
   * ```ts
   * const text = await breaker.execute(async (signal) => (await fetch(url, { signal })).text(), { signal });
   * ```
   */
  async execute<T>(
    fn: (signal: AbortSignal, call: CircuitCallContext) => T | PromiseLike<T>,
    options?: CircuitExecuteOptions,
  ): Promise<T> {
    const callerSignal = options?.signal;
    callerSignal?.throwIfAborted();
    const admitted = this.#admit();
    const controller = new AbortController();
    const forwardAbort = () => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', forwardAbort, { once: true });
    let value: T;
    try {
      value = await fn(controller.signal, { breakerName: this.name, state: admitted.kind });
    } catch (err) {
      this.#settle(admitted, callerSignal?.aborted ? 'cancelled' : this.#classify(err), err);
      throw err;
    } finally {
      callerSignal?.removeEventListener('abort', forwardAbort);
    }
    this.#settle(admitted, 'success');
    return value;
  }

  /** The current state; `half_open` as soon as the recovery timeout has passed since the last failure. */
  state(): CircuitState {
    return this.#current(this.#clock()).kind;
  }

  /** Whether calls are being rejected because the circuit is open (`state() === 'open'`). */
  isOpen(): boolean {
    return this.state() === CircuitState.OPEN;
  }

  /** Closes the circuit and forgets every count. In-flight calls' outcomes are then ignored. */
  reset(): void {
    if (this.#state.kind === CircuitState.CLOSED) {
      this.strategy.reset();
      return;
    }
    this.#transition({ kind: CircuitState.CLOSED }, CircuitTransitionReason.RESET, this.#clock());
  }

  /**
   * Reports a success of a call made outside `execute`, as if it had just run through the breaker: counted
   * when closed, closes the circuit when half-open. Ignored while open: only a probe or `reset()` closes it.
   */
  recordSuccess(): void {
    const now = this.#clock();
    const state = this.#current(now);
    if (state.kind === CircuitState.CLOSED) this.strategy.onSuccess(now);
    else if (state.kind === CircuitState.HALF_OPEN) {
      this.#transition({ kind: CircuitState.CLOSED }, CircuitTransitionReason.PROBE_SUCCEEDED, now);
    }
  }

  /**
   * Reports a failure of a call made outside `execute`, as if it had just run through the breaker: counted
   * when closed (may open the circuit), re-opens it when half-open, and restarts the recovery timer while
   * open. `error`, when given, is passed on as the state change's `lastError`.
   */
  recordFailure(error?: unknown): void {
    const now = this.#clock();
    const state = this.#current(now);
    if (state.kind === CircuitState.OPEN) state.lastFailureAt = now;
    else if (state.kind === CircuitState.HALF_OPEN)
      this.#open(now, CircuitTransitionReason.PROBE_FAILED, error);
    else if (this.strategy.onFailure(now)) this.#open(now, CircuitTransitionReason.FAILURE_THRESHOLD, error);
  }

  /**
   * A snake_case snapshot of the state and the strategy's counts, for inspection or a shared state store.
   * Times are on the breaker's clock (monotonic ms), so they only compare within one process.
   */
  toJSON(): CircuitBreakerSnapshot {
    const now = this.#clock();
    const state = this.#current(now);
    const common = {
      name: this.name,
      recovery_timeout_ms: this.recoveryTimeoutMs,
      half_open_max_probes: this.halfOpenMaxProbes,
      strategy: this.strategy.toJSON?.() ?? null,
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

  /** The state at `now`, first noticing (and announcing) an open circuit whose timeout has passed. */
  #current(now: number): InternalState {
    const state = this.#state;
    if (state.kind === CircuitState.OPEN && now - state.lastFailureAt >= this.recoveryTimeoutMs) {
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
  #admit(): AdmittingState {
    const now = this.#clock();
    const state = this.#current(now);
    if (state.kind === CircuitState.CLOSED) return state;
    if (state.kind === CircuitState.HALF_OPEN && state.inFlight < this.halfOpenMaxProbes) {
      state.inFlight += 1;
      return state;
    }
    const error = new CircuitOpenError({
      breakerName: this.name,
      state: state.kind,
      retryAfterMs: state.kind === CircuitState.OPEN ? this.#retryAfterMs(state, now) : 0,
    });
    if (this.#rejected.hasListeners) {
      this.#rejected.emit({ name: this.name, state: error.state, retryAfterMs: error.retryAfterMs, at: now });
    }
    throw error;
  }

  /** Counts the outcome of a call admitted under `admitted`, unless a newer state has superseded it. */
  #settle(admitted: AdmittingState, outcome: Outcome, error?: unknown): void {
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
      this.strategy.onSuccess(now);
    } else if (outcome === 'failure' && this.strategy.onFailure(now)) {
      this.#open(now, CircuitTransitionReason.FAILURE_THRESHOLD, error);
    }
  }

  #classify(err: unknown): 'failure' | 'ignored' {
    if (this.#isFailure === undefined) return 'failure';
    try {
      return this.#isFailure(err) ? 'failure' : 'ignored';
    } catch (filterError) {
      diag.warn(
        `agentrace: isFailure of circuit breaker "${this.name}" threw; counting a failure`,
        filterError,
      );
      return 'failure';
    }
  }

  #retryAfterMs(state: Extract<InternalState, { kind: typeof CircuitState.OPEN }>, now: number): number {
    return Math.max(0, state.lastFailureAt + this.recoveryTimeoutMs - now);
  }

  #open(now: number, reason: CircuitTransitionReason, error: unknown): void {
    this.#transition({ kind: CircuitState.OPEN, openedAt: now, lastFailureAt: now }, reason, now, error);
  }

  #transition(next: InternalState, reason: CircuitTransitionReason, at: number, lastError?: unknown): void {
    const from = this.#state.kind;
    this.#state = next;
    if (next.kind === CircuitState.CLOSED) this.strategy.reset();
    if (!this.#stateChanged.hasListeners) return;
    this.#stateChanged.emit({
      name: this.name,
      from,
      to: next.kind,
      at,
      reason,
      ...(lastError === undefined ? {} : { lastError }),
    });
  }
}

function isStrategy(value: unknown): value is BreakerStrategy {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<keyof BreakerStrategy, unknown>>;
  return (
    typeof s.onSuccess === 'function' && typeof s.onFailure === 'function' && typeof s.reset === 'function'
  );
}
