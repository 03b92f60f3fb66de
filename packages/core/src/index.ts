// @agentrace/core — public API. This file only re-exports.

export type { CostBreakdown, PriceQuery, PriceTable, TokenUsage } from '@agentrace/pricing';
export { AgentraceError, ValidationError } from '@agentrace/pricing';
export * from './adapters/index.js';
export type { ContentAccumulator, ContentShape } from './adapters/message-content.js';
export { captureInput, captureOutput, createContentAccumulator } from './adapters/message-content.js';
export type { StreamAccumulator, StreamAccumulatorOptions } from './adapters/stream-usage.js';
export { createStreamAccumulator } from './adapters/stream-usage.js';
export type { BreakerSource } from './breaker/breaker-set.js';
export type {
  BreakerStrategy,
  ConsecutiveFailureStrategyOptions,
  FailureRateStrategyOptions,
} from './breaker/breaker-strategy.js';
export { ConsecutiveFailureStrategy, FailureRateStrategy } from './breaker/breaker-strategy.js';
export { CircuitBreaker } from './breaker/circuit-breaker.js';
export type {
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitCallContext,
  CircuitExecuteOptions,
} from './breaker/circuit-breaker-options.js';
export type { CircuitRejection, CircuitStateChange } from './breaker/circuit-events.js';
export { CircuitTransitionReason } from './breaker/circuit-events.js';
export type { RejectingCircuitState } from './breaker/circuit-open-error.js';
export { CircuitOpenError } from './breaker/circuit-open-error.js';
export type { Clock, WallClock } from './common/clock.js';
export { monotonicClock, systemWallClock } from './common/clock.js';
export type { Disposable, Listener } from './common/listeners.js';
export { DEFAULT_PROVIDER_KEY } from './common/provider-key.js';
export { VERSION } from './common/version.js';
export type { ValueOf } from './common/wire.js';
export type {
  Guardrail,
  GuardrailCheck,
  GuardrailContext,
  GuardrailDefinition,
  GuardrailOutcome,
  GuardrailRun,
  GuardrailVerdict,
} from './governance/guardrails.js';
export {
  AllowAllGuardrail,
  defineGuardrail,
  GuardrailStage,
  GuardrailViolatedError,
  runGuardrails,
} from './governance/guardrails.js';
export type { HandoffDict, HandoffInit } from './governance/handoff.js';
export { Handoff } from './governance/handoff.js';
export type {
  PermissionModeInput,
  PermissionModeName,
  PermissionOutcomeDict,
  PermissionPolicyOptions,
  RolePermissionConfig,
} from './governance/permissions.js';
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
} from './governance/permissions.js';
export type { PhaseContext, PhaseContextDict, PhaseContextInit } from './governance/phase-context.js';
export { phaseContext, phaseContextFromDict, phaseContextToDict } from './governance/phase-context.js';
export type { PolicyCondition } from './governance/policy-conditions.js';
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
} from './governance/policy-conditions.js';
export type {
  PolicyActionData,
  PolicyActionDict,
  PolicyRule,
  ResolvedPolicyRule,
} from './governance/policy-engine.js';
export {
  DEFAULT_RULE_PRIORITY,
  PolicyAction,
  PolicyEngine,
  policyAction,
  policyActionToDict,
} from './governance/policy-engine.js';
export type {
  QualityGateResult,
  QualityGateResultDict,
  QualityLevelName,
} from './governance/quality-gate.js';
export { parseQualityLevel, QualityGate, QualityLevel, qualityLevelName } from './governance/quality-gate.js';
export type { AgentEventInit, EventAttributes } from './lifecycle/agent-event.js';
export { AgentEvent, InvalidEventError } from './lifecycle/agent-event.js';
export type { AgentRegistryOptions, CreateWorkerOptions } from './lifecycle/agent-registry.js';
export {
  AgentRegistry,
  DEFAULT_REGISTRY_CAPACITY,
  UnknownWorkerError,
  WorkerIdCollisionError,
} from './lifecycle/agent-registry.js';
export {
  AgentStatus,
  allowedTransitions,
  canTransition,
  isAgentStatus,
  isTerminalStatus,
  TERMINAL_STATUSES,
} from './lifecycle/agent-status.js';
export type {
  AgentWorkerDict,
  AgentWorkerOptions,
  TransitionRecord,
  TransitionRecordDict,
  WorkerError,
  WorkerTransition,
} from './lifecycle/agent-worker.js';
export { AgentWorker, InvalidTransitionError } from './lifecycle/agent-worker.js';
export { AgentEventName, AgentEventStatus, AgentFailureClass } from './lifecycle/event-names.js';
export type { EventSink } from './lifecycle/event-sink.js';
export {
  FanOutEventSink,
  JsonLinesEventSink,
  NoopEventSink,
  RingBufferEventSink,
} from './lifecycle/event-sink.js';
export type { BackoffOptions } from './recovery/backoff.js';
export { backoffDelay, JitterMode, nextProvider, smallerContextBudget } from './recovery/backoff.js';
export {
  classifyError,
  classifyMessage,
  classifyStructured,
  httpStatusOf,
  MAX_CAUSE_DEPTH,
} from './recovery/classify-error.js';
export { assertScenario, FailureScenario, failureClassFor } from './recovery/failure-scenario.js';
export type {
  AttemptRecoveryOptions,
  RecoveryContextOptions,
  RecoveryRecipe,
  RecoveryRecord,
  RecoveryRecordDict,
  RecoveryResultDict,
} from './recovery/recovery.js';
export {
  attemptRecovery,
  EscalationPolicy,
  RecoveryContext,
  RecoveryEventType,
  RecoveryOutcome,
  RecoveryResult,
  RecoveryStep,
  recipeFor,
} from './recovery/recovery.js';
export type {
  AttemptRecord,
  EscalationInfo,
  ProviderTarget,
  RecoveryHookContext,
  RecoveryHooks,
  RecoveryPolicy,
  StepRecord,
  TurnFailure,
} from './recovery/recovery-policy.js';
export { RecoveryExhaustedError } from './recovery/recovery-policy.js';
export type { RetryAfterOptions } from './recovery/retry-after.js';
export { isRetryableError, retryAfterMs } from './recovery/retry-after.js';
export { TurnTimeoutError } from './recovery/turn-timeout-error.js';
export type { RunOptions } from './session/agent-session.js';
export { AgentSession, Orchestrator } from './session/agent-session.js';
export { handoffSourceSpan } from './session/handoff-source.js';
export type { RunTurnOptions, TurnContext } from './session/run-turn-options.js';
export type { PolicyInput, SessionSummary } from './session/session.js';
export { Session } from './session/session.js';
export type { AgentSessionOptions } from './session/session-config.js';
export { InputStateError, MaxIterationsExceededError, SessionEndedError } from './session/session-errors.js';
export type { RunToolOptions } from './session/tool-runner.js';
export type { TurnCompletion, TurnResult } from './session/turn-result.js';
export type { StreamOutcome } from './session/turn-stream.js';
export { isStreamResult, observeStream } from './session/turn-stream.js';
export { UNSPECIFIED_MODEL } from './session/usage-recorder.js';
export { CircuitState } from './state/circuit-state.js';
export type { InMemoryStateStoreOptions } from './state/in-memory-state-store.js';
export { InMemoryStateStore } from './state/in-memory-state-store.js';
export type { RateLimiterOptions, RateLimitRule } from './state/rate-limiter.js';
export { RateLimitExceededError, RateLimiter, RateLimitKind } from './state/rate-limiter.js';
export type { SharedBudgetOptions, SharedBudgetStatus } from './state/shared-budget.js';
export { SharedBudget, SharedBudgetExceededError } from './state/shared-budget.js';
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
} from './state/state-store.js';
export {
  BREAKER_LOG_LENGTH,
  BUDGET_PURGE_BATCH,
  StateStoreUnavailableError,
  StoreFailurePolicy,
  StoreUnavailableReason,
} from './state/state-store.js';
export type { TurnGate, TurnGateContext, TurnGateOutcome, TurnGateTicket } from './state/turn-gate.js';
export { enterGates, settleGates } from './state/turn-gate.js';
export { CAPTURE_CONTENT_ENV, captureContentFromEnv } from './telemetry/content-capture.js';
export type { Instruments } from './telemetry/instruments.js';
export {
  INSTRUMENTATION_SCOPE,
  instrumentsForMeter,
  TOOL_DURATION_BUCKETS,
} from './telemetry/instruments.js';
export type {
  BlobPart,
  CapturedContent,
  ContentCaptureOptions,
  ContentOptionFields,
  ContentRedactor,
  FilePart,
  GenericPart,
  InputMessage,
  MessagePart,
  OutputMessage,
  ReasoningPart,
  ResolvedContentCapture,
  TextPart,
  ToolCallRequestPart,
  ToolCallResponsePart,
  ToolDefinition,
  UriPart,
} from './telemetry/message-content.js';
export {
  CONTENT_CAPTURE_OFF,
  contentAttributes,
  DEFAULT_MAX_CONTENT_LENGTH,
  MIN_MAX_CONTENT_LENGTH,
  recordContent,
  resolveContentCapture,
} from './telemetry/message-content.js';
export { isModelCallRecorded, MODEL_CALL_CONTEXT_KEY } from './telemetry/model-call-context.js';
export { maskSecrets, sanitize } from './telemetry/redact.js';
export * as semconv from './telemetry/semconv.js';
export type { TelemetryOptions } from './telemetry/session-telemetry.js';
export { fromMicroUsd, MICRO_USD_PER_USD, toMicroUsd } from './usage/micro-usd.js';
export type { UsageInput } from './usage/usage-input.js';
export type { UsageSink } from './usage/usage-sink.js';
export {
  FanOutUsageSink,
  JsonLinesUsageSink,
  NoopUsageSink,
  RingBufferUsageSink,
} from './usage/usage-sink.js';
export type { UsageCounts, UsageDict } from './usage/usage-snapshot.js';
export { UsageSnapshot } from './usage/usage-snapshot.js';
export type { UsageSummary, UsageTrackerOptions } from './usage/usage-tracker.js';
export {
  BudgetExceededError,
  formatUsd,
  type TurnUsage,
  UsageTracker,
} from './usage/usage-tracker.js';
