import { ValidationError } from '@agentrace/pricing';
import type { MeterProvider } from '@opentelemetry/api';
import { type Clock, monotonicClock } from '../common/clock.js';
import type { CircuitState } from '../state/circuit-state.js';
import type {
  BreakerStrategySpec,
  SharedBreakerConfig,
  StateStore,
  StoreFailurePolicy,
} from '../state/state-store.js';
import { resolveStorePolicy } from '../state/store-health.js';
import {
  type BreakerStrategy,
  ConsecutiveFailureStrategy,
  FailureRateStrategy,
  requirePositiveInteger,
} from './breaker-strategy.js';

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

const DEFAULT_FAILURE_THRESHOLD = 5;
const DEFAULT_RECOVERY_TIMEOUT_MS = 60_000;
const DEFAULT_HALF_OPEN_MAX_PROBES = 1;
const DEFAULT_PROBE_LEASE_MS = 30_000;
const DEFAULT_SYNC_INTERVAL_MS = 500;
const DEFAULT_STATE_TTL_MS = 24 * 60 * 60 * 1000;

/** @internal A breaker's local options, validated, defaults applied. */
export interface ResolvedBreakerOptions {
  readonly name: string;
  readonly recoveryTimeoutMs: number;
  readonly halfOpenMaxProbes: number;
  readonly clock: Clock;
  readonly isFailure: ((err: unknown) => boolean) | undefined;
  readonly strategy: BreakerStrategy;
}

/**
 * @internal Validates a breaker's options (store options apart: {@link resolveSharedOptions}).
 * @throws {ValidationError} naming the option that is wrong.
 */
export function resolveBreakerOptions(options: CircuitBreakerOptions): ResolvedBreakerOptions {
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
  if (typeof recoveryTimeoutMs !== 'number' || !Number.isFinite(recoveryTimeoutMs) || recoveryTimeoutMs < 0) {
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
  const probes = requirePositiveInteger('halfOpenMaxProbes', halfOpenMaxProbes);
  let resolved: BreakerStrategy;
  if (strategy === undefined) {
    const threshold = requirePositiveInteger(
      'failureThreshold',
      failureThreshold ?? DEFAULT_FAILURE_THRESHOLD,
    );
    resolved = new ConsecutiveFailureStrategy({ threshold });
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
    resolved = strategy;
  }
  return { name, recoveryTimeoutMs, halfOpenMaxProbes: probes, clock, isFailure, strategy: resolved };
}

/** @internal A shared breaker's store options, validated, defaults applied. */
export interface ResolvedSharedOptions {
  readonly store: StateStore;
  readonly policy: StoreFailurePolicy;
  readonly config: SharedBreakerConfig;
  readonly syncIntervalMs: number;
}

/**
 * @internal Validates the store options of a breaker whose local options are `local`.
 * @throws {ValidationError} naming the option that is wrong.
 */
export function resolveSharedOptions(
  options: CircuitBreakerOptions,
  local: Pick<ResolvedBreakerOptions, 'recoveryTimeoutMs' | 'halfOpenMaxProbes' | 'strategy'>,
): ResolvedSharedOptions {
  const store = options.store as StateStore;
  const policy = resolveStorePolicy(store, options.onStoreUnavailable);
  const spec = strategySpec(local.strategy);
  const probeLeaseMs = positiveMs('probeLeaseMs', options.probeLeaseMs ?? DEFAULT_PROBE_LEASE_MS);
  const syncIntervalMs = positiveMs('syncIntervalMs', options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
  const windowMs = spec.kind === 'failure_rate' ? spec.windowMs : 0;
  const ttlMs = positiveMs(
    'stateTtlMs',
    options.stateTtlMs ?? Math.max(DEFAULT_STATE_TTL_MS, 2 * local.recoveryTimeoutMs, 2 * windowMs),
  );
  return {
    store,
    policy,
    config: {
      recoveryTimeoutMs: local.recoveryTimeoutMs,
      halfOpenMaxProbes: local.halfOpenMaxProbes,
      probeLeaseMs,
      strategy: spec,
      ttlMs,
    },
    syncIntervalMs,
  };
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

function isStrategy(value: unknown): value is BreakerStrategy {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<keyof BreakerStrategy, unknown>>;
  return (
    typeof s.onSuccess === 'function' && typeof s.onFailure === 'function' && typeof s.reset === 'function'
  );
}
