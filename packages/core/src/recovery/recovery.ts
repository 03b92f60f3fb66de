import { ValidationError } from '@agentrace/pricing';
import { systemWallClock, type WallClock } from '../common/clock.js';
import { Emitter, type Listener } from '../common/listeners.js';
import { isOneOf, type ValueOf } from '../common/wire.js';
import { assertScenario, type FailureScenario } from './failure-scenario.js';

/** One action of a recovery recipe. */
export const RecoveryStep = {
  RETRY_WITH_BACKOFF: 'retry_with_backoff',
  RETRY_WITH_SMALLER_CONTEXT: 'retry_with_smaller_context',
  SWITCH_PROVIDER: 'switch_provider',
  RESTART_AGENT: 'restart_agent',
  CLEAR_MEMORY_CACHE: 'clear_memory_cache',
  REDUCE_TOOL_SET: 'reduce_tool_set',
  /** Defined by the reference, used by none of its recipes. */
  ESCALATE_TO_HUMAN: 'escalate_to_human',
} as const;
export type RecoveryStep = ValueOf<typeof RecoveryStep>;

/** What to do once a scenario's recovery attempts are exhausted. */
export const EscalationPolicy = {
  ALERT_HUMAN: 'alert_human',
  LOG_AND_CONTINUE: 'log_and_continue',
  ABORT: 'abort',
} as const;
export type EscalationPolicy = ValueOf<typeof EscalationPolicy>;

/** Outcome of {@link attemptRecovery}. */
export const RecoveryOutcome = {
  RECOVERED: 'recovered',
  PARTIAL_RECOVERY: 'partial_recovery',
  ESCALATION_REQUIRED: 'escalation_required',
} as const;
export type RecoveryOutcome = ValueOf<typeof RecoveryOutcome>;

/** Kind of a {@link RecoveryRecord}. */
export const RecoveryEventType = {
  ATTEMPTED: 'attempted',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  ESCALATED: 'escalated',
} as const;
export type RecoveryEventType = ValueOf<typeof RecoveryEventType>;

/** The recovery plan of a scenario: ordered steps, how many attempts, and what to do after them. */
export interface RecoveryRecipe {
  readonly scenario: FailureScenario;
  readonly steps: readonly RecoveryStep[];
  readonly maxAttempts: number;
  readonly escalationPolicy: EscalationPolicy;
}

function recipe(
  scenario: FailureScenario,
  steps: RecoveryStep[],
  maxAttempts: number,
  escalationPolicy: EscalationPolicy,
): RecoveryRecipe {
  return Object.freeze({ scenario, steps: Object.freeze(steps), maxAttempts, escalationPolicy });
}

const { ALERT_HUMAN, LOG_AND_CONTINUE, ABORT } = EscalationPolicy;
const {
  RETRY_WITH_BACKOFF,
  RETRY_WITH_SMALLER_CONTEXT,
  SWITCH_PROVIDER,
  RESTART_AGENT,
  CLEAR_MEMORY_CACHE,
  REDUCE_TOOL_SET,
} = RecoveryStep;

const RECIPES: Readonly<Record<FailureScenario, RecoveryRecipe>> = {
  llm_timeout: recipe('llm_timeout', [RETRY_WITH_BACKOFF], 2, ALERT_HUMAN),
  llm_error: recipe('llm_error', [RETRY_WITH_BACKOFF, SWITCH_PROVIDER], 2, ALERT_HUMAN),
  tool_execution_error: recipe('tool_execution_error', [RESTART_AGENT], 1, LOG_AND_CONTINUE),
  context_overflow: recipe('context_overflow', [RETRY_WITH_SMALLER_CONTEXT, REDUCE_TOOL_SET], 1, ALERT_HUMAN),
  dependency_timeout: recipe('dependency_timeout', [RETRY_WITH_BACKOFF], 1, ALERT_HUMAN),
  memory_corruption: recipe('memory_corruption', [CLEAR_MEMORY_CACHE, RESTART_AGENT], 1, ABORT),
  provider_failure: recipe('provider_failure', [SWITCH_PROVIDER, RETRY_WITH_BACKOFF], 2, ABORT),
  // agentrace's addition. A rate limit clears with time and the provider says how long (Retry-After), so
  // waiting on the same provider comes first and switching second; it is the most transient failure,
  // hence one attempt more than the others. Still limited after that means capacity or quota planning,
  // which only a human can fix: alert, do not abort.
  rate_limit: recipe('rate_limit', [RETRY_WITH_BACKOFF, SWITCH_PROVIDER], 3, ALERT_HUMAN),
};

