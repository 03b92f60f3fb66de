import type { ValueOf } from '../common/wire.js';

/**
 * Names of agent events (dotted strings, the reference's wire values). agentrace adds names
 * (`agent.circuit.*`, `agent.budget.exceeded`, `agent.handoff`, …) and never renames these.
 */
export const AgentEventName = {
  AGENT_STARTED: 'agent.started',
  AGENT_READY: 'agent.ready',
  AGENT_BLOCKED: 'agent.blocked',
  AGENT_TOOL_CALLED: 'agent.tool_called',
  AGENT_TOOL_COMPLETED: 'agent.tool_completed',
  AGENT_COMPLETED: 'agent.completed',
  AGENT_FAILED: 'agent.failed',
  PHASE_STARTED: 'phase.started',
  PHASE_COMPLETED: 'phase.completed',
  PHASE_GATE_EVALUATED: 'phase.gate_evaluated',
  PHASE_GATE_PASSED: 'phase.gate_passed',
  PHASE_GATE_FAILED: 'phase.gate_failed',
  RECOVERY_ATTEMPTED: 'agent.recovery.attempted',
  RECOVERY_SUCCEEDED: 'agent.recovery.succeeded',
  RECOVERY_FAILED: 'agent.recovery.failed',
  RECOVERY_ESCALATED: 'agent.recovery.escalated',
  RECOVERY_PROVIDER_SWITCHED: 'agent.recovery.provider_switched',
  HOOK_PRE_TOOL: 'hook.pre_tool',
  HOOK_POST_TOOL: 'hook.post_tool',
  // agentrace additions
  AGENT_CANCELLED: 'agent.cancelled',
  AGENT_WAITING_FOR_INPUT: 'agent.waiting_for_input',
  AGENT_HANDOFF: 'agent.handoff',
  CIRCUIT_OPENED: 'agent.circuit.opened',
  CIRCUIT_HALF_OPENED: 'agent.circuit.half_opened',
  CIRCUIT_CLOSED: 'agent.circuit.closed',
  BUDGET_EXCEEDED: 'agent.budget.exceeded',
  PERMISSION_DENIED: 'agent.permission.denied',
  GUARDRAIL_BLOCKED: 'agent.guardrail.blocked',
} as const;
export type AgentEventName = ValueOf<typeof AgentEventName>;

/** Status carried by an event. */
export const AgentEventStatus = {
  RUNNING: 'running',
  READY: 'ready',
  BLOCKED: 'blocked',
  GREEN: 'green',
  RED: 'red',
  COMPLETED: 'completed',
  FAILED: 'failed',
} as const;
export type AgentEventStatus = ValueOf<typeof AgentEventStatus>;

/** Class of a failure, as recorded on a failed event and on `error.type`. */
export const AgentFailureClass = {
  LLM_TIMEOUT: 'llm_timeout',
  LLM_ERROR: 'llm_error',
  TOOL_ERROR: 'tool_error',
  CONTEXT_OVERFLOW: 'context_overflow',
  RATE_LIMIT: 'rate_limit',
  DEPENDENCY_FAILED: 'dependency_failed',
  MEMORY_CORRUPTION: 'memory_corruption',
  VALIDATION_ERROR: 'validation_error',
  PROMPT_REJECTION: 'prompt_rejection',
  UNKNOWN: 'unknown',
} as const;
export type AgentFailureClass = ValueOf<typeof AgentFailureClass>;
