import { diag } from '@opentelemetry/api';

/**
 * Runs a telemetry side effect so that it can never break the agent: anything it throws is reported through
 * the OpenTelemetry `diag` logger and swallowed. Every span and metric call in agentrace goes through here.
 */
export function guard(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.warn(`agentrace: telemetry failed (${what}); the agent is unaffected`, err);
  }
}

/** Like {@link guard} for a call that returns a value, with a fallback when it throws. */
export function guarded<T>(what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (err) {
    diag.warn(`agentrace: telemetry failed (${what}); the agent is unaffected`, err);
    return fallback;
  }
}
