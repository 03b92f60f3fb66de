import { ValidationError } from '@agentrace/pricing';
import { UsageSnapshot } from '../usage/usage-snapshot.js';
import { knownProviderFromAiSdk, ProviderName, providerNameFromAiSdk } from './provider-name.js';
import {
  count,
  get,
  hasKey,
  isObject,
  isThenable,
  minus,
  outputWithReasoning,
  reasons,
  text,
} from './read.js';
import { compact, type ResponseFacts, ResponseShape, type UsageFacts } from './response-facts.js';

/** Input tokens of a language model's own usage (`LanguageModelV3Usage`/`V4Usage`, what middleware sees). */
export interface AiSdkModelInputTokensLike {
  /** All input tokens, cache reads and writes INCLUDED. */
  readonly total?: number | undefined;
  readonly noCache?: number | undefined;
  readonly cacheRead?: number | undefined;
  readonly cacheWrite?: number | undefined;
}

/** Output tokens of a language model's own usage (`LanguageModelV3Usage`/`V4Usage`). */
export interface AiSdkModelOutputTokensLike {
  /** All output tokens, reasoning INCLUDED. */
  readonly total?: number | undefined;
  readonly text?: number | undefined;
  readonly reasoning?: number | undefined;
}

/**
 * A Vercel AI SDK usage object, structurally, in any of its current forms: `ai` 6/7's `LanguageModelUsage`
 * (totals plus `inputTokenDetails`/`outputTokenDetails`), `ai` 5's flat one (`cachedInputTokens`,
 * `reasoningTokens`), or a model's own `LanguageModelV3Usage`/`V4Usage` (`inputTokens.total`, …).
 */
export interface AiSdkUsageLike {
  readonly inputTokens?: number | AiSdkModelInputTokensLike | undefined;
  readonly outputTokens?: number | AiSdkModelOutputTokensLike | undefined;
  readonly totalTokens?: number | undefined;
  /** `ai` 5; deprecated in 6 for `outputTokenDetails.reasoningTokens`. */
  readonly reasoningTokens?: number | undefined;
  /** `ai` 5; deprecated in 6 for `inputTokenDetails.cacheReadTokens`. */
  readonly cachedInputTokens?: number | undefined;
  readonly inputTokenDetails?: {
    readonly noCacheTokens?: number | undefined;
    readonly cacheReadTokens?: number | undefined;
    readonly cacheWriteTokens?: number | undefined;
  };
  readonly outputTokenDetails?: {
    readonly textTokens?: number | undefined;
    readonly reasoningTokens?: number | undefined;
  };
}

/**
 * A Vercel AI SDK result, structurally: what `generateText` and `generateObject` return (`ai` 5–7), or a
 * language model's `doGenerate` result (where `finishReason` is `{ unified, raw }`).
 */
export interface AiSdkResultLike {
  /** The last step's usage (`generateText`), or the call's (`generateObject`, `doGenerate`). */
  readonly usage?: AiSdkUsageLike;
  /** The sum over every step of a `generateText` call: what the call cost. */
  readonly totalUsage?: AiSdkUsageLike;
  readonly finishReason?: string | { readonly unified?: string; readonly raw?: string | undefined };
  readonly response?: { readonly id?: string; readonly modelId?: string };
  readonly providerMetadata?: unknown;
  readonly steps?: ReadonlyArray<unknown>;
  readonly finalStep?: unknown;
}

/** Options of {@link aiSdkUsage} and {@link readAiSdkResult}. */
export interface AiSdkUsageOptions {
  /**
   * `gen_ai.provider.name` of the model behind the usage. Only the `ai` 5 flat shape needs it: there,
   * `inputTokens` includes cached tokens for most providers but EXCLUDES them for `anthropic` and
   * `aws.bedrock`.
   */
  provider?: string;
  /**
   * Cache-write tokens reported outside the usage object: `ai` 5 leaves them in `providerMetadata`
   * (`anthropic.cacheCreationInputTokens`, `bedrock.usage.cacheWriteInputTokens`). Only used with that shape.
   */
  cacheWriteTokens?: number;
}

