import type { MeterProvider } from '@opentelemetry/api';
import type { Clock } from '../common/clock.js';
import type { Emitter } from '../common/listeners.js';
import { isOneOf } from '../common/wire.js';
import { CircuitState } from '../state/circuit-state.js';
import {
  type BreakerCommand,
  type BreakerReply,
  type SharedBreakerConfig,
  type SharedTransition,
  type StateStore,
  StoreFailurePolicy,
} from '../state/state-store.js';
import { StoreHealth } from '../state/store-health.js';
import type {
  CircuitBreakerSnapshot,
  CircuitCallContext,
  ResolvedSharedOptions,
} from './circuit-breaker-options.js';
import { type CircuitRejection, type CircuitStateChange, CircuitTransitionReason } from './circuit-events.js';
import type { AdmittingState, CircuitMachine, Outcome } from './circuit-machine.js';
import { CircuitOpenError, type RejectingCircuitState } from './circuit-open-error.js';

/** @internal A call the store admitted (a local admission is the AdmittingState object itself). */
export interface SharedAdmission {
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

/** @internal What a shared circuit is built from. */
export interface SharedCircuitInit extends ResolvedSharedOptions {
  readonly name: string;
  readonly clock: Clock;
  /** The breaker's own machine: the fallback while the store is unavailable. */
  readonly machine: CircuitMachine;
  readonly stateChanged: Emitter<CircuitStateChange>;
  readonly rejected: Emitter<CircuitRejection>;
  readonly meterProvider: MeterProvider | undefined;
}

/**
 * @internal The store-backed path of a breaker: asks the store to admit and settle calls, keeps the fleet view
 * behind `state()` fresh (polling, and waking when an open circuit's timeout is due), reports transitions made
 * anywhere in the fleet, and falls back to the local machine (fail open) or rejects (fail closed) while the
 * store cannot answer.
 */
export class SharedCircuit {
  readonly store: StateStore;
  readonly config: SharedBreakerConfig;
  readonly health: StoreHealth;
  readonly syncIntervalMs: number;
  /** This breaker instance, as recorded on the transitions it makes. */
  readonly actor: string;
  view: SharedView | undefined;
  /** The newest generation seen (−1: none yet; the first answer's older transitions are adopted, not replayed). */
  known = -1;
  refreshing: Promise<void> | undefined;
  readonly pending = new Set<Promise<void>>();
  poll: ReturnType<typeof setInterval> | undefined;
  wake: ReturnType<typeof setTimeout> | undefined;
  closed = false;

  readonly #name: string;
  readonly #clock: Clock;
  readonly #machine: CircuitMachine;
  readonly #stateChanged: Emitter<CircuitStateChange>;
  readonly #rejected: Emitter<CircuitRejection>;

  constructor(init: SharedCircuitInit) {
    this.#name = init.name;
    this.#clock = init.clock;
    this.#machine = init.machine;
    this.#stateChanged = init.stateChanged;
    this.#rejected = init.rejected;
    this.store = init.store;
    this.config = init.config;
    this.health = new StoreHealth({
      consumer: 'circuit_breaker',
      name: init.name,
      store: init.store,
      policy: init.policy,
      meterProvider: init.meterProvider,
    });
    this.syncIntervalMs = init.syncIntervalMs;
    this.actor = randomId();
    // Held weakly: a breaker nobody uses any more is collected, and its timer stops with it.
    const self = new WeakRef<SharedCircuit>(this);
    const poll = setInterval(() => {
      const shared = self.deref();
      if (shared) void shared.refresh();
      else clearInterval(poll);
    }, init.syncIntervalMs);
    this.poll = poll;
    unref(poll);
    // Adopt the fleet's state right away rather than at the first tick.
    void this.refresh();
  }

  /** The fleet's state as of the last answer. */
  state(): CircuitState {
    return this.view?.reply.state ?? CircuitState.CLOSED;
  }