/**
 * The recovery recipe of a scenario (the reference's recipes, plus `rate_limit`:
 * `retry_with_backoff, switch_provider`, 3 attempts, `alert_human`). The result is frozen.
 *
 * @throws {ValidationError} `scenario` is not a {@link FailureScenario}.
 * @example
 * ```ts
 * recipeFor('context_overflow').steps; // ['retry_with_smaller_context', 'reduce_tool_set']
 * ```
 */
export function recipeFor(scenario: FailureScenario): RecoveryRecipe {
  return RECIPES[assertScenario(scenario)];
}

/** Wire form of a {@link RecoveryResult}. */
export type RecoveryResultDict = {
  outcome: RecoveryOutcome;
  steps_taken: number;
  recovered_steps: RecoveryStep[];
  remaining_steps: RecoveryStep[];
  reason: string;
};

/** What {@link attemptRecovery} decided. Immutable. */
export class RecoveryResult {
  readonly outcome: RecoveryOutcome;
  /** How many steps were taken (the length of `recoveredSteps`). */
  readonly stepsTaken: number;
  /** The steps taken, in order. */
  readonly recoveredSteps: readonly RecoveryStep[];
  /** The steps not taken after a partial recovery. */
  readonly remainingSteps: readonly RecoveryStep[];
  /** Why recovery is escalated; empty otherwise. */
  readonly reason: string;

  constructor(init: {
    outcome: RecoveryOutcome;
    recoveredSteps?: readonly RecoveryStep[];
    remainingSteps?: readonly RecoveryStep[];
    reason?: string;
  }) {
    if (!isOneOf(RecoveryOutcome, init.outcome)) {
      throw new ValidationError({
        field: 'outcome',
        value: init.outcome,
        expected: `one of ${Object.values(RecoveryOutcome).join(', ')}`,
      });
    }
    this.outcome = init.outcome;
    this.recoveredSteps = Object.freeze([...(init.recoveredSteps ?? [])]);
    this.remainingSteps = Object.freeze([...(init.remainingSteps ?? [])]);
    this.stepsTaken = this.recoveredSteps.length;
    this.reason = init.reason ?? '';
    Object.freeze(this);
  }

  /** The wire form: `outcome, steps_taken, recovered_steps, remaining_steps, reason`. */
  toDict(): RecoveryResultDict {
    return {
      outcome: this.outcome,
      steps_taken: this.stepsTaken,
      recovered_steps: [...this.recoveredSteps],
      remaining_steps: [...this.remainingSteps],
      reason: this.reason,
    };
  }

  /** Same as {@link RecoveryResult.toDict}, for `JSON.stringify`. */
  toJSON(): RecoveryResultDict {
    return this.toDict();
  }
}

/** Wire form of a {@link RecoveryRecord}. */
export type RecoveryRecordDict = {
  event_type: RecoveryEventType;
  scenario: FailureScenario;
  recipe_steps: RecoveryStep[];
  result: RecoveryResultDict;
  timestamp: string;
};

/** One entry of a {@link RecoveryContext}'s record list. Frozen. */
export interface RecoveryRecord {
  readonly eventType: RecoveryEventType;
  readonly scenario: FailureScenario;
  /** The steps of the scenario's recipe (not only those taken). */
  readonly recipeSteps: readonly RecoveryStep[];
  readonly result: RecoveryResult;
  /** When it was recorded, ISO-8601 UTC. */
  readonly timestamp: string;
  /** The wire form: `event_type, scenario, recipe_steps, result, timestamp`. */
  toDict(): RecoveryRecordDict;
  /** Same as `toDict`, for `JSON.stringify`. */
  toJSON(): RecoveryRecordDict;
}

