import { type Attributes, context, diag } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { BreakerSet } from '../breaker/breaker-set.js';
import { CircuitOpenError } from '../breaker/circuit-open-error.js';
import { sleep } from '../common/sleep.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import { AgentEventName, AgentEventStatus } from '../lifecycle/event-names.js';
import { backoffDelay, smallerContextBudget } from '../recovery/backoff.js';
import { classifyError } from '../recovery/classify-error.js';
import { FailureScenario } from '../recovery/failure-scenario.js';
import {
  EscalationPolicy,
  type RecoveryContext,
  RecoveryEventType,
  RecoveryOutcome,
  RecoveryResult,
  RecoveryStep,
  recipeFor,
} from '../recovery/recovery.js';
import {
  type AttemptRecord,
  type EscalationInfo,
  type ProviderTarget,
  RecoveryExhaustedError,
  type RecoveryHookContext,
  type ResolvedRecoveryPolicy,
  type StepRecord,
  type TurnFailure,
} from '../recovery/recovery-policy.js';
import { retryAfterMs } from '../recovery/retry-after.js';
import {
  enterGates,
  settleGates,
  type TurnGate,
  type TurnGateContext,
  type TurnGateTicket,
} from '../state/turn-gate.js';
import { errorMessageOf, errorTypeOf as exceptionTypeOf } from '../telemetry/redact.js';
import * as sc from '../telemetry/semconv.js';
import type { SessionTelemetry, TurnTelemetry } from '../telemetry/session-telemetry.js';
import type { UsageInput } from '../usage/usage-input.js';
import { UsageSnapshot } from '../usage/usage-snapshot.js';
import type { TurnContext } from './run-turn-options.js';
import { CallScope, runWithTimeout } from './run-with-timeout.js';
import { TurnTimeoutError } from './session-errors.js';

/** @internal What a recovering turn needs from its session. */
export interface AttemptHost {
  readonly telemetry: SessionTelemetry;
  readonly breakers: BreakerSet;
  readonly recovery: RecoveryContext;
  readonly role: string;
  readonly phase: string;
  /** Records an attempt's usage (tracker, sink) and its metrics on `span`; returns its cost and price source. */
  recordUsage(
    model: string | undefined,
    provider: string | undefined,
    usage: UsageSnapshot,
    span: TurnTelemetry,
  ): {
    costUsd: number;
    source: string;
  };
  emit(event: AgentEvent, onSpan: boolean, extra?: Attributes): void;
  /** Writes a recovery record whose span event belongs on `span`. */
  record(span: TurnTelemetry, init: Parameters<RecoveryContext['record']>[0]): void;
  /** Gates each attempt must pass. */
  readonly gates: readonly TurnGate[];
  gateContext(init: GateContextInit): TurnGateContext;
}

/** @internal The facts of one call that the session turns into a {@link TurnGateContext}. */
export interface GateContextInit {
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly turnNumber: number;
  readonly attempt: number;
  readonly expected: UsageSnapshot | undefined;
  readonly signal: AbortSignal;
  readonly span: TurnTelemetry;
}

/** @internal The work function as `runTurn` receives it. */
export type AttemptWork<T> = (signal: AbortSignal, turn: TurnContext) => T | PromiseLike<T>;

/** @internal What a successful attempt hands back to the session, which records the final usage. */
export interface AttemptSuccess<T> {
  readonly ok: true;
  readonly result: T;
  readonly span: TurnTelemetry;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  /**
   * Usage the attempt reported from inside the work, read when the call is recorded: a streamed result may
   * report while it is consumed, after the attempt returned.
   */
  readonly reported: () => UsageSnapshot | undefined;
  /** Gate tickets of the successful attempt, settled by the session once its usage is recorded. */
  readonly tickets: TurnGateTicket[];
  /** The successful attempt's cancellation scope, released by the session (a stream keeps it until it ends). */
  readonly scope: CallScope;
  readonly attempts: AttemptRecord[];
  /** Usage and cost of the failed attempts before the one that succeeded. */
  readonly priorUsage: UsageSnapshot;
  readonly priorCostUsd: number;
}

/** @internal Inputs of {@link runRecoveringTurn}. */
export interface RecoveringTurnArgs<T> {
  fn: AttemptWork<T>;
  turn: TurnTelemetry;
  turnNumber: number;
  operation: string;
  model: string | undefined;
  provider: string | undefined;
  timeoutMs: number | undefined;
  signal: AbortSignal;
  policy: ResolvedRecoveryPolicy;
  /** The call passed `recovery` itself, so a `log_and_continue` escalation may be returned as a TurnFailure. */
  mayReturnFailure: boolean;
  /** The caller's expected usage, for gates. */
  expectedUsage: UsageSnapshot | undefined;
}

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
  const targets: ProviderTarget[] =
    policy.providers.length > 0
      ? [...policy.providers]
      : [{ ...(args.provider !== undefined && { provider: args.provider }) } as ProviderTarget];
  let index = Math.max(
    0,
    targets.findIndex(
      (t) => t.provider === args.provider && (t.model === undefined || t.model === args.model),
    ),
  );
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

  const openCircuit = (t: ProviderTarget) => host.breakers.for(t.provider)?.state() === 'open';
  /** The next target after `from` whose circuit is not open (wrapping), with the ones passed over. */
  const nextAvailable = (from: number): { index: number; skipped: string[] } | undefined => {
    const skipped: string[] = [];
    for (let step = 1; step < targets.length; step++) {
      const i = (from + step) % targets.length;
      const t = targets[i] as ProviderTarget;
      if (openCircuit(t)) skipped.push(t.provider);
      else return { index: i, skipped };
    }
    return undefined;
  };

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
        const plan: Array<
          StepRecord & { run?: () => Promise<void> | void; switchTo?: { index: number; skipped: string[] } }
        > = [];
        let backoffMs: number | undefined;
        let nextIndex = index;
        for (const step of recipe.steps) {
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
                  hinted !== undefined
                    ? `waited ${delay} ms (Retry-After ${hinted} ms)`
                    : `waited ${delay} ms`,
                run: () => sleep(delay, signal),
              });
              break;
            }
            case RecoveryStep.SWITCH_PROVIDER: {
              const next = targets.length > 1 ? nextAvailable(nextIndex) : undefined;
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

/** Announces a provider switch: an agent event and a span event on the turn. */
function switched(
  host: AttemptHost,
  turn: TurnTelemetry,
  from: ProviderTarget,
  to: ProviderTarget,
  defaultModel: string | undefined,
  reason: string,
): void {
  const fromModel = from.model ?? defaultModel;
  const toModel = to.model ?? defaultModel;
  host.emit(
    new AgentEvent({
      event: AgentEventName.RECOVERY_PROVIDER_SWITCHED,
      status: AgentEventStatus.RUNNING,
      role: host.role,
      phase: host.phase,
      detail: `${from.provider} → ${to.provider} (${reason})`,
      data: { from_provider: from.provider, to_provider: to.provider, reason },
    }),
    false,
  );
  host.telemetry.addEvent(
    AgentEventName.RECOVERY_PROVIDER_SWITCHED,
    {
      [sc.ATTR_AGENTRACE_RECOVERY_FROM_PROVIDER]: from.provider,
      [sc.ATTR_AGENTRACE_RECOVERY_FROM_MODEL]: fromModel,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: to.provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: toModel,
      [sc.ATTR_AGENTRACE_RECOVERY_REASON]: reason,
      [ATTR_ERROR_TYPE]: reason === 'circuit_open' ? sc.ERROR_TYPE_VALUE_CIRCUIT_OPEN : undefined,
    },
    turn.span,
  );
}
