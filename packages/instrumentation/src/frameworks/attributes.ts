/**
 * agentrace's own attribute names for what an agent framework knows and the GenAI conventions do not name: the
 * framework's ids (kept so a trace can be matched with the framework's own records) and how a span ended.
 * Shaped like core's `agentrace.*` names (see packages/core/README.md).
 */

/** Which framework produced the span: `openai-agents` or `langchain`. */
export const ATTR_AGENTRACE_FRAMEWORK_NAME = 'agentrace.framework.name';
/** The framework's trace id (OpenAI Agents SDK `trace_…`) or root run id (LangChain). */
export const ATTR_AGENTRACE_FRAMEWORK_TRACE_ID = 'agentrace.framework.trace_id';
/** The framework's group id (OpenAI Agents SDK `groupId`: a conversation's traces share it). */
export const ATTR_AGENTRACE_FRAMEWORK_GROUP_ID = 'agentrace.framework.group_id';
/** The framework's id of this span (`span_…`) or run (a LangChain run id). */
export const ATTR_AGENTRACE_FRAMEWORK_SPAN_ID = 'agentrace.framework.span_id';
/** The framework's id of the parent span or run. */
export const ATTR_AGENTRACE_FRAMEWORK_PARENT_ID = 'agentrace.framework.parent_id';
/** The framework's own kind of span or run (`agent`, `response`, `chain`, `tool`, …). */
export const ATTR_AGENTRACE_FRAMEWORK_SPAN_TYPE = 'agentrace.framework.span_type';
/** Set on a span that the framework started and never ended, ended by agentrace after its timeout. */
export const ATTR_AGENTRACE_FRAMEWORK_ABANDONED = 'agentrace.framework.abandoned';
/** A guardrail's outcome: `passed` or `tripped` (its tripwire fired). */
export const ATTR_AGENTRACE_GUARDRAIL_OUTCOME = 'agentrace.guardrail.outcome';
/** `error.type` of a span ended by the timeout. */
export const ERROR_TYPE_VALUE_ABANDONED = 'span_abandoned';

/** Framework names, the values of {@link ATTR_AGENTRACE_FRAMEWORK_NAME}. */
export const FrameworkName = {
  OPENAI_AGENTS: 'openai-agents',
  LANGCHAIN: 'langchain',
} as const;
/** A framework name. */
export type FrameworkName = (typeof FrameworkName)[keyof typeof FrameworkName];

/** `gen_ai.operation.name` of a retriever run (the conventions' retrieval operation). */
export const GEN_AI_OPERATION_NAME_VALUE_RETRIEVAL = 'retrieval';
/** `gen_ai.data_source.id`: the retriever's name. */
export const ATTR_GEN_AI_DATA_SOURCE_ID = 'gen_ai.data_source.id';
