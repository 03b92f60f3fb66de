import type { Attributes } from '@opentelemetry/api';
import type { BreakerSet } from '../breaker/breaker-set.js';
import type { AgentEvent } from '../lifecycle/agent-event.js';
import type { RecoveryContext } from '../recovery/recovery.js';
import type { AttemptRecord, ResolvedRecoveryPolicy } from '../recovery/recovery-policy.js';
import type { TurnGate, TurnGateContext, TurnGateTicket } from '../state/turn-gate.js';
import type { SessionTelemetry, TurnTelemetry } from '../telemetry/session-telemetry.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import type { TurnContext } from './run-turn-options.js';
import type { CallScope } from './run-with-timeout.js';

// The contract between a session and its recovering turns: what a turn under a recovery policy needs from the
// session, what it is given, and what it hands back.

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
