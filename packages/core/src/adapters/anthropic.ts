import { UsageSnapshot } from '../usage/usage-snapshot.js';
import { ProviderName } from './provider-name.js';
import { count, get, isObject, reasons, text, usageObject } from './read.js';
import {
  type CacheWriteBreakdown,
  compact,
  type ResponseFacts,
  ResponseShape,
  type UsageFacts,
} from './response-facts.js';

/** The `usage` of an Anthropic Messages response, as far as agentrace reads it. */
export interface AnthropicUsageLike {
  /** Input tokens after the last cache breakpoint: cache reads and writes EXCLUDED. */
  readonly input_tokens?: number | null;
  readonly output_tokens?: number | null;
  readonly cache_read_input_tokens?: number | null;
  readonly cache_creation_input_tokens?: number | null;
  /** Cache writes by TTL (`ephemeral_5m_input_tokens`, `ephemeral_1h_input_tokens`). */
  readonly cache_creation?: {
    readonly ephemeral_5m_input_tokens?: number | null;
    readonly ephemeral_1h_input_tokens?: number | null;
  } | null;
}

/** An Anthropic Messages response (`type: 'message'`), structurally; `@anthropic-ai/sdk`'s `Message` fits. */
export interface AnthropicMessageLike {
  readonly id?: string;
  readonly type?: string;
  readonly model?: string;
  /** `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, `pause_turn`, `refusal`, … */
  readonly stop_reason?: string | null;
  readonly usage?: AnthropicUsageLike | null;
}

/**
 * Maps an Anthropic Messages `usage`: `input_tokens` already EXCLUDES the cache, so plain input =
 * `input_tokens`; cache read = `cache_read_input_tokens`; cache write = `cache_creation_input_tokens` (or,
 * when only the split is given, `cache_creation.ephemeral_5m_input_tokens + ephemeral_1h_input_tokens`),
 * with the split kept as `cacheWrite` when present; output = `output_tokens` (extended thinking included:
 * Anthropic does not count it apart, so no reasoning count).
 *
 * @throws {ValidationError} a count is not a non-negative safe integer; `field` names it.
 * @example
 * ```ts
 * anthropicUsage({ input_tokens: 21, output_tokens: 393, cache_read_input_tokens: 1800 }).usage.totalTokens; // 2214
 * ```
 */
export function anthropicUsage(usage: AnthropicUsageLike): UsageFacts {
  const u: unknown = usage;
  const creation = get(u, 'cache_creation');
  let cacheWrite: CacheWriteBreakdown | undefined;
  if (isObject(creation)) {
    const fiveMinutes = count(
      get(creation, 'ephemeral_5m_input_tokens'),
      'usage.cache_creation.ephemeral_5m_input_tokens',
    );
    const oneHour = count(
      get(creation, 'ephemeral_1h_input_tokens'),
      'usage.cache_creation.ephemeral_1h_input_tokens',
    );
    if (fiveMinutes !== undefined || oneHour !== undefined) {
      cacheWrite = { ephemeral5mTokens: fiveMinutes ?? 0, ephemeral1hTokens: oneHour ?? 0 };
    }
  }
  const written =
    count(get(u, 'cache_creation_input_tokens'), 'usage.cache_creation_input_tokens') ??
    (cacheWrite ? cacheWrite.ephemeral5mTokens + cacheWrite.ephemeral1hTokens : 0);
  return compact({
    usage: new UsageSnapshot({
      inputTokens: count(get(u, 'input_tokens'), 'usage.input_tokens') ?? 0,
      outputTokens: count(get(u, 'output_tokens'), 'usage.output_tokens') ?? 0,
      cacheReadTokens: count(get(u, 'cache_read_input_tokens'), 'usage.cache_read_input_tokens') ?? 0,
      cacheWriteTokens: written,
    }),
    cacheWrite,
  });
}

/**
 * Reads an Anthropic Messages response: usage as {@link anthropicUsage}, `model`, `id` and `stop_reason`.
 * Provider `anthropic`.
 *
 * @throws {ValidationError} `usage` is missing or a count is invalid.
 * @example
 * ```ts
 * const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages });
 * readAnthropicMessage(message).finishReasons; // ['end_turn']
 * ```
 */
export function readAnthropicMessage(body: AnthropicMessageLike): ResponseFacts {
  return compact({
    shape: ResponseShape.ANTHROPIC_MESSAGE,
    provider: ProviderName.ANTHROPIC,
    ...anthropicUsage(usageObject(body, 'usage')),
    responseModel: text(get(body, 'model')),
    responseId: text(get(body, 'id')),
    finishReasons: reasons([get(body, 'stop_reason')]),
  });
}

/** Whether `value` is shaped as an Anthropic Messages response. @internal */
export function isAnthropicMessage(value: unknown): boolean {
  return get(value, 'type') === 'message';
}
