import { ValidationError } from '@agentrace/pricing';
import { context, type Span } from '@opentelemetry/api';
import { detectResponse, detectResponseOrThrow } from '../adapters/detect-response.js';
import { captureInput } from '../adapters/message-content.js';
import { type ResponseFacts, responseAttributes } from '../adapters/response-facts.js';
import type { UsageDetectionError } from '../adapters/usage-detection-error.js';
import { CircuitOpenError } from '../breaker/circuit-open-error.js';
import { classifyError } from '../recovery/classify-error.js';
import { errorTypeFor } from '../recovery/error-type.js';
import { FailureScenario } from '../recovery/failure-scenario.js';
import { attemptRecovery, type RecoveryContext } from '../recovery/recovery.js';
import {
  RecoveryExhaustedError,
  resolveRecoveryPolicy,
  type TurnFailure,
} from '../recovery/recovery-policy.js';
import { TurnTimeoutError } from '../recovery/turn-timeout-error.js';
import { enterGates, settleGates, type TurnGateContext, type TurnGateTicket } from '../state/turn-gate.js';
import { errorTypeOf, sanitize } from '../telemetry/redact.js';
import * as sc from '../telemetry/semconv.js';
import type { SessionTelemetry } from '../telemetry/session-telemetry.js';
import type { TurnSpanInit, TurnTelemetry } from '../telemetry/turn-telemetry.js';
import { EMPTY_USAGE, toSnapshot, type UsageInput } from '../usage/usage-input.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import { BudgetExceededError, type UsageTracker } from '../usage/usage-tracker.js';
import type { AttemptHost, GateContextInit } from './attempt-host.js';
import type { CompletedCall } from './completed-call.js';
import { runRecoveringTurn } from './recovering-turn.js';
import type { RunTurnOptions, TurnContext } from './run-turn-options.js';
import { CallScope, runWithTimeout } from './run-with-timeout.js';
import type { ResolvedSessionConfig } from './session-config.js';
import type { SessionEmitter } from './session-emitter.js';
import { MaxIterationsExceededError } from './session-errors.js';
import { warnOnce } from './sink-errors.js';
import { observeStreamedTurn, type StreamedTurnHost } from './streamed-turn.js';
import { recordOutputContent } from './turn-content.js';
import type { TurnResult } from './turn-result.js';
import { isStreamResult } from './turn-stream.js';
import { UNSPECIFIED_MODEL, type UsageRecorder } from './usage-recorder.js';
import { validateRunTurnOptions } from './validate-call-options.js';

/** @internal */
interface ResolvedUsage {
  readonly usage: UsageSnapshot;
  readonly facts?: ResponseFacts;
  readonly usageError?: UsageDetectionError;
}

/** @internal What a session's turns need from it. */
export interface TurnRunnerHost {
  readonly cfg: ResolvedSessionConfig;
  readonly telemetry: SessionTelemetry;
  readonly tracker: UsageTracker;
  readonly recovery: RecoveryContext;
  readonly usage: UsageRecorder;
  readonly emitter: SessionEmitter;
  /** The session's signal: every turn's signal follows it. */
  readonly signal: AbortSignal;
  /** Finishers of streamed turns still open, called when the session ends (argument: cancelled). */
  readonly openStreams: Set<(cancelled: boolean) => void>;
  /** @throws {SessionEndedError} the session has ended. */
  assertActive(action: string): void;
}

/**
 * @internal Runs a session's turns: the iteration cap and budget before the call, the turn's span, gates, the
 * breaker and timeout (or a recovering turn under a recovery policy), then usage, cost, response facts and the
 * budget after it; a streamed result is handed to {@link observeStreamedTurn}.
 */
export class TurnRunner {
  readonly #host: TurnRunnerHost;
  readonly #attemptHost: AttemptHost;
  readonly #streamHost: StreamedTurnHost;
  #turnsStarted = 0;
  /** Where recovery records being written now belong (the failing turn's span); set around each write. */
  recordTarget: Span | undefined;

