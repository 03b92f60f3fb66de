import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  ObservableCounter,
  ObservableGauge,
} from '@opentelemetry/api';
import { metrics } from '@opentelemetry/api';
import { VERSION } from '../common/version.js';
import {
  ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME,
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_TOKEN_USAGE_BUCKETS,
  METRIC_AGENTRACE_BUDGET_DECISIONS,
  METRIC_AGENTRACE_BUDGET_EXCEEDED,
  METRIC_AGENTRACE_BUDGET_RECONCILED,
  METRIC_AGENTRACE_CIRCUIT_BREAKER_STATE,
  METRIC_AGENTRACE_CIRCUIT_BREAKER_TRANSITIONS,
  METRIC_AGENTRACE_COST,
  METRIC_AGENTRACE_RATE_LIMIT_DECISIONS,
  METRIC_AGENTRACE_RATE_LIMIT_WAIT,
  METRIC_AGENTRACE_RECOVERY_ATTEMPTS,
  METRIC_AGENTRACE_SESSIONS,
  METRIC_AGENTRACE_STATE_STORE_UNAVAILABLE,
  METRIC_AGENTRACE_TOOL_CALLS,
  METRIC_AGENTRACE_TOOL_DURATION,
  METRIC_AGENTRACE_TURN_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  RATE_LIMIT_WAIT_BUCKETS,
} from './semconv.js';

/** Instrumentation scope name of every span and metric agentrace emits. */
export const INSTRUMENTATION_SCOPE = '@agentrace/core';

/** Bucket boundaries (seconds) for agentrace's own tool-call durations: tools are often faster than models. */
export const TOOL_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Every instrument agentrace records into, created once per meter. */
export interface Instruments {
  readonly meter: Meter;
  readonly tokenUsage: Histogram;
  /** One model call: a turn without recovery, or each attempt of a recovering turn. */
  readonly operationDuration: Histogram;
  /** One turn, attempts and backoff included. */
  readonly turnDuration: Histogram;
  readonly timeToFirstChunk: Histogram;
  /** Observed from {@link Instruments.addCost}'s running totals at collection: no SDK work per turn. */
  readonly cost: ObservableCounter;
  /**
   * Adds to the cost counter's series `key` (attributes `attributes`, which must not change for that key).
   * Running totals are kept here and reported when the reader collects, so a turn costs a Map update instead
   * of a synchronous SDK measurement (whose attribute hashing dominates a turn's metric cost).
   */
  addCost(key: string, attributes: Attributes, usd: number): void;
  readonly recoveryAttempts: Counter;
  readonly breakerTransitions: Counter;
  readonly breakerState: ObservableGauge;
  readonly sessions: Counter;
  readonly toolCalls: Counter;
  readonly toolDuration: Histogram;
  readonly budgetExceeded: Counter;
  // --- shared state (breakers, budgets and rate limits on a state store) ---
  readonly budgetDecisions: Counter;
  readonly budgetReconciled: Counter;
  readonly rateLimitDecisions: Counter;
  readonly rateLimitWait: Histogram;
  readonly stateStoreUnavailable: Counter;
}

// Cost series kept per meter provider before they fold into one overflow series (the SDK's default limit).
const MAX_COST_SERIES = 2000;
const OVERFLOW_KEY = '\u0000overflow';
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

