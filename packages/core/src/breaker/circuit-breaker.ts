import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { diag, type MeterProvider } from '@opentelemetry/api';
import { type Clock, monotonicClock } from '../common/clock.js';
import { Emitter, type Listener } from '../common/listeners.js';
import { isOneOf, type ValueOf } from '../common/wire.js';
import { CircuitState } from '../state/circuit-state.js';
import {
  type BreakerCommand,
  type BreakerReply,
  type BreakerStrategySpec,
  type SharedBreakerConfig,
  type SharedTransition,
  type StateStore,
  StoreFailurePolicy,
} from '../state/state-store.js';
import { resolveStorePolicy, StoreHealth } from '../state/store-health.js';
import {
  type BreakerStrategy,
  ConsecutiveFailureStrategy,
  FailureRateStrategy,
  requirePositiveInteger,
} from './breaker-strategy.js';

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

/** Second argument of the work function given to {@link CircuitBreaker.execute}. */
export interface CircuitCallContext {
  /** The breaker's name. */
  readonly breakerName: string;
  /** `half_open` when this call is a probe (its outcome closes or re-opens the circuit). */
  readonly state: typeof CircuitState.CLOSED | typeof CircuitState.HALF_OPEN;
  /** With a store: the fleet-wide generation the call was admitted under (probes of one half-open spell share it). */
  readonly generation?: number;
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
  /**
   * Shares the breaker's state through a store (`RedisStateStore` from `@agentrace/redis`, or one
   * `InMemoryStateStore` shared in-process): every breaker with this name on the store is one fleet-wide circuit.
   * Both built-in strategies are shared (counts and windows kept by the store); half-open admits exactly
   * `halfOpenMaxProbes` probes fleet-wide, each holding an expiring lease; every breaker sees a transition within
   * `syncIntervalMs` and reports it through `onStateChange` with `shared: true`. `state()` stays synchronous: it
   * reads a view the store refreshes. Without a store (the default) the breaker is local, exactly as before.
   */
  store?: StateStore;
  /**
   * With a store: how long a half-open probe holds its slot without renewing it (ms, default 30 000). A running probe
   * renews its lease every third of this, so a slow probe keeps its slot; a prober that crashes stops renewing, and
   * its slot is free again after this.
   */
  probeLeaseMs?: number;
  /** With a store: how often the view behind `state()` is refreshed (ms, default 500). */
  syncIntervalMs?: number;
  /**
   * With a store: its keys expire after this long without a write (ms; default 24 h, and at least twice the
   * recovery timeout and the failure-rate window). An expired circuit is closed with no counts.
   */
  stateTtlMs?: number;
  /**
   * With a store: what to do when it cannot answer (default: the store's `failurePolicy`, else `fail_open`).
   * `fail_open` runs this breaker's own state machine, seeded from the last fleet view, until the store answers
   * (one warning, and `agentrace.state_store.unavailable` per decision); `fail_closed` rejects calls with
   * `StateStoreUnavailableError`.
   */
  onStoreUnavailable?: StoreFailurePolicy;
  /** Meter provider for the store-unavailable metric (default: the global one). */
  meterProvider?: MeterProvider;
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
  /**
   * With a store: its kind, the fleet-wide generation, and whether the store is unavailable (`degraded`, the
   * snapshot is then of the local fallback). Times of a shared snapshot are on the store's clock.
   */
  shared?: { store: string; generation: number; degraded: boolean };
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

/** A call the store admitted (a local admission is the AdmittingState object itself). */
interface SharedAdmission {
  readonly kind: CircuitCallContext['state'];
  readonly generation: number;
  readonly leaseId: string;
}

/** The store's last answer, as `state()` and `toJSON()` read it. */
interface SharedView {
  readonly reply: BreakerReply;
  /** When it arrived, on the breaker's clock. */
  readonly fetchedAt: number;
}

/** Everything a breaker with a store keeps. */
interface SharedCircuit {
  readonly store: StateStore;
  readonly config: SharedBreakerConfig;
  readonly health: StoreHealth;
  readonly syncIntervalMs: number;
  /** This breaker instance, as recorded on the transitions it makes. */
  readonly actor: string;
  view: SharedView | undefined;
  /** The newest generation seen (−1: none yet; the first answer's older transitions are adopted, not replayed). */
  known: number;
  refreshing: Promise<void> | undefined;
  readonly pending: Set<Promise<void>>;
  poll: ReturnType<typeof setInterval> | undefined;
  wake: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

const DEFAULT_FAILURE_THRESHOLD = 5;
const DEFAULT_RECOVERY_TIMEOUT_MS = 60_000;
const DEFAULT_HALF_OPEN_MAX_PROBES = 1;
const DEFAULT_PROBE_LEASE_MS = 30_000;
const DEFAULT_SYNC_INTERVAL_MS = 500;
const DEFAULT_STATE_TTL_MS = 24 * 60 * 60 * 1000;

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
  readonly #shared: SharedCircuit | undefined;

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
   * `recoveryTimeoutMs` (non-negative finite), `clock` and `isFailure` (functions), `strategy` (with a store: a
   * `ConsecutiveFailureStrategy` or `FailureRateStrategy`), `store`, `onStoreUnavailable`, `probeLeaseMs`,
   * `syncIntervalMs` and `stateTtlMs` (positive finite).
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
    if (options.store !== undefined) this.#shared = this.#createShared(options);
  }

