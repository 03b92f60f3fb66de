import type { SpanContext } from '@opentelemetry/api';
import type { Handoff } from '../governance/handoff.js';
import type { AgentRegistry } from '../lifecycle/agent-registry.js';
import { AgentStatus } from '../lifecycle/agent-status.js';
import type { AgentWorker } from '../lifecycle/agent-worker.js';

// Source span of each handoff, so the target agent's span can link to it (Handoff itself is a frozen record).
const handoffSources = new WeakMap<Handoff, SpanContext>();

/** The span context of the agent that produced `handoff`, if it was produced by a session. */
export function handoffSourceSpan(handoff: Handoff): SpanContext | undefined {
  return handoffSources.get(handoff);
}

/** @internal Remembers the span of the session that produced `handoff`. */
export function rememberHandoffSource(handoff: Handoff, source: SpanContext): void {
  handoffSources.set(handoff, source);
}

/** @internal The worker a handoff registered for `cfg.role`, if it is still there and waiting to start. */
export function adoptHandoffWorker(
  registry: AgentRegistry,
  handoff: Handoff,
  cfg: { role: string },
): AgentWorker | undefined {
  const worker = registry.get(handoff.targetWorkerId);
  if (!worker || worker.role !== cfg.role || worker.status !== AgentStatus.INITIALIZING) return undefined;
  return worker;
}
