// Provider adapters: usage and response facts read from provider results by shape. This file only re-exports.

export type {
  AiSdkModelInputTokensLike,
  AiSdkModelOutputTokensLike,
  AiSdkResultLike,
  AiSdkUsageLike,
  AiSdkUsageOptions,
} from './ai-sdk.js';
export { aiSdkUsage, readAiSdkResult, readAiSdkUsage } from './ai-sdk.js';
export type { AnthropicMessageLike, AnthropicUsageLike } from './anthropic.js';
export { anthropicUsage, readAnthropicMessage } from './anthropic.js';
export type { BedrockConverseLike, BedrockUsageLike } from './bedrock.js';
export { bedrockUsage, readBedrockConverse } from './bedrock.js';
export { detectResponse, detectResponseOrThrow } from './detect-response.js';
export type { GeminiResponseLike, GeminiUsageLike } from './gemini.js';
export { geminiUsage, readGeminiResponse } from './gemini.js';
export type {
  OpenAIChatCompletionLike,
  OpenAIChatUsageLike,
  OpenAIResponseLike,
  OpenAIResponsesUsageLike,
} from './openai.js';
export {
  openAIChatUsage,
  openAIResponsesUsage,
  readOpenAIChatCompletion,
  readOpenAIResponse,
} from './openai.js';
export { ProviderName, providerNameFromAiSdk } from './provider-name.js';
export type { CacheWriteBreakdown, ResponseAttributes, ResponseFacts, UsageFacts } from './response-facts.js';
export { ResponseShape, responseAttributes } from './response-facts.js';
export { UsageDetectionError } from './usage-detection-error.js';
