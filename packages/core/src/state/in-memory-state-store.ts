import { ValidationError } from '@agentrace/pricing';
import { systemWallClock, type WallClock } from '../common/clock.js';
import { CircuitState } from './circuit-state.js';
import {
  BREAKER_LOG_LENGTH,
  type BreakerReply,
  type BreakerRequest,
  BUDGET_PURGE_BATCH,
  type BudgetReserveReply,
  type BudgetReserveRequest,
  type BudgetRetention,
  type BudgetSettleReply,
  type BudgetSettleRequest,
  type BudgetTotals,
  type RateAcquireReply,
  type RateAcquireRequest,
  type RateAdjustRequest,
  type RateBucket,
  type SharedBreakerConfig,
  type SharedTransition,
  type StateStore,
} from './state-store.js';

/** Options of {@link InMemoryStateStore}. */
export interface InMemoryStateStoreOptions {
  /** The store's clock, epoch ms (default `Date.now`); inject one to drive time in tests. */
  clock?: WallClock;
}

interface BreakerRecord {
  state: CircuitState;
  generation: number;
  since: number;
  lastFailureAt: number;
  consecutiveFailures: number;
  // Failure-rate ring, as FailureRateStrategy keeps it: slot i counts bucket #index[i].
  index: number[];
  successes: number[];
  failures: number[];
  probes: Map<string, number>;
  log: SharedTransition[];
  expiresAt: number;
}

interface BudgetRecord {
  spent: number;
  reserved: number;
  /** `${id}|${amount}` → expiry. */
  reservations: Map<string, number>;
  /** Reservations that expired unsettled: `${id}|${amount}` → when. */
  expired: Map<string, number>;
  /** Settlements applied without a reservation: id → when. */
  done: Map<string, number>;
  expiresAt: number;
}

interface BucketRecord {
  level: number;
  at: number;
  expiresAt: number;
}

const SWEEP_EVERY = 256;

/**
 * The default {@link StateStore}: breaker, budget and rate-limit state kept in this process, with exactly the
 * semantics of the Redis store (the same contract tests run against both). Share one instance between breakers,
 * budgets and limiters to share their state within the process; use `RedisStateStore` from `@agentrace/redis`
 * to share it between processes.
 *
 * Entries expire like Redis keys (each request carries its TTL) and are swept as the store is used, so memory
 * stays bounded by what is live.
 *
 * @example
 * ```ts
 * const store = new InMemoryStateStore();
 * const a = new CircuitBreaker({ name: 'openai', store });
 * const b = new CircuitBreaker({ name: 'openai', store }); // the same circuit as `a`
 * ```
 */
export class InMemoryStateStore implements StateStore {
  readonly kind = 'memory';
  readonly #clock: WallClock;
  readonly #breakers = new Map<string, BreakerRecord>();
  readonly #budgets = new Map<string, BudgetRecord>();
  readonly #buckets = new Map<string, BucketRecord>();
  #operations = 0;

