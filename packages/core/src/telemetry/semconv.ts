/**
 * Every telemetry name agentrace emits, in one place.
 *
 * `gen_ai.*` names are copied from `@opentelemetry/semantic-conventions` 1.45.0 (its `/incubating` entry point,
 * GenAI conventions status "Development", now maintained in open-telemetry/semantic-conventions-genai).
 * The package's README advises libraries not to import `/incubating` at run time, because unstable names can
 * change in a minor release; copying pins what we emit. Stable names (`error.type`, `server.*`, `exception.*`)
 * are imported from the package's main entry wherever they are used.
 *
 * `agentrace.*` names are agentrace's own, for what the conventions do not cover (cost, recovery, circuit
 * breakers, budgets, permissions, guardrails, handoffs, policy). Each is documented in the table in
 * packages/core/README.md; they are shaped so that a future convention can be adopted by renaming.
 */

/** The GenAI semantic-convention generation these names follow. */
export const GEN_AI_SEMCONV_VERSION = '@opentelemetry/semantic-conventions@1.45.0 (incubating)';

// --- gen_ai.* attributes (Development) ---
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
/** How many candidate completions were asked for (set only when not 1). */
export const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';
/** The encoding formats an embeddings request asked for, when it named one (`float`, `base64`). */
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = 'gen_ai.request.encoding_formats';
/** The output modality the request asked for (its response format), not the format of what came back. */
export const ATTR_GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_AGENT_DESCRIPTION = 'gen_ai.agent.description';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_WORKFLOW_NAME = 'gen_ai.workflow.name';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const ATTR_GEN_AI_TOOL_DESCRIPTION = 'gen_ai.tool.description';
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const ATTR_GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions';
export const ATTR_GEN_AI_EVALUATION_NAME = 'gen_ai.evaluation.name';
export const ATTR_GEN_AI_EVALUATION_SCORE_VALUE = 'gen_ai.evaluation.score.value';
export const ATTR_GEN_AI_EVALUATION_SCORE_LABEL = 'gen_ai.evaluation.score.label';
export const ATTR_GEN_AI_EVALUATION_EXPLANATION = 'gen_ai.evaluation.explanation';

// --- gen_ai.* values ---
export const GEN_AI_OPERATION_NAME_VALUE_CHAT = 'chat';
export const GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT = 'invoke_agent';
export const GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW = 'invoke_workflow';
export const GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = 'execute_tool';
export const GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS = 'embeddings';
export const GEN_AI_OUTPUT_TYPE_VALUE_TEXT = 'text';
export const GEN_AI_OUTPUT_TYPE_VALUE_JSON = 'json';
export const GEN_AI_OUTPUT_TYPE_VALUE_IMAGE = 'image';
export const GEN_AI_OUTPUT_TYPE_VALUE_SPEECH = 'speech';
export const GEN_AI_TOKEN_TYPE_VALUE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_VALUE_OUTPUT = 'output';
export const GEN_AI_TOOL_TYPE_VALUE_FUNCTION = 'function';

// --- gen_ai.* events and metrics ---
export const EVENT_GEN_AI_EVALUATION_RESULT = 'gen_ai.evaluation.result';
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK =
  'gen_ai.client.operation.time_to_first_chunk';

/** Explicit bucket boundaries the GenAI conventions give for `gen_ai.client.token.usage`. */
export const GEN_AI_TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** Explicit bucket boundaries (seconds) the GenAI conventions give for operation durations. */
export const GEN_AI_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

// --- agentrace.* span event names (agent events use their AgentEventName as the span event name) ---
export const EVENT_AGENTRACE_LIFECYCLE_TRANSITION = 'agentrace.lifecycle.transition';
export const EVENT_AGENTRACE_POLICY_EVALUATED = 'agentrace.policy.evaluated';
export const EVENT_AGENTRACE_USAGE_UNDETECTED = 'agentrace.usage.undetected';

