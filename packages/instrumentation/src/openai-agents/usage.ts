import { semconv as sc } from '@agentrace/core';
import type { Attributes } from '@opentelemetry/api';
import type { ModelUsage } from '../frameworks/model-call.js';

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

/**
 * Usage of a Responses API response (`input_tokens` includes `input_tokens_details.cached_tokens`) or of a
 * Chat Completions one (`prompt_tokens` / `completion_tokens`), in agentrace's accounting (plain input
 * excludes cache reads). Undefined when there is no usage object.
 */
export function usageFromOpenAI(raw: unknown): ModelUsage | undefined {
  const u = obj(raw);
  if (!u) return undefined;
  const details = obj(u.input_tokens_details) ?? obj(u.prompt_tokens_details) ?? obj(u.details);
  const outDetails = obj(u.output_tokens_details) ?? obj(u.completion_tokens_details) ?? obj(u.details);
  const total = num(u.input_tokens ?? u.prompt_tokens);
  const cacheRead = Math.min(total, num(details?.cached_tokens ?? u.cached_input_tokens));
  const cacheWrite = Math.min(total - cacheRead, num(u.cache_write_input_tokens));
  const usage: ModelUsage = {
    inputTokens: total - cacheRead - cacheWrite,
    outputTokens: num(u.output_tokens ?? u.completion_tokens),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
  };
  if (outDetails?.reasoning_tokens !== undefined) usage.reasoningTokens = num(outDetails.reasoning_tokens);
  return usage;
}

/** Adds `b` into `a`. */
export function addUsage(a: ModelUsage, b: ModelUsage): void {
  a.inputTokens += b.inputTokens;
  a.outputTokens += b.outputTokens;
  a.cacheReadTokens += b.cacheReadTokens;
  a.cacheWriteTokens += b.cacheWriteTokens;
}

/** Zero usage. */
export function emptyUsage(): ModelUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** The usage and cost attributes of an agent or workflow span: the sum of its model calls. */
export function usageTotals(usage: ModelUsage, costUsd: number): Attributes {
  return {
    [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
    [sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: usage.cacheReadTokens,
    [sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: usage.cacheWriteTokens,
    [sc.ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS]: usage.inputTokens,
    [sc.ATTR_AGENTRACE_USAGE_COST]: costUsd,
  };
}