  /** @throws {ValidationError} when `clock` is not a function. */
  constructor(options: InMemoryStateStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError({ field: 'options', value: options, expected: 'an options object' });
    }
    const clock = options.clock ?? systemWallClock;
    if (typeof clock !== 'function') {
      throw new ValidationError({ field: 'clock', value: clock, expected: 'a function returning epoch ms' });
    }
    this.#clock = clock;
  }

  /** Live entries (breakers, budgets, buckets), after sweeping the expired ones; for tests and diagnostics. */
  size(): number {
    this.#sweep(this.#clock());
    return this.#breakers.size + this.#budgets.size + this.#buckets.size;
  }

  async breaker(request: BreakerRequest): Promise<BreakerReply> {
    const now = this.#tick();
    const { name, config, command, since, actor } = request;
    let rec = live(this.#breakers.get(name), now);
    if (!rec) {
      if (command.type === 'read') return emptyBreakerReply(now);
      rec = newBreakerRecord(now, config);
      this.#breakers.set(name, rec);
    }
    const transition = (to: CircuitState, reason: string) => {
      const record = rec as BreakerRecord;
      const from = record.state;
      record.generation += 1;
      record.state = to;
      record.since = now;
      record.probes.clear();
      if (to === CircuitState.OPEN) record.lastFailureAt = now;
      if (to === CircuitState.CLOSED) resetCounts(record, config);
      record.log.push({ generation: record.generation, from, to, reason, at: now, actor });
      if (record.log.length > BREAKER_LOG_LENGTH)
        record.log.splice(0, record.log.length - BREAKER_LOG_LENGTH);
    };
    const lazy = () => {
      const record = rec as BreakerRecord;
      if (record.state === CircuitState.OPEN && now - record.lastFailureAt >= config.recoveryTimeoutMs) {
        transition(CircuitState.HALF_OPEN, 'recovery_timeout');
      }
      if (record.state === CircuitState.HALF_OPEN) {
        for (const [lease, expiry] of record.probes) if (expiry <= now) record.probes.delete(lease);
      }
    };
    const counted = (outcome: 'success' | 'failure') => {
      const record = rec as BreakerRecord;
      if (outcome === 'success') strategySuccess(record, config, now);
      else if (strategyFailure(record, config, now)) transition(CircuitState.OPEN, 'failure_threshold');
    };

    const generationAtStart = rec.generation;
    let admitted = false;
    let wrote = command.type !== 'read';
    switch (command.type) {
      case 'read':
        lazy();
        wrote = rec.generation !== generationAtStart;
        break;
      case 'admit':
        lazy();
        if (rec.state === CircuitState.CLOSED) admitted = true;
        else if (rec.state === CircuitState.HALF_OPEN && rec.probes.size < config.halfOpenMaxProbes) {
          rec.probes.set(command.leaseId, now + config.probeLeaseMs);
          admitted = true;
        }
        break;
      case 'renew':
        lazy();
        if (
          rec.state === CircuitState.HALF_OPEN &&
          command.generation === rec.generation &&
          rec.probes.has(command.leaseId)
        ) {
          rec.probes.set(command.leaseId, now + config.probeLeaseMs);
          admitted = true;
        }
        break;
      case 'settle':
        if (command.generation !== rec.generation) rec.probes.delete(command.leaseId);
        else if (rec.state === CircuitState.HALF_OPEN) {
          rec.probes.delete(command.leaseId);
          if (command.outcome === 'success') transition(CircuitState.CLOSED, 'probe_succeeded');
          else if (command.outcome === 'failure') transition(CircuitState.OPEN, 'probe_failed');
        } else if (rec.state === CircuitState.CLOSED && command.outcome !== 'ignored') {
          counted(command.outcome);
        }
        lazy();
        break;
      case 'record':
        lazy();
        if (rec.state === CircuitState.OPEN) {
          if (command.outcome === 'failure') rec.lastFailureAt = now;
        } else if (rec.state === CircuitState.HALF_OPEN) {
          transition(
            command.outcome === 'success' ? CircuitState.CLOSED : CircuitState.OPEN,
            command.outcome === 'success' ? 'probe_succeeded' : 'probe_failed',
          );
        } else counted(command.outcome);
        break;
      case 'reset':
        if (rec.state === CircuitState.CLOSED) resetCounts(rec, config);
        else transition(CircuitState.CLOSED, 'reset');
        break;
    }
    if (wrote) rec.expiresAt = now + config.ttlMs;
    const stats = windowStats(rec, config, now);
    return {
      state: rec.state,
      generation: rec.generation,
      admitted,
      retryAfterMs:
        rec.state === CircuitState.OPEN ? Math.max(0, rec.lastFailureAt + config.recoveryTimeoutMs - now) : 0,
      inFlight: rec.state === CircuitState.HALF_OPEN ? rec.probes.size : 0,
      consecutiveFailures: rec.consecutiveFailures,
      windowCalls: stats.calls,
      windowFailures: stats.failures,
      since: rec.since,
      lastFailureAt: rec.lastFailureAt,
      transitions: since < 0 ? [] : rec.log.filter((t) => t.generation > since),
      now,
    };
  }

  async reserveBudget(request: BudgetReserveRequest): Promise<BudgetReserveReply> {
    const now = this.#tick();
    const rec = this.#budget(request.key, now, true) as BudgetRecord;
    purgeBudget(rec, request, now);
    // Already settled without its reservation (a late or resent reservation): nothing to hold.
    if (rec.done.has(request.id)) {
      touchBudget(rec, request, now);
      return { admitted: true, spentMicros: rec.spent, reservedMicros: rec.reserved };
    }
    if (request.enforce && rec.spent + rec.reserved + request.amountMicros > request.limitMicros) {
      touchBudget(rec, request, now);
      return { admitted: false, spentMicros: rec.spent, reservedMicros: rec.reserved };
    }
    rec.reservations.set(`${request.id}|${request.amountMicros}`, now + request.reservationTtlMs);
    rec.reserved += request.amountMicros;
    touchBudget(rec, request, now);
    return { admitted: true, spentMicros: rec.spent, reservedMicros: rec.reserved };
  }

  async settleBudget(request: BudgetSettleRequest): Promise<BudgetSettleReply> {
    const now = this.#tick();
    const rec = this.#budget(request.key, now, true) as BudgetRecord;
    purgeBudget(rec, request, now);
    let applied = 0;
    let duplicates = 0;
    for (const s of request.settlements) {
      if (s.reserved) {
        const member = `${s.id}|${s.reservedMicros}`;
        if (rec.reservations.delete(member)) {
          rec.reserved -= s.reservedMicros;
          rec.spent += s.actualMicros;
          applied++;
        } else if (rec.expired.delete(member)) {
          rec.spent += s.actualMicros;
          applied++;
        } else duplicates++;
      } else if (rec.done.has(s.id)) duplicates++;
      else {
        rec.done.set(s.id, now);
        // Decided without the store, which may have made the reservation anyway (only its reply was lost).
        const member = `${s.id}|${s.reservedMicros}`;
        if (rec.reservations.delete(member)) rec.reserved -= s.reservedMicros;
        rec.expired.delete(member);
        rec.spent += s.actualMicros;
        applied++;
      }
    }
    touchBudget(rec, request, now);
    return { applied, duplicates, spentMicros: rec.spent, reservedMicros: rec.reserved };
  }

  async budgetTotals(key: string): Promise<BudgetTotals> {
    const now = this.#tick();
    const rec = this.#budget(key, now, false);
    return { spentMicros: rec?.spent ?? 0, reservedMicros: rec?.reserved ?? 0 };
  }

  async acquireRate(request: RateAcquireRequest): Promise<RateAcquireReply> {
    const now = this.#tick();
    const levels = request.buckets.map((b) => this.#level(request.group, b, now));
    let waitMs = 0;
    let bound = -1;
    request.buckets.forEach((b, i) => {
      const level = levels[i] as number;
      const wait = level >= b.cost ? 0 : b.ratePerMs > 0 ? (b.cost - level) / b.ratePerMs : Infinity;
      if (wait > waitMs) {
        waitMs = wait;
        bound = i;
      }
    });
    if (waitMs > request.maxWaitMs) return { admitted: false, waitMs, bound, at: now };
    request.buckets.forEach((b, i) => {
      this.#saveBucket(request.group, b, (levels[i] as number) - b.cost, now);
    });
    return { admitted: true, waitMs, bound, at: now };
  }

  async adjustRate(request: RateAdjustRequest): Promise<void> {
    const now = this.#tick();
    for (const b of request.buckets) {
      this.#saveBucket(request.group, b, Math.min(b.burst, this.#level(request.group, b, now) - b.cost), now);
    }
  }

  #tick(): number {
    const now = this.#clock();
    if (++this.#operations % SWEEP_EVERY === 0) this.#sweep(now);
    return now;
  }

  #sweep(now: number): void {
    for (const map of [this.#breakers, this.#budgets, this.#buckets] as Map<
      string,
      { expiresAt: number }
    >[]) {
      for (const [key, rec] of map) if (rec.expiresAt <= now) map.delete(key);
    }
  }

  #budget(key: string, now: number, create: boolean): BudgetRecord | undefined {
    const found = live(this.#budgets.get(key), now);
    if (found || !create) return found;
    const rec: BudgetRecord = {
      spent: 0,
      reserved: 0,
      reservations: new Map(),
      expired: new Map(),
      done: new Map(),
      expiresAt: Number.POSITIVE_INFINITY,
    };
    this.#budgets.set(key, rec);
    return rec;
  }

  /** The bucket's level at `now`: refilled at its rate since it was last written, capped at its burst. */
  #level(group: string, b: RateBucket, now: number): number {
    const rec = live(this.#buckets.get(`${group}\u0000${b.key}`), now);
    if (!rec) return b.burst;
    return Math.min(b.burst, rec.level + Math.max(0, now - rec.at) * b.ratePerMs);
  }

  #saveBucket(group: string, b: RateBucket, level: number, now: number): void {
    // A full bucket is the same as no bucket: the entry expires once it would have refilled.
    const refillMs = b.ratePerMs > 0 ? Math.ceil((b.burst - level) / b.ratePerMs) : 0;
    this.#buckets.set(`${group}\u0000${b.key}`, {
      level,
      at: now,
      expiresAt: now + Math.max(refillMs, 0) + 1000,
    });
  }
}

