import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { BreakerSet } from '../breaker/breaker-set.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import { AgentEventName, AgentEventStatus } from '../lifecycle/event-names.js';
import type { ProviderTarget, ResolvedRecoveryPolicy } from '../recovery/recovery-policy.js';
import * as sc from '../telemetry/semconv.js';
import type { TurnTelemetry } from '../telemetry/session-telemetry.js';
import type { AttemptHost } from './attempt-host.js';

/** @internal The providers a recovering turn may use, in failover order (the turn's own when none are configured). */
export function providerTargets(
  policy: ResolvedRecoveryPolicy,
  provider: string | undefined,
): ProviderTarget[] {
  return policy.providers.length > 0
    ? [...policy.providers]
    : [{ ...(provider !== undefined && { provider }) } as ProviderTarget];
}

/** @internal Where the turn starts: the target naming its provider (and model), else the first. */
export function startIndex(
  targets: readonly ProviderTarget[],
  provider: string | undefined,
  model: string | undefined,
): number {
  return Math.max(
    0,
    targets.findIndex((t) => t.provider === provider && (t.model === undefined || t.model === model)),
  );
}

/** @internal Whether the circuit of `target`'s provider is open. */
export function circuitOpen(breakers: BreakerSet, target: ProviderTarget): boolean {
  return breakers.for(target.provider)?.state() === 'open';
}

/** @internal The next target after `from` whose circuit is not open (wrapping), with the ones passed over. */
export function nextAvailable(
  targets: readonly ProviderTarget[],
  breakers: BreakerSet,
  from: number,
): { index: number; skipped: string[] } | undefined {
  const skipped: string[] = [];
  for (let step = 1; step < targets.length; step++) {
    const i = (from + step) % targets.length;
    const t = targets[i] as ProviderTarget;
    if (circuitOpen(breakers, t)) skipped.push(t.provider);
    else return { index: i, skipped };
  }
  return undefined;
}

/** @internal Announces a provider switch: an agent event and a span event on the turn. */
export function switched(
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
