import { UsageSnapshot } from '../usage/usage-snapshot.js';
import { ProviderName } from './provider-name.js';
import { count, get, minus, outputWithReasoning, pluck, reasons, text, usageObject } from './read.js';
import { compact, type ResponseFacts, ResponseShape, type UsageFacts } from './response-facts.js';

/** The `usage` of an OpenAI Chat Completions response, as far as agentrace reads it. */
export interface OpenAIChatUsageLike {
  /** Input tokens, cached ones INCLUDED. */
  readonly prompt_tokens?: number | null;
  /** Output tokens, reasoning tokens included. */
  readonly completion_tokens?: number | null;
  readonly total_tokens?: number | null;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number | null } | null;
  readonly completion_tokens_details?: { readonly reasoning_tokens?: number | null } | null;
  /** DeepSeek's name for cached input tokens, in its otherwise OpenAI-shaped usage. */
  readonly prompt_cache_hit_tokens?: number | null;
}

/** An OpenAI Chat Completions response (`chat.completion`), structurally; the `openai` package's `ChatCompletion` fits. */
export interface OpenAIChatCompletionLike {
  readonly id?: string;
  /** `chat.completion`, or `chat.completion.chunk` for the final streamed chunk that carries usage. */
  readonly object?: string;
  readonly model?: string;
  readonly choices?: ReadonlyArray<{ readonly finish_reason?: string | null }>;
  readonly usage?: OpenAIChatUsageLike | null;
}

/** The `usage` of an OpenAI Responses API response. */
export interface OpenAIResponsesUsageLike {
  /** Input tokens, cached ones INCLUDED. */
  readonly input_tokens?: number | null;
  /** Output tokens, reasoning tokens included. */
  readonly output_tokens?: number | null;
  readonly total_tokens?: number | null;
  readonly input_tokens_details?: { readonly cached_tokens?: number | null } | null;
  readonly output_tokens_details?: { readonly reasoning_tokens?: number | null } | null;
}

/** An OpenAI Responses API response (`object: 'response'`), structurally; the `openai` package's `Response` fits. */
export interface OpenAIResponseLike {
  readonly id?: string;
  readonly object?: string;
  readonly model?: string;
  /** `completed`, `incomplete`, `failed`, `cancelled`, `in_progress`, `queued`. */
  readonly status?: string | null;
  readonly incomplete_details?: { readonly reason?: string | null } | null;
  readonly usage?: OpenAIResponsesUsageLike | null;
}

/**
 * Maps an OpenAI Chat Completions `usage` onto agentrace's usage: `prompt_tokens` includes the cached
 * tokens, so plain input = `prompt_tokens − prompt_tokens_details.cached_tokens`; cache read = the cached
 * tokens (DeepSeek's `prompt_cache_hit_tokens` when there are no details); no cache writes (OpenAI does not
 * bill them); output = `completion_tokens` (reasoning included); reasoning =
 * `completion_tokens_details.reasoning_tokens`.
 *
 * @throws {ValidationError} a count is not a non-negative safe integer, or the cached tokens exceed the
 *   prompt tokens; `field` names it (`usage.prompt_tokens_details.cached_tokens`, …).
 * @example
 * ```ts
 * openAIChatUsage({ prompt_tokens: 1200, completion_tokens: 80, prompt_tokens_details: { cached_tokens: 1024 } })
 *   .usage.toDict(); // { input_tokens: 176, output_tokens: 80, cache_write_tokens: 0, cache_read_tokens: 1024 }
 * ```
 */
export function openAIChatUsage(usage: OpenAIChatUsageLike): UsageFacts {
  const u: unknown = usage;
  const prompt = count(get(u, 'prompt_tokens'), 'usage.prompt_tokens') ?? 0;
  const cachedField = 'usage.prompt_tokens_details.cached_tokens';
  const cached =
    count(get(get(u, 'prompt_tokens_details'), 'cached_tokens'), cachedField) ??
    count(get(u, 'prompt_cache_hit_tokens'), 'usage.prompt_cache_hit_tokens') ??
    0;
  const completion = count(get(u, 'completion_tokens'), 'usage.completion_tokens') ?? 0;
  const reasoning = count(
    get(get(u, 'completion_tokens_details'), 'reasoning_tokens'),
    'usage.completion_tokens_details.reasoning_tokens',
  );
  const total = count(get(u, 'total_tokens'), 'usage.total_tokens');
  return compact({
    usage: new UsageSnapshot({
      inputTokens: minus(prompt, cached, { total: 'usage.prompt_tokens', part: cachedField }),
      cacheReadTokens: cached,
      outputTokens: outputWithReasoning(completion, reasoning, { input: prompt, total }),
    }),
    reasoningTokens: reasoning,
  });
}

