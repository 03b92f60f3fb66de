import {
  type BreakerReply,
  type BreakerRequest,
  type BudgetReserveReply,
  type BudgetReserveRequest,
  type BudgetSettleReply,
  type BudgetSettleRequest,
  type BudgetTotals,
  type CircuitState,
  type Clock,
  type RateAcquireReply,
  type RateAcquireRequest,
  type RateAdjustRequest,
  type RateBucket,
  type SharedTransition,
  type StateStore,
  StateStoreUnavailableError,
  StoreFailurePolicy,
  StoreUnavailableReason,
  ValidationError,
  type WallClock,
} from '@agentrace/core';
import { type RedisClientLike, type RedisCommandClient, toCommandClient } from './redis-client.js';
import {
  BREAKER_SCRIPT,
  BUDGET_RESERVE_SCRIPT,
  BUDGET_SETTLE_SCRIPT,
  RATE_ACQUIRE_SCRIPT,
  RATE_ADJUST_SCRIPT,
  type Script,
} from './scripts.js';

/** Options of {@link RedisStateStore}. */
export interface RedisStateStoreOptions {
  /**
   * Your client: `new Redis(url, { enableOfflineQueue: false })` (ioredis) or a connected
   * `createClient({ url, disableOfflineQueue: true })` (node-redis), so commands fail at once while it reconnects
   * instead of queueing. The store never connects, closes or reconfigures it; reconnection is the client's.
   */
  client: RedisClientLike;
  /** Prefix of every key (default `agentrace`); give each environment sharing a Redis its own. */
  prefix?: string;
  /** A command not answered within this long fails the decision as unavailable (ms, default 500). */
  commandTimeoutMs?: number;
  /**
   * After a failure, decisions fail at once (without a round trip) for this long before Redis is tried again
   * (ms, default 1 000): an agent never waits on a Redis that is down or slow more than once per interval.
   */
  retryIntervalMs?: number;
  /** What consumers do while Redis cannot answer, unless they set their own (default `fail_open`). */
  failurePolicy?: StoreFailurePolicy;
  /**
   * The clock decisions are judged by, epoch ms. Default: Redis's own `TIME`, so every process uses one clock
   * whatever their skew. Inject one only to drive time in tests.
   */
  clock?: WallClock;
  /** Monotonic clock for the retry interval (default `performance.now()`). */
  monotonicClock?: Clock;
}

const DEFAULT_PREFIX = 'agentrace';
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const DEFAULT_RETRY_INTERVAL_MS = 1000;

// Messages with which ioredis and node-redis reject a command they could not send (disconnected, closed).
const OFFLINE =
  /offline|closed|not writeable|isn't writeable|connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|socket/i;

