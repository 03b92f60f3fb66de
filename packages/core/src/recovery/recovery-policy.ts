import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { isOneOf } from '../common/wire.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import type { JitterMode } from './backoff.js';
import { FailureScenario } from './failure-scenario.js';
import { EscalationPolicy, type RecoveryStep } from './recovery.js';

/** A provider (and optionally the model to ask it for) that a turn can fail over to. */
export interface ProviderTarget {
  /** `gen_ai.provider.name` (e.g. `openai`, `anthropic`); also keys the per-provider breaker. */
  readonly provider: string;
  /** The model to request from this provider; defaults to the turn's model. */
  readonly model?: string;
}

/** What a recovery hook is told. */
export interface RecoveryHookContext {
  /** The scenario being recovered from. */
  readonly scenario: FailureScenario;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /** The error that attempt failed with. */
  readonly error: unknown;
  /** Aborts when the turn is cancelled or times out. */
  readonly signal: AbortSignal;
}

/**
 * Callbacks for the recipe steps agentrace cannot do itself. A step whose hook is missing is recorded as skipped
 * and the retry goes ahead.
 */
export interface RecoveryHooks {
  /** `clear_memory_cache`: drop cached conversation state that may be corrupt. */
  clearMemoryCache?(ctx: RecoveryHookContext): void | Promise<void>;
  /** `restart_agent`: reset the agent's own state before the retry. */
  restartAgent?(ctx: RecoveryHookContext): void | Promise<void>;
  /** `reduce_tool_set`: offer fewer tools (shorter tool definitions) on the retry. */
  reduceToolSet?(ctx: RecoveryHookContext): void | Promise<void>;
}

/** What an escalation reports (to `onEscalate` and on the thrown or returned failure). */
export interface EscalationInfo {
  readonly scenario: FailureScenario;
  readonly escalationPolicy: EscalationPolicy;
  readonly attempts: readonly AttemptRecord[];
  readonly error: unknown;
}

/**
 * How `runTurn` recovers from a failure: the error is classified, the scenario's recipe is looked up
 * (`recipeFor`), and every step of it is carried out before the turn runs again, until the turn succeeds or the
 * scenario has had `maxAttempts` retries in this turn, when the recipe's escalation policy applies.
 *
 * @example
 * ```ts
 * await session.runTurn((signal, turn) => callModel(turn.provider, turn.model, { signal }), {
 *   recovery: {
 *     providers: [{ provider: 'openai', model: 'gpt-4o' }, { provider: 'anthropic', model: 'claude-sonnet-4-5' }],
 *     backoff: { baseMs: 1000, capMs: 20_000, jitter: 'full' },
 *     totalTimeoutMs: 120_000,
 *   },
 * });
 * ```
 */
export interface RecoveryPolicy {
  /**
   * Providers to fail over through, in order; `switch_provider` moves to the next one whose breaker is not open
   * (wrapping around). The turn starts on the first, unless the turn names a provider that is in the list.
   */
  providers?: ReadonlyArray<string | ProviderTarget>;
  /** Backoff for `retry_with_backoff` (ms). Defaults: base 1000, cap 30 000, jitter `full`. */
  backoff?: { baseMs?: number; capMs?: number; jitter?: JitterMode | boolean };
  /** A provider's `Retry-After` is honoured up to this many ms (default 60 000); longer waits are cut to it. */
  retryAfterCapMs?: number;
  /** Retries per scenario per turn: one number for every scenario, or per scenario. Default: the recipe's. */
  maxAttempts?: number | Partial<Record<FailureScenario, number>>;
  /** Escalation policy per scenario, overriding the recipe's. */
  escalation?: Partial<Record<FailureScenario, EscalationPolicy>>;
  /** Starting context budget (characters) handed to the work; `retry_with_smaller_context` reduces it. */
  contextBudget?: number;
  /** Fraction of the budget kept on each reduction (0 < r < 1, default 0.75). */
  contextReduction?: number;
  /** Hooks for the steps agentrace cannot perform itself. */
  hooks?: RecoveryHooks;
  /** Bounds the whole turn, retries and waits included (`TurnTimeoutError` with `scope: 'turn'`). */
  totalTimeoutMs?: number;
  /** Uniform random numbers in [0, 1) for jitter (inject a seeded one for determinism). */
  random?: () => number;
  /** Called when recovery escalates with `alert_human` (and on every escalation, with its policy). */
  onEscalate?: (info: EscalationInfo) => void;
}