/** Options of {@link RecoveryContext}. */
export interface RecoveryContextOptions {
  /** How many records are kept (the newest); attempt counts and exhaustion stay exact. Default 1000. */
  maxRecords?: number;
  /** Wall clock for record timestamps. Default `Date.now`. */
  wallClock?: WallClock;
}

let countAttempt: (ctx: RecoveryContext, scenario: FailureScenario) => void;

/**
 * Recovery bookkeeping of one session: attempts per scenario, and a bounded list of records
 * (`attempted`/`succeeded`/`failed`/`escalated`). {@link attemptRecovery} writes to it.
 *
 * @example
 * ```ts
 * const ctx = new RecoveryContext();
 * ctx.onRecord((r) => console.log(r.eventType, r.scenario));
 * attemptRecovery('llm_timeout', ctx); // recovered, logs "succeeded llm_timeout"
 * ctx.attemptCount('llm_timeout'); // 1
 * ```
 */
export class RecoveryContext {
  readonly #attempts = new Map<FailureScenario, number>();
  readonly #exhausted = new Set<FailureScenario>();
  readonly #records: RecoveryRecord[] = [];
  readonly #maxRecords: number;
  readonly #wallClock: WallClock;
  readonly #onRecord = new Emitter<RecoveryRecord>();
  #dropped = 0;

  static {
    countAttempt = (ctx, scenario) => {
      ctx.#attempts.set(scenario, ctx.attemptCount(scenario) + 1);
    };
  }

