import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { Clock } from '../common/clock.js';
import type { Disposable } from '../common/listeners.js';
import { Handoff } from '../governance/handoff.js';
import { type PhaseContextInit, phaseContext } from '../governance/phase-context.js';
import type { PolicyActionData } from '../governance/policy-engine.js';
import type { QualityGateResult, QualityLevel, QualityLevelName } from '../governance/quality-gate.js';
import { qualityLevelName } from '../governance/quality-gate.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import { AgentStatus } from '../lifecycle/agent-status.js';
import type { AgentWorker } from '../lifecycle/agent-worker.js';
import { AgentEventName, AgentEventStatus, AgentFailureClass } from '../lifecycle/event-names.js';
import { classifyError } from '../recovery/classify-error.js';
import { failureClassFor } from '../recovery/failure-scenario.js';
import { RecoveryContext, type RecoveryRecord } from '../recovery/recovery.js';
import type { RecoveryPolicy, TurnFailure } from '../recovery/recovery-policy.js';
import { errorMessageOf, sanitize } from '../telemetry/redact.js';
import * as sc from '../telemetry/semconv.js';
import { SessionTelemetry } from '../telemetry/session-telemetry.js';
import { UsageTracker } from '../usage/usage-tracker.js';
import { adoptHandoffWorker, handoffSourceSpan, rememberHandoffSource } from './handoff-source.js';
import type { RunTurnOptions, TurnContext } from './run-turn-options.js';
import type { ResolvedSessionConfig } from './session-config.js';
import { SessionEmitter } from './session-emitter.js';
import { InputStateError, SessionEndedError } from './session-errors.js';
import { type ObserverHost, observeBreakerChange, observeRecoveryRecord } from './session-observers.js';
import { type RunToolOptions, runTool, type ToolRunnerHost } from './tool-runner.js';
import type { TurnResult } from './turn-result.js';
import { TurnRunner } from './turn-runner.js';
import { UsageRecorder } from './usage-recorder.js';

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

const SESSION_SIGNAL_REASON = 'agentrace: session cancelled';

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
  readonly #emitter: SessionEmitter;
  readonly #usage: UsageRecorder;
  readonly #turns: TurnRunner;
  readonly #tools: ToolRunnerHost;
  readonly #controller = new AbortController();
  readonly #subscriptions: Disposable[] = [];
  readonly #startedAt: number;
  #input: { resolve: (value: string) => void; reject: (reason: unknown) => void } | undefined;
  #ended = false;
  /** Finishers of streamed turns still open, called when the session ends (argument: cancelled). */
  readonly #openStreams = new Set<(cancelled: boolean) => void>();

  /** @internal Sessions are made by {@link AgentSession.open} / {@link AgentSession.run}. */
  constructor(init: SessionInit) {
    const cfg = init.config;
    this.#cfg = cfg;
    this.#startedAt = cfg.clock();
    this.tracker = new UsageTracker({ pricing: cfg.pricing });
    this.recovery = new RecoveryContext();

    const adopted = init.handoff ? adoptHandoffWorker(cfg.registry, init.handoff, cfg) : undefined;
    this.worker = adopted ?? cfg.registry.create(cfg.role, cfg.phase, { projectId: cfg.projectId });
    const source = init.handoff ? handoffSourceSpan(init.handoff) : undefined;
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
    const telemetry = this.#telemetry;
    this.#emitter = new SessionEmitter(cfg.maxEvents, cfg.eventSink, telemetry);
    this.#usage = new UsageRecorder(cfg, this.tracker, telemetry, this.#emitter);
    const assertActive = (action: string) => this.#assertActive(action);
    this.#turns = new TurnRunner({
      cfg,
      telemetry,
      tracker: this.tracker,
      recovery: this.recovery,
      usage: this.#usage,
      emitter: this.#emitter,
      signal: this.#controller.signal,
      openStreams: this.#openStreams,
      assertActive,
    });
    this.#tools = { cfg, telemetry, emitter: this.#emitter, signal: this.#controller.signal, assertActive };
    const observers: ObserverHost = {
      role: cfg.role,
      phase: cfg.phase,
      telemetry,
      emitter: this.#emitter,
      recovery: this.recovery,
    };

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
      this.recovery.onRecord((record) => observeRecoveryRecord(observers, record, this.#turns.recordTarget)),
    );
    const watch = (breaker: CircuitBreaker) =>
      this.#subscriptions.push(breaker.onStateChange((change) => observeBreakerChange(observers, change)));
    for (const breaker of cfg.breakers.all()) watch(breaker);
    this.#subscriptions.push(cfg.breakers.onBreaker(watch));
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
    this.#emitter.emit(AgentEvent.started(cfg.role, cfg.phase).withData({ worker_id: this.worker.workerId }));
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
    return this.#emitter.events;
  }

  /** Turns started so far (the number the iteration cap is checked against). */
  get turnsStarted(): number {
    return this.#turns.turnsStarted;
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
  runTurn<T>(
    fn: (signal: AbortSignal, turn: TurnContext) => T | PromiseLike<T>,
    opts: RunTurnOptions<T> = {},
  ): Promise<TurnResult<T> | TurnFailure> {
    return this.#turns.run(fn, opts);
  }

  /**
   * Runs a tool call: permission check, pre-guardrails, `fn`, post-guardrails, as an `execute_tool` span.
   *
   * @throws {PermissionDeniedError} the role may not use the tool (carries the outcome).
   * @throws {GuardrailViolatedError} a guardrail refused the call or its result.
   * @throws {SessionEndedError} the session has ended.
   */
  runTool<T>(
    name: string,
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    opts: RunToolOptions = {},
  ): Promise<T> {
    return runTool(this.#tools, name, fn, opts);
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
    this.#emitter.emit(event.withData({ required_level: required }));
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
    rememberHandoffSource(handoff, this.#telemetry.span.spanContext());
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
    this.#emitter.emit(
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
    this.#emitter.emit(
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
    this.#emitter.emit(event, true);

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

export type { Clock };