  /** Waits for the commands still on their way to the store, then refreshes the view. Never rejects. */
  async sync(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.refresh();
  }

  /** Stops refreshing the view in the background. Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.wake);
    this.poll = undefined;
    this.wake = undefined;
  }

  #request(command: BreakerCommand) {
    // Before the first answer every transition is asked for: this breaker's own are reported, older ones not.
    const since = Math.max(this.known, 0);
    return { name: this.#name, config: this.config, command, since, actor: this.actor };
  }

  /** Asks the store to admit a call; falls back to the local machine (fail open) or rejects (fail closed). */
  async admit(): Promise<SharedAdmission | AdmittingState> {
    const leaseId = randomId();
    let reply: BreakerReply;
    try {
      reply = await this.store.breaker(this.#request({ type: 'admit', leaseId }));
    } catch (err) {
      const error = this.#storeFailed(err);
      this.health.countFallback();
      if (this.health.policy === StoreFailurePolicy.FAIL_CLOSED) throw error;
      return this.#machine.admit();
    }
    this.#onReply(reply);
    if (reply.admitted) {
      return { kind: reply.state as CircuitCallContext['state'], generation: reply.generation, leaseId };
    }
    const now = this.#clock();
    const error = new CircuitOpenError({
      breakerName: this.#name,
      state: reply.state as RejectingCircuitState,
      retryAfterMs: reply.retryAfterMs,
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

  /**
   * Keeps a running probe's lease alive: renewed every third of `probeLeaseMs`, so a probe slower than the lease (a
   * long generation, a reasoning model) keeps its slot, while a prober that crashed stops renewing and its slot
   * lapses. A renewal the store refuses (the lease lapsed, or the spell ended) changes nothing for the call.
   */
  renewWhileRunning(admitted: SharedAdmission): ReturnType<typeof setInterval> {
    const command: BreakerCommand = {
      type: 'renew',
      generation: admitted.generation,
      leaseId: admitted.leaseId,
    };
    const timer = setInterval(() => {
      const run = async () => {
        try {
          this.#onReply(await this.store.breaker(this.#request(command)));
        } catch (err) {
          this.#storeFailed(err);
        }
      };
      const pending = run();
      this.pending.add(pending);
      void pending.finally(() => this.pending.delete(pending));
    }, this.config.probeLeaseMs / 3);
    // A renewal never keeps the process alive on its own: the probe's own work does.
    timer.unref?.();
    return timer;
  }

  /** Counts a store-admitted call's outcome; while the store is away, on the local machine instead. */
  async settle(admitted: SharedAdmission, outcome: Outcome, error?: unknown): Promise<void> {
    const counted = outcome === 'success' || outcome === 'failure' ? outcome : 'ignored';
    try {
      const reply = await this.store.breaker(
        this.#request({
          type: 'settle',
          generation: admitted.generation,
          outcome: counted,
          leaseId: admitted.leaseId,
        }),
      );
      this.#onReply(reply, error);
    } catch (err) {
      this.#storeFailed(err);
      if (this.health.policy === StoreFailurePolicy.FAIL_OPEN) this.#machine.record(counted, error);
    }
  }

  /** Sends a reset or a manual record to the store in the background (`sync()` waits for it). */
  command(command: BreakerCommand, error?: unknown): void {
    const run = async () => {
      try {
        this.#onReply(await this.store.breaker(this.#request(command)), error);
      } catch (err) {
        this.#storeFailed(err);
        if (this.health.policy !== StoreFailurePolicy.FAIL_OPEN) return;
        if (command.type === 'reset') this.#machine.reset();
        else if (command.type === 'record') this.#machine.record(command.outcome, error);
      }
    };
    const pending = run();
    this.pending.add(pending);
    void pending.finally(() => this.pending.delete(pending));
  }

  /** Reads the store (at most one read in flight); reports transitions made elsewhere. */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const run = async () => {
      try {
        this.#onReply(await this.store.breaker(this.#request({ type: 'read' })));
      } catch (err) {
        this.#storeFailed(err);
      } finally {
        this.refreshing = undefined;
      }
    };
    this.refreshing = run();
    return this.refreshing;
  }

  /** Notes a store failure; on the first of an outage, the local machine takes over from the last fleet view. */
  #storeFailed(err: unknown) {
    const wasDegraded = this.health.degraded;
    const error = this.health.failed(err, 'breaker');
    if (!wasDegraded) this.#machine.seed(this.view);
    return error;
  }