function create(meter: Meter): Instruments {
  const costTotals = new Map<string, { attributes: Attributes; total: number }>();
  const instruments: Instruments = {
    meter,
    tokenUsage: meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used per model call',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...GEN_AI_TOKEN_USAGE_BUCKETS] },
    }),
    operationDuration: meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'Duration of GenAI operations: each model call, every recovery attempt on its own',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS] },
    }),
    turnDuration: meter.createHistogram(METRIC_AGENTRACE_TURN_DURATION, {
      description: 'Duration of agent turns, all their attempts, backoff and failovers included',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS] },
    }),
    timeToFirstChunk: meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, {
      description: 'Time from the start of a streaming model call to its first chunk',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS] },
    }),
    cost: meter.createObservableCounter(METRIC_AGENTRACE_COST, {
      description: 'Cost of model calls in US dollars, from the price table in effect',
      unit: '{USD}',
    }),
    addCost(key, attributes, usd) {
      const series = costTotals.get(key);
      if (series) series.total += usd;
      else if (costTotals.size < MAX_COST_SERIES) costTotals.set(key, { attributes, total: usd });
      else instruments.addCost(OVERFLOW_KEY, OVERFLOW_ATTRIBUTES, usd);
    },
    recoveryAttempts: meter.createCounter(METRIC_AGENTRACE_RECOVERY_ATTEMPTS, {
      description: 'Recovery records (attempted, succeeded, failed, escalated) by failure scenario',
      unit: '{attempt}',
    }),
    breakerTransitions: meter.createCounter(METRIC_AGENTRACE_CIRCUIT_BREAKER_TRANSITIONS, {
      description: 'Circuit breaker state transitions',
      unit: '{transition}',
    }),
    breakerState: meter.createObservableGauge(METRIC_AGENTRACE_CIRCUIT_BREAKER_STATE, {
      description: 'Current circuit breaker state: 0 closed, 1 half_open, 2 open',
      unit: '1',
    }),
    sessions: meter.createCounter(METRIC_AGENTRACE_SESSIONS, {
      description: 'Agent sessions ended, by terminal status',
      unit: '{session}',
    }),
    toolCalls: meter.createCounter(METRIC_AGENTRACE_TOOL_CALLS, {
      description: 'Tool calls by outcome (ok, error, denied, blocked)',
      unit: '{call}',
    }),
    toolDuration: meter.createHistogram(METRIC_AGENTRACE_TOOL_DURATION, {
      description: 'Duration of tool calls made through runTool',
      unit: 's',
      advice: { explicitBucketBoundaries: [...TOOL_DURATION_BUCKETS] },
    }),
    budgetExceeded: meter.createCounter(METRIC_AGENTRACE_BUDGET_EXCEEDED, {
      description: 'Turns that ended with the session over its budget',
      unit: '{turn}',
    }),
    // --- shared state (breakers, budgets and rate limits on a state store) ---
    budgetDecisions: meter.createCounter(METRIC_AGENTRACE_BUDGET_DECISIONS, {
      description: 'Shared-budget decisions before model calls: reserved or refused',
      unit: '{decision}',
    }),
    budgetReconciled: meter.createCounter(METRIC_AGENTRACE_BUDGET_RECONCILED, {
      description:
        'Spend recorded while the state store was unavailable, written to it when it answered again',
      unit: '{USD}',
    }),
    rateLimitDecisions: meter.createCounter(METRIC_AGENTRACE_RATE_LIMIT_DECISIONS, {
      description: 'Rate-limit decisions before model calls: admitted, delayed or rejected',
      unit: '{decision}',
    }),
    rateLimitWait: meter.createHistogram(METRIC_AGENTRACE_RATE_LIMIT_WAIT, {
      description: 'Time model calls waited for a rate limit before running (0 when admitted at once)',
      unit: 's',
      advice: { explicitBucketBoundaries: [...RATE_LIMIT_WAIT_BUCKETS] },
    }),
    stateStoreUnavailable: meter.createCounter(METRIC_AGENTRACE_STATE_STORE_UNAVAILABLE, {
      description: 'Decisions made without the state store (it could not answer): on local state or refused',
      unit: '{decision}',
    }),
  };
  instruments.cost.addCallback((result) => {
    for (const { attributes, total } of costTotals.values()) result.observe(total, attributes);
  });
  instruments.breakerState.addCallback((result) => {
    for (const ref of observedBreakers) {
      const breaker = ref.deref();
      if (!breaker) {
        observedBreakers.delete(ref);
        continue;
      }
      // One series per breaker (no state label), so a dashboard can plot the state over time.
      result.observe(STATE_CODE[breaker.state()], { [ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME]: breaker.name });
    }
  });
  return instruments;
}

/** What the breaker-state gauge reads: anything with a name and a current state. */
export interface BreakerStateSource {
  readonly name: string;
  state(): 'closed' | 'open' | 'half_open';
}

const STATE_CODE = { closed: 0, half_open: 1, open: 2 } as const;
const observedBreakers = new Set<WeakRef<BreakerStateSource>>();
const observedOnce = new WeakSet<BreakerStateSource>();

/**
 * Reports `breaker`'s state on the `agentrace.circuit_breaker.state` gauge for as long as the breaker is alive
 * (held weakly, so observing never keeps a breaker in memory). Idempotent.
 */
export function observeBreakerState(breaker: BreakerStateSource): void {
  if (observedOnce.has(breaker)) return;
  observedOnce.add(breaker);
  observedBreakers.add(new WeakRef(breaker));
}

const byProvider = new WeakMap<MeterProvider, Instruments>();

/**
 * The instruments for `provider`, or for the global meter provider as it is *now*.
 *
 * The metrics API has no proxy provider: an instrument created before the application registers its
 * MeterProvider stays a no-op forever. So instruments are resolved at record time and cached per provider
 * (a WeakMap lookup), which makes a provider registered after `@agentrace/core` was imported work.
 */
const byMeter = new WeakMap<Meter, Instruments>();

/**
 * The instruments created on `meter` itself (once per meter): for instrumentations that are handed a meter
 * of their own scope (`InstrumentationBase.meter`) and record the same GenAI metrics as a turn.
 */
export function instrumentsForMeter(meter: Meter): Instruments {
  let found = byMeter.get(meter);
  if (!found) {
    found = create(meter);
    byMeter.set(meter, found);
  }
  return found;
}

export function instrumentsFor(provider?: MeterProvider): Instruments {
  const p = provider ?? metrics.getMeterProvider();
  let found = byProvider.get(p);
  if (!found) {
    found = create(p.getMeter(INSTRUMENTATION_SCOPE, VERSION));
    byProvider.set(p, found);
  }
  return found;
}