  /** @throws {ValidationError} `maxRecords` is not a positive safe integer, or `wallClock` not a function. */
  constructor(opts: RecoveryContextOptions = {}) {
    const { maxRecords = 1000, wallClock = systemWallClock } = opts;
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
      throw new ValidationError({
        field: 'maxRecords',
        value: maxRecords,
        expected: 'a positive safe integer',
      });
    }
    if (typeof wallClock !== 'function') {
      throw new ValidationError({
        field: 'wallClock',
        value: wallClock,
        expected: 'a function returning epoch ms',
      });
    }
    this.#maxRecords = maxRecords;
    this.#wallClock = wallClock;
  }

  /** Fired with each new record, after it is stored. A throwing listener is ignored (and reported to `diag`). */
  readonly onRecord: Listener<RecoveryRecord> = this.#onRecord.event;

  /** How many recovery attempts were counted for `scenario` (escalations are not attempts). */
  attemptCount(scenario: FailureScenario): number {
    return this.#attempts.get(scenario) ?? 0;
  }

  /** The kept records, oldest first (a copy). */
  get records(): readonly RecoveryRecord[] {
    return [...this.#records];
  }

  /** How many old records were dropped to stay within `maxRecords`. */
  get droppedRecords(): number {
    return this.#dropped;
  }

  /** Whether `scenario` is retry-exhausted: an `escalated` record was made for it (even if since dropped). */
  isExhausted(scenario: FailureScenario): boolean {
    return this.#exhausted.has(scenario);
  }

  /** The retry-exhausted scenarios, in the order they were first escalated. */
  exhaustedScenarios(): FailureScenario[] {
    return [...this.#exhausted];
  }

  /**
   * Appends a record stamped with the wall clock, and notifies `onRecord`. {@link attemptRecovery} calls it;
   * code that performs recovery may add its own `attempted`/`failed` records around a retry.
   *
   * @throws {ValidationError} `eventType` or `scenario` is not a known value.
   */
  record(init: {
    eventType: RecoveryEventType;
    scenario: FailureScenario;
    result: RecoveryResult;
  }): RecoveryRecord {
    if (!isOneOf(RecoveryEventType, init.eventType)) {
      throw new ValidationError({
        field: 'eventType',
        value: init.eventType,
        expected: `one of ${Object.values(RecoveryEventType).join(', ')}`,
      });
    }
    const scenario = assertScenario(init.scenario);
    const entry = makeRecord({
      eventType: init.eventType,
      scenario,
      recipeSteps: RECIPES[scenario].steps,
      result: init.result,
      timestamp: new Date(this.#wallClock()).toISOString(),
    });
    this.#records.push(entry);
    if (this.#records.length > this.#maxRecords) {
      this.#records.shift();
      this.#dropped++;
    }
    if (entry.eventType === RecoveryEventType.ESCALATED) this.#exhausted.add(scenario);
    this.#onRecord.emit(entry);
    return entry;
  }
}

function makeRecord(fields: Omit<RecoveryRecord, 'toDict' | 'toJSON'>): RecoveryRecord {
  const toDict = (): RecoveryRecordDict => ({
    event_type: fields.eventType,
    scenario: fields.scenario,
    recipe_steps: [...fields.recipeSteps],
    result: fields.result.toDict(),
    timestamp: fields.timestamp,
  });
  return Object.freeze({ ...fields, toDict, toJSON: toDict });
}

/** Options of {@link attemptRecovery}. */
export interface AttemptRecoveryOptions {
  /**
   * How many of the recipe's steps succeeded, for code that performs the steps and had one fail (no other
   * provider to switch to, say). Fewer than all gives `partial_recovery` and a `failed` record. Default: all.
   */
  completedSteps?: number;
}

/**
 * Records a recovery attempt for `scenario` in `ctx` and says what to do.
 *
 * Once the scenario has had its recipe's `maxAttempts` attempts, the answer is `escalation_required`
 * (reason `max attempts (N) exhausted for <scenario>`), an `escalated` record is added and nothing is
 * counted; from then on the scenario is retry-exhausted. Otherwise the attempt is counted and the answer is
 * `recovered` with every step of the recipe (a `succeeded` record), or `partial_recovery` when
 * `completedSteps` says a step failed (a `failed` record).
 *
 * @throws {ValidationError} `scenario` is unknown, or `completedSteps` is not an integer from 0 to the
 *   number of steps.
 * @example
 * ```ts
 * const ctx = new RecoveryContext();
 * attemptRecovery('tool_execution_error', ctx).outcome; // 'recovered'
 * attemptRecovery('tool_execution_error', ctx).outcome; // 'escalation_required' (max attempts 1)
 * ctx.isExhausted('tool_execution_error'); // true
 * ```
 */
export function attemptRecovery(
  scenario: FailureScenario,
  ctx: RecoveryContext,
  opts: AttemptRecoveryOptions = {},
): RecoveryResult {
  const plan = recipeFor(scenario);
  const { completedSteps = plan.steps.length } = opts;
  if (!Number.isSafeInteger(completedSteps) || completedSteps < 0 || completedSteps > plan.steps.length) {
    throw new ValidationError({
      field: 'completedSteps',
      value: completedSteps,
      expected: `an integer from 0 to ${plan.steps.length}`,
    });
  }
  if (ctx.attemptCount(scenario) >= plan.maxAttempts) {
    const result = new RecoveryResult({
      outcome: RecoveryOutcome.ESCALATION_REQUIRED,
      reason: `max attempts (${plan.maxAttempts}) exhausted for ${scenario}`,
    });
    ctx.record({ eventType: RecoveryEventType.ESCALATED, scenario, result });
    return result;
  }
  countAttempt(ctx, scenario);
  const partial = completedSteps < plan.steps.length;
  const result = new RecoveryResult({
    outcome: partial ? RecoveryOutcome.PARTIAL_RECOVERY : RecoveryOutcome.RECOVERED,
    recoveredSteps: plan.steps.slice(0, completedSteps),
    remainingSteps: plan.steps.slice(completedSteps),
  });
  ctx.record({
    eventType: partial ? RecoveryEventType.FAILED : RecoveryEventType.SUCCEEDED,
    scenario,
    result,
  });
  return result;
}