/**
 * A {@link StateStore} on Redis: fleet-wide breakers, budgets and rate limits for every process using the same
 * Redis and prefix. Each decision is one Lua script (EVALSHA, loaded on first use and after a restart), so it is
 * atomic and costs one round trip. Every key is namespaced, carries a TTL, and nothing grows without bound.
 *
 * Key layout (`{…}` is a Redis Cluster hash tag, so one entity's keys share a slot):
 * - `<prefix>:{cb:<name>}` (hash: state, generation, counts), `…:probes` (zset: half-open leases → expiry),
 *   `…:log` (list: the last 32 transitions) — expire `stateTtlMs` after the last write.
 * - `<prefix>:{budget:<key>}` (hash: spent, reserved µUSD), `…:res` (zset: live reservations → expiry),
 *   `…:expired` and `…:done` (zsets kept `dedupeWindowMs`, so a late or repeated settlement applies once) —
 *   expire `ttlMs` after the last write.
 * - `<prefix>:{rl:<limiter>:<provider>}:<model>:<requests|tokens>:<window>:<limit>` (hash: level, time) —
 *   expires once the bucket would be full again.
 *
 * Failures: a command that does not answer within `commandTimeoutMs`, or that the client refuses because it is
 * disconnected, rejects with `StateStoreUnavailableError`; the consumer then applies its policy. For
 * `retryIntervalMs` after that, decisions fail at once without touching Redis.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const store = new RedisStateStore({ client: new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false }) });
 * const breaker = new CircuitBreaker({ name: 'openai', store, failureThreshold: 5 });
 * ```
 */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis';
  readonly failurePolicy: StoreFailurePolicy;
  /** The key prefix. */
  readonly prefix: string;

  readonly #client: RedisCommandClient;
  readonly #commandTimeoutMs: number;
  readonly #retryIntervalMs: number;
  readonly #clock: WallClock | undefined;
  readonly #monotonic: Clock;
  #retryAt = Number.NEGATIVE_INFINITY;
  #roundTrips = 0;
  #failures = 0;

  /**
   * @throws {ValidationError} naming the option that is wrong: `client`, `prefix` (a non-empty string),
   * `commandTimeoutMs` and `retryIntervalMs` (positive finite), `failurePolicy`, `clock`, `monotonicClock`.
   */
  constructor(options: RedisStateStoreOptions) {
    const o = options ?? ({} as Partial<RedisStateStoreOptions>);
    this.#client = toCommandClient(o.client as RedisClientLike);
    const prefix = o.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new ValidationError({ field: 'prefix', value: prefix, expected: 'a non-empty string' });
    }
    this.prefix = prefix;
    this.#commandTimeoutMs = positive('commandTimeoutMs', o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    this.#retryIntervalMs = positive('retryIntervalMs', o.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS);
    const policy = o.failurePolicy ?? StoreFailurePolicy.FAIL_OPEN;
    if (!Object.values(StoreFailurePolicy).includes(policy)) {
      throw new ValidationError({
        field: 'failurePolicy',
        value: policy,
        expected: `one of ${Object.values(StoreFailurePolicy).join(', ')}`,
      });
    }
    this.failurePolicy = policy;
    for (const [field, fn] of [
      ['clock', o.clock],
      ['monotonicClock', o.monotonicClock],
    ] as const) {
      if (fn !== undefined && typeof fn !== 'function') {
        throw new ValidationError({ field, value: fn, expected: 'a function returning milliseconds' });
      }
    }
    this.#clock = o.clock;
    this.#monotonic = o.monotonicClock ?? (() => performance.now());
  }

  /** Commands sent to Redis so far (a decision is one, plus one more when Redis had to be sent the script). */
  get roundTrips(): number {
    return this.#roundTrips;
  }

  /** Decisions that failed so far (timed out, offline, backing off, or an error reply). */
  get failures(): number {
    return this.#failures;
  }

  async breaker(request: BreakerRequest): Promise<BreakerReply> {
    const { name, config, command } = request;
    const s = config.strategy;
    const base = `${this.prefix}:{cb:${name}}`;
    const reply = (await this.#run(
      BREAKER_SCRIPT,
      [base, `${base}:probes`, `${base}:log`],
      [
        command.type,
        String(request.since),
        request.actor,
        String(config.recoveryTimeoutMs),
        String(config.halfOpenMaxProbes),
        String(config.probeLeaseMs),
        String(config.ttlMs),
        s.kind,
        String(s.threshold),
        String(s.kind === 'failure_rate' ? s.windowMs : 0),
        String(s.kind === 'failure_rate' ? s.minimumCalls : 0),
        String(s.kind === 'failure_rate' ? s.buckets : 0),
        'leaseId' in command ? command.leaseId : '',
        String('generation' in command ? command.generation : -1),
        'outcome' in command ? command.outcome : '',
      ],
    )) as unknown[];
    return {
      state: reply[0] as CircuitState,
      generation: num(reply[1]),
      admitted: num(reply[2]) === 1,
      retryAfterMs: num(reply[3]),
      inFlight: num(reply[4]),
      consecutiveFailures: num(reply[5]),
      windowCalls: num(reply[6]),
      windowFailures: num(reply[7]),
      since: num(reply[8]),
      lastFailureAt: num(reply[9]),
      now: num(reply[10]),
      transitions: reply.slice(11).map((entry) => parseTransition(String(entry))),
    };
  }

  async reserveBudget(request: BudgetReserveRequest): Promise<BudgetReserveReply> {
    const reply = (await this.#run(BUDGET_RESERVE_SCRIPT, this.#budgetKeys(request.key), [
      request.id,
      String(request.amountMicros),
      String(request.limitMicros),
      request.enforce ? '1' : '0',
      String(request.reservationTtlMs),
      String(request.ttlMs),
      String(request.dedupeWindowMs),
    ])) as unknown[];
    return { admitted: num(reply[0]) === 1, spentMicros: num(reply[1]), reservedMicros: num(reply[2]) };
  }

  async settleBudget(request: BudgetSettleRequest): Promise<BudgetSettleReply> {
    const args = [String(request.ttlMs), String(request.dedupeWindowMs), String(request.settlements.length)];
    for (const s of request.settlements) {
      args.push(s.id, s.reserved ? '1' : '0', String(s.reservedMicros), String(s.actualMicros));
    }
    const reply = (await this.#run(BUDGET_SETTLE_SCRIPT, this.#budgetKeys(request.key), args)) as unknown[];
    return {
      applied: num(reply[0]),
      duplicates: num(reply[1]),
      spentMicros: num(reply[2]),
      reservedMicros: num(reply[3]),
    };
  }

  async budgetTotals(key: string): Promise<BudgetTotals> {
    const [hash] = this.#budgetKeys(key);
    const reply = (await this.#send(
      ['HMGET', hash as string, 'spent', 'reserved'],
      'budget_totals',
    )) as unknown[];
    return { spentMicros: num(reply[0] ?? 0), reservedMicros: num(reply[1] ?? 0) };
  }

  async acquireRate(request: RateAcquireRequest): Promise<RateAcquireReply> {
    const reply = (await this.#run(RATE_ACQUIRE_SCRIPT, this.#bucketKeys(request.group, request.buckets), [
      String(request.maxWaitMs),
      ...bucketArgs(request.buckets),
    ])) as unknown[];
    return { admitted: num(reply[0]) === 1, waitMs: num(reply[1]), bound: num(reply[2]), at: num(reply[3]) };
  }

  async adjustRate(request: RateAdjustRequest): Promise<void> {
    if (request.buckets.length === 0) return;
    await this.#run(RATE_ADJUST_SCRIPT, this.#bucketKeys(request.group, request.buckets), [
      '0',
      ...bucketArgs(request.buckets),
    ]);
  }

  #budgetKeys(key: string): string[] {
    const base = `${this.prefix}:{budget:${key}}`;
    return [base, `${base}:res`, `${base}:expired`, `${base}:done`];
  }

  #bucketKeys(group: string, buckets: readonly RateBucket[]): string[] {
    return buckets.map((b) => `${this.prefix}:{rl:${group}}:${b.key}`);
  }

  /** EVALSHA, and on NOSCRIPT (first use, or Redis restarted) EVAL, which also caches the script. */
  async #run(script: Script, keys: string[], args: string[]): Promise<unknown> {
    const now = this.#clock ? String(this.#clock()) : '-1';
    const tail = [String(keys.length), ...keys, now, ...args];
    try {
      return await this.#send(['EVALSHA', script.sha, ...tail], script.name);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return this.#send(['EVAL', script.source, ...tail], script.name);
    }
  }

  /** One command, bounded by the command timeout; failures become StateStoreUnavailableError. */
  async #send(args: string[], operation: string): Promise<unknown> {
    if (this.#monotonic() < this.#retryAt) {
      this.#failures++;
      throw new StateStoreUnavailableError({
        store: this.kind,
        operation,
        reason: StoreUnavailableReason.OFFLINE,
      });
    }
    this.#roundTrips++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sent = this.#client.command(args);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StateStoreUnavailableError({
              store: this.kind,
              operation,
              reason: StoreUnavailableReason.TIMEOUT,
            }),
          ),
        this.#commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([sent, timeout]);
    } catch (err) {
      // A NOSCRIPT reply is the store's business (it loads the script), not an outage.
      if (isNoScript(err)) throw err;
      // Whatever the late command does, its result is not awaited any more.
      sent.catch(() => undefined);
      this.#failures++;
      this.#retryAt = this.#monotonic() + this.#retryIntervalMs;
      if (StateStoreUnavailableError.isInstance(err)) throw err;
      const reason =
        err instanceof Error && OFFLINE.test(err.message)
          ? StoreUnavailableReason.OFFLINE
          : StoreUnavailableReason.ERROR;
      throw new StateStoreUnavailableError({ store: this.kind, operation, reason }, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

function bucketArgs(buckets: readonly RateBucket[]): string[] {
  const args = [String(buckets.length)];
  for (const b of buckets) args.push(String(b.ratePerMs), String(b.burst), String(b.cost));
  return args;
}

function parseTransition(entry: string): SharedTransition {
  const [generation, from, to, reason, at, actor] = entry.split('|');
  return {
    generation: Number(generation),
    from: from as CircuitState,
    to: to as CircuitState,
    reason: reason as string,
    at: Number(at),
    actor: actor ?? '',
  };
}

/** A number from a script reply (integers come as numbers, fractions as strings, `inf` for no limit). */
function num(value: unknown): number {
  if (value === 'inf') return Number.POSITIVE_INFINITY;
  return typeof value === 'number' ? value : Number(value);
}

function positive(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError({ field, value, expected: 'a positive finite number of milliseconds' });
  }
  return value;
}
