import { ValidationError } from '@agentrace/pricing';
import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { guard } from '../telemetry/guard.js';
import { instrumentsFor } from '../telemetry/instruments.js';
import {
  ATTR_AGENTRACE_BUDGET_ENFORCED,
  ATTR_AGENTRACE_BUDGET_IN_FLIGHT_USD,
  ATTR_AGENTRACE_BUDGET_KEY,
  ATTR_AGENTRACE_BUDGET_NAME,
  ATTR_AGENTRACE_BUDGET_OUTCOME,
  ATTR_AGENTRACE_BUDGET_RESERVED_USD,
  ATTR_AGENTRACE_BUDGET_SPENT_USD,
  ATTR_AGENTRACE_BUDGET_USD,
  EVENT_AGENTRACE_BUDGET_REFUSED,
  EVENT_AGENTRACE_BUDGET_RESERVED,
  EVENT_AGENTRACE_STATE_STORE_UNAVAILABLE,
} from '../telemetry/semconv.js';
import { fromMicroUsd, toMicroUsd } from '../usage/micro-usd.js';
import { BudgetExceededError } from '../usage/usage-tracker.js';
import { InMemoryStateStore } from './in-memory-state-store.js';
import {
  type BudgetRetention,
  type BudgetSettlement,
  type StateStore,
  StateStoreUnavailableError,
  StoreFailurePolicy,
  StoreUnavailableReason,
} from './state-store.js';
import { resolveStorePolicy, StoreHealth } from './store-health.js';
import type { TurnGate, TurnGateContext, TurnGateOutcome, TurnGateTicket } from './turn-gate.js';

/**
 * Thrown (by {@link SharedBudget} as a gate, so the turn fails before the model is called) when reserving the
 * call's expected cost would take the shared budget over its limit. A {@link BudgetExceededError}: code that
 * handles a session's own budget handles this one too.
 *
 * @example
 * ```ts
 * if (SharedBudgetExceededError.isInstance(err)) console.warn(`${err.budgetName}: ${err.message}`);
 * ```
 */
export class SharedBudgetExceededError extends BudgetExceededError {
  static override readonly errorName: string = 'SharedBudgetExceededError';

  /** The budget's name. */
  readonly budgetName: string;
  /** The budget's key in the store (the name, plus the scope). */
  readonly budgetKey: string;
  /** What calls in flight (fleet-wide) had reserved, in USD. */
  readonly reservedUsd: number;
  /** What this call asked to reserve, in USD. */
  readonly requestedUsd: number;

  constructor(init: {
    budgetName: string;
    budgetKey: string;
    budgetUsd: number;
    currentCostUsd: number;
    reservedUsd: number;
    requestedUsd: number;
  }) {
    super({ budgetUsd: init.budgetUsd, currentCostUsd: init.currentCostUsd });
    this.message =
      `shared budget "${init.budgetKey}" would be exceeded: spent $${init.currentCostUsd} + in flight ` +
      `$${init.reservedUsd} + this call $${init.requestedUsd} is over $${init.budgetUsd}`;
    this.budgetName = init.budgetName;
    this.budgetKey = init.budgetKey;
    this.reservedUsd = init.reservedUsd;
    this.requestedUsd = init.requestedUsd;
  }
}

/** Options of {@link SharedBudget}. */
export interface SharedBudgetOptions {
  /**
   * The budget's name (`tenant-a`, `project-42`): its key in the store, and `agentrace.budget.name` on metrics
   * and events (keep it low-cardinality; put a day or month in `scope`).
   */
  name: string;
  /** The limit in USD (non-negative). */
  limitUsd: number;
  /** Where spend is kept: `RedisStateStore` to share it between processes (default: a new `InMemoryStateStore`). */
  store?: StateStore;
  /** Refuse calls whose reservation would go over the limit (default true); `false` only records spend. */
  enforce?: boolean;
  /**
   * Appended to the key at each reservation (`name:scope`), so the budget rolls over: e.g.
   * `() => new Date().toISOString().slice(0, 10)` for a daily budget. A call settles under the scope it reserved in.
   */
  scope?: () => string;
  /**
   * A reservation not settled within this long frees its amount (ms, default 600 000): a process that died mid-call
   * does not hold budget forever. Set it above your longest call; a settlement arriving later is still applied
   * (within `dedupeWindowMs`).
   */
  reservationTtlMs?: number;
  /** The budget's keys expire this long after the last write (ms; default 35 days; 0 keeps them). */
  ttlMs?: number;
  /** How long expired reservations and out-of-band settlements are remembered, to apply each once (ms, default 24 h). */
  dedupeWindowMs?: number;
  /** When the store cannot answer (default: the store's `failurePolicy`, else `fail_open`). */
  onStoreUnavailable?: StoreFailurePolicy;
  /** How often settlements recorded while the store was away are retried (ms, default 1 000). */
  retryIntervalMs?: number;
  /** Meter provider for the budget metrics (default: the global one). */
  meterProvider?: MeterProvider;
}

