import { UsageSnapshot } from '../usage/usage-snapshot.js';
import { ProviderName } from './provider-name.js';
import { count, get, isObject, reasons, usageObject } from './read.js';
import { compact, type ResponseFacts, ResponseShape, type UsageFacts } from './response-facts.js';

/** The `usage` of an Amazon Bedrock Converse response (`TokenUsage`). */
export interface BedrockUsageLike {
  /** Input tokens, cache reads and writes EXCLUDED. */
  readonly inputTokens?: number | null;
  readonly outputTokens?: number | null;
  readonly totalTokens?: number | null;
  readonly cacheReadInputTokens?: number | null;
  readonly cacheWriteInputTokens?: number | null;
}

/**
 * An Amazon Bedrock Converse response, structurally; `@aws-sdk/client-bedrock-runtime`'s
 * `ConverseCommandOutput` and the REST JSON fit.
 */
export interface BedrockConverseLike {
  /** `end_turn`, `tool_use`, `max_tokens`, `stop_sequence`, `guardrail_intervened`, `content_filtered`, … */
  readonly stopReason?: string;
  readonly output?: unknown;
  readonly usage?: BedrockUsageLike;
  readonly $metadata?: unknown;
}

/**
 * Maps a Bedrock Converse `usage`: `inputTokens` EXCLUDES the cache (Bedrock's `totalTokens` adds the cache
 * counts on top), so plain input = `inputTokens`; cache read = `cacheReadInputTokens`; cache write =
 * `cacheWriteInputTokens`; output = `outputTokens`.
 *
 * @throws {ValidationError} a count is not a non-negative safe integer; `field` names it.
 */
export function bedrockUsage(usage: BedrockUsageLike): UsageFacts {
  const u: unknown = usage;
  return {
    usage: new UsageSnapshot({
      inputTokens: count(get(u, 'inputTokens'), 'usage.inputTokens') ?? 0,
      outputTokens: count(get(u, 'outputTokens'), 'usage.outputTokens') ?? 0,
      cacheReadTokens: count(get(u, 'cacheReadInputTokens'), 'usage.cacheReadInputTokens') ?? 0,
      cacheWriteTokens: count(get(u, 'cacheWriteInputTokens'), 'usage.cacheWriteInputTokens') ?? 0,
    }),
  };
}

/**
 * Reads a Bedrock Converse response: usage as {@link bedrockUsage} and `stopReason`. Provider
 * `aws.bedrock`. Converse returns neither a model nor a response id (the request id in `$metadata` is the
 * HTTP request's), so those stay unset.
 *
 * @throws {ValidationError} `usage` is missing or a count is invalid.
 */
export function readBedrockConverse(body: BedrockConverseLike): ResponseFacts {
  return compact({
    shape: ResponseShape.BEDROCK_CONVERSE,
    provider: ProviderName.AWS_BEDROCK,
    ...bedrockUsage(usageObject(body, 'usage')),
    finishReasons: reasons([get(body, 'stopReason')]),
  });
}

/**
 * Whether `value` is shaped as a Converse response: a `stopReason`, a Converse `output`, or an AWS SDK
 * `$metadata`, and no AI SDK `finishReason` (an AI SDK result also has a camelCase `usage`).
 *
 * @internal
 */
export function isBedrockConverse(value: unknown): boolean {
  if (get(value, 'finishReason') !== undefined) return false;
  return (
    typeof get(value, 'stopReason') === 'string' ||
    isObject(get(get(value, 'output'), 'message')) ||
    isObject(get(value, '$metadata'))
  );
}
