import { ValidationError } from '@agentrace/pricing';
import { type Attributes, context, diag, type Span, type SpanContext } from '@opentelemetry/api';
import { detectResponse, detectResponseOrThrow } from '../adapters/detect-response.js';
import { type ResponseFacts, responseAttributes, type UsageFacts } from '../adapters/response-facts.js';
import type { UsageDetectionError } from '../adapters/usage-detection-error.js';
import {
  type CircuitBreaker,
  CircuitOpenError,
  type CircuitStateChange,
} from '../breaker/circuit-breaker.js';
import type { Clock } from '../common/clock.js';
import type { Disposable } from '../common/listeners.js';
import { GuardrailStage, GuardrailViolatedError, runGuardrails } from '../governance/guardrails.js';
import { Handoff } from '../governance/handoff.js';
import { PermissionDeniedError } from '../governance/permissions.js';
import { type PhaseContextInit, type PolicyActionData, phaseContext } from '../governance/policy-engine.js';
import type { QualityGateResult, QualityLevel, QualityLevelName } from '../governance/quality-gate.js';
import { qualityLevelName } from '../governance/quality-gate.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import type { AgentRegistry } from '../lifecycle/agent-registry.js';
import { AgentStatus } from '../lifecycle/agent-status.js';
import type { AgentWorker } from '../lifecycle/agent-worker.js';
import { AgentEventName, AgentEventStatus, AgentFailureClass } from '../lifecycle/event-names.js';
import type { EventSink } from '../lifecycle/event-sink.js';
import { RingBufferEventSink } from '../lifecycle/event-sink.js';
import { classifyError } from '../recovery/classify-error.js';
import { FailureScenario, failureClassFor } from '../recovery/failure-scenario.js';
import { attemptRecovery, RecoveryContext, type RecoveryRecord } from '../recovery/recovery.js';
import {
  RecoveryExhaustedError,
  type RecoveryPolicy,
  resolveRecoveryPolicy,
  type TurnFailure,
} from '../recovery/recovery-policy.js';
import { enterGates, settleGates, type TurnGateContext, type TurnGateTicket } from '../state/turn-gate.js';
import { errorMessageOf, errorTypeOf, sanitize } from '../telemetry/redact.js';
import * as sc from '../telemetry/semconv.js';
import {
  SessionTelemetry,
  serializeContent,
  type TurnSpanInit,
  type TurnTelemetry,
} from '../telemetry/session-telemetry.js';
import { EMPTY_USAGE, toSnapshot, type UsageInput } from '../usage/usage-input.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import { BudgetExceededError, UsageTracker } from '../usage/usage-tracker.js';
import type { CompletedCall } from './completed-call.js';
import { errorTypeFor } from './error-type.js';
import { type AttemptHost, type GateContextInit, runRecoveringTurn } from './recovering-turn.js';
import type { RunTurnOptions, TurnContext } from './run-turn-options.js';
import { CallScope, runWithTimeout } from './run-with-timeout.js';
import type { ResolvedSessionConfig } from './session-config.js';
import {
  InputStateError,
  MaxIterationsExceededError,
  SessionEndedError,
  TurnTimeoutError,
} from './session-errors.js';
import { observeStreamedTurn, type StreamedTurnHost } from './streamed-turn.js';
import type { TurnResult } from './turn-result.js';
import { isStreamResult } from './turn-stream.js';

/** @internal */
interface ResolvedUsage {
  readonly usage: UsageSnapshot;
  readonly facts?: ResponseFacts;
  readonly usageError?: UsageDetectionError;
}

/** Options of {@link Session.runTool}. */
export interface RunToolOptions {
  /** Cancels the tool call (in addition to the session's signal). */
  signal?: AbortSignal;
  /** Tool-call id from the model's response (`gen_ai.tool.call.id`). */
  callId?: string;
  /** `gen_ai.tool.description`. */
  description?: string;
  /** `gen_ai.tool.type` (`function` by default, `extension`, `datastore`). */
  type?: string;
  /** The call's arguments; recorded as `gen_ai.tool.call.arguments` only when content capture is on. */
  args?: unknown;
}

/** Input of {@link Session.evaluatePolicy}: any {@link PhaseContextInit} field; missing ones come from the session. */
export type PolicyInput = PhaseContextInit;

/** What {@link Session.summary} returns (snake_case, the reference's shape). */
export interface SessionSummary {
  worker: ReturnType<AgentWorker['toDict']>;
  usage: ReturnType<UsageTracker['summary']>;
  per_model_cost: Record<string, number>;
  recovery_events: ReturnType<RecoveryRecord['toDict']>[];
  agent_events: Record<string, unknown>[];
}

/** Model key used to cost a turn that named no model. */
export const UNSPECIFIED_MODEL = 'unspecified';

const SESSION_SIGNAL_REASON = 'agentrace: session cancelled';

// Source span of each handoff, so the target agent's span can link to it (Handoff itself is a frozen record).
const handoffSources = new WeakMap<Handoff, SpanContext>();

/** The span context of the agent that produced `handoff`, if it was produced by a session. */
export function handoffSourceSpan(handoff: Handoff): SpanContext | undefined {
  return handoffSources.get(handoff);
}

/** How a session was opened. */
export interface SessionInit {
  config: ResolvedSessionConfig;
  signal?: AbortSignal | undefined;
  handoff?: Handoff | undefined;
}