/** {@link SharedBudget.status}: the fleet's totals, and what this process still has to write. */
export interface SharedBudgetStatus {
  /** The key the totals are of. */
  readonly key: string;
  readonly limitUsd: number;
  /** Spent, fleet-wide (as the store has it). */
  readonly spentUsd: number;
  /** Reserved by calls in flight, fleet-wide. */
  readonly reservedUsd: number;
  /** Limit − spent − reserved, never below 0. */
  readonly remainingUsd: number;
  /** The same figures in µUSD (exact). */
  readonly spentMicros: number;
  readonly reservedMicros: number;
  /** Settlements of this process not yet written to the store (recorded while it was unavailable). */
  readonly pendingSettlements: number;
  readonly pendingMicros: number;
}

interface Pending {
  readonly key: string;
  readonly settlement: BudgetSettlement;
}

const DEFAULT_RESERVATION_TTL_MS = 10 * 60 * 1000;
const DEFAULT_TTL_MS = 35 * 24 * 60 * 60 * 1000;
const DEFAULT_DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;
const DEFAULT_RETRY_INTERVAL_MS = 1000;
const RECONCILE_BATCH = 256;

/**
 * A named budget shared by every session that has it among its gates, in every process that uses the same store:
 * a {@link TurnGate} that reserves each model call's expected cost (`runTurn`'s `expectedUsage`, priced) before the
 * call and settles its actual cost after. Spend is integer micro-dollars (each call's cost rounded to the nearest
 * µUSD), so the fleet's total is the exact sum of its calls.
 *
 * **Overshoot bound.** A call is admitted only if spent + reserved + its reservation ≤ limit, and a settlement
 * replaces the reservation with the actual cost, so spent ≤ limit + Σ max(0, actual − reserved) over the calls
 * that were in flight when the limit was reached: with expected costs at least the actual ones (e.g. prompt
 * tokens + `max_tokens`) the budget is never exceeded; otherwise by at most the under-estimates in flight. A call
 * with no `expectedUsage` reserves 0, so its whole cost counts as under-estimate.
 *
 * When the store cannot answer, the policy applies: `fail_open` enforces against the last fleet total this process
 * saw plus its own spend since (processes no longer see each other, so the fleet can overshoot by up to one
 * remaining headroom per process), records spend locally and writes it to the store when it answers again, each
 * settlement exactly once; `fail_closed` refuses calls with `StateStoreUnavailableError`.
 *
 * @example
 * ```ts
 * const budget = new SharedBudget({ name: 'tenant-a', limitUsd: 50, store, scope: () => new Date().toISOString().slice(0, 10) });
 * const agent = new AgentSession({ role: 'support', phase: 'answer', gates: [budget] });
 * await agent.run((s) => s.runTurn(call, { model: 'gpt-4o', expectedUsage: { inputTokens: 2000, outputTokens: 1000 } }));
 * ```
 */
export class SharedBudget implements TurnGate {
  /** The budget's name. */
  readonly name: string;
  /** The limit in USD. */
  readonly limitUsd: number;
  /** The limit in µUSD. */
  readonly limitMicros: number;
  /** Whether calls over the limit are refused. */
  readonly enforce: boolean;

