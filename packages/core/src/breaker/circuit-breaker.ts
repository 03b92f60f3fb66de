import { diag } from '@opentelemetry/api';
import type { Clock } from '../common/clock.js';
import { Emitter, type Listener } from '../common/listeners.js';
import { CircuitState } from '../state/circuit-state.js';
import type { BreakerStrategy } from './breaker-strategy.js';
import {
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  type CircuitCallContext,
  type CircuitExecuteOptions,
  resolveBreakerOptions,
  resolveSharedOptions,
} from './circuit-breaker-options.js';
import type { CircuitRejection, CircuitStateChange } from './circuit-events.js';
import { CircuitMachine } from './circuit-machine.js';
import { SharedCircuit } from './shared-circuit.js';

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
  readonly #stateChanged = new Emitter<CircuitStateChange>();
  readonly #rejected = new Emitter<CircuitRejection>();
  readonly #machine: CircuitMachine;
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
    const resolved = resolveBreakerOptions(options);
    this.name = resolved.name;
    this.recoveryTimeoutMs = resolved.recoveryTimeoutMs;
    this.halfOpenMaxProbes = resolved.halfOpenMaxProbes;
    this.#clock = resolved.clock;
    this.#isFailure = resolved.isFailure;
    this.strategy = resolved.strategy;
    this.#machine = new CircuitMachine({
      ...resolved,
      stateChanged: this.#stateChanged,
      rejected: this.#rejected,
    });
    if (options.store !== undefined) {
      this.#shared = new SharedCircuit({
        ...resolveSharedOptions(options, resolved),
        name: resolved.name,
        clock: resolved.clock,
        machine: this.#machine,
        stateChanged: this.#stateChanged,
        rejected: this.#rejected,
        meterProvider: options.meterProvider,
      });
    }
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
    const admitted = this.#shared ? await this.#shared.admit() : this.#machine.admit();
    if ('leaseId' in admitted && callerSignal?.aborted) {
      // Cancelled while the store was deciding: give the slot back without running.
      await (this.#shared as SharedCircuit).settle(admitted, 'cancelled');
      throw callerSignal.reason;
    }
    const controller = new AbortController();
    const forwardAbort = () => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', forwardAbort, { once: true });
    const renewal =
      'leaseId' in admitted && admitted.kind === CircuitState.HALF_OPEN
        ? (this.#shared as SharedCircuit).renewWhileRunning(admitted)
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
      if ('leaseId' in admitted) await (this.#shared as SharedCircuit).settle(admitted, outcome, err);
      else this.#machine.settle(admitted, outcome, err);
      throw err;
    } finally {
      callerSignal?.removeEventListener('abort', forwardAbort);
      if (renewal !== undefined) clearInterval(renewal);
    }
    if ('leaseId' in admitted) await (this.#shared as SharedCircuit).settle(admitted, 'success');
    else this.#machine.settle(admitted, 'success');
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
    if (shared && !shared.health.degraded) return shared.state();
    return this.#machine.current(this.#clock()).kind;
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
    await shared.sync();
  }

  /**
   * With a store: stops refreshing the view in the background (the breaker still works; a breaker nobody
   * references any more stops by itself). Idempotent.
   */
  close(): void {
    const shared = this.#shared;
    shared?.close();
  }

  /**
   * Closes the circuit and forgets every count. In-flight calls' outcomes are then ignored.
   *
   * With a store, the reset is fleet-wide and takes effect when the store answers (`await breaker.sync()` to
   * wait for it).
   */
  reset(): void {
    if (this.#shared) {
      this.#shared.command({ type: 'reset' });
      return;
    }
    this.#machine.reset();
  }

  /**
   * Reports a success of a call made outside `execute`, as if it had just run through the breaker: counted
   * when closed, closes the circuit when half-open. Ignored while open: only a probe or `reset()` closes it.
   * With a store, it is counted fleet-wide when the store answers.
   */
  recordSuccess(): void {
    if (this.#shared) {
      this.#shared.command({ type: 'record', outcome: 'success' });
      return;
    }
    this.#machine.recordSuccess();
  }

  /**
   * Reports a failure of a call made outside `execute`, as if it had just run through the breaker: counted
   * when closed (may open the circuit), re-opens it when half-open, and restarts the recovery timer while
   * open. `error`, when given, is passed on as the state change's `lastError`. With a store, it is counted
   * fleet-wide when the store answers.
   */
  recordFailure(error?: unknown): void {
    if (this.#shared) {
      this.#shared.command({ type: 'record', outcome: 'failure' }, error);
      return;
    }
    this.#machine.recordFailure(error);
  }

  /**
   * A snake_case snapshot of the state and the strategy's counts, for inspection or a shared state store.
   * Times are on the breaker's clock (monotonic ms), so they only compare within one process.
   */
  toJSON(): CircuitBreakerSnapshot {
    const shared = this.#shared;
    if (shared && !shared.health.degraded) {
      return shared.snapshot({
        name: this.name,
        recovery_timeout_ms: this.recoveryTimeoutMs,
        half_open_max_probes: this.halfOpenMaxProbes,
      });
    }
    return this.#machine.snapshot(
      shared && { store: shared.store.kind, generation: Math.max(shared.known, 0), degraded: true },
    );
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
}