/**
 * One run of an agent: a worker walking the lifecycle, its turns, tool calls, usage, recovery records and
 * events, all visible as an `invoke_agent` span with model-call and tool spans under it.
 *
 * Get one from {@link AgentSession.run} (ended for you) or {@link AgentSession.open} (end it with `complete`,
 * `fail` or `cancel`, or `await using`). Turns may run concurrently; counts, totals and the budget stay exact.
 *
 * @example
 * ```ts
 * const summary = await agent.run(async (session) => {
 *   const { result } = await session.runTurn((signal) => client.chat({ signal }), {
 *     model: 'gpt-4o', provider: 'openai', estimateUsage: (r) => ({ inputTokens: r.usage.prompt_tokens, outputTokens: r.usage.completion_tokens }),
 *   });
 *   await session.runTool('search', () => search(result.query));
 *   return session.summary();
 * });
 * ```
 */
export class Session {
  /** This run's worker (lifecycle state and transition records). */
  readonly worker: AgentWorker;
  /** Usage and cost of this run's turns. */
  readonly tracker: UsageTracker;
  /** Recovery bookkeeping of this run. */
  readonly recovery: RecoveryContext;

  readonly #cfg: ResolvedSessionConfig;
  readonly #telemetry: SessionTelemetry;
  readonly #events: RingBufferEventSink;
  readonly #controller = new AbortController();
  readonly #subscriptions: Disposable[] = [];
  readonly #startedAt: number;
  #turnsStarted = 0;
  #input: { resolve: (value: string) => void; reject: (reason: unknown) => void } | undefined;
  #budgetAnnounced = false;
  #ended = false;
  /** Finishers of streamed turns still open, called when the session ends (argument: cancelled). */
  readonly #openStreams = new Set<(cancelled: boolean) => void>();
  /** Where recovery records being written now belong (the failing turn's span); set around each write. */
  #recordTarget: Span | undefined;
  readonly #attemptHost: AttemptHost;
  readonly #streamHost: StreamedTurnHost;

  /** @internal Sessions are made by {@link AgentSession.open} / {@link AgentSession.run}. */
  constructor(init: SessionInit) {
    const cfg = init.config;
    this.#cfg = cfg;
    this.#startedAt = cfg.clock();
    this.tracker = new UsageTracker({ pricing: cfg.pricing });
    this.recovery = new RecoveryContext();
    this.#events = new RingBufferEventSink(cfg.maxEvents);

    const adopted = init.handoff ? adoptHandoffWorker(cfg.registry, init.handoff, cfg) : undefined;
    this.worker = adopted ?? cfg.registry.create(cfg.role, cfg.phase, { projectId: cfg.projectId });
    const source = init.handoff ? handoffSources.get(init.handoff) : undefined;
    this.#telemetry = new SessionTelemetry(
      {
        role: cfg.role,
        phase: cfg.phase,
        workerId: this.worker.workerId,
        ...(cfg.projectId !== undefined && { projectId: cfg.projectId }),
        ...(cfg.description !== undefined && { description: cfg.description }),
        ...(cfg.conversationId !== undefined && { conversationId: cfg.conversationId }),
        ...(cfg.provider !== undefined && { provider: cfg.provider }),
        ...(cfg.model !== undefined && { model: cfg.model }),
        ...(source && {
          links: [{ context: source, attributes: { [sc.ATTR_AGENTRACE_LINK_TYPE]: 'handoff' } }],
        }),
      },
      cfg.telemetry,
    );

