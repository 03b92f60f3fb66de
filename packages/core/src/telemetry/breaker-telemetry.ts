import type { MeterProvider } from '@opentelemetry/api';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { guard } from './guard.js';
import { instrumentsFor, observeBreakerState } from './instruments.js';
import {
  ATTR_AGENTRACE_CIRCUIT_BREAKER_FROM,
  ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME,
  ATTR_AGENTRACE_CIRCUIT_BREAKER_ORIGIN,
  ATTR_AGENTRACE_CIRCUIT_BREAKER_STATE,
} from './semconv.js';

const instrumented = new WeakSet<CircuitBreaker>();

/**
 * Reports a breaker's transitions (`agentrace.circuit_breaker.transitions`) and current state
 * (`agentrace.circuit_breaker.state`) once per breaker, however many sessions share it, so a transition is
 * counted once. Span events for transitions are added per session (each trace shows what its agent saw).
 */
export function observeBreakerTelemetry(breaker: CircuitBreaker, meterProvider?: MeterProvider): void {
  if (instrumented.has(breaker)) return;
  instrumented.add(breaker);
  observeBreakerState(breaker);
  breaker.onStateChange((change) =>
    guard('breaker transition metric', () =>
      instrumentsFor(meterProvider).breakerTransitions.add(1, {
        [ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME]: change.name,
        [ATTR_AGENTRACE_CIRCUIT_BREAKER_FROM]: change.from,
        [ATTR_AGENTRACE_CIRCUIT_BREAKER_STATE]: change.to,
        // Every process reports a fleet transition; filtering on origin="local" counts each once.
        ...(change.shared && { [ATTR_AGENTRACE_CIRCUIT_BREAKER_ORIGIN]: change.origin }),
      }),
    ),
  );
}
