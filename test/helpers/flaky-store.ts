import {
  type StateStore,
  StateStoreUnavailableError,
  type StoreFailurePolicy,
  StoreUnavailableReason,
} from '@agentrace/core';

/**
 * A store that forwards to a real one until told it is down (then every call rejects as offline, or with
 * `error`), standing in for a Redis that goes away. Counts calls per method.
 */
export class FlakyStore implements StateStore {
  readonly kind = 'flaky';
  down = false;
  /** Thrown instead of StateStoreUnavailableError when set (a store that breaks in an unexpected way). */
  error: unknown;
  /** Awaited before each forwarded call (to reorder answers). */
  gate: (() => Promise<void>) | undefined;
  /** Forward the call, then reject as timed out: the command ran but its answer was lost. */
  lose = false;
  readonly calls: Record<string, number> = {};

  constructor(
    readonly inner: StateStore,
    readonly failurePolicy?: StoreFailurePolicy,
  ) {}

  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    if (this.error !== undefined) throw this.error;
    if (this.down) {
      throw new StateStoreUnavailableError({
        store: this.kind,
        operation,
        reason: StoreUnavailableReason.OFFLINE,
      });
    }
    await this.gate?.();
    const result = await fn();
    if (this.lose) {
      throw new StateStoreUnavailableError({
        store: this.kind,
        operation,
        reason: StoreUnavailableReason.TIMEOUT,
      });
    }
    return result;
  }

  breaker: StateStore['breaker'] = (r) => this.#call('breaker', () => this.inner.breaker(r));
  reserveBudget: StateStore['reserveBudget'] = (r) =>
    this.#call('reserve_budget', () => this.inner.reserveBudget(r));
  settleBudget: StateStore['settleBudget'] = (r) =>
    this.#call('settle_budget', () => this.inner.settleBudget(r));
  budgetTotals: StateStore['budgetTotals'] = (k) =>
    this.#call('budget_totals', () => this.inner.budgetTotals(k));
  acquireRate: StateStore['acquireRate'] = (r) => this.#call('acquire_rate', () => this.inner.acquireRate(r));
  adjustRate: StateStore['adjustRate'] = (r) => this.#call('adjust_rate', () => this.inner.adjustRate(r));
}
