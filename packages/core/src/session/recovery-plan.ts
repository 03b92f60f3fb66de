import { sleep } from '../common/sleep.js';
import { backoffDelay, smallerContextBudget } from '../recovery/backoff.js';
import { type RecoveryRecipe, RecoveryStep } from '../recovery/recovery.js';
import type {
  ProviderTarget,
  RecoveryHookContext,
  ResolvedRecoveryPolicy,
  StepRecord,
} from '../recovery/recovery-policy.js';
import { retryAfterMs } from '../recovery/retry-after.js';

/** @internal One planned step: what the attempt span records, and what carrying it out does. */
export type PlannedStep = StepRecord & {
  run?: () => Promise<void> | void;
  switchTo?: { index: number; skipped: string[] };
};

/** @internal What a recovery plan is made from: the failure, the recipe, and where the turn stands. */
export interface RecoveryPlanInput {
  readonly recipe: RecoveryRecipe;
  readonly policy: ResolvedRecoveryPolicy;
  readonly failure: unknown;
  /** Retries of this scenario already used in the turn. */
  readonly used: number;
  /** The previous backoff delay (ms; 0 before the first), for decorrelated jitter. */
  readonly prevDelay: number;
  readonly targets: readonly ProviderTarget[];
  /** The target in use now. */
  readonly index: number;
  readonly budget: number | undefined;
  readonly signal: AbortSignal;
  readonly hookContext: RecoveryHookContext;
  /** The next target after `from` whose circuit is not open. */
  nextAvailable(from: number): { index: number; skipped: string[] } | undefined;
}

/** @internal A recovery plan: its steps in recipe order, and the turn's state once they are carried out. */
export interface RecoveryPlan {
  readonly plan: PlannedStep[];
  readonly backoffMs: number | undefined;
  readonly prevDelay: number;
  readonly budget: number | undefined;
}

/**
 * @internal Plans every step of the failure's recipe, in order: the backoff (honouring Retry-After), the provider
 * switch (skipping open circuits), the smaller context budget, the user's hooks; a step that cannot be done is
 * planned as skipped, with the reason. Nothing is carried out here.
 */
export function planRecovery(input: RecoveryPlanInput): RecoveryPlan {
  const { policy, failure, used, targets, signal, hookContext } = input;
  let { prevDelay, budget } = input;
  const plan: PlannedStep[] = [];
  let backoffMs: number | undefined;
  let nextIndex = input.index;
  for (const step of input.recipe.steps) {
    switch (step) {
      case RecoveryStep.RETRY_WITH_BACKOFF: {
        const hinted = retryAfterMs(failure);
        // Whole milliseconds: jitter gives fractions nobody can wait for or read in a trace.
        const delay = Math.round(
          hinted !== undefined
            ? Math.min(hinted, policy.retryAfterCapMs)
            : backoffDelay(used + 1, {
                baseMs: policy.baseMs,
                capMs: policy.capMs,
                jitter: policy.jitter,
                ...(prevDelay > 0 && { prevDelayMs: prevDelay }),
                ...(policy.random && { random: policy.random }),
              }),
        );
        backoffMs = (backoffMs ?? 0) + delay;
        prevDelay = delay;
        plan.push({
          step,
          status: 'done',
          detail:
            hinted !== undefined ? `waited ${delay} ms (Retry-After ${hinted} ms)` : `waited ${delay} ms`,
          run: () => sleep(delay, signal),
        });
        break;
      }
      case RecoveryStep.SWITCH_PROVIDER: {
        const next = targets.length > 1 ? input.nextAvailable(nextIndex) : undefined;
        if (!next) {
          plan.push({
            step,
            status: 'skipped',
            detail: targets.length > 1 ? 'every other circuit is open' : 'no other provider',
          });
          break;
        }
        const from = targets[nextIndex] as ProviderTarget;
        const to = targets[next.index] as ProviderTarget;
        const skippedNote =
          next.skipped.length > 0 ? ` (skipped ${next.skipped.join(', ')}: circuit open)` : '';
        plan.push({
          step,
          status: 'done',
          detail: `${from.provider} → ${to.provider}${skippedNote}`,
          switchTo: next,
        });
        nextIndex = next.index;
        break;
      }
      case RecoveryStep.RETRY_WITH_SMALLER_CONTEXT: {
        if (budget === undefined) {
          plan.push({ step, status: 'skipped', detail: 'no contextBudget in the recovery policy' });
          break;
        }
        const smaller = smallerContextBudget(budget, policy.contextReduction);
        plan.push({ step, status: 'done', detail: `budget ${budget} → ${smaller}` });
        budget = smaller;
        break;
      }
      default: {
        const hook =
          step === RecoveryStep.CLEAR_MEMORY_CACHE
            ? policy.hooks.clearMemoryCache
            : step === RecoveryStep.RESTART_AGENT
              ? policy.hooks.restartAgent
              : step === RecoveryStep.REDUCE_TOOL_SET
                ? policy.hooks.reduceToolSet
                : undefined;
        if (hook)
          plan.push({
            step,
            status: 'done',
            detail: 'hook',
            run: () => hook.call(policy.hooks, hookContext),
          });
        else plan.push({ step, status: 'skipped', detail: 'no hook supplied' });
      }
    }
  }
  return { plan, backoffMs, prevDelay, budget };
}
