import { context, diag } from '@opentelemetry/api';
import { CircuitOpenError } from '../breaker/circuit-open-error.js';
import { classifyError } from '../recovery/classify-error.js';
import { FailureScenario } from '../recovery/failure-scenario.js';
import {
  EscalationPolicy,
  RecoveryEventType,
  RecoveryOutcome,
  RecoveryResult,
  recipeFor,
} from '../recovery/recovery.js';
import {
  type AttemptRecord,
  type EscalationInfo,
  type ProviderTarget,
  RecoveryExhaustedError,
  type RecoveryHookContext,
  type StepRecord,
  type TurnFailure,
} from '../recovery/recovery-policy.js';
import { TurnTimeoutError } from '../recovery/turn-timeout-error.js';
import { enterGates, settleGates, type TurnGateTicket } from '../state/turn-gate.js';
import { errorMessageOf, errorTypeOf as exceptionTypeOf } from '../telemetry/redact.js';
import * as sc from '../telemetry/semconv.js';
import type { UsageInput } from '../usage/usage-input.js';
import { UsageSnapshot } from '../usage/usage-snapshot.js';
import type { AttemptHost, AttemptSuccess, RecoveringTurnArgs } from './attempt-host.js';
import {
  circuitOpen,
  nextAvailable as nextAvailableTarget,
  providerTargets,
  startIndex,
  switched,
} from './provider-switch.js';
import { planRecovery } from './recovery-plan.js';
import { CallScope, runWithTimeout } from './run-with-timeout.js';

/** The scenario a failure is recovered as. */
function scenarioOf(err: unknown): FailureScenario {
  if (TurnTimeoutError.isInstance(err)) return FailureScenario.LLM_TIMEOUT;
  // An open circuit says the provider is unavailable: fail over like an outage.
  if (CircuitOpenError.isInstance(err)) return FailureScenario.PROVIDER_FAILURE;
  return classifyError(err);
}

function errorTypeOf(err: unknown, scenario: FailureScenario): string {
  return CircuitOpenError.isInstance(err) ? sc.ERROR_TYPE_VALUE_CIRCUIT_OPEN : scenario;
}

/**
 * Runs a turn under a recovery policy: each failure is classified, the scenario's recipe is carried out step by
 * step (backoff honouring Retry-After, provider failover skipping open circuits, a smaller context budget, user
 * hooks), and the work runs again, until it succeeds or the scenario's retries in this turn run out and its
 * escalation policy applies. Every attempt is a span under the turn span; every retry a recovery record.
 *
 * @internal Called by `Session.runTurn`.
 */