const CACHE_EXCLUDED_PROVIDERS: ReadonlySet<string> = new Set([
  ProviderName.ANTHROPIC,
  ProviderName.AWS_BEDROCK,
]);

function modelUsage(u: unknown, field: string): UsageFacts {
  const input = get(u, 'inputTokens');
  const output = get(u, 'outputTokens');
  const total = count(get(input, 'total'), `${field}.inputTokens.total`) ?? 0;
  const noCache = count(get(input, 'noCache'), `${field}.inputTokens.noCache`);
  const cacheRead = count(get(input, 'cacheRead'), `${field}.inputTokens.cacheRead`) ?? 0;
  const cacheWrite = count(get(input, 'cacheWrite'), `${field}.inputTokens.cacheWrite`) ?? 0;
  const reasoning = count(get(output, 'reasoning'), `${field}.outputTokens.reasoning`);
  const textTokens = count(get(output, 'text'), `${field}.outputTokens.text`) ?? 0;
  return compact({
    usage: new UsageSnapshot({
      inputTokens:
        noCache ??
        minus(total, cacheRead + cacheWrite, {
          total: `${field}.inputTokens.total`,
          part: `${field}.inputTokens.cacheRead + cacheWrite`,
        }),
      cacheReadTokens: cacheRead,
      cacheWriteTokens: cacheWrite,
      outputTokens:
        count(get(output, 'total'), `${field}.outputTokens.total`) ?? textTokens + (reasoning ?? 0),
    }),
    reasoningTokens: reasoning,
  });
}

function detailedUsage(u: unknown, field: string): UsageFacts {
  const inDetails = get(u, 'inputTokenDetails');
  const outDetails = get(u, 'outputTokenDetails');
  const total = count(get(u, 'inputTokens'), `${field}.inputTokens`) ?? 0;
  const noCache = count(get(inDetails, 'noCacheTokens'), `${field}.inputTokenDetails.noCacheTokens`);
  const cacheRead =
    count(get(inDetails, 'cacheReadTokens'), `${field}.inputTokenDetails.cacheReadTokens`) ??
    count(get(u, 'cachedInputTokens'), `${field}.cachedInputTokens`) ??
    0;
  const cacheWrite =
    count(get(inDetails, 'cacheWriteTokens'), `${field}.inputTokenDetails.cacheWriteTokens`) ?? 0;
  const reasoning =
    count(get(outDetails, 'reasoningTokens'), `${field}.outputTokenDetails.reasoningTokens`) ??
    count(get(u, 'reasoningTokens'), `${field}.reasoningTokens`);
  const textTokens = count(get(outDetails, 'textTokens'), `${field}.outputTokenDetails.textTokens`) ?? 0;
  return compact({
    usage: new UsageSnapshot({
      inputTokens:
        noCache ??
        minus(total, cacheRead + cacheWrite, {
          total: `${field}.inputTokens`,
          part: `${field}.inputTokenDetails.cacheReadTokens + cacheWriteTokens`,
        }),
      cacheReadTokens: cacheRead,
      cacheWriteTokens: cacheWrite,
      outputTokens: count(get(u, 'outputTokens'), `${field}.outputTokens`) ?? textTokens + (reasoning ?? 0),
    }),
    reasoningTokens: reasoning,
  });
}

function flatUsage(u: unknown, field: string, opts: AiSdkUsageOptions): UsageFacts {
  const input = count(get(u, 'inputTokens'), `${field}.inputTokens`) ?? 0;
  const cached = count(get(u, 'cachedInputTokens'), `${field}.cachedInputTokens`) ?? 0;
  const output = count(get(u, 'outputTokens'), `${field}.outputTokens`) ?? 0;
  const reasoning = count(get(u, 'reasoningTokens'), `${field}.reasoningTokens`);
  const total = count(get(u, 'totalTokens'), `${field}.totalTokens`);
  // More cached than input tokens can only mean the input left them out.
  const excluded =
    (opts.provider !== undefined && CACHE_EXCLUDED_PROVIDERS.has(opts.provider)) || cached > input;
  return compact({
    usage: new UsageSnapshot({
      inputTokens: excluded ? input : input - cached,
      cacheReadTokens: cached,
      cacheWriteTokens: count(opts.cacheWriteTokens, 'cacheWriteTokens') ?? 0,
      outputTokens: outputWithReasoning(output, reasoning, { input, total }),
    }),
    reasoningTokens: reasoning,
  });
}

