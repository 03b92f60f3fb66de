import { AgentraceError, ValidationError } from '@agentrace/pricing';
import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { DEFAULT_PROVIDER_KEY } from '../common/provider-key.js';
import { sleep } from '../common/sleep.js';
import type { ValueOf } from '../common/wire.js';
import { guard } from '../telemetry/guard.js';
import { instrumentsFor } from '../telemetry/instruments.js';
import {
  ATTR_AGENTRACE_RATE_LIMIT_LIMIT,
  ATTR_AGENTRACE_RATE_LIMIT_NAME,
  ATTR_AGENTRACE_RATE_LIMIT_OUTCOME,
  ATTR_AGENTRACE_RATE_LIMIT_RETRY_AFTER_MS,
  ATTR_AGENTRACE_RATE_LIMIT_TOKENS,
  ATTR_AGENTRACE_RATE_LIMIT_WAIT_MS,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  EVENT_AGENTRACE_RATE_LIMIT_DELAYED,
  EVENT_AGENTRACE_RATE_LIMIT_REJECTED,
  EVENT_AGENTRACE_STATE_STORE_UNAVAILABLE,
} from '../telemetry/semconv.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import { InMemoryStateStore } from './in-memory-state-store.js';
import {
  type RateAcquireReply,
  type RateBucket,
  type StateStore,
  StoreFailurePolicy,
} from './state-store.js';
import { resolveStorePolicy, StoreHealth } from './store-health.js';
import type { TurnGate, TurnGateContext, TurnGateOutcome, TurnGateTicket } from './turn-gate.js';

/** Which limit of a rule bound a decision. */
export const RateLimitKind = {
  REQUESTS: 'requests',
  TOKENS: 'tokens',
} as const;
export type RateLimitKind = ValueOf<typeof RateLimitKind>;

/**
 * Thrown (by {@link RateLimiter} as a gate, before the model is called) when a call would have to wait longer than
 * `maxWaitMs` for its rate limit. This is a local decision, not a provider's 429: the provider was never called, the
 * session does not retry it, and nothing was taken from the limit.
 *
 * @example
 * ```ts
 * if (RateLimitExceededError.isInstance(err)) setTimeout(retry, err.retryAfterMs);
 * ```
 */
export class RateLimitExceededError extends AgentraceError {
  static override readonly errorName: string = 'RateLimitExceededError';

  /** The limiter's name. */
  readonly limiterName: string;
  readonly provider: string;
  readonly model: string;
  /** The limit that would have made the call wait longest. */
  readonly limit: RateLimitKind;
  /** Milliseconds until the limit would admit the call without waiting (if nobody else takes it first). */
  readonly retryAfterMs: number;
  /** The longest wait the limiter allows. */
  readonly maxWaitMs: number;

  constructor(init: {
    limiterName: string;
    provider: string;
    model: string;
    limit: RateLimitKind;
    retryAfterMs: number;
    maxWaitMs: number;
  }) {
    super(
      `rate limit "${init.limiterName}" (${init.limit}) for ${init.provider}/${init.model} would hold this call ` +
        `${Math.ceil(init.retryAfterMs)} ms, over its ${init.maxWaitMs} ms maximum wait; retry after ` +
        `${Math.ceil(init.retryAfterMs)} ms`,
    );
    this.limiterName = init.limiterName;
    this.provider = init.provider;
    this.model = init.model;
    this.limit = init.limit;
    this.retryAfterMs = init.retryAfterMs;
    this.maxWaitMs = init.maxWaitMs;
  }
}

/**
 * One provider limit. `requests` and `tokens` are allowed per `windowMs` (a minute by default: 500 RPM is
 * `{ requests: 500 }`), and no window of that length ever admits more: the bucket holds `burstFraction` of the
 * allowance and refills the rest evenly over the window.
 */