// --- the reference's agent.* event attributes (kept for dashboards built on the reference) ---
export const ATTR_AGENT_EVENT = 'agent.event';
export const ATTR_AGENT_EVENT_STATUS = 'agent.event.status';
export const ATTR_AGENT_EVENT_TIMESTAMP = 'agent.event.timestamp';
export const ATTR_AGENT_ROLE = 'agent.role';
export const ATTR_AGENT_PHASE = 'agent.phase';
export const ATTR_AGENT_PROJECT_ID = 'agent.project_id';
export const ATTR_AGENT_FAILURE_CLASS = 'agent.failure_class';
export const ATTR_AGENT_DETAIL = 'agent.detail';

// --- agentrace.* span and event attributes ---
export const ATTR_AGENTRACE_PHASE = 'agentrace.phase';
export const ATTR_AGENTRACE_PROJECT_ID = 'agentrace.project.id';
export const ATTR_AGENTRACE_WORKER_ID = 'agentrace.worker.id';
export const ATTR_AGENTRACE_SESSION_STATUS = 'agentrace.session.status';
export const ATTR_AGENTRACE_LIFECYCLE_FROM = 'agentrace.lifecycle.from';
export const ATTR_AGENTRACE_LIFECYCLE_TO = 'agentrace.lifecycle.to';
export const ATTR_AGENTRACE_TURN_NUMBER = 'agentrace.turn.number';
export const ATTR_AGENTRACE_USAGE_COST = 'agentrace.usage.cost';
export const ATTR_AGENTRACE_COST_SOURCE = 'agentrace.cost.source';
export const ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS = 'agentrace.usage.plain_input_tokens';
export const ATTR_AGENTRACE_RECOVERY_SCENARIO = 'agentrace.recovery.scenario';
export const ATTR_AGENTRACE_RECOVERY_OUTCOME = 'agentrace.recovery.outcome';
export const ATTR_AGENTRACE_RECOVERY_STEPS = 'agentrace.recovery.steps';
export const ATTR_AGENTRACE_RECOVERY_EVENT_TYPE = 'agentrace.recovery.event_type';
export const ATTR_AGENTRACE_RECOVERY_ATTEMPT = 'agentrace.recovery.attempt';
export const ATTR_AGENTRACE_RECOVERY_REASON = 'agentrace.recovery.reason';
export const ATTR_AGENTRACE_RECOVERY_STEP = 'agentrace.recovery.step';
export const ATTR_AGENTRACE_RECOVERY_BACKOFF_MS = 'agentrace.recovery.backoff_ms';
export const ATTR_AGENTRACE_RECOVERY_SKIPPED_STEPS = 'agentrace.recovery.skipped_steps';
export const ATTR_AGENTRACE_RECOVERY_ESCALATION_POLICY = 'agentrace.recovery.escalation_policy';
export const ATTR_AGENTRACE_RECOVERY_FROM_PROVIDER = 'agentrace.recovery.from_provider';
export const ATTR_AGENTRACE_RECOVERY_FROM_MODEL = 'agentrace.recovery.from_model';
export const ATTR_AGENTRACE_CONTEXT_BUDGET = 'agentrace.context.budget';
export const ATTR_AGENTRACE_TURN_ATTEMPTS = 'agentrace.turn.attempts';
export const ATTR_AGENTRACE_TURN_OUTCOME = 'agentrace.turn.outcome';
export const ATTR_AGENTRACE_STREAM_OUTCOME = 'agentrace.stream.outcome';
/** The content attributes (`gen_ai.input.messages`, …) that were cut to the content length limit. */
export const ATTR_AGENTRACE_CONTENT_TRUNCATED = 'agentrace.content.truncated';
export const ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME = 'agentrace.circuit_breaker.name';
export const ATTR_AGENTRACE_CIRCUIT_BREAKER_STATE = 'agentrace.circuit_breaker.state';
export const ATTR_AGENTRACE_CIRCUIT_BREAKER_FROM = 'agentrace.circuit_breaker.from_state';
export const ATTR_AGENTRACE_BUDGET_USD = 'agentrace.budget.usd';
export const ATTR_AGENTRACE_BUDGET_SPENT_USD = 'agentrace.budget.spent_usd';
export const ATTR_AGENTRACE_BUDGET_ENFORCED = 'agentrace.budget.enforced';
export const ATTR_AGENTRACE_PERMISSION_ALLOWED = 'agentrace.permission.allowed';
export const ATTR_AGENTRACE_PERMISSION_REASON = 'agentrace.permission.reason';
export const ATTR_AGENTRACE_PERMISSION_ACTIVE_MODE = 'agentrace.permission.active_mode';
export const ATTR_AGENTRACE_PERMISSION_REQUIRED_MODE = 'agentrace.permission.required_mode';
export const ATTR_AGENTRACE_GUARDRAIL_NAME = 'agentrace.guardrail.name';
export const ATTR_AGENTRACE_GUARDRAIL_STAGE = 'agentrace.guardrail.stage';
export const ATTR_AGENTRACE_GUARDRAIL_REASON = 'agentrace.guardrail.reason';
export const ATTR_AGENTRACE_TOOL_OUTCOME = 'agentrace.tool.outcome';
export const ATTR_AGENTRACE_HANDOFF_SOURCE = 'agentrace.handoff.source_agent';
export const ATTR_AGENTRACE_HANDOFF_TARGET = 'agentrace.handoff.target_agent';
export const ATTR_AGENTRACE_HANDOFF_REASON = 'agentrace.handoff.reason';
export const ATTR_AGENTRACE_HANDOFF_TARGET_WORKER_ID = 'agentrace.handoff.target_worker_id';
export const ATTR_AGENTRACE_GATE_REQUIRED_LEVEL = 'agentrace.gate.required_level';
export const ATTR_AGENTRACE_GATE_OBSERVED_LEVEL = 'agentrace.gate.observed_level';
export const ATTR_AGENTRACE_POLICY_ACTIONS = 'agentrace.policy.actions';
export const ATTR_AGENTRACE_INPUT_PROMPT = 'agentrace.input.prompt';
export const ATTR_AGENTRACE_CANCELLED = 'agentrace.cancelled';
export const ATTR_AGENTRACE_LINK_TYPE = 'agentrace.link.type';