/** One step carried out (or not) after a failed attempt. */
export interface StepRecord {
  readonly step: RecoveryStep;
  readonly status: 'done' | 'skipped';
  /** Why it was skipped, or what it did (`openai → anthropic`, `waited 1200 ms`, `budget 6000 → 4500`). */
  readonly detail?: string;
}

/** One attempt of a turn, as the chain records it. */
export interface AttemptRecord {
  /** 1-based. */
  readonly attempt: number;
  readonly provider?: string;
  readonly model?: string;
  readonly contextBudget?: number;
  /** How the attempt ended. */
  readonly outcome: 'succeeded' | 'failed';
  /** Providers passed over before this attempt because their circuit was open. */
  readonly skippedProviders?: readonly string[];
  /** How the failure was classified. */
  readonly scenario?: FailureScenario;
  /** `error.type` of the failure. */
  readonly errorType?: string;
  /** The failure's message (masked). */
  readonly message?: string;
  /** Steps taken after this attempt failed, before the next one. */
  readonly steps: readonly StepRecord[];
  /** The wait before the next attempt, in ms. */
  readonly backoffMs?: number;
  /** Usage this attempt reported (a failed attempt can cost money too). */
  readonly usage?: UsageSnapshot;
  /** Its cost in USD. */
  readonly costUsd?: number;
}

/** A turn whose recovery escalated with `log_and_continue`: returned instead of thrown. */
export interface TurnFailure {
  readonly ok: false;
  readonly error: unknown;
  readonly scenario: FailureScenario;
  readonly escalationPolicy: EscalationPolicy;
  readonly attempts: readonly AttemptRecord[];
  /** Usage recorded across the failed attempts. */
  readonly usage: UsageSnapshot;
  /** Cost in USD across the failed attempts. */
  readonly costUsd: number;
}

/**
 * Thrown when recovery gives up on a turn: the scenario had all its retries (or nothing was left to try) and its
 * escalation policy is `abort` or `alert_human` (or `log_and_continue` on a call that did not pass `recovery`
 * itself, so cannot take a {@link TurnFailure} back). Carries the whole chain; `cause` is the last error.
 */
export class RecoveryExhaustedError extends AgentraceError {
  static override readonly errorName: string = 'RecoveryExhaustedError';
  /** The scenario that escalated. */
  readonly scenario: FailureScenario;
  /** The escalation policy that applied. */
  readonly escalationPolicy: EscalationPolicy;
  /** Every attempt of the turn, in order. */
  readonly attempts: readonly AttemptRecord[];

  constructor(info: EscalationInfo) {
    super(
      `recovery exhausted for ${info.scenario} after ${info.attempts.length} attempt(s); escalation: ${info.escalationPolicy}`,
      { cause: info.error },
    );
    this.scenario = info.scenario;
    this.escalationPolicy = info.escalationPolicy;
    this.attempts = info.attempts;
  }
}

/** @internal A policy after validation and defaults. */
export interface ResolvedRecoveryPolicy {
  readonly providers: readonly ProviderTarget[];
  readonly baseMs: number;
  readonly capMs: number;
  readonly jitter: JitterMode | boolean;
  readonly retryAfterCapMs: number;
  readonly maxAttempts: (scenario: FailureScenario, recipeMax: number) => number;
  readonly escalation: (scenario: FailureScenario, recipePolicy: EscalationPolicy) => EscalationPolicy;
  readonly contextBudget: number | undefined;
  readonly contextReduction: number;
  readonly hooks: RecoveryHooks;
  readonly totalTimeoutMs: number | undefined;
  readonly random: (() => number) | undefined;
  readonly onEscalate: ((info: EscalationInfo) => void) | undefined;
}

function positive(
  field: string,
  value: unknown,
  fallback: number | undefined,
  allowZero = false,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ValidationError({
      field,
      value,
      expected: allowZero ? 'a non-negative finite number' : 'a positive finite number',
    });
  }
  return value;
}

function attempts(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError({ field, value, expected: 'a non-negative integer' });
  }
  return value;
}

/**
 * Validates a {@link RecoveryPolicy} and fills in defaults.
 *
 * @throws {ValidationError} naming the first bad field (`recovery.backoff.baseMs`, `recovery.providers[1]`, …).
 */