function usageFacts(usage: unknown, field: string, opts: AiSdkUsageOptions): UsageFacts {
  if (!isObject(usage) || Array.isArray(usage) || isThenable(usage)) {
    throw new ValidationError({
      field,
      value: usage,
      expected: isThenable(usage)
        ? 'a usage object, not a promise (a streamText result: await its totalUsage)'
        : 'an AI SDK usage object',
    });
  }
  if (isObject(get(usage, 'inputTokens')) || isObject(get(usage, 'outputTokens')))
    return modelUsage(usage, field);
  if (isObject(get(usage, 'inputTokenDetails')) || isObject(get(usage, 'outputTokenDetails'))) {
    return detailedUsage(usage, field);
  }
  return flatUsage(usage, field, opts);
}

/**
 * Maps a Vercel AI SDK usage object onto agentrace's usage, whichever form it has:
 *
 * - `ai` 6/7 `LanguageModelUsage`: `inputTokens` is the total, cache INCLUDED; plain input =
 *   `inputTokenDetails.noCacheTokens` (or the total minus cache reads and writes); cache read/write =
 *   `inputTokenDetails.cacheReadTokens`/`cacheWriteTokens`; output = `outputTokens`; reasoning =
 *   `outputTokenDetails.reasoningTokens`.
 * - a model's `LanguageModelV3Usage`/`V4Usage` (middleware): the same from `inputTokens.{total, noCache,
 *   cacheRead, cacheWrite}` and `outputTokens.{total, reasoning}`.
 * - `ai` 5's flat usage: plain input = `inputTokens − cachedInputTokens`, except for Anthropic and Bedrock
 *   (`opts.provider`), whose `inputTokens` already excludes the cache; cache read = `cachedInputTokens`;
 *   cache write = `opts.cacheWriteTokens`; reasoning = `reasoningTokens`, added to the output when
 *   `totalTokens` shows that `outputTokens` left it out (Gemini).
 *
 * @throws {ValidationError} `usage` is not an object (a promise from `streamText` included) or a count is
 *   invalid; `field` names it (`usage.inputTokenDetails.cacheReadTokens`, …).
 * @example
 * ```ts
 * const { totalUsage } = await generateText({ model, prompt });
 * aiSdkUsage(totalUsage).usage; // UsageSnapshot
 * ```
 */
export function aiSdkUsage(usage: AiSdkUsageLike, opts: AiSdkUsageOptions = {}): UsageFacts {
  return usageFacts(usage, 'usage', opts);
}

/** The provider of a result: the model of its final step (`ai` 7), else a known `providerMetadata` key. */
function providerOf(result: unknown): string | undefined {
  const steps = get(result, 'steps');
  const lastStep = Array.isArray(steps) ? steps.at(-1) : undefined;
  for (const step of [get(result, 'finalStep'), lastStep]) {
    const id = text(get(get(step, 'model'), 'provider'));
    if (id !== undefined) return providerNameFromAiSdk(id);
  }
  const metadata = get(result, 'providerMetadata');
  if (!isObject(metadata)) return undefined;
  for (const key of safeKeys(metadata)) {
    const name = knownProviderFromAiSdk(key);
    if (name !== undefined) return name;
  }
  return undefined;
}

function safeKeys(obj: object): string[] {
  try {
    return Object.keys(obj);
  } catch {
    return [];
  }
}

/**
 * `ai` 5's cache writes, which its flat usage leaves in `providerMetadata` (Anthropic's `cacheCreationInputTokens`,
 * Bedrock's `usage.cacheWriteInputTokens`); undefined when neither is there.
 *
 * @internal Shared with the stream accumulator.
 */
