// @agentrace/core — public API. This file only re-exports.

export type { CostBreakdown, PriceQuery, PriceTable, TokenUsage } from '@agentrace/pricing';
export { AgentraceError, ValidationError } from '@agentrace/pricing';
export * from './adapters/index.js';
export type { StreamAccumulator, StreamAccumulatorOptions } from './adapters/stream-usage.js';
export { createStreamAccumulator } from './adapters/stream-usage.js';
export type { AgentEventInit, EventAttributes } from './agent-event.js';
export { AgentEvent, InvalidEventError } from './agent-event.js';
export type { AgentRegistryOptions, CreateWorkerOptions } from './agent-registry.js';
export {
  AgentRegistry,
  DEFAULT_REGISTRY_CAPACITY,
  UnknownWorkerError,
  WorkerIdCollisionError,
} from './agent-registry.js';
export type { RunOptions } from './agent-session.js';
export { AgentSession, Orchestrator } from './agent-session.js';
export {
  AgentStatus,
  allowedTransitions,
  canTransition,
  isAgentStatus,
  isTerminalStatus,
  TERMINAL_STATUSES,
} from './agent-status.js';
export type {
  AgentWorkerDict,
  AgentWorkerOptions,
  TransitionRecord,
  TransitionRecordDict,
  WorkerError,
  WorkerTransition,
} from './agent-worker.js';
export { AgentWorker, InvalidTransitionError } from './agent-worker.js';
export type { BackoffOptions } from './backoff.js';
export { backoffDelay, JitterMode, nextProvider, smallerContextBudget } from './backoff.js';
export type { BreakerSource } from './breaker-set.js';
export { DEFAULT_PROVIDER_KEY } from './breaker-set.js';
export type {
  BreakerStrategy,
  ConsecutiveFailureStrategyOptions,
  FailureRateStrategyOptions,
} from './breaker-strategy.js';
export { ConsecutiveFailureStrategy, FailureRateStrategy } from './breaker-strategy.js';
export type {
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitCallContext,
  CircuitExecuteOptions,
  CircuitRejection,
  CircuitStateChange,
  RejectingCircuitState,
} from './circuit-breaker.js';
export { CircuitBreaker, CircuitOpenError, CircuitTransitionReason } from './circuit-breaker.js';
export { CircuitState } from './circuit-state.js';
export {
  classifyError,
  classifyMessage,
  classifyStructured,
  httpStatusOf,
  MAX_CAUSE_DEPTH,
} from './classify-error.js';
export type { Clock, WallClock } from './clock.js';
export { monotonicClock, systemWallClock } from './clock.js';
export { AgentEventName, AgentEventStatus, AgentFailureClass } from './event-names.js';
export type { EventSink } from './event-sink.js';
export { FanOutEventSink, JsonLinesEventSink, NoopEventSink, RingBufferEventSink } from './event-sink.js';
export { assertScenario, FailureScenario, failureClassFor } from './failure-scenario.js';
export type {
  Guardrail,
  GuardrailCheck,
  GuardrailContext,
  GuardrailDefinition,
  GuardrailOutcome,
  GuardrailRun,
  GuardrailVerdict,
} from './guardrails.js';
export {
  AllowAllGuardrail,
  defineGuardrail,
  GuardrailStage,
  GuardrailViolatedError,
  runGuardrails,
} from './guardrails.js';
export type { HandoffDict, HandoffInit } from './handoff.js';
export { Handoff } from './handoff.js';
export type { InMemoryStateStoreOptions } from './in-memory-state-store.js';
export { InMemoryStateStore } from './in-memory-state-store.js';
export type { Disposable, Listener } from './listeners.js';
export { fromMicroUsd, MICRO_USD_PER_USD, toMicroUsd } from './micro-usd.js';
export type {
  PermissionModeInput,
  PermissionModeName,
  PermissionOutcomeDict,
  PermissionPolicyOptions,
  RolePermissionConfig,
} from './permissions.js';
export {
  PermissionDeniedError,
  PermissionEnforcer,
  PermissionMode,
  PermissionOutcome,
  PermissionPolicy,
  parsePermissionMode,
  permissionModeName,
  REQUIRED_MODE_NOT_APPLICABLE,
  UNKNOWN_ROLE_ALLOW_REASON,
} from './permissions.js';
export type { PolicyCondition } from './policy-conditions.js';
export {
  agentFailed,
  allAgentsComplete,
  and,
  costExceeded,
  gateBelow,
  or,
  phaseCompleted,
  qualityAt,
  retryExhausted,
  timedOut,
} from './policy-conditions.js';
export type {
  PhaseContext,
  PhaseContextDict,
  PhaseContextInit,
  PolicyActionData,
  PolicyActionDict,
  PolicyRule,
  ResolvedPolicyRule,
} from './policy-engine.js';
export {
  DEFAULT_RULE_PRIORITY,
  PolicyAction,
  PolicyEngine,
  phaseContext,
  phaseContextFromDict,
  phaseContextToDict,
  policyAction,
  policyActionToDict,
} from './policy-engine.js';
export type { QualityGateResult, QualityGateResultDict, QualityLevelName } from './quality-gate.js';
export { parseQualityLevel, QualityGate, QualityLevel, qualityLevelName } from './quality-gate.js';
export type { RateLimiterOptions, RateLimitRule } from './rate-limiter.js';
export { RateLimitExceededError, RateLimiter, RateLimitKind } from './rate-limiter.js';
export type {
  AttemptRecoveryOptions,
  RecoveryContextOptions,
  RecoveryRecipe,
  RecoveryRecord,
  RecoveryRecordDict,
  RecoveryResultDict,
} from './recovery.js';
export {
  attemptRecovery,
  EscalationPolicy,
  RecoveryContext,
  RecoveryEventType,
  RecoveryOutcome,
  RecoveryResult,
  RecoveryStep,
  recipeFor,
} from './recovery.js';
export type {
  AttemptRecord,
  EscalationInfo,
  ProviderTarget,
  RecoveryHookContext,
  RecoveryHooks,
  RecoveryPolicy,
  StepRecord,
  TurnFailure,
} from './recovery-policy.js';
export { RecoveryExhaustedError } from './recovery-policy.js';
export type { RetryAfterOptions } from './retry-after.js';
export { isRetryableError, retryAfterMs } from './retry-after.js';
export type { RunTurnOptions, TurnContext } from './run-turn-options.js';
export type { PolicyInput, RunToolOptions, SessionSummary } from './session.js';
export { handoffSourceSpan, Session, UNSPECIFIED_MODEL } from './session.js';
export type { AgentSessionOptions } from './session-config.js';
export {
  InputStateError,
  MaxIterationsExceededError,
  SessionEndedError,
  TurnTimeoutError,
} from './session-errors.js';
export type { SharedBudgetOptions, SharedBudgetStatus } from './shared-budget.js';
export { SharedBudget, SharedBudgetExceededError } from './shared-budget.js';
export type {
  BreakerCommand,
  BreakerReply,
  BreakerRequest,
  BreakerStrategySpec,
  BudgetReserveReply,
  BudgetReserveRequest,
  BudgetRetention,
  BudgetSettlement,
  BudgetSettleReply,
  BudgetSettleRequest,
  BudgetTotals,
  RateAcquireReply,
  RateAcquireRequest,
  RateAdjustRequest,
  RateBucket,
  SharedBreakerConfig,
  SharedTransition,
  StateStore,
} from './state-store.js';
export {
  BREAKER_LOG_LENGTH,
  BUDGET_PURGE_BATCH,
  StateStoreUnavailableError,
  StoreFailurePolicy,
  StoreUnavailableReason,
} from './state-store.js';
export { CAPTURE_CONTENT_ENV, captureContentFromEnv } from './telemetry/content-capture.js';
export { INSTRUMENTATION_SCOPE, TOOL_DURATION_BUCKETS } from './telemetry/instruments.js';
export { maskSecrets, sanitize } from './telemetry/redact.js';
export * as semconv from './telemetry/semconv.js';
export type { TelemetryOptions } from './telemetry/session-telemetry.js';
export type { TurnGate, TurnGateContext, TurnGateOutcome, TurnGateTicket } from './turn-gate.js';
export { enterGates, settleGates } from './turn-gate.js';
export type { TurnCompletion, TurnResult } from './turn-result.js';
export type { StreamOutcome } from './turn-stream.js';
export { isStreamResult, observeStream } from './turn-stream.js';
export type { UsageInput } from './usage-input.js';
export type { UsageSink } from './usage-sink.js';
export { FanOutUsageSink, JsonLinesUsageSink, NoopUsageSink, RingBufferUsageSink } from './usage-sink.js';
export type { UsageCounts, UsageDict } from './usage-snapshot.js';
export { UsageSnapshot } from './usage-snapshot.js';
export type { UsageSummary, UsageTrackerOptions } from './usage-tracker.js';
export {
  BudgetExceededError,
  formatUsd,
  type TurnUsage,
  UsageTracker,
} from './usage-tracker.js';
export { VERSION } from './version.js';
export type { ValueOf } from './wire.js';