  constructor(host: TurnRunnerHost) {
    this.#host = host;
    const { cfg, usage } = host;
    this.#streamHost = {
      openStreams: host.openStreams,
      recordUsage: (model, provider, snapshot, span, responseModel, facts) =>
        usage.record(model, provider, snapshot, span, responseModel, facts),
      recordCall: (turn, call, snapshot, facts) => this.#recordCall(turn, call, snapshot, facts),
      checkBudget: (turn) => usage.checkBudget(turn),
      turnFailed: (err, turn, signal) => this.turnFailed(err, turn, signal),
      captureContent: host.telemetry.content.enabled,
    };
    this.#attemptHost = {
      telemetry: host.telemetry,
      breakers: cfg.breakers,
      recovery: host.recovery,
      role: cfg.role,
      phase: cfg.phase,
      recordUsage: (model, provider, snapshot, span) => usage.record(model, provider, snapshot, span),
      emit: (event, onSpan, extra) => host.emitter.emit(event, onSpan, extra),
      gates: cfg.gates,
      gateContext: (init) => this.#gateContext(init),
      record: (span, init) => {
        this.recordTarget = span.span;
        try {
          host.recovery.record(init);
        } finally {
          this.recordTarget = undefined;
        }
      },
    };
  }

  /** Turns started so far (the number the iteration cap is checked against). */
  get turnsStarted(): number {
    return this.#turnsStarted;
  }

  /** {@link Session.runTurn}. */
  async run<T>(
    fn: (signal: AbortSignal, turn: TurnContext) => T | PromiseLike<T>,
    opts: RunTurnOptions<T> = {},
  ): Promise<TurnResult<T> | TurnFailure> {
    const host = this.#host;
    host.assertActive('run a turn');
    if (typeof fn !== 'function')
      throw new ValidationError({ field: 'fn', value: fn, expected: 'a function' });
    validateRunTurnOptions(opts);
    const { timeoutMs } = opts;
    if (
      timeoutMs !== undefined &&
      !(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))
    ) {
      throw new ValidationError({
        field: 'timeoutMs',
        value: timeoutMs,
        expected: 'a positive finite number',
      });
    }
    const cfg = host.cfg;
    const policy =
      opts.recovery === false
        ? undefined
        : opts.recovery
          ? resolveRecoveryPolicy(opts.recovery)
          : cfg.recovery;
    if (this.#turnsStarted >= cfg.maxIterations) throw new MaxIterationsExceededError(cfg.maxIterations);
    host.usage.assertWithinBudget();
    const turnNumber = ++this.#turnsStarted;
    // Under a recovery policy with providers, a turn that names none starts on the first.
    const primary = policy?.providers[0];
    const model = opts.model ?? cfg.model ?? primary?.model;
    const provider = opts.provider ?? cfg.provider ?? primary?.provider;
    const operation = opts.operation ?? sc.GEN_AI_OPERATION_NAME_VALUE_CHAT;
    // Built field by field rather than with conditional spreads: this runs once per turn.
    const init: TurnSpanInit = { operation, turnNumber };
    if (model !== undefined) init.model = model;
    if (provider !== undefined) init.provider = provider;
    if (opts.attributes !== undefined) init.attributes = opts.attributes;
    const telemetry = host.telemetry;
    const turn = telemetry.startTurn(init);
    if (opts.input !== undefined && telemetry.content.enabled) turn.recordContent(captureInput(opts.input));
    const signal = opts.signal ? AbortSignal.any([host.signal, opts.signal]) : host.signal;

    if (policy) {
      let outcome: Awaited<ReturnType<typeof runRecoveringTurn<T>>>;
      try {
        outcome = await runRecoveringTurn<T>(this.#attemptHost, {
          fn,
          turn,
          turnNumber,
          operation,
          model,
          provider,
          timeoutMs,
          signal,
          policy,
          mayReturnFailure: opts.recovery !== undefined && opts.recovery !== false,
          expectedUsage: opts.expectedUsage !== undefined ? toSnapshot(opts.expectedUsage) : undefined,
        });
      } catch (err) {
        if (signal.aborted && !TurnTimeoutError.isInstance(err)) turn.cancel();
        else turn.fail(err, RecoveryExhaustedError.isInstance(err) ? err.scenario : errorTypeFor(err));
        throw err;
      }
      if (!outcome.ok) {
        turn.setUsageAttributes(outcome.failure.usage, outcome.failure.costUsd, undefined);
        turn.fail(outcome.failure.error, outcome.failure.scenario);
        return outcome.failure;
      }
      return this.#completeCall(turn, opts, { ...outcome, recovering: true });
    }

    let reported: UsageSnapshot | undefined;
    const turnContext: Mutable<TurnContext> = {
      attempt: 1,
      turnNumber,
      reportUsage: (u) => {
        reported = toSnapshot(u);
      },
    };
    if (model !== undefined) turnContext.model = model;
    if (provider !== undefined) turnContext.provider = provider;
    const expected = opts.expectedUsage !== undefined ? toSnapshot(opts.expectedUsage) : undefined;
    let tickets: TurnGateTicket[] = [];
    if (cfg.gates.length > 0) {
      try {
        tickets = await enterGates(
          cfg.gates,
          this.#gateContext({ provider, model, turnNumber, attempt: 1, expected, signal, span: turn }),
        );
      } catch (err) {
        if (signal.aborted) turn.cancel();
        else turn.fail(err, errorTypeOf(err));
        throw err;
      }
    }
    const breaker = cfg.breakers.for(provider);
    const scope = new CallScope(signal);
    const work = () =>
      runWithTimeout((s) => context.with(turn.context, () => fn(s, turnContext)), scope, timeoutMs);
    let result: T;
    try {
      result = await (breaker ? breaker.execute(work, { signal }) : work());
    } catch (err) {
      scope.release();
      // A failed call that reported usage still cost money.
      const spent = reported !== undefined ? host.usage.record(model, provider, reported, turn).costUsd : 0;
      await settleGates(tickets, { ok: false, usage: reported, costUsd: spent });
      this.turnFailed(err, turn, signal);
      throw err;
    }
    return this.#completeCall(turn, opts, {
      result,
      span: turn,
      provider,
      model,
      reported: () => reported,
      tickets,
      scope,
      attempts: [],
      priorUsage: EMPTY_USAGE,
      priorCostUsd: 0,
      recovering: false,
    });
  }

  /**
   * Records a call that produced a result: usage (given, reported, derived, or detected with `'auto'`), cost,
   * response facts, gate settlement, budget; or, for a stream, all of that when the stream ends.
   */
  #completeCall<T>(
    turn: TurnTelemetry,
    opts: RunTurnOptions<T>,
    call: CompletedCall<T>,
  ): TurnResult<T> | Promise<TurnResult<T>> {
    if (opts.stream !== false && isStreamResult(call.result))
      return observeStreamedTurn(this.#streamHost, turn, opts, call);
    call.scope.release();
    // Without gates there is nothing to await: the common turn completes synchronously (no extra promise).
    if (call.tickets.length > 0) return this.#completeGatedCall(turn, opts, call);
    const resolved = this.#resolveUsageOrFail(opts, call, turn);
    return this.#finishCall(
      turn,
      call,
      resolved,
      this.#recordCall(turn, call, resolved.usage, resolved.facts),
    );
  }

  /** {@link TurnRunner.#completeCall} for a call that holds gate tickets: they settle before the turn returns. */
  async #completeGatedCall<T>(
    turn: TurnTelemetry,
    opts: RunTurnOptions<T>,
    call: CompletedCall<T>,
  ): Promise<TurnResult<T>> {
    let resolved: ResolvedUsage;
    try {
      resolved = this.#resolveUsage(opts, call.result, call.reported(), turn);
    } catch (err) {
      await settleGates(call.tickets, { ok: true, usage: undefined, costUsd: 0 });
      usageFailed(err, call, turn);
      throw err;
    }
    const costUsd = this.#recordCall(turn, call, resolved.usage, resolved.facts);
    await settleGates(call.tickets, { ok: true, usage: resolved.usage, costUsd });
    return this.#finishCall(turn, call, resolved, costUsd);
  }

  /** The call's usage; when it cannot be read, the turn (and its attempt) fail as `usage` and the error is thrown. */
  #resolveUsageOrFail<T>(
    opts: RunTurnOptions<T>,
    call: CompletedCall<T>,
    turn: TurnTelemetry,
  ): ResolvedUsage {
    try {
      return this.#resolveUsage(opts, call.result, call.reported(), turn);
    } catch (err) {
      usageFailed(err, call, turn);
      throw err;
    }
  }

  /** Output content, the budget check and the end of the turn's span; the turn's result. */
  #finishCall<T>(
    turn: TurnTelemetry,
    call: CompletedCall<T>,
    resolved: ResolvedUsage,
    costUsd: number,
  ): TurnResult<T> {
    const { usage, facts } = resolved;
    const host = this.#host;
    if (host.telemetry.content.enabled) recordOutputContent(turn, call.result);
    const over = host.usage.checkBudget(turn);
    turn.succeed(facts?.responseModel);
    const cfg = host.cfg;
    if (over && cfg.enforceBudget && cfg.budgetUsd !== undefined) {
      throw new BudgetExceededError({ budgetUsd: cfg.budgetUsd, currentCostUsd: host.tracker.totalCost() });
    }
    return {
      ok: true,
      result: call.result,
      usage,
      costUsd,
      attempts: call.attempts,
      streamed: false,
      done: Promise.resolve({ outcome: 'completed', usage, costUsd, ...(facts && { facts }) }),
      ...(resolved.usageError && { usageError: resolved.usageError }),
    };
  }

  /** The usage of a call: reported from inside it, given, derived from its result, or detected (`'auto'`). */
  #resolveUsage(
    opts: RunTurnOptions<never>,
    result: unknown,
    reported: UsageSnapshot | undefined,
    turn: TurnTelemetry,
  ): ResolvedUsage {
    if (reported !== undefined) return { usage: reported };
    if (opts.usage !== 'auto') {
      const estimate = opts.estimateUsage as ((r: unknown) => UsageInput | undefined) | undefined;
      return { usage: toSnapshot(opts.usage ?? estimate?.(result)) };
    }
    const facts = detectResponse(result);
    if (facts) return { usage: facts.usage, facts };
    // The call succeeded and was paid for: keep its result, and say clearly that its usage could not be read.
    const usageError = detectionError(result);
    const telemetry = this.#host.telemetry;
    telemetry.addEvent(
      sc.EVENT_AGENTRACE_USAGE_UNDETECTED,
      { [sc.ATTR_AGENT_DETAIL]: sanitize(usageError.message, telemetry.maxLength) },
      turn.span,
    );
    warnOnce(`usage:${usageError.message}`, usageError);
    return { usage: EMPTY_USAGE, usageError };
  }

  /** Records a successful call's usage, cost and response facts; returns its cost (the caller settles the gates). */
  #recordCall<T>(
    turn: TurnTelemetry,
    call: CompletedCall<T>,
    usage: UsageSnapshot,
    facts: ResponseFacts | undefined,
  ): number {
    if (facts) {
      // A provider the caller configured wins over the one the response's shape suggests.
      if (call.provider === undefined && facts.provider !== undefined) {
        turn.setProvider(facts.provider);
        if (call.recovering) call.span.setProvider(facts.provider);
      }
      const attributes = responseAttributes(facts);
      turn.setAttributes(attributes);
      if (call.recovering) call.span.setAttributes(attributes);
    }
    const { costUsd, source } = this.#host.usage.record(
      call.model ?? facts?.responseModel,
      call.provider ?? facts?.provider,
      usage,
      call.span,
      facts?.responseModel,
      facts,
    );
    if (call.recovering) {
      call.span.succeed(facts?.responseModel);
      turn.setUsageAttributes(call.priorUsage.add(usage), call.priorCostUsd + costUsd, source);
      turn.setAttributes({ [sc.ATTR_GEN_AI_RESPONSE_MODEL]: facts?.responseModel ?? call.model });
    }
    return costUsd;
  }

  /** What the gates are told about one call. */
  #gateContext(init: GateContextInit): TurnGateContext {
    const { expected } = init;
    const host = this.#host;
    return {
      role: host.cfg.role,
      turnNumber: init.turnNumber,
      attempt: init.attempt,
      signal: init.signal,
      ...(init.provider !== undefined && { provider: init.provider }),
      ...(init.model !== undefined && { model: init.model }),
      ...(expected !== undefined && {
        expectedUsage: expected,
        expectedCostUsd: host.tracker.costForTurn(init.model ?? UNSPECIFIED_MODEL, expected),
      }),
      addEvent: (name, attributes) => host.telemetry.addEvent(name, attributes as never, init.span.span),
    };
  }

  /** Ends a turn as failed: cancelled, circuit open, or classified with one recovery attempt recorded. */
  turnFailed(err: unknown, turn: TurnTelemetry, signal: AbortSignal): void {
    if (signal.aborted && !TurnTimeoutError.isInstance(err)) {
      turn.cancel();
      return;
    }
    if (CircuitOpenError.isInstance(err)) {
      turn.fail(err, sc.ERROR_TYPE_VALUE_CIRCUIT_OPEN);
      return;
    }
    const scenario = TurnTimeoutError.isInstance(err) ? FailureScenario.LLM_TIMEOUT : classifyError(err);
    this.recordTarget = turn.span;
    try {
      attemptRecovery(scenario, this.#host.recovery);
    } finally {
      this.recordTarget = undefined;
    }
    turn.fail(err, scenario);
  }
}

function usageFailed(err: unknown, call: CompletedCall<unknown>, turn: TurnTelemetry): void {
  if (call.recovering) call.span.fail(err, sc.ERROR_TYPE_VALUE_USAGE);
  turn.fail(err, sc.ERROR_TYPE_VALUE_USAGE);
}

/** `T` with its `readonly` fields writable, to build a value field by field. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The error `detectResponseOrThrow` gives for a result it cannot read. */
function detectionError(result: unknown): UsageDetectionError {
  try {
    detectResponseOrThrow(result);
  } catch (err) {
    return err as UsageDetectionError;
  }
  throw new Error('detectResponseOrThrow accepted a result detectResponse rejected');
}