  /** Whether this breaker shares its state through a store. */
  get shared(): boolean {
    return this.#shared !== undefined;
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
    // A local breaker admits synchronously, before `fn` is called in the same tick; a shared one asks its store.
    const admitted = this.#shared ? await this.#sharedAdmit(this.#shared) : this.#admit();
    if ('leaseId' in admitted && callerSignal?.aborted) {
      // Cancelled while the store was deciding: give the slot back without running.
      await this.#sharedSettle(admitted, 'cancelled');
      throw callerSignal.reason;
    }
    const controller = new AbortController();
    const forwardAbort = () => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', forwardAbort, { once: true });
    const renewal =
      'leaseId' in admitted && admitted.kind === CircuitState.HALF_OPEN
        ? this.#renewWhileRunning(admitted)
        : undefined;
    let value: T;
    try {
      value = await fn(controller.signal, {
        breakerName: this.name,
        state: admitted.kind,
        ...('leaseId' in admitted && { generation: admitted.generation }),
      });
    } catch (err) {
      const outcome = callerSignal?.aborted ? 'cancelled' : this.#classify(err);
      if ('leaseId' in admitted) await this.#sharedSettle(admitted, outcome, err);
      else this.#settle(admitted, outcome, err);
      throw err;
    } finally {
      callerSignal?.removeEventListener('abort', forwardAbort);
      if (renewal !== undefined) clearInterval(renewal);
    }
    if ('leaseId' in admitted) await this.#sharedSettle(admitted, 'success');
    else this.#settle(admitted, 'success');
    return value;
  }

  /**
   * The current state; `half_open` as soon as the recovery timeout has passed since the last failure.
   *
   * With a store, the fleet's state as of the last answer (refreshed every `syncIntervalMs`, and when an open
   * circuit's recovery timeout is due); while the store is unavailable, the local fallback's state.
   */
  state(): CircuitState {
    const shared = this.#shared;
    if (shared && !shared.health.degraded) return shared.view?.reply.state ?? CircuitState.CLOSED;
    return this.#current(this.#clock()).kind;
  }

  /** Whether calls are being rejected because the circuit is open (`state() === 'open'`). */
  isOpen(): boolean {
    return this.state() === CircuitState.OPEN;
  }

  /**
   * With a store: waits for the `reset` / `recordSuccess` / `recordFailure` calls still on their way to it, then
   * refreshes the view from it, reporting any transition made elsewhere. Never rejects (a store that cannot
   * answer is handled by the failure policy). Without a store it resolves at once.
   */
  async sync(): Promise<void> {
    const shared = this.#shared;
    if (!shared) return;
    await Promise.allSettled([...shared.pending]);
    await this.#refresh(shared);
  }

