import type { ModelUsage } from '../frameworks/model-call.js';

/** What a LangChain `LLMResult` says about the call. */
export interface LangChainCallFacts {
  usage?: ModelUsage;
  responseModel?: string;
  responseId?: string;
  finishReasons: string[];
  outputText?: unknown;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

/**
 * Usage and response facts of an `LLMResult`: `usage_metadata` of the generations' messages (LangChain's
 * standard, `input_tokens` including cache reads and writes) summed over generations, else
 * `llmOutput.tokenUsage` (`promptTokens` / `completionTokens`).
 */
export function usageFromLangChain(output: unknown): LangChainCallFacts {
  const result = obj(output);
  const facts: LangChainCallFacts = { finishReasons: [] };
  const generations = Array.isArray(result?.generations) ? (result.generations as unknown[]).flat() : [];
  let usage: ModelUsage | undefined;
  for (const g of generations) {
    const gen = obj(g);
    const message = obj(gen?.message);
    const meta = obj(message?.response_metadata);
    const info = obj(gen?.generationInfo);
    const model = meta?.model_name ?? meta?.model;
    if (typeof model === 'string' && facts.responseModel === undefined) facts.responseModel = model;
    const id = message?.id ?? meta?.id;
    if (typeof id === 'string' && facts.responseId === undefined) facts.responseId = id;
    const finish = meta?.finish_reason ?? meta?.stop_reason ?? info?.finish_reason;
    if (typeof finish === 'string') facts.finishReasons.push(finish);
    if (facts.outputText === undefined) facts.outputText = message?.content ?? gen?.text;
    const um = obj(message?.usage_metadata);
    if (!um) continue;
    const details = obj(um.input_token_details);
    const total = num(um.input_tokens);
    const cacheRead = Math.min(total, num(details?.cache_read));
    const cacheWrite = Math.min(total - cacheRead, num(details?.cache_creation));
    usage ??= { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    usage.inputTokens += total - cacheRead - cacheWrite;
    usage.outputTokens += num(um.output_tokens);
    usage.cacheReadTokens += cacheRead;
    usage.cacheWriteTokens += cacheWrite;
    const reasoning = obj(um.output_token_details)?.reasoning;
    if (reasoning !== undefined) usage.reasoningTokens = (usage.reasoningTokens ?? 0) + num(reasoning);
  }
  if (!usage) {
    const tu = obj(obj(result?.llmOutput)?.tokenUsage) ?? obj(obj(result?.llmOutput)?.usage);
    if (tu) {
      usage = {
        inputTokens: num(tu.promptTokens ?? tu.prompt_tokens ?? tu.input_tokens),
        outputTokens: num(tu.completionTokens ?? tu.completion_tokens ?? tu.output_tokens),
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      };
    }
  }
  if (usage) facts.usage = usage;
  return facts;
}