  readonly #store: StateStore;
  readonly #scope: (() => string) | undefined;
  readonly #reservationTtlMs: number;
  readonly #retention: BudgetRetention;
  readonly #retryIntervalMs: number;
  readonly #health: StoreHealth;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #pending: Pending[] = [];
  /** The fleet's spent + reserved as last seen (µUSD), the base of local decisions while the store is away. */
  #lastSeenMicros = 0;
  /** Reserved by this process's calls admitted locally and not yet settled (µUSD). */
  #localReservedMicros = 0;
  #reconciling: Promise<void> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @throws {ValidationError} naming the option that is wrong: `name` (a non-empty string), `limitUsd`
   * (non-negative finite), `store`, `onStoreUnavailable`, `scope` (a function), `reservationTtlMs`,
   * `dedupeWindowMs` and `retryIntervalMs` (positive finite), `ttlMs` (non-negative finite).
   */
  constructor(options: SharedBudgetOptions) {
    const o = options ?? ({} as Partial<SharedBudgetOptions>);
    if (typeof o.name !== 'string' || o.name.length === 0) {
      throw new ValidationError({ field: 'name', value: o.name, expected: 'a non-empty string' });
    }
    this.name = o.name;
    this.limitMicros = toMicroUsdField('limitUsd', o.limitUsd);
    this.limitUsd = o.limitUsd as number;
    this.enforce = o.enforce ?? true;
    this.#store = o.store ?? new InMemoryStateStore();
    const policy = resolveStorePolicy(this.#store, o.onStoreUnavailable);
    if (o.scope !== undefined && typeof o.scope !== 'function') {
      throw new ValidationError({
        field: 'scope',
        value: o.scope,
        expected: 'a function returning a string',
      });
    }
    this.#scope = o.scope;
    this.#reservationTtlMs = positive('reservationTtlMs', o.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS);
    this.#retention = {
      ttlMs: nonNegative('ttlMs', o.ttlMs ?? DEFAULT_TTL_MS),
      dedupeWindowMs: positive('dedupeWindowMs', o.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS),
    };
    this.#retryIntervalMs = positive('retryIntervalMs', o.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS);
    this.#meterProvider = o.meterProvider;
    this.#health = new StoreHealth({
      consumer: 'budget',
      name: this.name,
      store: this.#store,
      policy,
      meterProvider: o.meterProvider,
    });
  }

  /** Settlements recorded while the store was unavailable and not yet written to it. */
  get pendingSettlements(): number {
    return this.#pending.length;
  }

  /**
   * Reserves the call's expected cost (`ctx.expectedCostUsd`, rounded up to the µUSD).
   *
   * @throws {SharedBudgetExceededError} the budget is enforced and the reservation would go over the limit.
   * @throws {StateStoreUnavailableError} the store cannot answer and the policy is `fail_closed`.
   * @throws the signal's reason when the turn was already cancelled.
   */
  async enter(ctx: TurnGateContext): Promise<TurnGateTicket> {
    ctx.signal.throwIfAborted();
    const key = this.#key();
    const amount = ctx.expectedCostUsd !== undefined ? toMicroUsd(ctx.expectedCostUsd, 'up') : 0;
    const id = globalThis.crypto.randomUUID();
    let reply: Awaited<ReturnType<StateStore['reserveBudget']>>;
    try {
      reply = await this.#store.reserveBudget({
        key,
        id,
        amountMicros: amount,
        limitMicros: this.limitMicros,
        enforce: this.enforce,
        reservationTtlMs: this.#reservationTtlMs,
        ...this.#retention,
      });
    } catch (err) {
      return this.#enterLocally(ctx, key, amount, id, err);
    }
    this.#storeAnswered();
    this.#lastSeenMicros = reply.spentMicros + reply.reservedMicros;
    if (!reply.admitted) this.#refuse(ctx, key, amount, reply.spentMicros, reply.reservedMicros);
    this.#decided(ctx, 'reserved', key, amount, reply.spentMicros, reply.reservedMicros);
    return this.#ticket(key, { id, reserved: true, reservedMicros: amount, actualMicros: 0 });
  }

  /**
   * The budget's totals in the store (for the current scope unless `scope` is given), and what this process has
   * not yet written.
   *
   * @throws {StateStoreUnavailableError} the store cannot answer.
   */
  async status(scope?: string): Promise<SharedBudgetStatus> {
    const key = scope !== undefined ? `${this.name}:${scope}` : this.#key();
    const totals = await this.#store.budgetTotals(key);
    const mine = this.#pending.filter((p) => p.key === key);
    return {
      key,
      limitUsd: this.limitUsd,
      spentUsd: fromMicroUsd(totals.spentMicros),
      reservedUsd: fromMicroUsd(totals.reservedMicros),
      remainingUsd: fromMicroUsd(Math.max(0, this.limitMicros - totals.spentMicros - totals.reservedMicros)),
      spentMicros: totals.spentMicros,
      reservedMicros: totals.reservedMicros,
      pendingSettlements: mine.length,
      pendingMicros: mine.reduce((sum, p) => sum + p.settlement.actualMicros, 0),
    };
  }

  /**
   * Writes the settlements recorded while the store was unavailable, now. Resolves when none is left, or when the
   * store still cannot answer (they stay pending and are retried every `retryIntervalMs`).
   */
  async flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const before = this.#pending.length;
      await this.#reconcile();
      if (this.#pending.length >= before) return;
    }
  }

  /** Stops the background retry of pending settlements (they stay pending; `flush()` still writes them). */
  close(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #key(): string {
    if (!this.#scope) return this.name;
    const scope = this.#scope();
    if (typeof scope !== 'string' || scope.length === 0) {
      throw new ValidationError({ field: 'scope()', value: scope, expected: 'a non-empty string' });
    }
    return `${this.name}:${scope}`;
  }

  /** The store did not answer a reservation: refuse (fail closed) or decide on what this process knows. */
  #enterLocally(ctx: TurnGateContext, key: string, amount: number, id: string, err: unknown): TurnGateTicket {
    const error = this.#health.failed(err, 'reserve_budget');
    this.#health.countFallback();
    guard('budget span event', () =>
      ctx.addEvent(EVENT_AGENTRACE_STATE_STORE_UNAVAILABLE, {
        ...this.#health.attributes,
        [ATTR_AGENTRACE_BUDGET_NAME]: this.name,
      }),
    );
    if (this.#health.policy === StoreFailurePolicy.FAIL_CLOSED) {
      this.#release(key, id, amount, err);
      throw error;
    }
    const pendingMicros = this.#pending.reduce((sum, p) => sum + p.settlement.actualMicros, 0);
    const known = this.#lastSeenMicros + pendingMicros + this.#localReservedMicros;
    if (this.enforce && known + amount > this.limitMicros) {
      this.#release(key, id, amount, err);
      this.#refuse(ctx, key, amount, known, 0);
    }
    this.#localReservedMicros += amount;
    this.#decided(ctx, 'reserved', key, amount, known, 0);
    return this.#ticket(key, { id, reserved: false, reservedMicros: amount, actualMicros: 0 });
  }

  /**
   * A call refused after its reservation failed in a way that may have reached the store (timed out, or the
   * client had sent it): the store may still make that reservation (Redis paused past the timeout runs it when it
   * resumes), which would hold budget until `reservationTtlMs`. A zero settlement under its id, written like any
   * pending one, releases it, or makes a reservation arriving even later hold nothing.
   */
  #release(key: string, id: string, amount: number, err: unknown): void {
    if (amount === 0 || !mayHaveReachedStore(err)) return;
    this.#pending.push({ key, settlement: { id, reserved: false, reservedMicros: amount, actualMicros: 0 } });
    this.#scheduleRetry();
  }

  #ticket(key: string, reservation: BudgetSettlement): TurnGateTicket {
    let settled = false;
    return {
      settle: async (outcome: TurnGateOutcome) => {
        if (settled) return;
        settled = true;
        if (!reservation.reserved) this.#localReservedMicros -= reservation.reservedMicros;
        const settlement = { ...reservation, actualMicros: toMicroUsd(outcome.costUsd) };
        await this.#settle(key, settlement);
      },
    };
  }

  async #settle(key: string, settlement: BudgetSettlement): Promise<void> {
    try {
      const reply = await this.#store.settleBudget({ key, settlements: [settlement], ...this.#retention });
      this.#lastSeenMicros = reply.spentMicros + reply.reservedMicros;
      this.#storeAnswered();
    } catch (err) {
      // Kept, and written exactly once when the store answers (the store deduplicates by id).
      this.#health.failed(err, 'settle_budget');
      this.#pending.push({ key, settlement });
      this.#scheduleRetry();
    }
  }

  /** The store answered: if settlements are waiting, write them now (in the background). */
  #storeAnswered(): void {
    this.#health.succeeded();
    if (this.#pending.length > 0 && !this.#reconciling) void this.#reconcile();
  }

  /** Writes pending settlements, a batch per key per round trip; keeps what the store did not take. */
  #reconcile(): Promise<void> {
    if (this.#reconciling) return this.#reconciling;
    // Nothing to write (the retry timer fired after another path wrote it all). Without this, `run` would finish
    // synchronously, clear `#reconciling` before it is assigned, and leave a settled promise there for good: no
    // later settlement would ever be written.
    if (this.#pending.length === 0) return Promise.resolve();
    const run = async () => {
      try {
        while (this.#pending.length > 0) {
          const key = (this.#pending[0] as Pending).key;
          const batch = this.#pending.filter((p) => p.key === key).slice(0, RECONCILE_BATCH);
          const reply = await this.#store.settleBudget({
            key,
            settlements: batch.map((p) => p.settlement),
            ...this.#retention,
          });
          for (const p of batch) this.#pending.splice(this.#pending.indexOf(p), 1);
          this.#health.succeeded();
          this.#lastSeenMicros = reply.spentMicros + reply.reservedMicros;
          const usd = fromMicroUsd(batch.reduce((sum, p) => sum + p.settlement.actualMicros, 0));
          guard('budget reconciled metric', () =>
            instrumentsFor(this.#meterProvider).budgetReconciled.add(usd, {
              [ATTR_AGENTRACE_BUDGET_NAME]: this.name,
            }),
          );
        }
      } catch (err) {
        this.#health.failed(err, 'settle_budget');
        this.#scheduleRetry();
      } finally {
        this.#reconciling = undefined;
      }
    };
    this.#reconciling = run();
    return this.#reconciling;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#reconcile();
    }, this.#retryIntervalMs);
    (this.#retryTimer as { unref?: () => void }).unref?.();
  }

  #refuse(ctx: TurnGateContext, key: string, amount: number, spent: number, reserved: number): never {
    this.#decided(ctx, 'refused', key, amount, spent, reserved);
    throw new SharedBudgetExceededError({
      budgetName: this.name,
      budgetKey: key,
      budgetUsd: this.limitUsd,
      currentCostUsd: fromMicroUsd(spent),
      reservedUsd: fromMicroUsd(reserved),
      requestedUsd: fromMicroUsd(amount),
    });
  }

  /** A span event on the call and the decisions metric. */
  #decided(
    ctx: TurnGateContext,
    outcome: 'reserved' | 'refused',
    key: string,
    amount: number,
    spent: number,
    reserved: number,
  ): void {
    const attrs: Attributes = {
      [ATTR_AGENTRACE_BUDGET_NAME]: this.name,
      [ATTR_AGENTRACE_BUDGET_OUTCOME]: outcome,
    };
    guard('budget metric', () => instrumentsFor(this.#meterProvider).budgetDecisions.add(1, attrs));
    guard('budget span event', () =>
      ctx.addEvent(
        outcome === 'reserved' ? EVENT_AGENTRACE_BUDGET_RESERVED : EVENT_AGENTRACE_BUDGET_REFUSED,
        {
          ...attrs,
          ...(key !== this.name && { [ATTR_AGENTRACE_BUDGET_KEY]: key }),
          [ATTR_AGENTRACE_BUDGET_USD]: this.limitUsd,
          [ATTR_AGENTRACE_BUDGET_SPENT_USD]: fromMicroUsd(spent),
          [ATTR_AGENTRACE_BUDGET_IN_FLIGHT_USD]: fromMicroUsd(reserved),
          [ATTR_AGENTRACE_BUDGET_RESERVED_USD]: fromMicroUsd(amount),
          [ATTR_AGENTRACE_BUDGET_ENFORCED]: this.enforce,
        },
      ),
    );
  }
}

/**
 * Whether a failed store call may still have been carried out: a timeout (sent, answer not awaited), or a failure
 * of the client itself (the store says why in `cause`). A store refusing without trying (backing off, or offline
 * before anything was sent) gives no cause.
 */
function mayHaveReachedStore(err: unknown): boolean {
  if (!StateStoreUnavailableError.isInstance(err)) return true;
  return err.reason === StoreUnavailableReason.TIMEOUT || err.cause !== undefined;
}

function toMicroUsdField(field: string, usd: unknown): number {
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) {
    throw new ValidationError({ field, value: usd, expected: 'a non-negative finite number of USD' });
  }
  return toMicroUsd(usd);
}

function positive(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError({ field, value, expected: 'a positive finite number of milliseconds' });
  }
  return value;
}

function nonNegative(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError({ field, value, expected: 'a non-negative finite number of milliseconds' });
  }
  return value;
}