export interface RateLimitRule {
  /** The provider (`gen_ai.provider.name`, e.g. `openai`); `default` for calls that name none. */
  provider: string;
  /** Only this model (default: every model of the provider). */
  model?: string;
  /** `model` (default): each model has its own allowance; `provider`: the provider's models share one. */
  scope?: 'model' | 'provider';
  /** Requests allowed per window (a positive number). */
  requests?: number;
  /**
   * Tokens allowed per window: the expected tokens (`runTurn`'s `expectedUsage`, all four counts) are taken before
   * the call, and the difference to the actual tokens after it.
   */
  tokens?: number;
  /** The window (ms, default 60 000). */
  windowMs?: number;
  /**
   * Share of the window's allowance usable at once (in (0, 1), default 0.1); the rest refills over the window, so
   * sustained throughput is `1 − burstFraction` of the allowance. The request burst is at least 1 (when the limit is
   * 2 or more), so an idle limiter admits a call at once; a call whose tokens exceed the token burst waits for them.
   */
  burstFraction?: number;
}

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** The limiter's name: its keys in the store and `agentrace.rate_limit.name` (default `rate_limit`). */
  name?: string;
  /** The limits; every rule that matches a call applies. */
  rules: RateLimitRule[];
  /** Where the buckets live: `RedisStateStore` for fleet-wide limits (default: a new `InMemoryStateStore`). */
  store?: StateStore;
  /** Longest a call may wait for its limit before it is rejected (ms, default 10 000; 0 never waits). */
  maxWaitMs?: number;
  /** Tokens a usage counts as (default: input + output + cache read + cache write). */
  countTokens?: (usage: UsageSnapshot) => number;
  /** When the store cannot answer (default: the store's `failurePolicy`, else `fail_open`). */
  onStoreUnavailable?: StoreFailurePolicy;
  /**
   * Under `fail_open`, the share of each limit this process keeps locally while the store is away (in (0, 1],
   * default 1). With N processes, `1 / N` keeps the fleet within the limits during an outage.
   */
  localShare?: number;
  /** Meter provider for the rate-limit metrics (default: the global one). */
  meterProvider?: MeterProvider;
}

interface ResolvedRule {
  readonly provider: string;
  readonly model: string | undefined;
  readonly scope: 'model' | 'provider';
  readonly requests: number | undefined;
  readonly tokens: number | undefined;
  readonly windowMs: number;
  readonly burstFraction: number;
}

interface Plan {
  readonly group: string;
  readonly buckets: RateBucket[];
  readonly kinds: RateLimitKind[];
  readonly tokens: number;
}

const DEFAULT_NAME = 'rate_limit';
const DEFAULT_WINDOW_MS = 60_000;
const DEFAULT_BURST_FRACTION = 0.1;
const DEFAULT_MAX_WAIT_MS = 10_000;
const UNSPECIFIED_MODEL = 'unspecified';

/**
 * Provider rate limits as a {@link TurnGate}: requests and tokens per window (per minute by default) per
 * provider/model, kept as token buckets in a {@link StateStore} so the whole fleet shares them. A call the limit
 * cannot take now waits (abortably, at most `maxWaitMs`; its place is reserved, so waiters are served in order)
 * or is rejected with {@link RateLimitExceededError} carrying `retryAfterMs`. Waits and rejections are span events
 * on the call and `agentrace.rate_limit.*` metrics.
 *
 * A local wait or rejection is not a provider 429: the session never retries a gate's refusal, and a recovery
 * policy only ever sees the provider's own errors.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({
 *   store,
 *   rules: [{ provider: 'openai', model: 'gpt-4o', requests: 500, tokens: 30_000 }],
 * });
 * const agent = new AgentSession({ role: 'writer', phase: 'draft', gates: [limiter] });
 * ```
 */
export class RateLimiter implements TurnGate {
  /** The limiter's name. */
  readonly name: string;
  /** Longest a call may wait (ms). */
  readonly maxWaitMs: number;

  readonly #rules: readonly ResolvedRule[];
  readonly #store: StateStore;
  readonly #local = new InMemoryStateStore();
  readonly #localShare: number;
  readonly #countTokens: (usage: UsageSnapshot) => number;
  readonly #health: StoreHealth;
  readonly #meterProvider: MeterProvider | undefined;