export function resolveRecoveryPolicy(policy: RecoveryPolicy): ResolvedRecoveryPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new ValidationError({ field: 'recovery', value: policy, expected: 'a recovery policy object' });
  }
  const providers = (policy.providers ?? []).map((p, i): ProviderTarget => {
    if (typeof p === 'string' && p.length > 0) return Object.freeze({ provider: p });
    if (typeof p === 'object' && p !== null && typeof p.provider === 'string' && p.provider.length > 0) {
      if (p.model !== undefined && (typeof p.model !== 'string' || p.model.length === 0)) {
        throw new ValidationError({
          field: `recovery.providers[${i}].model`,
          value: p.model,
          expected: 'a model name',
        });
      }
      return Object.freeze(
        p.model === undefined ? { provider: p.provider } : { provider: p.provider, model: p.model },
      );
    }
    throw new ValidationError({
      field: `recovery.providers[${i}]`,
      value: p,
      expected: 'a provider name or { provider, model? }',
    });
  });
  const { maxAttempts, escalation } = policy;
  let maxFor: ResolvedRecoveryPolicy['maxAttempts'];
  if (maxAttempts === undefined) maxFor = (_s, recipeMax) => recipeMax;
  else if (typeof maxAttempts === 'number') {
    const n = attempts('recovery.maxAttempts', maxAttempts);
    maxFor = () => n;
  } else if (typeof maxAttempts === 'object' && maxAttempts !== null) {
    const table = new Map<string, number>();
    for (const [scenario, n] of Object.entries(maxAttempts)) {
      if (!isOneOf(FailureScenario, scenario)) {
        throw new ValidationError({
          field: `recovery.maxAttempts.${scenario}`,
          value: scenario,
          expected: 'a failure scenario',
        });
      }
      table.set(scenario, attempts(`recovery.maxAttempts.${scenario}`, n));
    }
    maxFor = (s, recipeMax) => table.get(s) ?? recipeMax;
  } else {
    throw new ValidationError({
      field: 'recovery.maxAttempts',
      value: maxAttempts,
      expected: 'a number or a map per scenario',
    });
  }
  const escalations = new Map<string, EscalationPolicy>();
  for (const [scenario, p] of Object.entries(escalation ?? {})) {
    if (!isOneOf(FailureScenario, scenario)) {
      throw new ValidationError({
        field: `recovery.escalation.${scenario}`,
        value: scenario,
        expected: 'a failure scenario',
      });
    }
    if (!isOneOf(EscalationPolicy, p)) {
      throw new ValidationError({
        field: `recovery.escalation.${scenario}`,
        value: p,
        expected: `one of ${Object.values(EscalationPolicy).join(', ')}`,
      });
    }
    escalations.set(scenario, p);
  }
  const reduction = policy.contextReduction ?? 0.75;
  if (typeof reduction !== 'number' || !(reduction > 0 && reduction < 1)) {
    throw new ValidationError({
      field: 'recovery.contextReduction',
      value: reduction,
      expected: 'a number between 0 and 1',
    });
  }
  for (const name of ['clearMemoryCache', 'restartAgent', 'reduceToolSet'] as const) {
    const hook = policy.hooks?.[name];
    if (hook !== undefined && typeof hook !== 'function') {
      throw new ValidationError({ field: `recovery.hooks.${name}`, value: hook, expected: 'a function' });
    }
  }
  if (policy.random !== undefined && typeof policy.random !== 'function') {
    throw new ValidationError({
      field: 'recovery.random',
      value: policy.random,
      expected: 'a function returning [0, 1)',
    });
  }
  if (policy.onEscalate !== undefined && typeof policy.onEscalate !== 'function') {
    throw new ValidationError({
      field: 'recovery.onEscalate',
      value: policy.onEscalate,
      expected: 'a function',
    });
  }
  return {
    providers,
    baseMs: positive('recovery.backoff.baseMs', policy.backoff?.baseMs, 1000) as number,
    capMs: positive('recovery.backoff.capMs', policy.backoff?.capMs, 30_000, true) as number,
    jitter: policy.backoff?.jitter ?? 'full',
    retryAfterCapMs: positive('recovery.retryAfterCapMs', policy.retryAfterCapMs, 60_000, true) as number,
    maxAttempts: maxFor,
    escalation: (s, recipePolicy) => escalations.get(s) ?? recipePolicy,
    contextBudget: positive('recovery.contextBudget', policy.contextBudget, undefined),
    contextReduction: reduction,
    hooks: policy.hooks ?? {},
    totalTimeoutMs: positive('recovery.totalTimeoutMs', policy.totalTimeoutMs, undefined),
    random: policy.random,
    onEscalate: policy.onEscalate,
  };
}
