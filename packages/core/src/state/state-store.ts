import { AgentraceError } from '@agentrace/pricing';
import type { ValueOf } from '../common/wire.js';
import type { CircuitState } from './circuit-state.js';

/**
 * What a consumer of a {@link StateStore} (a shared breaker, budget or rate limiter) does when the store cannot
 * answer (down, slow past its command timeout, or erroring).
 *
 * - `fail_open`: decide on local state — the breaker runs its own state machine (seeded from the last fleet
 *   view), the budget enforces against the last fleet total it saw plus its own spend, the rate limiter keeps a
 *   local bucket — with one warning per outage and the `agentrace.state_store.unavailable` metric per decision.
 *   Spend recorded meanwhile is written to the store when it answers again.
 * - `fail_closed`: refuse the call with a {@link StateStoreUnavailableError}.
 */
export const StoreFailurePolicy = {
  FAIL_OPEN: 'fail_open',
  FAIL_CLOSED: 'fail_closed',
} as const;
export type StoreFailurePolicy = ValueOf<typeof StoreFailurePolicy>;

/** Why a store could not answer (carried by {@link StateStoreUnavailableError}). */
export const StoreUnavailableReason = {
  /** The command did not answer within the store's command timeout. */
  TIMEOUT: 'timeout',
  /** The client is disconnected (or the store is backing off after a failure); nothing was sent. */
  OFFLINE: 'offline',
  /** The store answered with an error. */
  ERROR: 'error',
} as const;
export type StoreUnavailableReason = ValueOf<typeof StoreUnavailableReason>;

/**
 * Thrown by a {@link StateStore} that cannot answer, and by its consumers under the `fail_closed` policy.
 *
 * @example
 * ```ts
 * if (StateStoreUnavailableError.isInstance(err)) console.warn(`shared state away (${err.reason}); try later`);
 * ```
 */
export class StateStoreUnavailableError extends AgentraceError {
  static override readonly errorName: string = 'StateStoreUnavailableError';

  /** The store's kind (`memory`, `redis`). */
  readonly store: string;
  /** The operation that failed (`breaker`, `reserve_budget`, `settle_budget`, `acquire_rate`, …). */
  readonly operation: string;
  /** Why. */
  readonly reason: StoreUnavailableReason;

