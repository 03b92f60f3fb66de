import type { ValueOf } from '../common/wire.js';
import * as sc from '../telemetry/semconv.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';

/** The response shapes agentrace reads usage and response facts from. */
export const ResponseShape = {
  /** OpenAI Chat Completions: a `chat.completion` (or the final `chat.completion.chunk` carrying usage). */
  OPENAI_CHAT_COMPLETION: 'openai.chat_completion',
  /** OpenAI Responses: a `response` object. */
  OPENAI_RESPONSE: 'openai.response',
  /** Anthropic Messages: a `message` object. */
  ANTHROPIC_MESSAGE: 'anthropic.message',
  /** Google Gemini / Vertex AI `GenerateContentResponse`. */
  GEMINI_GENERATE_CONTENT: 'gemini.generate_content',
  /** Amazon Bedrock Converse output. */
  BEDROCK_CONVERSE: 'bedrock.converse',
  /** A Vercel AI SDK result: `generateText`/`generateObject`, or a model's `doGenerate` result. */
  AI_SDK_RESULT: 'ai_sdk.result',
  /** A Vercel AI SDK usage object on its own (`result.usage`, `result.totalUsage`). */
  AI_SDK_USAGE: 'ai_sdk.usage',
} as const;
export type ResponseShape = ValueOf<typeof ResponseShape>;

/** Anthropic's split of cache writes by time-to-live (1-hour writes cost more than 5-minute ones). */
export interface CacheWriteBreakdown {
  /** Tokens written with the default 5-minute TTL (`cache_creation.ephemeral_5m_input_tokens`). */
  readonly ephemeral5mTokens: number;
  /** Tokens written with the 1-hour TTL (`cache_creation.ephemeral_1h_input_tokens`). */
  readonly ephemeral1hTokens: number;
}

/** Token usage read from a provider's usage object. */
export interface UsageFacts {
  /** The usage, plain input EXCLUDING cache reads and writes (agentrace's and the reference's contract). */
  readonly usage: UsageSnapshot;
  /** Reasoning ("thinking") tokens, already counted in `usage.outputTokens`; absent when not reported. */
  readonly reasoningTokens?: number;
  /** Anthropic's cache writes by TTL, when the provider reported them. */
  readonly cacheWrite?: CacheWriteBreakdown;
}

/** What a provider response says about the call: usage plus the facts the model-call span records. */
export interface ResponseFacts extends UsageFacts {
  /** Which shape was read. */
  readonly shape: ResponseShape;
  /**
   * `gen_ai.provider.name` of the shape (`openai`, `anthropic`, `gcp.gemini`, `gcp.vertex_ai`, `aws.bedrock`,
   * …). A shape is not proof of a provider (many servers answer in OpenAI's shape), so a provider the caller
   * configured wins over this one. Absent when the shape does not tell (an AI SDK usage object alone).
   */
  readonly provider?: string;
  /** `gen_ai.response.model`: the model that answered (often a dated snapshot of the requested one). */
  readonly responseModel?: string;
  /** `gen_ai.response.id`. */
  readonly responseId?: string;
  /** `gen_ai.response.finish_reasons`, as the provider words them (`stop`, `end_turn`, `STOP`, …). */
  readonly finishReasons?: readonly string[];
}

/** Attribute values {@link responseAttributes} produces. */
export type ResponseAttributes = Record<string, string | number | string[]>;

/**
 * The model-call span attributes that {@link ResponseFacts} carry: `gen_ai.response.model`,
 * `gen_ai.response.id`, `gen_ai.response.finish_reasons` and `gen_ai.usage.reasoning.output_tokens`, each
 * only when known. Usage counts and the provider name are left to the session, which owns them.
 *
 * @example
 * ```ts
 * span.setAttributes(responseAttributes(detectResponse(completion)!));
 * ```
 */
export function responseAttributes(facts: Omit<ResponseFacts, 'shape' | 'usage'>): ResponseAttributes {
  const attributes: ResponseAttributes = {};
  if (facts.responseModel !== undefined) attributes[sc.ATTR_GEN_AI_RESPONSE_MODEL] = facts.responseModel;
  if (facts.responseId !== undefined) attributes[sc.ATTR_GEN_AI_RESPONSE_ID] = facts.responseId;
  if (facts.finishReasons !== undefined && facts.finishReasons.length > 0) {
    attributes[sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [...facts.finishReasons];
  }
  if (facts.reasoningTokens !== undefined) {
    attributes[sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = facts.reasoningTokens;
  }
  return attributes;
}

/** Builds facts without `undefined` members, so they compare and serialise cleanly. @internal */
export function compact<T extends object>(facts: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts)) if (value !== undefined) out[key] = value;
  return out as T;
}