  /**
   * Takes in a store answer: reports the transitions after the newest generation seen, in order (or, when they
   * cannot be replayed, one `store_sync` change to the fleet's state), and keeps the answer as the view.
   */
  #onReply(reply: BreakerReply, lastError?: unknown): void {
    const degraded = this.health.degraded;
    let reported = degraded ? this.#machine.kind : (this.view?.reply.state ?? CircuitState.CLOSED);
    const recovered = this.health.succeeded();
    // Answers can arrive out of order; an older one says nothing new.
    if (!recovered && reply.generation < this.known) return;
    if (!recovered) {
      const joining = this.known < 0;
      for (const t of reply.transitions) {
        if (t.generation <= this.known || (joining && t.actor !== this.actor)) continue;
        this.known = t.generation;
        this.#emitShared(t, t.actor === this.actor ? lastError : undefined);
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
      );
    }
    this.known = Math.max(this.known, reply.generation);
    this.view = { reply, fetchedAt: this.#clock() };
    if (recovered) {
      // The fleet's state is the truth again; the local fallback starts from scratch next time.
      this.#machine.restart();
    }
    this.#scheduleWake(reply);
  }

  #emitShared(t: SharedTransition, lastError: unknown): void {
    if (!this.#stateChanged.hasListeners) return;
    this.#stateChanged.emit({
      name: this.#name,
      from: t.from,
      to: t.to,
      at: this.#clock(),
      reason: isOneOf(CircuitTransitionReason, t.reason) ? t.reason : CircuitTransitionReason.STORE_SYNC,
      ...(lastError !== undefined && { lastError }),
      shared: true,
      origin: t.actor === this.actor ? 'local' : 'remote',
      generation: t.generation,
      recordedAt: t.at,
    });
  }

  /** While open, refreshes right when the recovery timeout is due, so half-open is noticed promptly. */
  #scheduleWake(reply: BreakerReply): void {
    clearTimeout(this.wake);
    this.wake = undefined;
    if (this.closed || reply.state !== CircuitState.OPEN) return;
    const self = new WeakRef<SharedCircuit>(this);
    this.wake = setTimeout(() => {
      const shared = self.deref();
      if (shared) void shared.refresh();
    }, reply.retryAfterMs + 1);
    unref(this.wake);
  }

  /** The fleet's snapshot, as of the last answer (times on the store's clock). */
  snapshot(common: {
    name: string;
    recovery_timeout_ms: number;
    half_open_max_probes: number;
  }): CircuitBreakerSnapshot {
    const reply = this.view?.reply;
    const spec = this.config.strategy;
    const base = {
      ...common,
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
      shared: { store: this.store.kind, generation: Math.max(this.known, 0), degraded: false },
    };
    if (!reply || reply.state === CircuitState.CLOSED) return { ...base, state: CircuitState.CLOSED };
    if (reply.state === CircuitState.OPEN) {
      const elapsed = this.#clock() - (this.view as SharedView).fetchedAt;
      return {
        ...base,
        state: CircuitState.OPEN,
        opened_at: reply.since,
        last_failure_at: reply.lastFailureAt,
        retry_after_ms: Math.max(0, reply.retryAfterMs - elapsed),
      };
    }
    return {
      ...base,
      state: CircuitState.HALF_OPEN,
      half_opened_at: reply.since,
      in_flight: reply.inFlight,
    };
  }
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

/** Background timers never keep the process alive. */
function unref(timer: ReturnType<typeof setTimeout> | undefined): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