export async function runRecoveringTurn<T>(
  host: AttemptHost,
  args: RecoveringTurnArgs<T>,
): Promise<AttemptSuccess<T> | { ok: false; failure: TurnFailure }> {
  const { policy, turn } = args;
  const targets = providerTargets(policy, args.provider);
  let index = startIndex(targets, args.provider, args.model);
  let budget = policy.contextBudget;
  const retries = new Map<FailureScenario, number>();
  const attempts: AttemptRecord[] = [];
  let priorUsage = EMPTY;
  let priorCost = 0;
  let prevDelay = 0;
  let lastScenario: FailureScenario | undefined;

  // The total timeout bounds attempts and waits alike.
  const total = new AbortController();
  const totalTimer =
    policy.totalTimeoutMs !== undefined
      ? setTimeout(
          () => total.abort(new TurnTimeoutError(policy.totalTimeoutMs as number, 'turn')),
          policy.totalTimeoutMs,
        )
      : undefined;
  const signal =
    policy.totalTimeoutMs !== undefined ? AbortSignal.any([args.signal, total.signal]) : args.signal;

  const openCircuit = (t: ProviderTarget) => circuitOpen(host.breakers, t);
  const nextAvailable = (from: number) => nextAvailableTarget(targets, host.breakers, from);

  try {
    // Start on a provider whose circuit is closed, when there is a choice.
    let skippedBefore: string[] = [];
    if (targets.length > 1 && openCircuit(targets[index] as ProviderTarget)) {
      const next = nextAvailable(index);
      if (next) {
        skippedBefore = [(targets[index] as ProviderTarget).provider, ...next.skipped];
        switched(
          host,
          turn,
          targets[index] as ProviderTarget,
          targets[next.index] as ProviderTarget,
          args.model,
          'circuit_open',
        );
        index = next.index;
      }
    }

    for (let attempt = 1; ; attempt++) {
      const target = targets[index] as ProviderTarget;
      const provider = target.provider;
      const model = target.model ?? args.model;
      let reported: UsageSnapshot | undefined;
      const span = host.telemetry.startAttempt(turn, {
        operation: args.operation,
        attempt,
        turnNumber: args.turnNumber,
        ...(provider !== undefined && { provider }),
        ...(model !== undefined && { model }),
      });
      if (budget !== undefined) span.setAttributes({ [sc.ATTR_AGENTRACE_CONTEXT_BUDGET]: budget });
      const turnContext = {
        attempt,
        turnNumber: args.turnNumber,
        ...(provider !== undefined && { provider }),
        ...(model !== undefined && { model }),
        ...(budget !== undefined && { contextBudget: budget }),
        reportUsage: (usage: UsageInput) => {
          reported = usage instanceof UsageSnapshot ? usage : new UsageSnapshot(usage);
        },
      };
      let tickets: TurnGateTicket[] = [];
      if (host.gates.length > 0) {
        try {
          tickets = await enterGates(
            host.gates,
            host.gateContext({
              provider,
              model,
              turnNumber: args.turnNumber,
              attempt,
              expected: args.expectedUsage,
              signal,
              span,
            }),
          );
        } catch (err) {
          // A refusal is not a provider failure: the model was never called, so nothing is retried.
          if (args.signal.aborted) span.cancel();
          else span.fail(err, exceptionTypeOf(err));
          throw err;
        }
      }
      const breaker = host.breakers.for(provider);
      const scope = new CallScope(signal);
      const work = () =>
        runWithTimeout(
          (s) => context.with(span.context, () => args.fn(s, turnContext)),
          scope,
          args.timeoutMs,
        );
      try {
        const result = await (breaker ? breaker.execute(work, { signal }) : work());
        attempts.push(
          Object.freeze({
            attempt,
            outcome: 'succeeded' as const,
            steps: [],
            ...(provider !== undefined && { provider }),
            ...(model !== undefined && { model }),
            ...(budget !== undefined && { contextBudget: budget }),
            ...(skippedBefore.length > 0 && { skippedProviders: skippedBefore }),
          }),
        );
        if (lastScenario !== undefined) {
          host.record(turn, {
            eventType: RecoveryEventType.SUCCEEDED,
            scenario: lastScenario as FailureScenario,
            result: new RecoveryResult({ outcome: RecoveryOutcome.RECOVERED }),
          });
        }
        turn.setAttributes({
          [sc.ATTR_AGENTRACE_TURN_ATTEMPTS]: attempt,
          [sc.ATTR_AGENTRACE_TURN_OUTCOME]: attempt > 1 ? 'recovered' : 'ok',
        });
        // The turn's span and duration metric name the provider that served it.
        if (provider !== undefined) turn.setProvider(provider);
        return {
          ok: true,
          result,
          span,
          provider,
          model,
          reported: () => reported,
          tickets,
          scope,
          attempts,
          priorUsage,
          priorCostUsd: priorCost,
        };
      } catch (err) {
        scope.release();
        // Usage a failed attempt reported still costs money.
        let attemptCost: number | undefined;
        if (reported !== undefined) {
          attemptCost = host.recordUsage(model, provider, reported, span).costUsd;
          priorUsage = priorUsage.add(reported);
          priorCost += attemptCost;
        }
        await settleGates(tickets, { ok: false, usage: reported, costUsd: attemptCost ?? 0 });
        if (args.signal.aborted && !TurnTimeoutError.isInstance(err)) {
          span.cancel();
          throw err;
        }
        const totalTimedOut = total.signal.aborted;
        const failure = totalTimedOut ? (total.signal.reason as TurnTimeoutError) : err;
        const scenario = scenarioOf(failure);
        lastScenario = scenario;
        const recipe = recipeFor(scenario);
        const used = retries.get(scenario) ?? 0;
        const base = {
          attempt,
          outcome: 'failed' as const,
          scenario,
          errorType: errorTypeOf(failure, scenario),
          message: errorMessageOf(failure, host.telemetry.maxLength),
          ...(provider !== undefined && { provider }),
          ...(model !== undefined && { model }),
          ...(budget !== undefined && { contextBudget: budget }),
          ...(skippedBefore.length > 0 && { skippedProviders: skippedBefore }),
          ...(reported !== undefined && { usage: reported, costUsd: attemptCost }),
        };
        span.setAttributes({ [sc.ATTR_AGENTRACE_RECOVERY_SCENARIO]: scenario });

        if (totalTimedOut) {
          attempts.push(Object.freeze({ ...base, steps: [] }));
          span.fail(failure, base.errorType);
          host.record(turn, {
            eventType: RecoveryEventType.FAILED,
            scenario,
            result: new RecoveryResult({
              outcome: RecoveryOutcome.PARTIAL_RECOVERY,
              reason: failure instanceof Error ? failure.message : 'turn timed out',
            }),
          });
          turn.setAttributes({
            [sc.ATTR_AGENTRACE_TURN_ATTEMPTS]: attempt,
            [sc.ATTR_AGENTRACE_TURN_OUTCOME]: 'timed_out',
          });
          throw failure;
        }

        const max = policy.maxAttempts(scenario, recipe.maxAttempts);
        // With alternatives configured and every circuit open, waiting and retrying cannot help.
        const noProviderLeft =
          targets.length > 1 && CircuitOpenError.isInstance(err) && nextAvailable(index) === undefined;
        if (used >= max || noProviderLeft) {
          attempts.push(Object.freeze({ ...base, steps: [] }));
          span.fail(failure, base.errorType);
          const escalationPolicy = policy.escalation(scenario, recipe.escalationPolicy);
          const reason = noProviderLeft
            ? `no provider left for ${scenario}: every circuit is open`
            : `max attempts (${max}) exhausted for ${scenario}`;
          host.record(turn, {
            eventType: RecoveryEventType.ESCALATED,
            scenario,
            result: new RecoveryResult({ outcome: RecoveryOutcome.ESCALATION_REQUIRED, reason }),
          });
          const info: EscalationInfo = Object.freeze({
            scenario,
            escalationPolicy,
            attempts: Object.freeze([...attempts]),
            error: failure,
          });
          turn.setAttributes({
            [sc.ATTR_AGENTRACE_TURN_ATTEMPTS]: attempt,
            [sc.ATTR_AGENTRACE_TURN_OUTCOME]: 'escalated',
            [sc.ATTR_AGENTRACE_RECOVERY_ESCALATION_POLICY]: escalationPolicy,
          });
          if (policy.onEscalate) {
            try {
              policy.onEscalate(info);
            } catch (hookErr) {
              diag.warn('agentrace: recovery onEscalate hook threw; ignoring it', hookErr);
            }
          }
          if (escalationPolicy === EscalationPolicy.LOG_AND_CONTINUE && args.mayReturnFailure) {
            return {
              ok: false,
              failure: Object.freeze({
                ok: false as const,
                error: failure,
                scenario,
                escalationPolicy,
                attempts: info.attempts,
                usage: priorUsage,
                costUsd: priorCost,
              }),
            };
          }
          throw new RecoveryExhaustedError(info);
        }
        retries.set(scenario, used + 1);

        // Plan every step of the recipe, in order; the attempt span records what will be done.
        const hookContext: RecoveryHookContext = Object.freeze({ scenario, attempt, error: failure, signal });
        const planned = planRecovery({
          recipe,
          policy,
          failure,
          used,
          prevDelay,
          targets,
          index,
          budget,
          signal,
          hookContext,
          nextAvailable,
        });
        const { plan, backoffMs } = planned;
        prevDelay = planned.prevDelay;
        budget = planned.budget;
        const steps: StepRecord[] = plan.map(({ step, status, detail }) =>
          Object.freeze({ step, status, ...(detail !== undefined && { detail }) }),
        );
        const done = steps.filter((s) => s.status === 'done').map((s) => s.step);
        const skipped = steps.filter((s) => s.status === 'skipped').map((s) => s.step);
        span.setAttributes({
          [sc.ATTR_AGENTRACE_RECOVERY_STEP]: done,
          [sc.ATTR_AGENTRACE_RECOVERY_SKIPPED_STEPS]: skipped.length > 0 ? skipped : undefined,
          [sc.ATTR_AGENTRACE_RECOVERY_BACKOFF_MS]: backoffMs,
        });
        span.fail(failure, base.errorType);
        attempts.push(
          Object.freeze({
            ...base,
            steps: Object.freeze(steps),
            ...(backoffMs !== undefined && { backoffMs }),
          }),
        );
        host.record(turn, {
          eventType: RecoveryEventType.ATTEMPTED,
          scenario,
          result: new RecoveryResult({
            outcome: skipped.length > 0 ? RecoveryOutcome.PARTIAL_RECOVERY : RecoveryOutcome.RECOVERED,
            recoveredSteps: done,
            remainingSteps: skipped,
          }),
        });

        // Carry the steps out, in recipe order.
        skippedBefore = [];
        for (const item of plan) {
          if (item.switchTo) {
            switched(
              host,
              turn,
              targets[index] as ProviderTarget,
              targets[item.switchTo.index] as ProviderTarget,
              args.model,
              scenario,
            );
            skippedBefore = item.switchTo.skipped;
            index = item.switchTo.index;
          }
          if (item.run) {
            try {
              await item.run();
            } catch (stepErr) {
              if (signal.aborted && !args.signal.aborted) throw total.signal.reason;
              throw stepErr;
            }
          }
        }
      }
    }
  } finally {
    if (totalTimer !== undefined) clearTimeout(totalTimer);
  }
}

const EMPTY = new UsageSnapshot();
