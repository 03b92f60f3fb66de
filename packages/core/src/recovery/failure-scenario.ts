import { ValidationError } from '@agentrace/pricing';
import { isOneOf, type ValueOf } from '../common/wire.js';
import { AgentFailureClass } from '../lifecycle/event-names.js';

/**
 * What went wrong, in terms of how to recover from it. Each scenario has a recovery recipe
 * (`recipeFor`). The reference's seven scenarios, plus `rate_limit`: agentrace keeps a structured rate
 * limit (HTTP 429, a provider's rate-limit error type) apart from other model errors because it has its
 * own cure (wait as long as the provider asks, then switch provider).
 *
 * @example
 * ```ts
 * if (classifyError(err) === FailureScenario.RATE_LIMIT) await sleep(retryAfterMs(err) ?? 1_000);
 * ```
 */
export const FailureScenario = {
  LLM_TIMEOUT: 'llm_timeout',
  LLM_ERROR: 'llm_error',
  TOOL_EXECUTION_ERROR: 'tool_execution_error',
  CONTEXT_OVERFLOW: 'context_overflow',
  DEPENDENCY_TIMEOUT: 'dependency_timeout',
  MEMORY_CORRUPTION: 'memory_corruption',
  PROVIDER_FAILURE: 'provider_failure',
  // agentrace addition
  RATE_LIMIT: 'rate_limit',
} as const;
export type FailureScenario = ValueOf<typeof FailureScenario>;

const FAILURE_CLASS_BY_SCENARIO: Readonly<Record<FailureScenario, AgentFailureClass>> = {
  llm_timeout: AgentFailureClass.LLM_TIMEOUT,
  llm_error: AgentFailureClass.LLM_ERROR,
  tool_execution_error: AgentFailureClass.TOOL_ERROR,
  context_overflow: AgentFailureClass.CONTEXT_OVERFLOW,
  dependency_timeout: AgentFailureClass.DEPENDENCY_FAILED,
  memory_corruption: AgentFailureClass.MEMORY_CORRUPTION,
  // A provider that is down is, from the agent's point of view, a failed dependency.
  provider_failure: AgentFailureClass.DEPENDENCY_FAILED,
  rate_limit: AgentFailureClass.RATE_LIMIT,
};

/**
 * The failure class recorded on a failed event (and on `error.type`) for a scenario:
 * `tool_execution_error` → `tool_error`, `dependency_timeout` and `provider_failure` → `dependency_failed`,
 * `rate_limit` → `rate_limit`, the others to the class of the same name.
 *
 * @throws {ValidationError} `scenario` is not a {@link FailureScenario}.
 * @example
 * ```ts
 * failureClassFor(FailureScenario.PROVIDER_FAILURE); // 'dependency_failed'
 * ```
 */
export function failureClassFor(scenario: FailureScenario): AgentFailureClass {
  return FAILURE_CLASS_BY_SCENARIO[assertScenario(scenario)];
}

/**
 * Returns `scenario` if it is a {@link FailureScenario}, so a value from JSON or a user can be checked once.
 *
 * @throws {ValidationError} naming `field` (default `scenario`) otherwise.
 */
export function assertScenario(scenario: unknown, field = 'scenario'): FailureScenario {
  if (!isOneOf(FailureScenario, scenario)) {
    throw new ValidationError({
      field,
      value: scenario,
      expected: `one of ${Object.values(FailureScenario).join(', ')}`,
    });
  }
  return scenario;
}
