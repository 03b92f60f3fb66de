import { CircuitOpenError } from '../breaker/circuit-open-error.js';
import * as sc from '../telemetry/semconv.js';
import { classifyError } from './classify-error.js';
import { FailureScenario } from './failure-scenario.js';
import { TurnTimeoutError } from './turn-timeout-error.js';

/** `error.type` of a turn failure that was not classified by recovery. */
export function errorTypeFor(err: unknown): string {
  if (CircuitOpenError.isInstance(err)) return sc.ERROR_TYPE_VALUE_CIRCUIT_OPEN;
  if (TurnTimeoutError.isInstance(err)) return FailureScenario.LLM_TIMEOUT;
  return classifyError(err);
}
