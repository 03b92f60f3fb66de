import type { Span } from '@opentelemetry/api';
import type { CircuitStateChange } from '../breaker/circuit-events.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import { AgentEventName, AgentEventStatus } from '../lifecycle/event-names.js';
import type { RecoveryContext, RecoveryRecord } from '../recovery/recovery.js';
import * as sc from '../telemetry/semconv.js';
import type { SessionTelemetry } from '../telemetry/session-telemetry.js';
import type { SessionEmitter } from './session-emitter.js';

/** @internal What the observers need from a session. */
export interface ObserverHost {
  readonly role: string;
  readonly phase: string;
  readonly telemetry: SessionTelemetry;
  readonly emitter: SessionEmitter;
  readonly recovery: RecoveryContext;
}

/**
 * @internal A recovery record as an agent event (on `target`, the failing turn's span, when one is being
 * written) and a count on the recovery-attempts metric.
 */
export function observeRecoveryRecord(
  host: ObserverHost,
  record: RecoveryRecord,
  target: Span | undefined,
): void {
  const eventName = {
    attempted: AgentEventName.RECOVERY_ATTEMPTED,
    succeeded: AgentEventName.RECOVERY_SUCCEEDED,
    failed: AgentEventName.RECOVERY_FAILED,
    escalated: AgentEventName.RECOVERY_ESCALATED,
  }[record.eventType];
  // attemptRecovery counts attempts; performed recovery (which records directly) counts per turn instead.
  const attempts = host.recovery.attemptCount(record.scenario);
  const event = new AgentEvent({
    event: eventName,
    status:
      record.eventType === 'escalated' || record.eventType === 'failed'
        ? AgentEventStatus.BLOCKED
        : AgentEventStatus.RUNNING,
    role: host.role,
    phase: host.phase,
    detail: `${record.scenario}: ${record.result.outcome}`,
    data: { scenario: record.scenario, steps: [...record.recipeSteps] },
  });
  host.emitter.emit(
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
    target,
  );
  const telemetry = host.telemetry;
  telemetry.count((i) => i.recoveryAttempts, 1, {
    ...telemetry.baseMetricAttributes(),
    [sc.ATTR_AGENTRACE_RECOVERY_SCENARIO]: record.scenario,
    [sc.ATTR_AGENTRACE_RECOVERY_OUTCOME]: record.eventType,
    // The steps taken, joined: bounded, since recipes are fixed.
    [sc.ATTR_AGENTRACE_RECOVERY_STEP]: record.result.recoveredSteps.join('+') || 'none',
  });
}

/** @internal A circuit breaker's state change as an agent event on the session's span. */
export function observeBreakerChange(host: ObserverHost, change: CircuitStateChange): void {
  const eventName =
    change.to === 'open'
      ? AgentEventName.CIRCUIT_OPENED
      : change.to === 'half_open'
        ? AgentEventName.CIRCUIT_HALF_OPENED
        : AgentEventName.CIRCUIT_CLOSED;
  const event = new AgentEvent({
    event: eventName,
    status: change.to === 'open' ? AgentEventStatus.BLOCKED : AgentEventStatus.RUNNING,
    role: host.role,
    phase: host.phase,
    detail: `circuit ${change.name}: ${change.from} -> ${change.to} (${change.reason})`,
    data: { breaker: change.name, from: change.from, to: change.to, reason: change.reason },
  });
  host.emitter.emit(event, true, {
    [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME]: change.name,
    [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_FROM]: change.from,
    [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_STATE]: change.to,
    ...(change.shared !== undefined && {
      [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_SHARED]: change.shared,
      [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_ORIGIN]: change.origin,
    }),
  });
}
