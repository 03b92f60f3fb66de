import { ValidationError } from '@agentrace/pricing';

/**
 * Decides when a closed circuit opens. A {@link CircuitBreaker} owns one strategy instance and tells it the
 * outcome of every call admitted while the circuit is closed; the strategy answers whether the circuit
 * should open. When the circuit closes again (a probe succeeded, or `reset()`), the breaker calls
 * {@link BreakerStrategy.reset}. Probes in half-open are judged by the breaker alone (one failure re-opens),
 * so a strategy only ever sees closed-state traffic.
 *
 * A strategy holds no clock and no timers: `now` comes from the breaker's injected clock, so its decision
 * is a pure function of the outcomes it was told. That is what lets a later fleet-wide state store (Redis,
 * say) keep the same counts (see `toJSON`) and reach the same decision on every instance.
 *
 * Give each breaker its own instance: two breakers sharing one strategy share its counts.
 *
 * @example
 * ```ts
 * // Open after 50% failures, judged on at least 20 calls in the last 30 s.
 * const breaker = new CircuitBreaker({
 *   name: 'openai',
 *   strategy: new FailureRateStrategy({ threshold: 0.5, windowMs: 30_000, minimumCalls: 20 }),
 * });
 * ```
 */
export interface BreakerStrategy {
  /** Records a successful call made at `now` (breaker clock, ms). */
  onSuccess(now: number): void;
  /** Records a failed call made at `now` (breaker clock, ms); returns whether the circuit should open. */
  onFailure(now: number): boolean;
  /** Forgets every recorded outcome (the circuit closed). */
  reset(): void;
  /** A snake_case snapshot of the configuration and counts, for inspection or a shared state store. */
  toJSON?(): Record<string, unknown>;
}

/** Options of {@link ConsecutiveFailureStrategy}. */
export interface ConsecutiveFailureStrategyOptions {
  /** Consecutive failures that open the circuit. A positive integer. */
  threshold: number;
}

/**
 * The reference behaviour: failures count consecutively, any success resets the count, and the circuit
 * opens when the count reaches `threshold`. The breaker's default (with its `failureThreshold`).
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: 'search', strategy: new ConsecutiveFailureStrategy({ threshold: 3 }) });
 * ```
 */
export class ConsecutiveFailureStrategy implements BreakerStrategy {
  /** Consecutive failures that open the circuit. */
  readonly threshold: number;
  #failures = 0;

  /** @throws {ValidationError} when `threshold` is not a positive integer. */
  constructor(options: ConsecutiveFailureStrategyOptions) {
    this.threshold = requirePositiveInteger('threshold', options?.threshold);
  }

  /** Failures since the last success or reset. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  onSuccess(_now: number): void {
    this.#failures = 0;
  }

  onFailure(_now: number): boolean {
    this.#failures += 1;
    return this.#failures >= this.threshold;
  }

  reset(): void {
    this.#failures = 0;
  }

  toJSON(): Record<string, unknown> {
    return { kind: 'consecutive', threshold: this.threshold, consecutive_failures: this.#failures };
  }
}

/** Options of {@link FailureRateStrategy}. */
export interface FailureRateStrategyOptions {
  /** Failure ratio that opens the circuit, in (0, 1]: it opens when failures / calls ≥ threshold. */
  threshold: number;
  /** Length of the sampling window in ms (a positive finite number). */
  windowMs: number;
  /**
   * Calls (successes and failures) the window must hold before the ratio is trusted; below it the circuit
   * never opens. A positive integer.
   */
  minimumCalls: number;
  /** Number of time buckets the window is split into (a positive integer, default 10); memory is O(buckets). */
  buckets?: number;
}

/** Default bucket count of {@link FailureRateStrategy}: a window precise to a tenth of its length. */
const DEFAULT_BUCKETS = 10;

/**
 * Opens the circuit on the failure ratio of a sliding sampling window, like cockatiel's `SamplingBreaker`:
 * once the window holds at least `minimumCalls` calls and failures / calls ≥ `threshold`, the circuit opens.
 *
 * The window is split into `buckets` equal time buckets kept in a ring, so memory stays O(buckets) however
 * many calls there are. The oldest bucket is dropped as a whole, so a call is forgotten between
 * `windowMs − windowMs / buckets` and `windowMs` after it was recorded; more buckets, finer forgetting.
 *
 * @example
 * ```ts
 * // At least 10 calls in the last minute, 6 s buckets; open at 25% failures.
 * new FailureRateStrategy({ threshold: 0.25, windowMs: 60_000, minimumCalls: 10 });
 * ```
 */
export class FailureRateStrategy implements BreakerStrategy {
  /** Failure ratio that opens the circuit, in (0, 1]. */
  readonly threshold: number;
  /** Length of the sampling window in ms. */
  readonly windowMs: number;
  /** Calls the window must hold before the ratio is trusted. */
  readonly minimumCalls: number;
  /** Number of time buckets in the window. */
  readonly buckets: number;