export function providerMetadataCacheWrites(metadata: unknown, field: string): number | undefined {
  return (
    count(
      get(get(metadata, 'anthropic'), 'cacheCreationInputTokens'),
      `${field}.anthropic.cacheCreationInputTokens`,
    ) ??
    count(
      get(get(get(metadata, 'bedrock'), 'usage'), 'cacheWriteInputTokens'),
      `${field}.bedrock.usage.cacheWriteInputTokens`,
    )
  );
}

/**
 * Reads a Vercel AI SDK result (`generateText`, `generateObject`, or a model's `doGenerate`): usage as
 * {@link aiSdkUsage} from `totalUsage` (every step of a multi-step call) or else `usage`; `response.modelId`,
 * `response.id`; `finishReason` (the unified one of a `doGenerate` result). The provider is
 * `opts.provider`, else the final step's model (`ai` 7), else the first known `providerMetadata` key;
 * absent when none tells.
 *
 * @throws {ValidationError} the usage is missing, a promise (a `streamText` result), or has an invalid count.
 * @example
 * ```ts
 * const result = await generateText({ model: openai('gpt-4o'), prompt });
 * readAiSdkResult(result).responseModel; // 'gpt-4o-2024-08-06'
 * ```
 */
export function readAiSdkResult(result: AiSdkResultLike, opts: AiSdkUsageOptions = {}): ResponseFacts {
  const key = isObject(get(result, 'totalUsage')) ? 'totalUsage' : 'usage';
  const provider = opts.provider ?? providerOf(result);
  let cacheWriteTokens = opts.cacheWriteTokens;
  if (cacheWriteTokens === undefined) {
    const steps = get(result, 'steps');
    cacheWriteTokens =
      key === 'totalUsage' && Array.isArray(steps)
        ? steps.reduce<number>(
            (sum, step, i) =>
              sum +
              (providerMetadataCacheWrites(get(step, 'providerMetadata'), `steps[${i}].providerMetadata`) ??
                0),
            0,
          )
        : (providerMetadataCacheWrites(get(result, 'providerMetadata'), 'providerMetadata') ?? 0);
  }
  const finishReason = get(result, 'finishReason');
  const response = get(result, 'response');
  return compact({
    shape: ResponseShape.AI_SDK_RESULT,
    provider,
    ...usageFacts(get(result, key), key, {
      ...(provider !== undefined && { provider }),
      cacheWriteTokens,
    }),
    responseModel: text(get(response, 'modelId')),
    responseId: text(get(response, 'id')),
    finishReasons: reasons([isObject(finishReason) ? get(finishReason, 'unified') : finishReason]),
  });
}

/**
 * Reads a Vercel AI SDK usage object on its own (see {@link aiSdkUsage}). The provider is `opts.provider`
 * when given; a usage object does not tell.
 *
 * @throws {ValidationError} a count is invalid.
 */
export function readAiSdkUsage(usage: AiSdkUsageLike, opts: AiSdkUsageOptions = {}): ResponseFacts {
  return compact({ shape: ResponseShape.AI_SDK_USAGE, provider: opts.provider, ...aiSdkUsage(usage, opts) });
}

/** Whether `value` looks like an AI SDK usage object: camelCase token counts, and not Bedrock's. @internal */
export function isAiSdkUsage(value: unknown): boolean {
  if (!isObject(value) || isThenable(value)) return false;
  if (!hasKey(value, 'inputTokens') && !hasKey(value, 'outputTokens')) return false;
  return !hasKey(value, 'cacheReadInputTokens') && !hasKey(value, 'cacheWriteInputTokens');
}

/**
 * Whether `value` looks like an AI SDK result: a usage (`totalUsage` or `usage`, possibly a promise when
 * streaming) beside a `finishReason`, a `response`, `steps` or `content`.
 *
 * @internal
 */
export function isAiSdkResult(value: unknown): boolean {
  const usage = get(value, 'totalUsage') ?? get(value, 'usage');
  if (!isAiSdkUsage(usage) && !isThenable(usage)) return false;
  return (
    get(value, 'finishReason') !== undefined ||
    isObject(get(value, 'response')) ||
    Array.isArray(get(value, 'steps')) ||
    Array.isArray(get(value, 'content'))
  );
}