/**
 * Reads an OpenAI Chat Completions response (`chat.completion`, or the final `chat.completion.chunk` of a
 * stream run with `stream_options: { include_usage: true }`): usage as {@link openAIChatUsage}, `model`,
 * `id`, and each choice's `finish_reason`. Provider `openai`.
 *
 * @throws {ValidationError} `usage` is missing (`field: 'usage'`) or a count is invalid.
 * @example
 * ```ts
 * const completion = await client.chat.completions.create({ model: 'gpt-4o', messages });
 * const { usage, responseModel, finishReasons } = readOpenAIChatCompletion(completion);
 * ```
 */
export function readOpenAIChatCompletion(body: OpenAIChatCompletionLike): ResponseFacts {
  const facts = openAIChatUsage(usageObject(body, 'usage'));
  return compact({
    shape: ResponseShape.OPENAI_CHAT_COMPLETION,
    provider: ProviderName.OPENAI,
    ...facts,
    responseModel: text(get(body, 'model')),
    responseId: text(get(body, 'id')),
    finishReasons: reasons(pluck(get(body, 'choices'), 'finish_reason')),
  });
}

/**
 * Maps an OpenAI Responses API `usage`: `input_tokens` includes the cached tokens, so plain input =
 * `input_tokens − input_tokens_details.cached_tokens`; cache read = the cached tokens; output =
 * `output_tokens` (reasoning included); reasoning = `output_tokens_details.reasoning_tokens`.
 *
 * @throws {ValidationError} a count is invalid, or the cached tokens exceed the input tokens; `field` names it.
 */
export function openAIResponsesUsage(usage: OpenAIResponsesUsageLike): UsageFacts {
  const u: unknown = usage;
  const input = count(get(u, 'input_tokens'), 'usage.input_tokens') ?? 0;
  const cachedField = 'usage.input_tokens_details.cached_tokens';
  const cached = count(get(get(u, 'input_tokens_details'), 'cached_tokens'), cachedField) ?? 0;
  const output = count(get(u, 'output_tokens'), 'usage.output_tokens') ?? 0;
  const reasoning = count(
    get(get(u, 'output_tokens_details'), 'reasoning_tokens'),
    'usage.output_tokens_details.reasoning_tokens',
  );
  const total = count(get(u, 'total_tokens'), 'usage.total_tokens');
  return compact({
    usage: new UsageSnapshot({
      inputTokens: minus(input, cached, { total: 'usage.input_tokens', part: cachedField }),
      cacheReadTokens: cached,
      outputTokens: outputWithReasoning(output, reasoning, { input, total }),
    }),
    reasoningTokens: reasoning,
  });
}

/**
 * Reads an OpenAI Responses API response (`object: 'response'`): usage as {@link openAIResponsesUsage},
 * `model`, `id`, and as finish reason the `incomplete_details.reason` of an incomplete response
 * (`max_output_tokens`, `content_filter`) or else its `status` (`completed`, `failed`, …): the Responses API
 * has no finish reason of its own. Provider `openai`.
 *
 * @throws {ValidationError} `usage` is missing or a count is invalid.
 */
export function readOpenAIResponse(body: OpenAIResponseLike): ResponseFacts {
  const facts = openAIResponsesUsage(usageObject(body, 'usage'));
  const reason = get(get(body, 'incomplete_details'), 'reason') ?? get(body, 'status');
  return compact({
    shape: ResponseShape.OPENAI_RESPONSE,
    provider: ProviderName.OPENAI,
    ...facts,
    responseModel: text(get(body, 'model')),
    responseId: text(get(body, 'id')),
    finishReasons: reasons([reason]),
  });
}

const CHAT_OBJECTS = new Set(['chat.completion', 'chat.completion.chunk', 'text_completion']);

/**
 * Whether `value` is shaped as a Chat Completions response: its `object` says so, or (servers that leave
 * `object` out) it has `choices` and a usage with `prompt_tokens`.
 *
 * @internal
 */
export function isOpenAIChatCompletion(value: unknown): boolean {
  const object = get(value, 'object');
  if (typeof object === 'string') return CHAT_OBJECTS.has(object);
  return Array.isArray(get(value, 'choices')) && get(get(value, 'usage'), 'prompt_tokens') !== undefined;
}

/** Whether `value` is shaped as a Responses API response. @internal */
export function isOpenAIResponse(value: unknown): boolean {
  return get(value, 'object') === 'response';
}