    this.#subscriptions.push(
      this.worker.onTransition(({ from, to, record }) =>
        this.#telemetry.addEvent(
          sc.EVENT_AGENTRACE_LIFECYCLE_TRANSITION,
          {
            [sc.ATTR_AGENTRACE_LIFECYCLE_FROM]: from,
            [sc.ATTR_AGENTRACE_LIFECYCLE_TO]: to,
            [sc.ATTR_AGENT_DETAIL]:
              record.detail !== undefined ? sanitize(record.detail, this.#telemetry.maxLength) : undefined,
          },
          this.#telemetry.span,
        ),
      ),
      this.recovery.onRecord((record) => this.#onRecoveryRecord(record)),
    );
    const watch = (breaker: CircuitBreaker) =>
      this.#subscriptions.push(breaker.onStateChange((change) => this.#onBreakerChange(change)));
    for (const breaker of cfg.breakers.all()) watch(breaker);
    this.#subscriptions.push(cfg.breakers.onBreaker(watch));
    this.#streamHost = {
      openStreams: this.#openStreams,
      recordUsage: (model, provider, usage, span, responseModel, facts) =>
        this.#recordUsage(model, provider, usage, span, responseModel, facts),
      recordCall: (turn, call, usage, facts) => this.#recordCall(turn, call, usage, facts),
      checkBudget: (turn) => this.#checkBudget(turn),
      turnFailed: (err, turn, signal) => this.#turnFailed(err, turn, signal),
    };
    this.#attemptHost = {
      telemetry: this.#telemetry,
      breakers: cfg.breakers,
      recovery: this.recovery,
      role: cfg.role,
      phase: cfg.phase,
      recordUsage: (model, provider, usage, span) => this.#recordUsage(model, provider, usage, span),
      emit: (event, onSpan, extra) => this.#emit(event, onSpan, extra),
      gates: cfg.gates,
      gateContext: (init) => this.#gateContext(init),
      record: (span, init) => {
        this.#recordTarget = span.span;
        try {
          this.recovery.record(init);
        } finally {
          this.#recordTarget = undefined;
        }
      },
    };
    for (const signal of [cfg.signal, init.signal]) {
      if (!signal) continue;
      if (signal.aborted) queueMicrotask(() => this.#cancelFromSignal(signal));
      else {
        const onAbort = () => this.#cancelFromSignal(signal);
        signal.addEventListener('abort', onAbort, { once: true });
        this.#subscriptions.push({ dispose: () => signal.removeEventListener('abort', onAbort) });
      }
    }

    if (this.worker.status === AgentStatus.IDLE) this.worker.transition(AgentStatus.INITIALIZING);
    this.worker.transition(AgentStatus.RUNNING);
    this.#emit(AgentEvent.started(cfg.role, cfg.phase).withData({ worker_id: this.worker.workerId }));
  }

  /** The agent's role (`gen_ai.agent.name`). */
  get role(): string {
    return this.#cfg.role;
  }

  /** The phase this run belongs to. */
  get phase(): string {
    return this.#cfg.phase;
  }

  /** Aborts when the session is cancelled (by `cancel()` or its signal); passed on to every turn and tool. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the session has ended (completed, failed, cancelled or handed off). */
  get ended(): boolean {
    return this.#ended;
  }

  /** The events this run emitted, oldest first (the newest `maxEvents` are kept). */
  get events(): readonly AgentEvent[] {
    return this.#events.events;
  }

  /** Turns started so far (the number the iteration cap is checked against). */
  get turnsStarted(): number {
    return this.#turnsStarted;
  }

  /** Context carrying this session's `invoke_agent` span, for starting your own spans under it. */
  get otelContext() {
    return this.#telemetry.context;
  }

  /**
   * Runs one model call as a turn: checks the iteration cap (before calling), the enforced budget, runs `fn`
   * through the circuit breaker with the timeout, records usage and cost, and checks the budget.
   *
   * `fn` gets an `AbortSignal` (aborted on timeout, on the turn's or session's cancellation) and a
   * {@link TurnContext}. Spans started inside `fn` are children of the turn's span (of the attempt's span under a
   * recovery policy).
   *
   * Without a recovery policy, a failure is classified, one recovery attempt is recorded in
   * {@link Session.recovery}, and the same error object is rethrown (a `CircuitOpenError` or `TurnTimeoutError` as
   * it is; cancellation is not recorded as a failure). With one (`opts.recovery` or the agent's `recovery`), the
   * recipe of the failure's scenario is carried out and the work runs again, each attempt its own span; when the
   * retries run out the recipe's escalation applies: `abort` and `alert_human` throw a
   * {@link RecoveryExhaustedError} carrying the chain, `log_and_continue` returns a {@link TurnFailure} when the
   * call passed `recovery` itself.
   *
   * @throws {MaxIterationsExceededError} the session has already started `maxIterations` turns.
   * @throws {BudgetExceededError} the budget is enforced and was exceeded (checked before and after the call).
   * @throws {CircuitOpenError} the breaker is open.
   * @throws {TurnTimeoutError} `timeoutMs` elapsed (or a recovery policy's `totalTimeoutMs`).
   * @throws {RecoveryExhaustedError} recovery escalated.
   * @throws {SessionEndedError} the session has ended.
   * @throws {ValidationError} bad options or usage (a negative token count, …), naming the field.
   */
  runTurn<T>(
    fn: (signal: AbortSignal, turn: TurnContext) => T | PromiseLike<T>,
    opts: RunTurnOptions<T> & { recovery: RecoveryPolicy },
  ): Promise<TurnResult<T> | TurnFailure>;
  runTurn<T>(
    fn: (signal: AbortSignal, turn: TurnContext) => T | PromiseLike<T>,
    opts?: RunTurnOptions<T>,
  ): Promise<TurnResult<T>>;
  async runTurn<T>(
    fn: (signal: AbortSignal, turn: TurnContext) => T | PromiseLike<T>,
    opts: RunTurnOptions<T> = {},
  ): Promise<TurnResult<T> | TurnFailure> {
    this.#assertActive('run a turn');
    if (typeof fn !== 'function')
      throw new ValidationError({ field: 'fn', value: fn, expected: 'a function' });
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
    const cfg = this.#cfg;
    const policy =
      opts.recovery === false
        ? undefined
        : opts.recovery
          ? resolveRecoveryPolicy(opts.recovery)
          : cfg.recovery;
    if (this.#turnsStarted >= cfg.maxIterations) throw new MaxIterationsExceededError(cfg.maxIterations);
    if (cfg.enforceBudget && cfg.budgetUsd !== undefined && this.tracker.isOverBudget(cfg.budgetUsd)) {
      throw new BudgetExceededError({ budgetUsd: cfg.budgetUsd, currentCostUsd: this.tracker.totalCost() });
    }
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
    const turn = this.#telemetry.startTurn(init);
    if (opts.input !== undefined && this.#telemetry.captureContent) {
      turn.setAttributes({
        [sc.ATTR_GEN_AI_INPUT_MESSAGES]: serializeContent(opts.input, this.#telemetry.maxLength),
      });
    }
    const signal = opts.signal ? AbortSignal.any([this.signal, opts.signal]) : this.signal;

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
      const spent = reported !== undefined ? this.#recordUsage(model, provider, reported, turn).costUsd : 0;
      await settleGates(tickets, { ok: false, usage: reported, costUsd: spent });
      this.#turnFailed(err, turn, signal);
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
      opts,
      call,
      resolved,
      this.#recordCall(turn, call, resolved.usage, resolved.facts),
    );
  }

  /** {@link Session.#completeCall} for a call that holds gate tickets: they settle before the turn returns. */
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
      this.#usageFailed(err, call, turn);
      throw err;
    }
    const costUsd = this.#recordCall(turn, call, resolved.usage, resolved.facts);
    await settleGates(call.tickets, { ok: true, usage: resolved.usage, costUsd });
    return this.#finishCall(turn, opts, call, resolved, costUsd);
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
      this.#usageFailed(err, call, turn);
      throw err;
    }
  }

  #usageFailed(err: unknown, call: CompletedCall<unknown>, turn: TurnTelemetry): void {
    if (call.recovering) call.span.fail(err, sc.ERROR_TYPE_VALUE_USAGE);
    turn.fail(err, sc.ERROR_TYPE_VALUE_USAGE);
  }

  /** Output content, the budget check and the end of the turn's span; the turn's result. */
  #finishCall<T>(
    turn: TurnTelemetry,
    opts: RunTurnOptions<T>,
    call: CompletedCall<T>,
    resolved: ResolvedUsage,
    costUsd: number,
  ): TurnResult<T> {
    const { usage, facts } = resolved;
    if (opts.input !== undefined && this.#telemetry.captureContent) {
      turn.setAttributes({
        [sc.ATTR_GEN_AI_OUTPUT_MESSAGES]: serializeContent(call.result, this.#telemetry.maxLength),
      });
    }
    const over = this.#checkBudget(turn);
    turn.succeed(facts?.responseModel);
    const cfg = this.#cfg;
    if (over && cfg.enforceBudget && cfg.budgetUsd !== undefined) {
      throw new BudgetExceededError({ budgetUsd: cfg.budgetUsd, currentCostUsd: this.tracker.totalCost() });
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
    this.#telemetry.addEvent(
      sc.EVENT_AGENTRACE_USAGE_UNDETECTED,
      { [sc.ATTR_AGENT_DETAIL]: sanitize(usageError.message, this.#telemetry.maxLength) },
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
    const { costUsd, source } = this.#recordUsage(
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
    return {
      role: this.#cfg.role,
      turnNumber: init.turnNumber,
      attempt: init.attempt,
      signal: init.signal,
      ...(init.provider !== undefined && { provider: init.provider }),
      ...(init.model !== undefined && { model: init.model }),
      ...(expected !== undefined && {
        expectedUsage: expected,
        expectedCostUsd: this.tracker.costForTurn(init.model ?? UNSPECIFIED_MODEL, expected),
      }),
      addEvent: (name, attributes) => this.#telemetry.addEvent(name, attributes as never, init.span.span),
    };
  }

  /**
   * Runs a tool call: permission check, pre-guardrails, `fn`, post-guardrails, as an `execute_tool` span.
   *
   * @throws {PermissionDeniedError} the role may not use the tool (carries the outcome).
   * @throws {GuardrailViolatedError} a guardrail refused the call or its result.
   * @throws {SessionEndedError} the session has ended.
   */
  async runTool<T>(
    name: string,
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    opts: RunToolOptions = {},
  ): Promise<T> {
    this.#assertActive('run a tool');
    if (typeof name !== 'string' || name.length === 0) {
      throw new ValidationError({ field: 'name', value: name, expected: 'a non-empty tool name' });
    }
    if (typeof fn !== 'function')
      throw new ValidationError({ field: 'fn', value: fn, expected: 'a function' });
    const cfg = this.#cfg;
    const tool = this.#telemetry.startTool({
      name,
      ...(opts.callId !== undefined && { callId: opts.callId }),
      ...(opts.description !== undefined && { description: opts.description }),
      ...(opts.type !== undefined && { type: opts.type }),
    });
    tool.content(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, opts.args);
    const base = { role: cfg.role, tool: name };
    this.#emit(
      new AgentEvent({ event: AgentEventName.AGENT_TOOL_CALLED, status: AgentEventStatus.RUNNING, ...base }),
      false,
    );
    try {
      if (cfg.permissions) {
        const outcome = cfg.permissions.check(cfg.role, name);
        if (!outcome.allowed) {
          const err = new PermissionDeniedError({ outcome, role: cfg.role, tool: name });
          this.#emit(
            new AgentEvent({
              event: AgentEventName.PERMISSION_DENIED,
              status: AgentEventStatus.BLOCKED,
              role: cfg.role,
              phase: cfg.phase,
              detail: outcome.reason ?? 'denied',
              data: { tool: name, ...outcome.toDict() },
            }),
            false,
          );
          this.#telemetry.addEvent(
            AgentEventName.PERMISSION_DENIED,
            {
              [sc.ATTR_AGENTRACE_PERMISSION_ALLOWED]: false,
              [sc.ATTR_AGENTRACE_PERMISSION_REASON]: outcome.reason,
              [sc.ATTR_AGENTRACE_PERMISSION_ACTIVE_MODE]: outcome.activeMode,
              [sc.ATTR_AGENTRACE_PERMISSION_REQUIRED_MODE]: outcome.requiredMode,
            },
            tool.span,
          );
          tool.end('denied', err, sc.ERROR_TYPE_VALUE_PERMISSION_DENIED);
          throw err;
        }
      }
      if (cfg.guardrails.length > 0) {
        await this.#guard(tool, { stage: GuardrailStage.PRE, role: cfg.role, tool: name });
      }
      const signal = opts.signal ? AbortSignal.any([this.signal, opts.signal]) : this.signal;
      let result: T;
      try {
        result = await context.with(tool.context, () => fn(signal));
      } catch (err) {
        tool.end('error', err);
        throw err;
      }
      if (cfg.guardrails.length > 0) {
        await this.#guard(tool, { stage: GuardrailStage.POST, role: cfg.role, tool: name, value: result });
      }
      tool.content(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, result);
      tool.end('ok');
      this.#emit(
        new AgentEvent({
          event: AgentEventName.AGENT_TOOL_COMPLETED,
          status: AgentEventStatus.RUNNING,
          ...base,
        }),
        false,
      );
      return result;
    } finally {
      tool.endIfOpen();
    }
  }

  /**
   * Checks whether this session's role may use `tool`, without running anything. With no permissions configured
   * every tool is allowed.
   */
  authorize(tool: string): { allowed: boolean; reason?: string } {
    const outcome = this.#cfg.permissions?.check(this.#cfg.role, tool);
    return outcome ?? { allowed: true };
  }

  /**
   * Evaluates the quality gate against `level`, emits `phase.gate_passed` / `phase.gate_failed` and a
   * `gen_ai.evaluation.result` span event. Returns undefined (and emits nothing) without a gate.
   */
  evaluateGate(level?: QualityLevel | QualityLevelName | null): QualityGateResult | undefined {
    const gate = this.#cfg.qualityGate;
    if (!gate) return undefined;
    const result = gate.evaluate(level);
    const observed = result.observedLevel === undefined ? 'none' : qualityLevelName(result.observedLevel);
    const required = qualityLevelName(result.requiredLevel);
    const detail = `observed=${observed}`;
    const event = result.satisfied
      ? AgentEvent.gatePassed(this.#cfg.phase, detail)
      : AgentEvent.gateFailed(this.#cfg.phase, detail);
    this.#emit(event.withData({ required_level: required }));
    this.#telemetry.addEvent(sc.EVENT_GEN_AI_EVALUATION_RESULT, {
      [sc.ATTR_GEN_AI_EVALUATION_NAME]: 'quality_gate',
      [sc.ATTR_GEN_AI_EVALUATION_SCORE_VALUE]: result.observedLevel,
      [sc.ATTR_GEN_AI_EVALUATION_SCORE_LABEL]: result.satisfied ? 'pass' : 'fail',
      [sc.ATTR_GEN_AI_EVALUATION_EXPLANATION]: `required=${required} observed=${observed}`,
      [sc.ATTR_AGENTRACE_GATE_REQUIRED_LEVEL]: required,
      [sc.ATTR_AGENTRACE_GATE_OBSERVED_LEVEL]: observed,
    });
    return result;
  }

  /**
   * Evaluates the policy engine. Fields not given are filled in from the session: the phase, the elapsed
   * seconds since the session started (fractional), the retry-exhausted scenarios and the total cost. Returns
   * `[]` without a policy engine.
   */
  evaluatePolicy(input: PolicyInput = {}): PolicyActionData[] {
    const engine = this.#cfg.policyEngine;
    if (!engine) return [];
    const ctx = phaseContext({
      ...input,
      phase: input.phase ?? this.#cfg.phase,
      elapsedSeconds: input.elapsedSeconds ?? (this.#cfg.clock() - this.#startedAt) / 1000,
      retryExhaustedScenarios: input.retryExhaustedScenarios ?? this.recovery.exhaustedScenarios(),
      totalCostUsd: input.totalCostUsd ?? this.tracker.totalCost(),
    });
    const actions = engine.evaluate(ctx);
    this.#telemetry.addEvent(sc.EVENT_AGENTRACE_POLICY_EVALUATED, {
      [sc.ATTR_AGENTRACE_POLICY_ACTIONS]: actions.map((a) => a.action),
    });
    return actions;
  }

  /**
   * Hands the work over to another agent: completes this worker, registers the target worker (initializing) in
   * the same registry, and emits a completed event carrying the handoff. Pass the returned {@link Handoff} to the
   * target's `run(body, { handoff })` to continue in that worker, with its span linked to this one.
   *
   * @throws {SessionEndedError} the session has already ended.
   */
  handoffTo(targetRole: string, reason: string, handoffContext: Record<string, unknown> = {}): Handoff {
    this.#assertActive('hand off');
    const cfg = this.#cfg;
    const target = cfg.registry.create(targetRole, cfg.phase, { projectId: cfg.projectId });
    target.transition(AgentStatus.INITIALIZING, `handoff from ${cfg.role}`);
    const handoff = new Handoff({
      sourceRole: cfg.role,
      targetRole,
      phase: cfg.phase,
      reason,
      context: handoffContext,
      targetWorkerId: target.workerId,
      ...(cfg.projectId !== undefined && { projectId: cfg.projectId }),
    });
    handoffSources.set(handoff, this.#telemetry.span.spanContext());
    this.#telemetry.addEvent(
      AgentEventName.AGENT_HANDOFF,
      {
        [sc.ATTR_AGENTRACE_HANDOFF_SOURCE]: cfg.role,
        [sc.ATTR_AGENTRACE_HANDOFF_TARGET]: targetRole,
        [sc.ATTR_AGENTRACE_HANDOFF_REASON]: sanitize(reason, this.#telemetry.maxLength),
        [sc.ATTR_AGENTRACE_HANDOFF_TARGET_WORKER_ID]: target.workerId,
      },
      this.#telemetry.span,
    );
    this.#end(AgentStatus.COMPLETED, {
      detail: `handoff to ${targetRole}: ${reason}`,
      data: { handoff: handoff.toDict() },
    });
    return handoff;
  }

  /**
   * Pauses the worker until {@link Session.provideInput} is called (the worker waits for input meanwhile).
   * The prompt is recorded on the span only when content capture is on.
   *
   * @throws {InputStateError} an input request is already pending.
   */
  pauseForInput(prompt: string): Promise<string> {
    this.#assertActive('pause for input');
    if (this.#input)
      throw new InputStateError(true, 'an input request is already pending; call provideInput() first');
    this.worker.transition(AgentStatus.WAITING_FOR_INPUT);
    this.#emit(
      new AgentEvent({
        event: AgentEventName.AGENT_WAITING_FOR_INPUT,
        status: AgentEventStatus.BLOCKED,
        role: this.#cfg.role,
        phase: this.#cfg.phase,
      }),
      true,
      this.#telemetry.captureContent
        ? { [sc.ATTR_AGENTRACE_INPUT_PROMPT]: sanitize(prompt, this.#telemetry.maxLength) }
        : undefined,
    );
    return new Promise<string>((resolve, reject) => {
      this.#input = { resolve, reject };
    });
  }

  /**
   * Answers a pending {@link Session.pauseForInput}; the worker runs again.
   *
   * @throws {InputStateError} no input request is pending.
   */
  provideInput(value: string): void {
    const pending = this.#input;
    if (!pending) throw new InputStateError(false, 'no input request is pending');
    this.#input = undefined;
    this.worker.transition(AgentStatus.RUNNING);
    this.#emit(
      new AgentEvent({
        event: AgentEventName.AGENT_READY,
        status: AgentEventStatus.READY,
        role: this.#cfg.role,
        phase: this.#cfg.phase,
      }),
    );
    pending.resolve(value);
  }

  /** Completes the session (worker → completed). @throws {SessionEndedError} it already ended. */
  complete(detail?: string): void {
    this.#assertActive('complete');
    this.#end(AgentStatus.COMPLETED, detail !== undefined ? { detail } : {});
  }

  /** Fails the session (worker → failed) with a failure class (default `unknown`). @throws {SessionEndedError} it already ended. */
  fail(detail: string, failureClass: AgentFailureClass = AgentFailureClass.UNKNOWN, error?: unknown): void {
    this.#assertActive('fail');
    this.#end(AgentStatus.FAILED, { detail, failureClass, error: error ?? detail });
  }

  /** Cancels the session (worker → cancelled) and aborts its in-flight turns and tools. Cancellation is not an error. */
  cancel(detail?: string): void {
    this.#assertActive('cancel');
    this.#end(AgentStatus.CANCELLED, detail !== undefined ? { detail } : {});
  }

  /** The reference's summary: worker, usage, per-model cost, recovery records and agent events (snake_case). */
  summary(): SessionSummary {
    return {
      worker: this.worker.toDict(),
      usage: this.tracker.summary(),
      per_model_cost: this.tracker.perModelSummary(),
      recovery_events: this.recovery.records.map((r) => r.toDict()),
      agent_events: this.events.map((e) => e.toDict()),
    };
  }

  /** Ends an open session as completed when it is disposed (`await using`); an ended one is left as it is. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#ended) this.complete('disposed');
  }

  /** @internal Used by {@link AgentSession.run} to end a session whose body threw. */
  failFromError(err: unknown): void {
    if (this.#ended) return;
    if (this.signal.aborted) {
      this.#end(AgentStatus.CANCELLED, { detail: errorMessageOf(err) });
      return;
    }
    const scenario = classifyError(err);
    this.#end(AgentStatus.FAILED, {
      detail: err instanceof Error ? err.message : String(err),
      failureClass: failureClassFor(scenario),
      error: err,
      errorType: scenario,
    });
  }

  #assertActive(action: string): void {
    if (this.#ended)
      throw new SessionEndedError({ workerId: this.worker.workerId, status: this.worker.status, action });
  }

  #cancelFromSignal(signal: AbortSignal): void {
    if (this.#ended) return;
    this.#end(AgentStatus.CANCELLED, {
      detail: `aborted: ${errorMessageOf(signal.reason)}`,
      reason: signal.reason,
    });
  }

  async #guard(
    tool: ReturnType<SessionTelemetry['startTool']>,
    run: Parameters<typeof runGuardrails>[1],
  ): Promise<void> {
    try {
      await runGuardrails(this.#cfg.guardrails, run);
    } catch (err) {
      if (GuardrailViolatedError.isInstance(err)) {
        this.#emit(
          new AgentEvent({
            event: AgentEventName.GUARDRAIL_BLOCKED,
            status: AgentEventStatus.BLOCKED,
            role: this.#cfg.role,
            phase: this.#cfg.phase,
            detail: err.outcome.reason ?? `blocked by ${err.guardrail}`,
            data: { tool: run.tool, guardrail: err.guardrail, stage: err.stage },
          }),
          false,
        );
        this.#telemetry.addEvent(
          AgentEventName.GUARDRAIL_BLOCKED,
          {
            [sc.ATTR_AGENTRACE_GUARDRAIL_NAME]: err.guardrail,
            [sc.ATTR_AGENTRACE_GUARDRAIL_STAGE]: err.stage,
            [sc.ATTR_AGENTRACE_GUARDRAIL_REASON]:
              err.outcome.reason !== undefined
                ? sanitize(err.outcome.reason, this.#telemetry.maxLength)
                : undefined,
          },
          tool.span,
        );
        tool.end('blocked', err, sc.ERROR_TYPE_VALUE_GUARDRAIL);
      } else {
        tool.end('error', err);
      }
      throw err;
    }
  }

  #turnFailed(err: unknown, turn: TurnTelemetry, signal: AbortSignal): void {
    if (signal.aborted && !TurnTimeoutError.isInstance(err)) {
      turn.cancel();
      return;
    }
    if (CircuitOpenError.isInstance(err)) {
      turn.fail(err, sc.ERROR_TYPE_VALUE_CIRCUIT_OPEN);
      return;
    }
    const scenario = TurnTimeoutError.isInstance(err) ? FailureScenario.LLM_TIMEOUT : classifyError(err);
    this.#recordTarget = turn.span;
    try {
      attemptRecovery(scenario, this.recovery);
    } finally {
      this.#recordTarget = undefined;
    }
    turn.fail(err, scenario);
  }

  #recordUsage(
    model: string | undefined,
    provider: string | undefined,
    usage: UsageSnapshot,
    turn: TurnTelemetry,
    responseModel?: string,
    facts?: UsageFacts,
  ): { costUsd: number; source: string } {
    const key = model ?? UNSPECIFIED_MODEL;
    // Anthropic reports its 1-hour cache writes apart: they cost more than 5-minute ones. The split only
    // describes the usage it came with (a count reported from inside the call replaces it).
    const oneHour = facts?.usage === usage ? facts.cacheWrite?.ephemeral1hTokens : undefined;
    const { total: costUsd, source } = this.tracker.recordTurnDetailed(
      key,
      oneHour ? { ...usage, cacheWrite1hTokens: oneHour } : usage,
      provider !== undefined ? { provider } : NO_PRICE_QUERY,
    );
    turn.recordUsage(usage, costUsd, source, responseModel);
    const sink = this.#cfg.usageSink;
    if (sink) {
      try {
        sink.record(key, usage, costUsd);
      } catch (err) {
        reportSinkError('usage', err);
      }
    }
    return { costUsd, source };
  }

  /** Budget bookkeeping after a turn; returns whether the session is over budget. */
  #checkBudget(turn: TurnTelemetry): boolean {
    const budget = this.#cfg.budgetUsd;
    if (budget === undefined || !this.tracker.isOverBudget(budget)) return false;
    const spent = this.tracker.totalCost();
    const attrs = {
      [sc.ATTR_AGENTRACE_BUDGET_USD]: budget,
      [sc.ATTR_AGENTRACE_BUDGET_SPENT_USD]: spent,
      [sc.ATTR_AGENTRACE_BUDGET_ENFORCED]: this.#cfg.enforceBudget,
    };
    turn.setAttributes(attrs);
    this.#telemetry.count((i) => i.budgetExceeded, 1, this.#telemetry.baseMetricAttributes());
    if (!this.#budgetAnnounced) {
      this.#budgetAnnounced = true;
      this.#emit(
        new AgentEvent({
          event: AgentEventName.BUDGET_EXCEEDED,
          status: this.#cfg.enforceBudget ? AgentEventStatus.BLOCKED : AgentEventStatus.RUNNING,
          role: this.#cfg.role,
          phase: this.#cfg.phase,
          detail: `cost $${spent.toFixed(6)} exceeds budget $${budget}`,
          data: { budget_usd: budget, current_cost_usd: spent, enforced: this.#cfg.enforceBudget },
        }),
        false,
      );
      this.#telemetry.addEvent(AgentEventName.BUDGET_EXCEEDED, attrs, turn.span);
      this.#telemetry.addEvent(AgentEventName.BUDGET_EXCEEDED, attrs, this.#telemetry.span);
    }
    return true;
  }

  #onRecoveryRecord(record: RecoveryRecord): void {
    const eventName = {
      attempted: AgentEventName.RECOVERY_ATTEMPTED,
      succeeded: AgentEventName.RECOVERY_SUCCEEDED,
      failed: AgentEventName.RECOVERY_FAILED,
      escalated: AgentEventName.RECOVERY_ESCALATED,
    }[record.eventType];
    // attemptRecovery counts attempts; performed recovery (which records directly) counts per turn instead.
    const attempts = this.recovery.attemptCount(record.scenario);
    const event = new AgentEvent({
      event: eventName,
      status:
        record.eventType === 'escalated' || record.eventType === 'failed'
          ? AgentEventStatus.BLOCKED
          : AgentEventStatus.RUNNING,
      role: this.#cfg.role,
      phase: this.#cfg.phase,
      detail: `${record.scenario}: ${record.result.outcome}`,
      data: { scenario: record.scenario, steps: [...record.recipeSteps] },
    });
    this.#emit(
      event,
      true,
      {
        [sc.ATTR_AGENTRACE_RECOVERY_SCENARIO]: record.scenario,
        [sc.ATTR_AGENTRACE_RECOVERY_EVENT_TYPE]: record.eventType,
        [sc.ATTR_AGENTRACE_RECOVERY_OUTCOME]: record.result.outcome,
        [sc.ATTR_AGENTRACE_RECOVERY_STEPS]: [...record.result.recoveredSteps],
        ...(attempts > 0 && { [sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT]: attempts }),
        ...(record.result.reason && { [sc.ATTR_AGENTRACE_RECOVERY_REASON]: record.result.reason }),
      },
      this.#recordTarget,
    );
    this.#telemetry.count((i) => i.recoveryAttempts, 1, {
      ...this.#telemetry.baseMetricAttributes(),
      [sc.ATTR_AGENTRACE_RECOVERY_SCENARIO]: record.scenario,
      [sc.ATTR_AGENTRACE_RECOVERY_OUTCOME]: record.eventType,
      // The steps taken, joined: bounded, since recipes are fixed.
      [sc.ATTR_AGENTRACE_RECOVERY_STEP]: record.result.recoveredSteps.join('+') || 'none',
    });
  }

  #onBreakerChange(change: CircuitStateChange): void {
    const eventName =
      change.to === 'open'
        ? AgentEventName.CIRCUIT_OPENED
        : change.to === 'half_open'
          ? AgentEventName.CIRCUIT_HALF_OPENED
          : AgentEventName.CIRCUIT_CLOSED;
    const event = new AgentEvent({
      event: eventName,
      status: change.to === 'open' ? AgentEventStatus.BLOCKED : AgentEventStatus.RUNNING,
      role: this.#cfg.role,
      phase: this.#cfg.phase,
      detail: `circuit ${change.name}: ${change.from} -> ${change.to} (${change.reason})`,
      data: { breaker: change.name, from: change.from, to: change.to, reason: change.reason },
    });
    this.#emit(event, true, {
      [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME]: change.name,
      [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_FROM]: change.from,
      [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_STATE]: change.to,
      ...(change.shared !== undefined && {
        [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_SHARED]: change.shared,
        [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_ORIGIN]: change.origin,
      }),
    });
  }

  /** Keeps the event, feeds the sink (isolated), and adds it as a span event when `onSpan` (on `span` if given). */
  #emit(event: AgentEvent, onSpan = true, extra?: Attributes, span?: Span): void {
    this.#events.emit(event);
    const sink: EventSink | undefined = this.#cfg.eventSink;
    if (sink) {
      try {
        sink.emit(event);
      } catch (err) {
        reportSinkError('event', err);
      }
    }
    if (onSpan) this.#telemetry.event(event, span, extra);
  }

  #end(
    to: typeof AgentStatus.COMPLETED | typeof AgentStatus.FAILED | typeof AgentStatus.CANCELLED,
    how: {
      detail?: string;
      failureClass?: AgentFailureClass;
      error?: unknown;
      errorType?: string;
      data?: Record<string, unknown>;
      reason?: unknown;
    },
  ): void {
    if (this.#ended) return;
    // A worker waiting for input may not complete directly (lifecycle); it resumes running first.
    if (to === AgentStatus.COMPLETED && this.worker.status === AgentStatus.WAITING_FOR_INPUT) {
      this.worker.transition(AgentStatus.RUNNING);
    }
    this.#ended = true;
    const cfg = this.#cfg;
    this.worker.transition(to, how.detail);
    let event: AgentEvent;
    if (to === AgentStatus.COMPLETED) event = AgentEvent.completed(cfg.role, cfg.phase, how.detail);
    else if (to === AgentStatus.FAILED) {
      event = AgentEvent.failed(
        cfg.role,
        cfg.phase,
        how.failureClass ?? AgentFailureClass.UNKNOWN,
        how.detail,
      );
    } else {
      event = new AgentEvent({
        event: AgentEventName.AGENT_CANCELLED,
        status: AgentEventStatus.BLOCKED,
        role: cfg.role,
        phase: cfg.phase,
        ...(how.detail !== undefined && { detail: how.detail }),
      });
    }
    if (cfg.projectId !== undefined) event = event.withProject(cfg.projectId);
    if (how.data) event = event.withData(how.data);
    this.#emit(event, true);

    const pending = this.#input;
    this.#input = undefined;
    if (to === AgentStatus.CANCELLED) this.#controller.abort(how.reason ?? new Error(SESSION_SIGNAL_REASON));
    pending?.reject(
      this.#controller.signal.aborted
        ? this.#controller.signal.reason
        : new SessionEndedError({ workerId: this.worker.workerId, status: to, action: 'wait for input' }),
    );
    for (const s of this.#subscriptions.splice(0)) s.dispose();
    for (const finishStream of [...this.#openStreams]) finishStream(to === AgentStatus.CANCELLED);

    const usage = this.tracker.totalUsage;
    this.#telemetry.end({
      status: to,
      usage,
      costUsd: this.tracker.totalCost(),
      ...(to === AgentStatus.FAILED && {
        error: how.error ?? how.detail,
        errorType: how.errorType ?? how.failureClass ?? AgentFailureClass.UNKNOWN,
      }),
    });
  }
}

const NO_PRICE_QUERY = Object.freeze({});

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

const warned = new Set<string>();

/** Warns through `diag` once per distinct key (bounded, so a stream of unique messages cannot grow it). */
function warnOnce(key: string, err: unknown): void {
  if (warned.has(key) || warned.size >= 100) return;
  warned.add(key);
  diag.warn(`agentrace: ${err instanceof Error ? err.message : String(err)}`);
}

function reportSinkError(kind: string, err: unknown): void {
  // Lazy import keeps diag out of the hot path type imports; sinks must never break a session.
  import('@opentelemetry/api').then(
    ({ diag }) => diag.warn(`agentrace: the ${kind} sink threw; the session carries on`, err),
    () => undefined,
  );
}

function adoptHandoffWorker(
  registry: AgentRegistry,
  handoff: Handoff,
  cfg: { role: string },
): AgentWorker | undefined {
  const worker = registry.get(handoff.targetWorkerId);
  if (!worker || worker.role !== cfg.role || worker.status !== AgentStatus.INITIALIZING) return undefined;
  return worker;
}

export type { Clock };
