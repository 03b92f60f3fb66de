import { defaultPriceTable, type PriceTable, ValidationError } from '@agentrace/pricing';
import { BreakerSet, type BreakerSource } from '../breaker/breaker-set.js';
import { type Clock, monotonicClock } from '../common/clock.js';
import type { Guardrail } from '../governance/guardrails.js';
import type { PermissionEnforcer } from '../governance/permissions.js';
import type { PolicyEngine } from '../governance/policy-engine.js';
import type { QualityGate } from '../governance/quality-gate.js';
import { AgentRegistry } from '../lifecycle/agent-registry.js';
import type { EventSink } from '../lifecycle/event-sink.js';
import {
  type RecoveryPolicy,
  type ResolvedRecoveryPolicy,
  resolveRecoveryPolicy,
} from '../recovery/recovery-policy.js';
import type { TurnGate } from '../state/turn-gate.js';
import { captureContentFromEnv } from '../telemetry/content-capture.js';
import { type ResolvedContentCapture, resolveContentCapture } from '../telemetry/message-content.js';
import type { TelemetryOptions } from '../telemetry/session-telemetry.js';
import type { UsageSink } from '../usage/usage-sink.js';

/** Options of an {@link AgentSession}: the long-lived parts every run of the agent shares. */
export interface AgentSessionOptions extends TelemetryOptions {
  /** The agent's role, reported as `gen_ai.agent.name`. */
  role: string;
  /** The phase the agent works in. */
  phase: string;
  /** Project the work belongs to (an integer id). */
  projectId?: number;
  /** Registry of workers; share one between agents that hand off to each other. Default: a new registry. */
  registry?: AgentRegistry;
  /** Tool permissions; with none every tool is allowed. */
  permissions?: PermissionEnforcer;
  /**
   * Breaker(s) turns run through: one breaker for every call, a map of provider → breaker, or a factory making a
   * provider's breaker on first use. Per-provider breakers let recovery fail over past an open circuit.
   */
  circuitBreaker?: BreakerSource;
  /**
   * Default recovery policy for every turn (a call can pass its own, or `recovery: false`). Without one, a failing
   * turn records one recovery attempt and rethrows (the reference behaviour).
   */
  recovery?: RecoveryPolicy;
  /**
   * Gates every model call must pass, in order (a shared budget reserving the expected cost, a rate limiter, …).
   * A gate may wait (abortably) or refuse with a typed error; a refusal fails the turn without calling the model.
   */
  gates?: TurnGate[];
  /** Policy engine for {@link Session.evaluatePolicy}. */
  policyEngine?: PolicyEngine;
  /** Quality gate for {@link Session.evaluateGate}. */
  qualityGate?: QualityGate;
  /** Budget in USD per run; exceeding it emits an event (and throws when `enforceBudget`). */
  budgetUsd?: number;
  /** Throw `BudgetExceededError` when over budget (default false: informational). */
  enforceBudget?: boolean;
  /** Turns allowed per run, checked before each call (default 25; 0 blocks the first turn; `Infinity`: no cap). */
  maxIterations?: number;
  /** Guardrails run around every tool call, in order. */
  guardrails?: Guardrail[];
  /** Receives every agent event; a sink that throws never breaks the session. */
  eventSink?: EventSink;
  /** Receives every turn's usage and cost; a sink that throws never breaks the session. */
  usageSink?: UsageSink;
  /** Price table turns are costed with (default: the process-wide `defaultPriceTable`). */
  pricing?: PriceTable;
  /** Cancels every run of this agent. */
  signal?: AbortSignal;
  /** Default provider of turns (`gen_ai.provider.name`). */
  provider?: string;
  /** Default model of turns (`gen_ai.request.model`). */
  model?: string;
  /** `gen_ai.agent.description` on the agent span. */
  description?: string;
  /** `gen_ai.conversation.id` on the agent span. */
  conversationId?: string;
  /** Events kept in memory per run (the newest); default 10 000. */
  maxEvents?: number;
  /** Monotonic clock (ms) for elapsed time; injectable for tests. */
  clock?: Clock;
}

/** @internal Options after validation and defaults. */
export interface ResolvedSessionConfig {
  readonly role: string;
  readonly phase: string;
  readonly projectId: number | undefined;
  readonly registry: AgentRegistry;
  readonly permissions: PermissionEnforcer | undefined;
  readonly breakers: BreakerSet;
  readonly recovery: ResolvedRecoveryPolicy | undefined;
  readonly gates: readonly TurnGate[];
  readonly policyEngine: PolicyEngine | undefined;
  readonly qualityGate: QualityGate | undefined;
  readonly budgetUsd: number | undefined;
  readonly enforceBudget: boolean;
  readonly maxIterations: number;
  readonly guardrails: readonly Guardrail[];
  readonly eventSink: EventSink | undefined;
  readonly usageSink: UsageSink | undefined;
  readonly pricing: PriceTable;
  readonly signal: AbortSignal | undefined;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly description: string | undefined;
  readonly conversationId: string | undefined;
  readonly maxEvents: number;
  readonly clock: Clock;
  readonly telemetry: TelemetryOptions & { captureContent: boolean; content: ResolvedContentCapture };
}

