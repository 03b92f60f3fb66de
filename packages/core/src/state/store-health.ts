import { ValidationError } from '@agentrace/pricing';
import { type Attributes, diag, type MeterProvider } from '@opentelemetry/api';
import { isOneOf } from '../common/wire.js';
import { guard } from '../telemetry/guard.js';
import { instrumentsFor } from '../telemetry/instruments.js';
import {
  ATTR_AGENTRACE_STATE_STORE_CONSUMER,
  ATTR_AGENTRACE_STATE_STORE_KIND,
  ATTR_AGENTRACE_STATE_STORE_POLICY,
} from '../telemetry/semconv.js';
import {
  type StateStore,
  StateStoreUnavailableError,
  StoreFailurePolicy,
  StoreUnavailableReason,
} from './state-store.js';

/** Which kind of consumer a {@link StoreHealth} watches (the `agentrace.state_store.consumer` attribute). */
export type StoreConsumer = 'circuit_breaker' | 'budget' | 'rate_limit';

/**
 * Checks a consumer's `store` and `onStoreUnavailable` options and resolves the policy: the consumer's own, else
 * the store's, else `fail_open`.
 *
 * @internal
 * @throws {ValidationError} naming `store` (not a StateStore) or `onStoreUnavailable` (not a policy).
 */
export function resolveStorePolicy(store: unknown, policy: unknown): StoreFailurePolicy {
  if (!isStateStore(store)) {
    throw new ValidationError({
      field: 'store',
      value: store,
      expected: 'a StateStore (InMemoryStateStore, RedisStateStore, …)',
    });
  }
  const chosen = policy ?? store.failurePolicy ?? StoreFailurePolicy.FAIL_OPEN;
  if (!isOneOf(StoreFailurePolicy, chosen)) {
    throw new ValidationError({
      field: 'onStoreUnavailable',
      value: chosen,
      expected: `one of ${Object.values(StoreFailurePolicy).join(', ')}`,
    });
  }
  return chosen;
}

function isStateStore(value: unknown): value is StateStore {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<keyof StateStore, unknown>>;
  return (
    typeof s.breaker === 'function' &&
    typeof s.reserveBudget === 'function' &&
    typeof s.settleBudget === 'function' &&
    typeof s.budgetTotals === 'function' &&
    typeof s.acquireRate === 'function' &&
    typeof s.adjustRate === 'function'
  );
}

/**
 * Tracks whether a consumer's store is answering: warns once when it stops (and logs once when it is back), counts
 * every decision made without it on `agentrace.state_store.unavailable`, and turns whatever the store threw into a
 * {@link StateStoreUnavailableError}.
 *
 * @internal Shared by the shared breaker, budget and rate limiter.
 */
export class StoreHealth {
  readonly policy: StoreFailurePolicy;
  readonly #consumer: StoreConsumer;
  readonly #name: string;
  readonly #store: StateStore;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #attributes: Attributes;
  #degraded = false;

  constructor(init: {
    consumer: StoreConsumer;
    name: string;
    store: StateStore;
    policy: StoreFailurePolicy;
    meterProvider: MeterProvider | undefined;
  }) {
    this.#consumer = init.consumer;
    this.#name = init.name;
    this.#store = init.store;
    this.policy = init.policy;
    this.#meterProvider = init.meterProvider;
    this.#attributes = {
      [ATTR_AGENTRACE_STATE_STORE_CONSUMER]: init.consumer,
      [ATTR_AGENTRACE_STATE_STORE_POLICY]: init.policy,
      [ATTR_AGENTRACE_STATE_STORE_KIND]: init.store.kind,
    };
  }

  /** Whether the last store call failed (decisions are being made without the store). */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** Attributes describing the store and policy, for span events. */
  get attributes(): Attributes {
    return this.#attributes;
  }

  /** Records a failed store call (warning once per outage) and returns it as a StateStoreUnavailableError. */
  failed(err: unknown, operation: string): StateStoreUnavailableError {
    const error = StateStoreUnavailableError.isInstance(err)
      ? err
      : new StateStoreUnavailableError(
          { store: this.#store.kind, operation, reason: StoreUnavailableReason.ERROR },
          { cause: err },
        );
    if (!this.#degraded) {
      this.#degraded = true;
      const what =
        this.policy === StoreFailurePolicy.FAIL_OPEN
          ? 'deciding on local state until it answers again'
          : 'refusing calls until it answers again';
      diag.warn(
        `agentrace: the ${this.#store.kind} state store is unavailable for ${this.#consumer} "${this.#name}" (${error.message}); ${what}`,
        err,
      );
    }
    return error;
  }

  /** Records a successful store call; returns whether the store just came back. */
  succeeded(): boolean {
    if (!this.#degraded) return false;
    this.#degraded = false;
    diag.info(
      `agentrace: the ${this.#store.kind} state store answers again for ${this.#consumer} "${this.#name}"`,
    );
    return true;
  }

  /** Counts one decision made without the store. */
  countFallback(): void {
    guard('state store unavailable metric', () =>
      instrumentsFor(this.#meterProvider).stateStoreUnavailable.add(1, this.#attributes),
    );
  }
}
