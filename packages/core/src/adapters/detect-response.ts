import { isAiSdkResult, isAiSdkUsage, readAiSdkResult, readAiSdkUsage } from './ai-sdk.js';
import { isAnthropicMessage, readAnthropicMessage } from './anthropic.js';
import { isBedrockConverse, readBedrockConverse } from './bedrock.js';
import { isGeminiResponse, readGeminiResponse } from './gemini.js';
import {
  isOpenAIChatCompletion,
  isOpenAIResponse,
  readOpenAIChatCompletion,
  readOpenAIResponse,
} from './openai.js';
import { get, isObject, isThenable } from './read.js';
import { type ResponseFacts, ResponseShape } from './response-facts.js';
import { UsageDetectionError } from './usage-detection-error.js';

interface ShapeReader {
  readonly shape: ResponseShape;
  readonly matches: (value: unknown) => boolean;
  /** Where the usage lives; `undefined` there means the shape matched but carried no usage. */
  readonly usageOf: (value: unknown) => unknown;
  readonly read: (value: never) => ResponseFacts;
  /** Why the usage may be missing, for the error. */
  readonly missingUsage: string;
}

// Order matters where shapes overlap: OpenAI/Anthropic/Gemini are told by their own markers; a Bedrock
// response and an AI SDK result both have a camelCase `usage`, so Bedrock is told by `stopReason` and
// the AI SDK by `finishReason`; an AI SDK usage object alone comes last.
const READERS: readonly ShapeReader[] = [
  {
    shape: ResponseShape.OPENAI_CHAT_COMPLETION,
    matches: isOpenAIChatCompletion,
    usageOf: (v) => get(v, 'usage'),
    read: readOpenAIChatCompletion,
    missingUsage:
      'an OpenAI chat completion without usage; a streamed chunk carries usage only in the last chunk, and only with stream_options: { include_usage: true }',
  },
  {
    shape: ResponseShape.OPENAI_RESPONSE,
    matches: isOpenAIResponse,
    usageOf: (v) => get(v, 'usage'),
    read: readOpenAIResponse,
    missingUsage: 'an OpenAI Responses object without usage (still in progress?)',
  },
  {
    shape: ResponseShape.ANTHROPIC_MESSAGE,
    matches: isAnthropicMessage,
    usageOf: (v) => get(v, 'usage'),
    read: readAnthropicMessage,
    missingUsage: 'an Anthropic message without usage',
  },
  {
    shape: ResponseShape.GEMINI_GENERATE_CONTENT,
    matches: isGeminiResponse,
    usageOf: (v) => get(v, 'usageMetadata'),
    read: readGeminiResponse,
    missingUsage: 'a Gemini response without usageMetadata; when streaming, the last chunk carries it',
  },
  {
    shape: ResponseShape.BEDROCK_CONVERSE,
    matches: isBedrockConverse,
    usageOf: (v) => get(v, 'usage'),
    read: readBedrockConverse,
    missingUsage: 'a Bedrock Converse response without usage',
  },
  {
    shape: ResponseShape.AI_SDK_RESULT,
    matches: isAiSdkResult,
    usageOf: (v) => {
      const usage = get(v, 'totalUsage') ?? get(v, 'usage');
      return isThenable(usage) ? undefined : usage;
    },
    read: readAiSdkResult,
    missingUsage:
      'an AI SDK streamText/streamObject result, whose usage is a promise; await result.totalUsage and pass it as usage',
  },
  {
    shape: ResponseShape.AI_SDK_USAGE,
    matches: isAiSdkUsage,
    usageOf: (v) => v,
    read: readAiSdkUsage,
    missingUsage: 'an AI SDK usage object',
  },
];

const MAX_KEYS = 20;
const MAX_KEY_LENGTH = 40;

function keysOf(value: object): string[] {
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch {
    return [];
  }
  const shown = keys
    .slice(0, MAX_KEYS)
    .map((key) => (key.length > MAX_KEY_LENGTH ? `${key.slice(0, MAX_KEY_LENGTH - 1)}…` : key));
  if (keys.length > MAX_KEYS) shown.push(`… ${keys.length - MAX_KEYS} more`);
  return shown;
}

function isStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  try {
    return (
      typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function' ||
      typeof get(value, 'getReader') === 'function'
    );
  } catch {
    return false;
  }
}

interface Inspection {
  facts?: ResponseFacts;
  received: string;
  keys?: string[];
  hint?: string;
}

function describeNonObject(value: unknown): Inspection {
  if (value === undefined) return { received: 'undefined', hint: 'the work function returned nothing' };
  if (value === null) return { received: 'null' };
  return { received: `a ${typeof value}` };
}

function inspect(value: unknown, depth = 0): Inspection {
  if (!isObject(value)) return describeNonObject(value);
  if (Array.isArray(value)) return { received: `an array of ${value.length} items` };
  if (isThenable(value)) {
    return { received: 'a promise', hint: 'await the client call inside the turn and return the response' };
  }
  const keys = keysOf(value);
  for (const reader of READERS) {
    if (!reader.matches(value)) continue;
    const usage = reader.usageOf(value);
    if (usage === undefined || usage === null)
      return { received: 'an object', keys, hint: reader.missingUsage };
    return { facts: reader.read(value as never), received: 'an object', keys };
  }
  if (isStream(value)) {
    return {
      received: 'a stream',
      keys,
      hint: 'a stream carries its usage in its last chunk; read it there and pass it as usage',
    };
  }
  // `.withResponse()` on the OpenAI and Anthropic clients gives `{ data, response, request_id }`.
  const data = get(value, 'data');
  if (depth === 0 && isObject(data) && get(value, 'response') !== undefined) {
    const inner = inspect(data, depth + 1);
    if (inner.facts) return inner;
  }
  return { received: 'an object', keys };
}

/**
 * Reads usage and response facts from a turn's result by its shape, without importing any provider
 * client: OpenAI Chat Completions, OpenAI Responses, Anthropic Messages, Gemini/Vertex AI
 * `GenerateContentResponse`, Bedrock Converse, a Vercel AI SDK result or usage object (see
 * {@link ResponseShape}; `{ data, response }` from a client's `.withResponse()` is unwrapped). Returns
 * `undefined` when the result has none of these shapes or has one without usage;
 * {@link detectResponseOrThrow} says why.
 *
 * @throws {ValidationError} the shape was recognised but a count in it is invalid (negative, fractional,
 *   cached tokens above the total they belong to, …); `field` names it.
 * @example
 * ```ts
 * const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages });
 * const facts = detectResponse(completion);
 * facts?.provider; // 'openai'
 * facts?.usage.cacheReadTokens; // usage.prompt_tokens_details.cached_tokens
 * ```
 */
export function detectResponse(result: unknown): ResponseFacts | undefined {
  return inspect(result).facts;
}

/**
 * {@link detectResponse}, for `usage: 'auto'`: the facts, or a {@link UsageDetectionError} that names the
 * shapes tried, what the result was and which keys it had.
 *
 * @throws {UsageDetectionError} no usage could be read from `result`.
 * @throws {ValidationError} the shape was recognised but a count in it is invalid; `field` names it.
 */
export function detectResponseOrThrow(result: unknown): ResponseFacts {
  const { facts, received, keys, hint } = inspect(result);
  if (facts) return facts;
  throw new UsageDetectionError({
    received,
    ...(keys !== undefined && { keys }),
    ...(hint !== undefined && { hint }),
  });
}