  readonly #bucketMs: number;
  // Ring of buckets as parallel arrays: slot i counts the calls of time bucket #index[i]
  // (bucket number = floor(now / bucketMs)); a slot whose number is stale is recycled on the next write.
  readonly #index: number[];
  readonly #successes: number[];
  readonly #failures: number[];

  /** @throws {ValidationError} naming the option (`threshold`, `windowMs`, `minimumCalls`, `buckets`) that is out of range. */
  constructor(options: FailureRateStrategyOptions) {
    const { threshold, windowMs, minimumCalls, buckets = DEFAULT_BUCKETS } = options ?? {};
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
      throw new ValidationError({ field: 'threshold', value: threshold, expected: 'a ratio in (0, 1]' });
    }
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
      throw new ValidationError({ field: 'windowMs', value: windowMs, expected: 'a positive finite number' });
    }
    this.threshold = threshold;
    this.windowMs = windowMs;
    this.minimumCalls = requirePositiveInteger('minimumCalls', minimumCalls);
    this.buckets = requirePositiveInteger('buckets', buckets);
    this.#bucketMs = windowMs / this.buckets;
    this.#index = new Array<number>(this.buckets).fill(Number.NEGATIVE_INFINITY);
    this.#successes = new Array<number>(this.buckets).fill(0);
    this.#failures = new Array<number>(this.buckets).fill(0);
  }

  onSuccess(now: number): void {
    const slot = this.#slot(now);
    this.#successes[slot] = (this.#successes[slot] ?? 0) + 1;
  }

  onFailure(now: number): boolean {
    const slot = this.#slot(now);
    this.#failures[slot] = (this.#failures[slot] ?? 0) + 1;
    const { calls, failures } = this.stats(now);
    // Divide rather than multiply: 0.3 * 10 is 3.0000000000000004, 3 / 10 is exactly the literal 0.3.
    return calls >= this.minimumCalls && failures / calls >= this.threshold;
  }

  /** Calls and failures inside the window as seen at `now` (breaker clock, ms). */
  stats(now: number): { calls: number; failures: number } {
    const current = Math.floor(now / this.#bucketMs);
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < this.buckets; i++) {
      const index = this.#index[i] ?? Number.NEGATIVE_INFINITY;
      if (index > current - this.buckets && index <= current) {
        const f = this.#failures[i] ?? 0;
        calls += (this.#successes[i] ?? 0) + f;
        failures += f;
      }
    }
    return { calls, failures };
  }

  reset(): void {
    this.#index.fill(Number.NEGATIVE_INFINITY);
    this.#successes.fill(0);
    this.#failures.fill(0);
  }

  toJSON(): Record<string, unknown> {
    const samples: { start_ms: number; successes: number; failures: number }[] = [];
    for (let i = 0; i < this.buckets; i++) {
      const index = this.#index[i] ?? Number.NEGATIVE_INFINITY;
      if (index === Number.NEGATIVE_INFINITY) continue;
      samples.push({
        start_ms: index * this.#bucketMs,
        successes: this.#successes[i] ?? 0,
        failures: this.#failures[i] ?? 0,
      });
    }
    samples.sort((a, b) => a.start_ms - b.start_ms);
    return {
      kind: 'failure_rate',
      threshold: this.threshold,
      window_ms: this.windowMs,
      minimum_calls: this.minimumCalls,
      buckets: this.buckets,
      samples,
    };
  }

  /** The ring slot for `now`, cleared first if it still holds an older bucket. */
  #slot(now: number): number {
    const index = Math.floor(now / this.#bucketMs);
    const slot = ((index % this.buckets) + this.buckets) % this.buckets;
    if (this.#index[slot] !== index) {
      this.#index[slot] = index;
      this.#successes[slot] = 0;
      this.#failures[slot] = 0;
    }
    return slot;
  }
}

/**
 * Checks that `value` is a positive safe integer.
 *
 * @internal Shared by the breaker's option validation; not part of the public API.
 * @throws {ValidationError} naming `field` otherwise.
 */
export function requirePositiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError({ field, value, expected: 'a positive integer' });
  }
  return value;
}