  constructor(
    init: { store: string; operation: string; reason: StoreUnavailableReason },
    options?: ErrorOptions,
  ) {
    const detail =
      init.reason === StoreUnavailableReason.TIMEOUT
        ? 'did not answer in time'
        : init.reason === StoreUnavailableReason.OFFLINE
          ? 'is offline'
          : 'answered with an error';
    super(`state store "${init.store}" ${detail} (${init.operation})`, options);
    this.store = init.store;
    this.operation = init.operation;
    this.reason = init.reason;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Circuit breaker state
// ---------------------------------------------------------------------------------------------------------------

/** The closed-state strategy of a shared breaker, as data every process and the store evaluate the same way. */
export type BreakerStrategySpec =
  | { readonly kind: 'consecutive'; readonly threshold: number }
  | {
      readonly kind: 'failure_rate';
      readonly threshold: number;
      readonly windowMs: number;
      readonly minimumCalls: number;
      readonly buckets: number;
    };

/** How a shared breaker behaves; sent with every request (configure every process the same). */
export interface SharedBreakerConfig {
  /** Time after the last failure before the circuit goes half-open (ms). */
  readonly recoveryTimeoutMs: number;
  /** Probes admitted at once, fleet-wide, while half-open. */
  readonly halfOpenMaxProbes: number;
  /** How long a probe holds its slot; a crashed prober's slot frees itself after this (ms). */
  readonly probeLeaseMs: number;
  /** When the closed circuit opens. */
  readonly strategy: BreakerStrategySpec;
  /** The breaker's keys expire after this long without a write (ms). */
  readonly ttlMs: number;
}

/** What a breaker asks its store to do, atomically. */
export type BreakerCommand =
  /** Return the state (noticing an open circuit whose recovery timeout has passed). */
  | { readonly type: 'read' }
  /** Admit a call: closed admits, half-open admits while a probe slot is free (taking it as `leaseId`). */
  | { readonly type: 'admit'; readonly leaseId: string }
  /** Count the outcome of a call admitted under `generation` (ignored when a newer transition superseded it). */
  | {
      readonly type: 'settle';
      readonly generation: number;
      readonly outcome: 'success' | 'failure' | 'ignored';
      readonly leaseId: string;
    }
  /**
   * Extend a half-open probe's lease to `probeLeaseMs` from now, while the probe still holds it under `generation`
   * (`admitted` in the reply says whether it did: a lease that already expired, or a newer transition, is not
   * brought back). A breaker renews its probes while they run, so a slow probe keeps its slot.
   */
  | { readonly type: 'renew'; readonly generation: number; readonly leaseId: string }
  /** Count an outcome reported outside `execute` (`recordSuccess` / `recordFailure`). */
  | { readonly type: 'record'; readonly outcome: 'success' | 'failure' }
  /** Close the circuit and forget the counts. */
  | { readonly type: 'reset' };

/** One request to {@link StateStore.breaker}. */
export interface BreakerRequest {
  /** The breaker's name (its key). */
  readonly name: string;
  readonly config: SharedBreakerConfig;
  readonly command: BreakerCommand;
  /** Return the recorded transitions after this generation (−1: none). */
  readonly since: number;
  /** Who asks (a breaker instance id); recorded on the transitions the request causes. */
  readonly actor: string;
}

/** A transition as the store recorded it. */
export interface SharedTransition {
  /** The generation it started (one more than the one before). */
  readonly generation: number;
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** A {@link CircuitTransitionReason} value. */
  readonly reason: string;
  /** When, on the store's clock (ms). */
  readonly at: number;
  /** The breaker instance whose request made it. */
  readonly actor: string;
}

/** The store's answer to a {@link BreakerRequest}: the fleet-wide state after the command. */
export interface BreakerReply {
  readonly state: CircuitState;
  /** Increases by one with every transition; identifies the state a call was admitted under. */
  readonly generation: number;
  /** For `admit`: whether the call may run; for `renew`: whether the lease was extended. */
  readonly admitted: boolean;
  /** While open: ms until the circuit goes half-open; 0 otherwise. */
  readonly retryAfterMs: number;
  /** Live probe leases (half-open). */
  readonly inFlight: number;
  /** Consecutive failures counted (consecutive strategy). */
  readonly consecutiveFailures: number;
  /** Calls and failures in the sampling window (failure-rate strategy). */
  readonly windowCalls: number;
  readonly windowFailures: number;
  /** When the current state began, on the store's clock (ms; 0 when never written). */
  readonly since: number;
  /** The last failure while open (store clock, ms). */
  readonly lastFailureAt: number;
  /** Transitions after the request's `since`, oldest first (at most the store's log length). */
  readonly transitions: readonly SharedTransition[];
  /** The store's clock when it answered (ms). */
  readonly now: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Budget state (integer micro-dollars)
// ---------------------------------------------------------------------------------------------------------------

/** Retention settings every budget request carries. */
export interface BudgetRetention {
  /** The budget's keys expire after this long without a write (ms; 0: never). */
  readonly ttlMs: number;
  /** How long expired reservations and applied out-of-band settlements are remembered for deduplication (ms). */
  readonly dedupeWindowMs: number;
}

/** One request to {@link StateStore.reserveBudget}. */
export interface BudgetReserveRequest extends BudgetRetention {
  /** The budget's key (its name, plus a scope such as the day). */
  readonly key: string;
  /** Unique id of the reservation (settled with it). */
  readonly id: string;
  /** Amount to reserve (µUSD, a non-negative integer). */
  readonly amountMicros: number;
  /** The limit (µUSD). */
  readonly limitMicros: number;
  /** Refuse when spent + reserved + amount would go over the limit; otherwise always reserve. */
  readonly enforce: boolean;
  /** The reservation expires (and frees its amount) after this long unless settled (ms). */
  readonly reservationTtlMs: number;
}

/** The store's answer to {@link StateStore.reserveBudget}. */
export interface BudgetReserveReply {
  readonly admitted: boolean;
  /** Spent so far (µUSD), before this reservation. */
  readonly spentMicros: number;
  /** Reserved by calls in flight (µUSD), including this reservation when admitted. */
  readonly reservedMicros: number;
}

/** One settlement: the actual cost of a reserved call, or spend recorded without a reservation. */
export interface BudgetSettlement {
  /** The reservation id (or, for spend recorded without one, a unique id of the spend). */
  readonly id: string;
  /** Whether the store holds a reservation for it (`amountMicros` reserved under `id`). */
  readonly reserved: boolean;
  /**
   * The amount reserved (µUSD). When not reserved, the amount the call asked to reserve when the store could not
   * answer: if the store made that reservation after all (only its reply was lost), the settlement releases it.
   */
  readonly reservedMicros: number;
  /** The actual cost (µUSD, a non-negative integer). */
  readonly actualMicros: number;
}

/** One request to {@link StateStore.settleBudget}: every settlement applied at most once, atomically. */
export interface BudgetSettleRequest extends BudgetRetention {
  readonly key: string;
  readonly settlements: readonly BudgetSettlement[];
}

/** The store's answer to {@link StateStore.settleBudget}. */
export interface BudgetSettleReply {
  /** Settlements applied now. */
  readonly applied: number;
  /** Settlements found already applied (a retry of one that had reached the store). */
  readonly duplicates: number;
  readonly spentMicros: number;
  readonly reservedMicros: number;
}

/** A budget's totals. */
export interface BudgetTotals {
  readonly spentMicros: number;
  readonly reservedMicros: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Rate limits (token buckets)
// ---------------------------------------------------------------------------------------------------------------

/** One token bucket a rate-limit decision takes from. */
export interface RateBucket {
  /** The bucket's key within its request's `group`. */
  readonly key: string;
  /** Tokens added per ms. */
  readonly ratePerMs: number;
  /** Capacity: the most tokens the bucket holds. */
  readonly burst: number;
  /** Tokens this call takes (negative in {@link StateStore.adjustRate}: a refund). */
  readonly cost: number;
}

/** One request to {@link StateStore.acquireRate}: every bucket admits, or none is taken from. */
export interface RateAcquireRequest {
  /** Names the buckets' owner (a limiter and provider); keys of one request share it (a Redis Cluster hash slot). */
  readonly group: string;
  readonly buckets: readonly RateBucket[];
  /** Admit when every bucket has its cost within this wait (ms); the wait is reserved (the tokens are taken now). */
  readonly maxWaitMs: number;
}

/** The store's answer to {@link StateStore.acquireRate}. */
export interface RateAcquireReply {
  readonly admitted: boolean;
  /** How long the call must wait before it runs (admitted), or would have had to (refused) (ms). */
  readonly waitMs: number;
  /** Index of the bucket that needed the longest wait (−1 when none had to wait). */
  readonly bound: number;
  /** When the store decided, on its clock (ms): an admitted call is scheduled at `at + waitMs`. */
  readonly at: number;
}

/** One request to {@link StateStore.adjustRate}: costs taken (positive) or refunded (negative) after the fact. */
export interface RateAdjustRequest {
  readonly group: string;
  readonly buckets: readonly RateBucket[];
}

/**
 * Where fleet-wide breaker, budget and rate-limit state lives. Each method is one atomic decision (on Redis: one
 * server-side script, one round trip), so processes sharing a store never see a half-made decision.
 *
 * `InMemoryStateStore` (the default) keeps the state in this process; `RedisStateStore` from `@agentrace/redis`
 * shares it between processes. A store that cannot answer rejects with {@link StateStoreUnavailableError}; its
 * consumers then apply their {@link StoreFailurePolicy}.
 */
export interface StateStore {
  /** The kind, for diagnostics and telemetry (`memory`, `redis`). */
  readonly kind: string;
  /** The policy consumers apply when this store cannot answer, unless they set their own. */
  readonly failurePolicy?: StoreFailurePolicy;
  /** Runs one breaker command. */
  breaker(request: BreakerRequest): Promise<BreakerReply>;
  /** Reserves an amount of a budget (or refuses it). */
  reserveBudget(request: BudgetReserveRequest): Promise<BudgetReserveReply>;
  /** Applies settlements (each at most once). */
  settleBudget(request: BudgetSettleRequest): Promise<BudgetSettleReply>;
  /** A budget's totals. */
  budgetTotals(key: string): Promise<BudgetTotals>;
  /** Takes from token buckets (or refuses). */
  acquireRate(request: RateAcquireRequest): Promise<RateAcquireReply>;
  /** Takes or refunds tokens after the fact. */
  adjustRate(request: RateAdjustRequest): Promise<void>;
}

/** How many transitions a store keeps per breaker (a process that missed more adopts the current state). */
export const BREAKER_LOG_LENGTH = 32;

/** Most expired reservations or stale dedupe entries one budget decision cleans up (bounds its work). */
export const BUDGET_PURGE_BATCH = 64;
