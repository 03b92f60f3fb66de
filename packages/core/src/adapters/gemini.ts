import { UsageSnapshot } from '../usage/usage-snapshot.js';
import { ProviderName } from './provider-name.js';
import { count, get, isObject, minus, pluck, reasons, text, usageObject } from './read.js';
import { compact, type ResponseFacts, ResponseShape, type UsageFacts } from './response-facts.js';

/** The `usageMetadata` of a Gemini `GenerateContentResponse`, as far as agentrace reads it. */
export interface GeminiUsageLike {
  /** Prompt tokens, cached content INCLUDED. */
  readonly promptTokenCount?: number | null;
  readonly cachedContentTokenCount?: number | null;
  /** Tokens of the generated candidates, thoughts EXCLUDED. */
  readonly candidatesTokenCount?: number | null;
  /** Thinking tokens: billed as output, counted apart from the candidates. */
  readonly thoughtsTokenCount?: number | null;
  /** Tokens of tool-use prompts (e.g. search results fed back), billed as input, counted apart from the prompt. */
  readonly toolUsePromptTokenCount?: number | null;
  readonly totalTokenCount?: number | null;
}

/**
 * A Gemini / Vertex AI `GenerateContentResponse`, structurally; `@google/genai`'s `GenerateContentResponse`
 * and the REST JSON fit.
 */
export interface GeminiResponseLike {
  readonly responseId?: string;
  readonly modelVersion?: string;
  /** Vertex AI only. */
  readonly createTime?: string;
  /** `STOP`, `MAX_TOKENS`, `SAFETY`, … per candidate. */
  readonly candidates?: ReadonlyArray<{ readonly finishReason?: string }>;
  readonly usageMetadata?: GeminiUsageLike;
}

/**
 * Maps a Gemini `usageMetadata`: `promptTokenCount` INCLUDES `cachedContentTokenCount`, so plain input =
 * `promptTokenCount − cachedContentTokenCount + toolUsePromptTokenCount`; cache read =
 * `cachedContentTokenCount`; no cache writes (explicit caches are created and billed by their own call);
 * output = `candidatesTokenCount + thoughtsTokenCount` (thinking is billed as output); reasoning =
 * `thoughtsTokenCount`.
 *
 * @throws {ValidationError} a count is invalid, or the cached tokens exceed the prompt; `field` names it
 *   (`usageMetadata.cachedContentTokenCount`, …).
 * @example
 * ```ts
 * geminiUsage({ promptTokenCount: 5000, cachedContentTokenCount: 4096, candidatesTokenCount: 300, thoughtsTokenCount: 700 })
 *   .usage.toDict(); // { input_tokens: 904, output_tokens: 1000, cache_write_tokens: 0, cache_read_tokens: 4096 }
 * ```
 */
export function geminiUsage(usage: GeminiUsageLike): UsageFacts {
  const u: unknown = usage;
  const prompt = count(get(u, 'promptTokenCount'), 'usageMetadata.promptTokenCount') ?? 0;
  const cachedField = 'usageMetadata.cachedContentTokenCount';
  const cached = count(get(u, 'cachedContentTokenCount'), cachedField) ?? 0;
  const toolUse = count(get(u, 'toolUsePromptTokenCount'), 'usageMetadata.toolUsePromptTokenCount') ?? 0;
  const candidates = count(get(u, 'candidatesTokenCount'), 'usageMetadata.candidatesTokenCount') ?? 0;
  const thoughts = count(get(u, 'thoughtsTokenCount'), 'usageMetadata.thoughtsTokenCount');
  return compact({
    usage: new UsageSnapshot({
      inputTokens:
        minus(prompt, cached, { total: 'usageMetadata.promptTokenCount', part: cachedField }) + toolUse,
      cacheReadTokens: cached,
      outputTokens: candidates + (thoughts ?? 0),
    }),
    reasoningTokens: thoughts,
  });
}

/**
 * Reads a Gemini `GenerateContentResponse` (Gemini API or Vertex AI, including the last chunk of a
 * stream, which carries the usage): usage as {@link geminiUsage}, `modelVersion`, `responseId`, and each
 * candidate's `finishReason`. Provider `gcp.vertex_ai` when the response has Vertex AI's `createTime`,
 * else `gcp.gemini`.
 *
 * @throws {ValidationError} `usageMetadata` is missing or a count is invalid.
 */
export function readGeminiResponse(body: GeminiResponseLike): ResponseFacts {
  const vertex = text(get(body, 'createTime')) !== undefined;
  return compact({
    shape: ResponseShape.GEMINI_GENERATE_CONTENT,
    provider: vertex ? ProviderName.GCP_VERTEX_AI : ProviderName.GCP_GEMINI,
    ...geminiUsage(usageObject(body, 'usageMetadata')),
    responseModel: text(get(body, 'modelVersion')),
    responseId: text(get(body, 'responseId')),
    finishReasons: reasons(pluck(get(body, 'candidates'), 'finishReason')),
  });
}

/** Whether `value` is shaped as a `GenerateContentResponse`: `usageMetadata`, or `candidates` with a model version. @internal */
export function isGeminiResponse(value: unknown): boolean {
  if (isObject(get(value, 'usageMetadata'))) return true;
  return Array.isArray(get(value, 'candidates')) && typeof get(value, 'modelVersion') === 'string';
}