function live<T extends { expiresAt: number }>(rec: T | undefined, now: number): T | undefined {
  return rec && rec.expiresAt > now ? rec : undefined;
}

function emptyBreakerReply(now: number): BreakerReply {
  return {
    state: CircuitState.CLOSED,
    generation: 0,
    admitted: false,
    retryAfterMs: 0,
    inFlight: 0,
    consecutiveFailures: 0,
    windowCalls: 0,
    windowFailures: 0,
    since: 0,
    lastFailureAt: 0,
    transitions: [],
    now,
  };
}

function newBreakerRecord(now: number, config: SharedBreakerConfig): BreakerRecord {
  const rec: BreakerRecord = {
    state: CircuitState.CLOSED,
    // Generations start at the clock, so they keep increasing even after the entry expired and was recreated.
    generation: Math.floor(now),
    since: now,
    lastFailureAt: 0,
    consecutiveFailures: 0,
    index: [],
    successes: [],
    failures: [],
    probes: new Map(),
    log: [],
    expiresAt: now + config.ttlMs,
  };
  resetCounts(rec, config);
  return rec;
}

function resetCounts(rec: BreakerRecord, config: SharedBreakerConfig): void {
  rec.consecutiveFailures = 0;
  const n = config.strategy.kind === 'failure_rate' ? config.strategy.buckets : 0;
  rec.index = new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
  rec.successes = new Array<number>(n).fill(0);
  rec.failures = new Array<number>(n).fill(0);
}