  /**
   * @throws {ValidationError} naming the option that is wrong: `name`, `rules` (a non-empty array),
   * `rules[i].provider`, `rules[i].model`, `rules[i].scope`, `rules[i].requests` / `rules[i].tokens` (positive; at
   * least one), `rules[i].windowMs`, `rules[i].burstFraction`, `maxWaitMs`, `countTokens`, `localShare`, `store`,
   * `onStoreUnavailable`.
   */
  constructor(options: RateLimiterOptions) {
    const o = options ?? ({} as Partial<RateLimiterOptions>);
    const name = o.name ?? DEFAULT_NAME;
    if (typeof name !== 'string' || name.length === 0) {
      throw new ValidationError({ field: 'name', value: name, expected: 'a non-empty string' });
    }
    this.name = name;
    if (!Array.isArray(o.rules) || o.rules.length === 0) {
      throw new ValidationError({ field: 'rules', value: o.rules, expected: 'a non-empty array of rules' });
    }
    this.#rules = o.rules.map((rule, i) => resolveRule(rule, `rules[${i}]`));
    const maxWaitMs = o.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    if (typeof maxWaitMs !== 'number' || !(maxWaitMs >= 0) || maxWaitMs === Number.POSITIVE_INFINITY) {
      throw new ValidationError({
        field: 'maxWaitMs',
        value: maxWaitMs,
        expected: 'a non-negative finite number of milliseconds',
      });
    }
    this.maxWaitMs = maxWaitMs;
    if (o.countTokens !== undefined && typeof o.countTokens !== 'function') {
      throw new ValidationError({ field: 'countTokens', value: o.countTokens, expected: 'a function' });
    }
    this.#countTokens = o.countTokens ?? ((u) => u.totalTokens);
    const localShare = o.localShare ?? 1;
    if (typeof localShare !== 'number' || !(localShare > 0 && localShare <= 1)) {
      throw new ValidationError({ field: 'localShare', value: localShare, expected: 'a share in (0, 1]' });
    }
    this.#localShare = localShare;
    this.#store = o.store ?? new InMemoryStateStore();
    this.#meterProvider = o.meterProvider;
    this.#health = new StoreHealth({
      consumer: 'rate_limit',
      name,
      store: this.#store,
      policy: resolveStorePolicy(this.#store, o.onStoreUnavailable),
      meterProvider: o.meterProvider,
    });
  }

  /**
   * Takes the call's request and expected tokens from every matching limit, waiting for them when needed.
   *
   * @throws {RateLimitExceededError} the wait would exceed `maxWaitMs`.
   * @throws {StateStoreUnavailableError} the store cannot answer and the policy is `fail_closed`.
   * @throws the signal's reason when the turn is cancelled before or while it waits (its place is given back).
   */
  async enter(ctx: TurnGateContext): Promise<TurnGateTicket | undefined> {
    const provider = ctx.provider ?? DEFAULT_PROVIDER_KEY;
    const model = ctx.model ?? UNSPECIFIED_MODEL;
    const tokens = ctx.expectedUsage ? this.#tokensOf(ctx.expectedUsage) : 0;
    const plan = this.#plan(provider, model, tokens);
    if (!plan) return undefined;
    ctx.signal.throwIfAborted();
    const attrs: Attributes = {
      [ATTR_AGENTRACE_RATE_LIMIT_NAME]: this.name,
      [ATTR_GEN_AI_PROVIDER_NAME]: provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: model,
    };

    let store: StateStore = this.#store;
    let buckets = plan.buckets;
    let reply: RateAcquireReply;
    try {
      reply = await store.acquireRate({ group: plan.group, buckets, maxWaitMs: this.maxWaitMs });
      this.#health.succeeded();
    } catch (err) {
      const error = this.#health.failed(err, 'acquire_rate');
      this.#health.countFallback();
      guard('rate limit span event', () =>
        ctx.addEvent(EVENT_AGENTRACE_STATE_STORE_UNAVAILABLE, { ...this.#health.attributes, ...attrs }),
      );
      if (this.#health.policy === StoreFailurePolicy.FAIL_CLOSED) throw error;
      store = this.#local;
      buckets = buckets.map((b) => ({
        ...b,
        ratePerMs: b.ratePerMs * this.#localShare,
        burst: b.burst * this.#localShare,
      }));
      reply = await store.acquireRate({ group: plan.group, buckets, maxWaitMs: this.maxWaitMs });
    }

    const limit = plan.kinds[reply.bound] ?? RateLimitKind.REQUESTS;
    if (!reply.admitted) {
      this.#record('rejected', attrs, undefined);
      guard('rate limit span event', () =>
        ctx.addEvent(EVENT_AGENTRACE_RATE_LIMIT_REJECTED, {
          ...attrs,
          [ATTR_AGENTRACE_RATE_LIMIT_LIMIT]: limit,
          [ATTR_AGENTRACE_RATE_LIMIT_RETRY_AFTER_MS]: Math.ceil(reply.waitMs),
          [ATTR_AGENTRACE_RATE_LIMIT_TOKENS]: plan.tokens,
        }),
      );
      throw new RateLimitExceededError({
        limiterName: this.name,
        provider,
        model,
        limit,
        retryAfterMs: Math.ceil(reply.waitMs),
        maxWaitMs: this.maxWaitMs,
      });
    }
    if (reply.waitMs > 0) {
      guard('rate limit span event', () =>
        ctx.addEvent(EVENT_AGENTRACE_RATE_LIMIT_DELAYED, {
          ...attrs,
          [ATTR_AGENTRACE_RATE_LIMIT_LIMIT]: limit,
          [ATTR_AGENTRACE_RATE_LIMIT_WAIT_MS]: Math.ceil(reply.waitMs),
          [ATTR_AGENTRACE_RATE_LIMIT_TOKENS]: plan.tokens,
        }),
      );
      try {
        // Timers can fire a few ms early (libuv's coarse clock); the call must not start before its reserved time,
        // or a window could see a call more than allowed. Counting from now is safe: the store decided earlier.
        const until = Date.now() + reply.waitMs;
        for (let left = reply.waitMs; left > 0; left = until - Date.now())
          await sleep(Math.ceil(left), ctx.signal);
      } catch (err) {
        // Cancelled while waiting: the reserved place goes back to the others.
        await this.#adjust(
          store,
          plan.group,
          buckets.map((b) => ({ ...b, cost: -b.cost })),
        );
        throw err;
      }
    }
    this.#record(reply.waitMs > 0 ? 'delayed' : 'admitted', attrs, reply.waitMs);
    return this.#ticket(store, plan, buckets);
  }

  #tokensOf(usage: UsageSnapshot): number {
    const n = this.#countTokens(usage);
    return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
  }

  /** The buckets a call takes from, or undefined when no rule applies. */
  #plan(provider: string, model: string, tokens: number): Plan | undefined {
    const buckets: RateBucket[] = [];
    const kinds: RateLimitKind[] = [];
    for (const rule of this.#rules) {
      if (rule.provider !== provider || (rule.model !== undefined && rule.model !== model)) continue;
      const subject = rule.scope === 'provider' ? '*' : model;
      for (const [kind, allowance, cost] of [
        [RateLimitKind.REQUESTS, rule.requests, 1],
        [RateLimitKind.TOKENS, rule.tokens, tokens],
      ] as const) {
        if (allowance === undefined) continue;
        // A request costs 1: a burst below that would make even the first call wait (unless the limit is < 2).
        const burst =
          kind === RateLimitKind.REQUESTS
            ? Math.max(allowance * rule.burstFraction, Math.min(1, allowance / 2))
            : allowance * rule.burstFraction;
        buckets.push({
          key: `${subject}:${kind}:${rule.windowMs}:${allowance}`,
          ratePerMs: (allowance - burst) / rule.windowMs,
          burst,
          cost,
        });
        kinds.push(kind);
      }
    }
    if (buckets.length === 0) return undefined;
    return { group: `${this.name}:${provider}`, buckets, kinds, tokens };
  }

  #ticket(store: StateStore, plan: Plan, buckets: RateBucket[]): TurnGateTicket | undefined {
    if (!plan.kinds.includes(RateLimitKind.TOKENS)) return undefined;
    let settled = false;
    return {
      settle: async (outcome: TurnGateOutcome) => {
        if (settled) return;
        settled = true;
        // Failed without usage: assume the provider did not process the tokens and give them back.
        const actual = outcome.usage ? this.#tokensOf(outcome.usage) : outcome.ok ? plan.tokens : 0;
        const delta = actual - plan.tokens;
        if (delta === 0) return;
        const tokenBuckets = buckets.filter((_, i) => plan.kinds[i] === RateLimitKind.TOKENS);
        await this.#adjust(
          store,
          plan.group,
          tokenBuckets.map((b) => ({ ...b, cost: delta })),
        );
      },
    };
  }

  /** Takes (positive cost) or gives back (negative) tokens after the fact; best effort. */
  async #adjust(store: StateStore, group: string, buckets: RateBucket[]): Promise<void> {
    try {
      await store.adjustRate({ group, buckets });
    } catch (err) {
      this.#health.failed(err, 'adjust_rate');
    }
  }

  #record(outcome: 'admitted' | 'delayed' | 'rejected', attrs: Attributes, waitMs: number | undefined): void {
    guard('rate limit metrics', () => {
      const instruments = instrumentsFor(this.#meterProvider);
      instruments.rateLimitDecisions.add(1, { ...attrs, [ATTR_AGENTRACE_RATE_LIMIT_OUTCOME]: outcome });
      if (waitMs !== undefined) instruments.rateLimitWait.record(waitMs / 1000, attrs);
    });
  }
}