// --- error.type values agentrace sets besides failure scenarios and exception type names ---
export const ERROR_TYPE_VALUE_CIRCUIT_OPEN = 'circuit_open';
export const ERROR_TYPE_VALUE_PERMISSION_DENIED = 'permission_denied';
export const ERROR_TYPE_VALUE_GUARDRAIL = 'guardrail_violated';
export const ERROR_TYPE_VALUE_USAGE = 'invalid_usage';

// --- agentrace.* metrics ---
export const METRIC_AGENTRACE_COST = 'agentrace.cost';
export const METRIC_AGENTRACE_RECOVERY_ATTEMPTS = 'agentrace.recovery.attempts';
export const METRIC_AGENTRACE_CIRCUIT_BREAKER_STATE = 'agentrace.circuit_breaker.state';
export const METRIC_AGENTRACE_CIRCUIT_BREAKER_TRANSITIONS = 'agentrace.circuit_breaker.transitions';
export const METRIC_AGENTRACE_SESSIONS = 'agentrace.sessions';
export const METRIC_AGENTRACE_TOOL_CALLS = 'agentrace.tool.calls';
export const METRIC_AGENTRACE_TOOL_DURATION = 'agentrace.tool.duration';
/**
 * Duration of a whole turn: every attempt, the backoff between them and the failovers. Its own name because
 * `gen_ai.client.operation.duration` is, by the conventions, one model call (one attempt).
 */
export const METRIC_AGENTRACE_TURN_DURATION = 'agentrace.turn.duration';
export const METRIC_AGENTRACE_BUDGET_EXCEEDED = 'agentrace.budget.exceeded';