// The failure-rate ring, exactly as FailureRateStrategy keeps it (so a shared breaker decides the same).
function slot(rec: BreakerRecord, config: SharedBreakerConfig, now: number): number {
  const s = config.strategy as Extract<SharedBreakerConfig['strategy'], { kind: 'failure_rate' }>;
  if (rec.index.length !== s.buckets) resetCounts(rec, config);
  const index = Math.floor(now / (s.windowMs / s.buckets));
  const i = ((index % s.buckets) + s.buckets) % s.buckets;
  if (rec.index[i] !== index) {
    rec.index[i] = index;
    rec.successes[i] = 0;
    rec.failures[i] = 0;
  }
  return i;
}

function windowStats(
  rec: BreakerRecord,
  config: SharedBreakerConfig,
  now: number,
): { calls: number; failures: number } {
  const s = config.strategy;
  if (s.kind !== 'failure_rate') return { calls: 0, failures: 0 };
  const current = Math.floor(now / (s.windowMs / s.buckets));
  let calls = 0;
  let failures = 0;
  for (let i = 0; i < rec.index.length; i++) {
    const index = rec.index[i] as number;
    if (index > current - s.buckets && index <= current) {
      const f = rec.failures[i] ?? 0;
      calls += (rec.successes[i] ?? 0) + f;
      failures += f;
    }
  }
  return { calls, failures };
}

function strategySuccess(rec: BreakerRecord, config: SharedBreakerConfig, now: number): void {
  if (config.strategy.kind === 'consecutive') rec.consecutiveFailures = 0;
  else {
    const i = slot(rec, config, now);
    rec.successes[i] = (rec.successes[i] ?? 0) + 1;
  }
}

function strategyFailure(rec: BreakerRecord, config: SharedBreakerConfig, now: number): boolean {
  const s = config.strategy;
  if (s.kind === 'consecutive') {
    rec.consecutiveFailures += 1;
    return rec.consecutiveFailures >= s.threshold;
  }
  const i = slot(rec, config, now);
  rec.failures[i] = (rec.failures[i] ?? 0) + 1;
  const { calls, failures } = windowStats(rec, config, now);
  return calls >= s.minimumCalls && failures / calls >= s.threshold;
}

function purgeBudget(rec: BudgetRecord, retention: BudgetRetention, now: number): void {
  const due = [...rec.reservations]
    .filter(([, expiry]) => expiry <= now)
    .sort((a, b) => a[1] - b[1])
    .slice(0, BUDGET_PURGE_BATCH);
  for (const [member] of due) {
    rec.reservations.delete(member);
    rec.reserved -= Number(member.slice(member.lastIndexOf('|') + 1));
    rec.expired.set(member, now);
  }
  const horizon = now - retention.dedupeWindowMs;
  for (const map of [rec.expired, rec.done]) {
    for (const [member, at] of map) if (at <= horizon) map.delete(member);
  }
}

function touchBudget(rec: BudgetRecord, retention: BudgetRetention, now: number): void {
  rec.expiresAt = retention.ttlMs > 0 ? now + retention.ttlMs : Number.POSITIVE_INFINITY;
}