function resolveRule(rule: RateLimitRule, field: string): ResolvedRule {
  if (typeof rule !== 'object' || rule === null) {
    throw new ValidationError({ field, value: rule, expected: 'a rate-limit rule object' });
  }
  if (typeof rule.provider !== 'string' || rule.provider.length === 0) {
    throw new ValidationError({
      field: `${field}.provider`,
      value: rule.provider,
      expected: 'a non-empty string',
    });
  }
  if (rule.model !== undefined && (typeof rule.model !== 'string' || rule.model.length === 0)) {
    throw new ValidationError({ field: `${field}.model`, value: rule.model, expected: 'a non-empty string' });
  }
  const scope = rule.scope ?? 'model';
  if (scope !== 'model' && scope !== 'provider') {
    throw new ValidationError({ field: `${field}.scope`, value: scope, expected: "'model' or 'provider'" });
  }
  for (const key of ['requests', 'tokens'] as const) {
    const v = rule[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new ValidationError({ field: `${field}.${key}`, value: v, expected: 'a positive finite number' });
    }
  }
  if (rule.requests === undefined && rule.tokens === undefined) {
    throw new ValidationError({
      field: `${field}.requests`,
      value: undefined,
      expected: 'a limit: requests and/or tokens per window',
    });
  }
  const windowMs = rule.windowMs ?? DEFAULT_WINDOW_MS;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
    throw new ValidationError({
      field: `${field}.windowMs`,
      value: windowMs,
      expected: 'a positive finite number of milliseconds',
    });
  }
  const burstFraction = rule.burstFraction ?? DEFAULT_BURST_FRACTION;
  if (typeof burstFraction !== 'number' || !(burstFraction > 0 && burstFraction < 1)) {
    throw new ValidationError({
      field: `${field}.burstFraction`,
      value: burstFraction,
      expected: 'a share in (0, 1)',
    });
  }
  return {
    provider: rule.provider,
    model: rule.model,
    scope,
    requests: rule.requests,
    tokens: rule.tokens,
    windowMs,
    burstFraction,
  };
}