function text(field: string, value: unknown, optional: boolean): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError({ field, value, expected: 'a non-empty string' });
  }
  return value;
}

function nonNegativeInteger(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError({ field, value, expected: 'a non-negative integer' });
  }
  return value;
}

function resolveGates(gates: unknown): readonly TurnGate[] {
  if (gates === undefined) return [];
  if (!Array.isArray(gates))
    throw new ValidationError({ field: 'gates', value: gates, expected: 'an array of TurnGate' });
  gates.forEach((gate, i) => {
    if (typeof gate !== 'object' || gate === null || typeof (gate as TurnGate).enter !== 'function') {
      throw new ValidationError({
        field: `gates[${i}]`,
        value: gate,
        expected: 'a TurnGate with an enter() method',
      });
    }
  });
  return Object.freeze([...(gates as TurnGate[])]);
}

/**
 * Validates and completes {@link AgentSessionOptions}.
 *
 * @throws {ValidationError} naming the first bad option.
 */
export function resolveSessionConfig(opts: AgentSessionOptions): ResolvedSessionConfig {
  if (typeof opts !== 'object' || opts === null) {
    throw new ValidationError({ field: 'options', value: opts, expected: 'an options object' });
  }
  const role = text('role', opts.role, false) as string;
  const phase = text('phase', opts.phase, false) as string;
  if (opts.projectId !== undefined && !Number.isSafeInteger(opts.projectId)) {
    throw new ValidationError({ field: 'projectId', value: opts.projectId, expected: 'an integer' });
  }
  const { budgetUsd } = opts;
  if (
    budgetUsd !== undefined &&
    !(typeof budgetUsd === 'number' && budgetUsd >= 0 && Number.isFinite(budgetUsd))
  ) {
    throw new ValidationError({
      field: 'budgetUsd',
      value: budgetUsd,
      expected: 'a non-negative finite number of USD',
    });
  }
  const maxAttributeLength = opts.maxAttributeLength;
  if (
    maxAttributeLength !== undefined &&
    !(Number.isSafeInteger(maxAttributeLength) && maxAttributeLength >= 16)
  ) {
    throw new ValidationError({
      field: 'maxAttributeLength',
      value: maxAttributeLength,
      expected: 'an integer ≥ 16',
    });
  }
  if (opts.captureContent !== undefined && typeof opts.captureContent !== 'boolean') {
    throw new ValidationError({ field: 'captureContent', value: opts.captureContent, expected: 'a boolean' });
  }
  const captureContent = opts.captureContent ?? captureContentFromEnv();
  const content = resolveContentCapture(
    { enabled: captureContent, maxLength: opts.maxContentLength, redact: opts.contentRedactor },
    { enabled: 'captureContent', maxLength: 'maxContentLength', redact: 'contentRedactor' },
  );
  const guardrails = opts.guardrails ?? [];
  if (!Array.isArray(guardrails)) {
    throw new ValidationError({ field: 'guardrails', value: guardrails, expected: 'an array of guardrails' });
  }
  const maxEvents = nonNegativeInteger('maxEvents', opts.maxEvents, 10_000);
  if (maxEvents === 0)
    throw new ValidationError({ field: 'maxEvents', value: 0, expected: 'a positive integer' });
  if (opts.clock !== undefined && typeof opts.clock !== 'function') {
    throw new ValidationError({
      field: 'clock',
      value: opts.clock,
      expected: 'a function returning milliseconds',
    });
  }
  return {
    role,
    phase,
    projectId: opts.projectId,
    registry: opts.registry ?? new AgentRegistry(),
    permissions: opts.permissions,
    breakers: new BreakerSet(opts.circuitBreaker),
    recovery: opts.recovery !== undefined ? resolveRecoveryPolicy(opts.recovery) : undefined,
    gates: resolveGates(opts.gates),
    policyEngine: opts.policyEngine,
    qualityGate: opts.qualityGate,
    budgetUsd,
    enforceBudget: opts.enforceBudget ?? false,
    // `Infinity` says "no cap" (long-running sessions, benchmarks).
    maxIterations:
      opts.maxIterations === Infinity
        ? Infinity
        : nonNegativeInteger('maxIterations', opts.maxIterations, 25),
    guardrails: [...guardrails],
    eventSink: opts.eventSink,
    usageSink: opts.usageSink,
    pricing: opts.pricing ?? defaultPriceTable,
    signal: opts.signal,
    provider: text('provider', opts.provider, true),
    model: text('model', opts.model, true),
    description: opts.description,
    conversationId: opts.conversationId,
    maxEvents,
    clock: opts.clock ?? monotonicClock,
    telemetry: {
      ...(opts.tracerProvider && { tracerProvider: opts.tracerProvider }),
      ...(opts.meterProvider && { meterProvider: opts.meterProvider }),
      ...(maxAttributeLength !== undefined && { maxAttributeLength }),
      captureContent,
      content,
    },
  };
}