// --- shared state: fleet-wide breakers, budgets and rate limits (state stores, @agentrace/redis) ---
/** Whether a breaker transition was decided on state shared through a store (fleet-wide). */
export const ATTR_AGENTRACE_CIRCUIT_BREAKER_SHARED = 'agentrace.circuit_breaker.shared';
/** Of a shared breaker's transition: `local` (this process made it) or `remote` (another process did). */
export const ATTR_AGENTRACE_CIRCUIT_BREAKER_ORIGIN = 'agentrace.circuit_breaker.origin';
export const ATTR_AGENTRACE_BUDGET_NAME = 'agentrace.budget.name';
export const ATTR_AGENTRACE_BUDGET_KEY = 'agentrace.budget.key';
export const ATTR_AGENTRACE_BUDGET_RESERVED_USD = 'agentrace.budget.reserved_usd';
export const ATTR_AGENTRACE_BUDGET_IN_FLIGHT_USD = 'agentrace.budget.in_flight_usd';
export const ATTR_AGENTRACE_BUDGET_OUTCOME = 'agentrace.budget.outcome';
export const ATTR_AGENTRACE_RATE_LIMIT_NAME = 'agentrace.rate_limit.name';
export const ATTR_AGENTRACE_RATE_LIMIT_OUTCOME = 'agentrace.rate_limit.outcome';
export const ATTR_AGENTRACE_RATE_LIMIT_WAIT_MS = 'agentrace.rate_limit.wait_ms';
export const ATTR_AGENTRACE_RATE_LIMIT_RETRY_AFTER_MS = 'agentrace.rate_limit.retry_after_ms';
export const ATTR_AGENTRACE_RATE_LIMIT_LIMIT = 'agentrace.rate_limit.limit';
export const ATTR_AGENTRACE_RATE_LIMIT_TOKENS = 'agentrace.rate_limit.tokens';
export const ATTR_AGENTRACE_STATE_STORE_KIND = 'agentrace.state_store.kind';
export const ATTR_AGENTRACE_STATE_STORE_CONSUMER = 'agentrace.state_store.consumer';
export const ATTR_AGENTRACE_STATE_STORE_POLICY = 'agentrace.state_store.policy';
export const EVENT_AGENTRACE_BUDGET_RESERVED = 'agentrace.budget.reserved';
export const EVENT_AGENTRACE_BUDGET_REFUSED = 'agentrace.budget.refused';
export const EVENT_AGENTRACE_RATE_LIMIT_DELAYED = 'agentrace.rate_limit.delayed';
export const EVENT_AGENTRACE_RATE_LIMIT_REJECTED = 'agentrace.rate_limit.rejected';
export const EVENT_AGENTRACE_STATE_STORE_UNAVAILABLE = 'agentrace.state_store.unavailable';
export const METRIC_AGENTRACE_BUDGET_DECISIONS = 'agentrace.budget.decisions';
export const METRIC_AGENTRACE_BUDGET_RECONCILED = 'agentrace.budget.reconciled';
export const METRIC_AGENTRACE_RATE_LIMIT_DECISIONS = 'agentrace.rate_limit.decisions';
export const METRIC_AGENTRACE_RATE_LIMIT_WAIT = 'agentrace.rate_limit.wait';
export const METRIC_AGENTRACE_STATE_STORE_UNAVAILABLE = 'agentrace.state_store.unavailable';
/** Bucket boundaries (seconds) for `agentrace.rate_limit.wait`: most waits are short, a few reach the cap. */
export const RATE_LIMIT_WAIT_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

// --- mcp.* (Model Context Protocol, docs/gen-ai/mcp.md of semantic-conventions-genai, status Development) ---
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
export const ATTR_MCP_SESSION_ID = 'mcp.session.id';
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';
/** JSON-RPC names the MCP conventions use (registry `jsonrpc.*`, Development). */
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
export const ATTR_JSONRPC_PROTOCOL_VERSION = 'jsonrpc.protocol.version';
/** The JSON-RPC error code of an error response (registry `rpc.*`, Release Candidate). */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
/** `error.type` of a `tools/call` whose result says `isError: true`. */
export const ERROR_TYPE_VALUE_TOOL_ERROR = 'tool_error';
export const METRIC_MCP_CLIENT_OPERATION_DURATION = 'mcp.client.operation.duration';
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration';
export const METRIC_MCP_CLIENT_SESSION_DURATION = 'mcp.client.session.duration';
export const METRIC_MCP_SERVER_SESSION_DURATION = 'mcp.server.session.duration';
/** Explicit bucket boundaries (seconds) the MCP conventions give for all four MCP duration histograms. */
export const MCP_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
];