  /**
   * With a store: stops refreshing the view in the background (the breaker still works; a breaker nobody
   * references any more stops by itself). Idempotent.
   */
  close(): void {
    const shared = this.#shared;
    if (!shared) return;
    shared.closed = true;
    clearInterval(shared.poll);
    clearTimeout(shared.wake);
    shared.poll = undefined;
    shared.wake = undefined;
  }

  /**
   * Closes the circuit and forgets every count. In-flight calls' outcomes are then ignored.
   *
   * With a store, the reset is fleet-wide and takes effect when the store answers (`await breaker.sync()` to
   * wait for it).
   */
  reset(): void {
    if (this.#shared) {
      this.#sharedCommand(this.#shared, { type: 'reset' });
      return;
    }
    this.#resetLocal();
  }

  #resetLocal(): void {
    if (this.#state.kind === CircuitState.CLOSED) {
      this.strategy.reset();
      return;
    }
    this.#transition({ kind: CircuitState.CLOSED }, CircuitTransitionReason.RESET, this.#clock());
  }

  /**
   * Reports a success of a call made outside `execute`, as if it had just run through the breaker: counted
   * when closed, closes the circuit when half-open. Ignored while open: only a probe or `reset()` closes it.
   * With a store, it is counted fleet-wide when the store answers.
   */
  recordSuccess(): void {
    if (this.#shared) {
      this.#sharedCommand(this.#shared, { type: 'record', outcome: 'success' });
      return;
    }
    this.#recordSuccessLocal();
  }

  #recordSuccessLocal(): void {
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
   * open. `error`, when given, is passed on as the state change's `lastError`. With a store, it is counted
   * fleet-wide when the store answers.
   */
  recordFailure(error?: unknown): void {
    if (this.#shared) {
      this.#sharedCommand(this.#shared, { type: 'record', outcome: 'failure' }, error);
      return;
    }
    this.#recordFailureLocal(error);
  }

  #recordFailureLocal(error?: unknown): void {
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
    const shared = this.#shared;
    if (shared && !shared.health.degraded) return this.#sharedSnapshot(shared);
    const now = this.#clock();
    const state = this.#current(now);
    const common = {
      name: this.name,
      recovery_timeout_ms: this.recoveryTimeoutMs,
      half_open_max_probes: this.halfOpenMaxProbes,
      strategy: this.strategy.toJSON?.() ?? null,
      ...(shared && {
        shared: { store: shared.store.kind, generation: Math.max(shared.known, 0), degraded: true },
      }),
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

  #createShared(options: CircuitBreakerOptions): SharedCircuit {
    const store = options.store as StateStore;
    const policy = resolveStorePolicy(store, options.onStoreUnavailable);
    const spec = strategySpec(this.strategy);
    const probeLeaseMs = positiveMs('probeLeaseMs', options.probeLeaseMs ?? DEFAULT_PROBE_LEASE_MS);
    const syncIntervalMs = positiveMs('syncIntervalMs', options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
    const windowMs = spec.kind === 'failure_rate' ? spec.windowMs : 0;
    const ttlMs = positiveMs(
      'stateTtlMs',
      options.stateTtlMs ?? Math.max(DEFAULT_STATE_TTL_MS, 2 * this.recoveryTimeoutMs, 2 * windowMs),
    );
    const shared: SharedCircuit = {
      store,
      config: {
        recoveryTimeoutMs: this.recoveryTimeoutMs,
        halfOpenMaxProbes: this.halfOpenMaxProbes,
        probeLeaseMs,
        strategy: spec,
        ttlMs,
      },
      health: new StoreHealth({
        consumer: 'circuit_breaker',
        name: this.name,
        store,
        policy,
        meterProvider: options.meterProvider,
      }),
      syncIntervalMs,
      actor: randomId(),
      view: undefined,
      known: -1,
      refreshing: undefined,
      pending: new Set(),
      poll: undefined,
      wake: undefined,
      closed: false,
    };
    // Held weakly: a breaker nobody uses any more is collected, and its timer stops with it.
    const self = new WeakRef<CircuitBreaker>(this);
    shared.poll = setInterval(() => {
      const breaker = self.deref();
      if (breaker) void breaker.#refresh(shared);
      else clearInterval(shared.poll);
    }, syncIntervalMs);
    unref(shared.poll);
    // Adopt the fleet's state right away rather than at the first tick.
    void this.#refresh(shared);
    return shared;
  }

  #request(shared: SharedCircuit, command: BreakerCommand) {
    // Before the first answer every transition is asked for: this breaker's own are reported, older ones not.
    const since = Math.max(shared.known, 0);
    return { name: this.name, config: shared.config, command, since, actor: shared.actor };
  }

  /** Asks the store to admit a call; falls back to the local machine (fail open) or rejects (fail closed). */
  async #sharedAdmit(shared: SharedCircuit): Promise<SharedAdmission | AdmittingState> {
    const leaseId = randomId();
    let reply: BreakerReply;
    try {
      reply = await shared.store.breaker(this.#request(shared, { type: 'admit', leaseId }));
    } catch (err) {
      const error = this.#storeFailed(shared, err);
      shared.health.countFallback();
      if (shared.health.policy === StoreFailurePolicy.FAIL_CLOSED) throw error;
      return this.#admit();
    }
    this.#onReply(shared, reply);
    if (reply.admitted) {
      return { kind: reply.state as CircuitCallContext['state'], generation: reply.generation, leaseId };
    }
    const now = this.#clock();
    const error = new CircuitOpenError({
      breakerName: this.name,
      state: reply.state as RejectingCircuitState,
      retryAfterMs: reply.retryAfterMs,
    });
    if (this.#rejected.hasListeners) {
      this.#rejected.emit({ name: this.name, state: error.state, retryAfterMs: error.retryAfterMs, at: now });
    }
    throw error;
  }

  /**
   * Keeps a running probe's lease alive: renewed every third of `probeLeaseMs`, so a probe slower than the lease (a
   * long generation, a reasoning model) keeps its slot, while a prober that crashed stops renewing and its slot
   * lapses. A renewal the store refuses (the lease lapsed, or the spell ended) changes nothing for the call.
   */
  #renewWhileRunning(admitted: SharedAdmission): ReturnType<typeof setInterval> {
    const shared = this.#shared as SharedCircuit;
    const command: BreakerCommand = {
      type: 'renew',
      generation: admitted.generation,
      leaseId: admitted.leaseId,
    };
    const timer = setInterval(() => {
      const run = async () => {
        try {
          this.#onReply(shared, await shared.store.breaker(this.#request(shared, command)));
        } catch (err) {
          this.#storeFailed(shared, err);
        }
      };
      const pending = run();
      shared.pending.add(pending);
      void pending.finally(() => shared.pending.delete(pending));
    }, shared.config.probeLeaseMs / 3);
    // A renewal never keeps the process alive on its own: the probe's own work does.
    timer.unref?.();
    return timer;
  }

  /** Counts a store-admitted call's outcome; while the store is away, on the local machine instead. */
  async #sharedSettle(admitted: SharedAdmission, outcome: Outcome, error?: unknown): Promise<void> {
    const shared = this.#shared as SharedCircuit;
    const counted = outcome === 'success' || outcome === 'failure' ? outcome : 'ignored';
    try {
      const reply = await shared.store.breaker(
        this.#request(shared, {
          type: 'settle',
          generation: admitted.generation,
          outcome: counted,
          leaseId: admitted.leaseId,
        }),
      );
      this.#onReply(shared, reply, error);
    } catch (err) {
      this.#storeFailed(shared, err);
      if (shared.health.policy === StoreFailurePolicy.FAIL_OPEN) this.#recordLocal(counted, error);
    }
  }

  /** Sends a reset or a manual record to the store in the background (`sync()` waits for it). */
  #sharedCommand(shared: SharedCircuit, command: BreakerCommand, error?: unknown): void {
    const run = async () => {
      try {
        this.#onReply(shared, await shared.store.breaker(this.#request(shared, command)), error);
      } catch (err) {
        this.#storeFailed(shared, err);
        if (shared.health.policy !== StoreFailurePolicy.FAIL_OPEN) return;
        if (command.type === 'reset') this.#resetLocal();
        else if (command.type === 'record') this.#recordLocal(command.outcome, error);
      }
    };
    const pending = run();
    shared.pending.add(pending);
    void pending.finally(() => shared.pending.delete(pending));
  }

  #recordLocal(outcome: 'success' | 'failure' | 'ignored', error?: unknown): void {
    if (outcome === 'success') this.#recordSuccessLocal();
    else if (outcome === 'failure') this.#recordFailureLocal(error);
  }

  /** Reads the store (at most one read in flight); reports transitions made elsewhere. */
  #refresh(shared: SharedCircuit): Promise<void> {
    if (shared.refreshing) return shared.refreshing;
    const run = async () => {
      try {
        this.#onReply(shared, await shared.store.breaker(this.#request(shared, { type: 'read' })));
      } catch (err) {
        this.#storeFailed(shared, err);
      } finally {
        shared.refreshing = undefined;
      }
    };
    shared.refreshing = run();
    return shared.refreshing;
  }

  /** Notes a store failure; on the first of an outage, the local machine takes over from the last fleet view. */
  #storeFailed(shared: SharedCircuit, err: unknown) {
    const wasDegraded = shared.health.degraded;
    const error = shared.health.failed(err, 'breaker');
    if (!wasDegraded) this.#seedLocal(shared);
    return error;
  }

  /** Puts the local machine where the fleet was (without reporting anything: `state()` does not change). */
  #seedLocal(shared: SharedCircuit): void {
    const now = this.#clock();
    const view = shared.view;
    this.strategy.reset();
    if (!view || view.reply.state === CircuitState.CLOSED) {
      this.#state = { kind: CircuitState.CLOSED };
    } else if (view.reply.state === CircuitState.OPEN) {
      const remaining = Math.max(0, view.reply.retryAfterMs - (now - view.fetchedAt));
      const lastFailureAt = now - (this.recoveryTimeoutMs - remaining);
      this.#state = { kind: CircuitState.OPEN, openedAt: lastFailureAt, lastFailureAt };
    } else {
      this.#state = { kind: CircuitState.HALF_OPEN, since: now, inFlight: 0 };
    }
  }

  /**
   * Takes in a store answer: reports the transitions after the newest generation seen, in order (or, when they
   * cannot be replayed, one `store_sync` change to the fleet's state), and keeps the answer as the view.
   */
  #onReply(shared: SharedCircuit, reply: BreakerReply, lastError?: unknown): void {
    const degraded = shared.health.degraded;
    let reported = degraded ? this.#state.kind : (shared.view?.reply.state ?? CircuitState.CLOSED);
    const recovered = shared.health.succeeded();
    // Answers can arrive out of order; an older one says nothing new.
    if (!recovered && reply.generation < shared.known) return;
    if (!recovered) {
      const joining = shared.known < 0;
      for (const t of reply.transitions) {
        if (t.generation <= shared.known || (joining && t.actor !== shared.actor)) continue;
        shared.known = t.generation;
        this.#emitShared(t, t.actor === shared.actor ? lastError : undefined, shared.actor);
        reported = t.to;
      }
    }
    if (reported !== reply.state) {
      this.#emitShared(
        {
          generation: reply.generation,
          from: reported,
          to: reply.state,
          reason: CircuitTransitionReason.STORE_SYNC,
          at: reply.now,
          actor: '',
        },
        undefined,
        shared.actor,
      );
    }
    shared.known = Math.max(shared.known, reply.generation);
    shared.view = { reply, fetchedAt: this.#clock() };
    if (recovered) {
      // The fleet's state is the truth again; the local fallback starts from scratch next time.
      this.#state = { kind: CircuitState.CLOSED };
      this.strategy.reset();
    }
    this.#scheduleWake(shared, reply);
  }

  #emitShared(t: SharedTransition, lastError: unknown, actor: string): void {
    if (!this.#stateChanged.hasListeners) return;
    this.#stateChanged.emit({
      name: this.name,
      from: t.from,
      to: t.to,
      at: this.#clock(),
      reason: isOneOf(CircuitTransitionReason, t.reason) ? t.reason : CircuitTransitionReason.STORE_SYNC,
      ...(lastError !== undefined && { lastError }),
      shared: true,
      origin: t.actor === actor ? 'local' : 'remote',
      generation: t.generation,
      recordedAt: t.at,
    });
  }

  /** While open, refreshes right when the recovery timeout is due, so half-open is noticed promptly. */
  #scheduleWake(shared: SharedCircuit, reply: BreakerReply): void {
    clearTimeout(shared.wake);
    shared.wake = undefined;
    if (shared.closed || reply.state !== CircuitState.OPEN) return;
    const self = new WeakRef<CircuitBreaker>(this);
    shared.wake = setTimeout(() => {
      const breaker = self.deref();
      if (breaker) void breaker.#refresh(shared);
    }, reply.retryAfterMs + 1);
    unref(shared.wake);
  }

  #sharedSnapshot(shared: SharedCircuit): CircuitBreakerSnapshot {
    const reply = shared.view?.reply;
    const spec = shared.config.strategy;
    const common = {
      name: this.name,
      recovery_timeout_ms: this.recoveryTimeoutMs,
      half_open_max_probes: this.halfOpenMaxProbes,
      strategy:
        spec.kind === 'consecutive'
          ? {
              kind: spec.kind,
              threshold: spec.threshold,
              consecutive_failures: reply?.consecutiveFailures ?? 0,
            }
          : {
              kind: spec.kind,
              threshold: spec.threshold,
              window_ms: spec.windowMs,
              minimum_calls: spec.minimumCalls,
              buckets: spec.buckets,
              calls: reply?.windowCalls ?? 0,
              failures: reply?.windowFailures ?? 0,
            },
      shared: { store: shared.store.kind, generation: Math.max(shared.known, 0), degraded: false },
    };
    if (!reply || reply.state === CircuitState.CLOSED) return { ...common, state: CircuitState.CLOSED };
    if (reply.state === CircuitState.OPEN) {
      const elapsed = this.#clock() - (shared.view as SharedView).fetchedAt;
      return {
        ...common,
        state: CircuitState.OPEN,
        opened_at: reply.since,
        last_failure_at: reply.lastFailureAt,
        retry_after_ms: Math.max(0, reply.retryAfterMs - elapsed),
      };
    }
    return {
      ...common,
      state: CircuitState.HALF_OPEN,
      half_opened_at: reply.since,
      in_flight: reply.inFlight,
    };
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

/** The built-in strategies as data a store evaluates; a custom strategy cannot be shared. */
function strategySpec(strategy: BreakerStrategy): BreakerStrategySpec {
  if (strategy instanceof ConsecutiveFailureStrategy) {
    return { kind: 'consecutive', threshold: strategy.threshold };
  }
  if (strategy instanceof FailureRateStrategy) {
    return {
      kind: 'failure_rate',
      threshold: strategy.threshold,
      windowMs: strategy.windowMs,
      minimumCalls: strategy.minimumCalls,
      buckets: strategy.buckets,
    };
  }
  throw new ValidationError({
    field: 'strategy',
    value: strategy,
    expected:
      'a ConsecutiveFailureStrategy or FailureRateStrategy when a store is given (a store shares only these)',
  });
}

function positiveMs(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError({ field, value, expected: 'a positive finite number of milliseconds' });
  }
  return value;
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

/** Background timers never keep the process alive. */
function unref(timer: ReturnType<typeof setTimeout> | undefined): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

function isStrategy(value: unknown): value is BreakerStrategy {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<keyof BreakerStrategy, unknown>>;
  return (
    typeof s.onSuccess === 'function' && typeof s.onFailure === 'function' && typeof s.reset === 'function'
  );
}
