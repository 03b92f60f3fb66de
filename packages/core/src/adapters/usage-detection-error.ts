import { AgentraceError } from '@agentrace/pricing';
import { ResponseShape } from './response-facts.js';

/** How each shape is recognised, in words, for the error message. */
export const SHAPE_DESCRIPTIONS: Readonly<Record<ResponseShape, string>> = {
  [ResponseShape.OPENAI_CHAT_COMPLETION]:
    'OpenAI Chat Completions (object "chat.completion" with usage.prompt_tokens)',
  [ResponseShape.OPENAI_RESPONSE]: 'OpenAI Responses (object "response" with usage.input_tokens)',
  [ResponseShape.ANTHROPIC_MESSAGE]: 'Anthropic Messages (type "message" with usage.input_tokens)',
  [ResponseShape.GEMINI_GENERATE_CONTENT]: 'Gemini/Vertex AI GenerateContentResponse (usageMetadata)',
  [ResponseShape.BEDROCK_CONVERSE]: 'Bedrock Converse (stopReason/output with usage.inputTokens)',
  [ResponseShape.AI_SDK_RESULT]:
    'Vercel AI SDK generateText/generateObject result (usage or totalUsage with finishReason/response)',
  [ResponseShape.AI_SDK_USAGE]: 'Vercel AI SDK usage object (inputTokens/outputTokens)',
};

/**
 * Thrown when `usage: 'auto'` cannot read token usage from a turn's result: the result matches none of
 * the shapes agentrace knows, or matches one but carries no usage. The message lists the shapes tried, what
 * the result was and which keys it had (names only, never values), and a hint when one applies.
 *
 * @example
 * ```ts
 * try {
 *   detectResponseOrThrow(await callModel());
 * } catch (err) {
 *   if (UsageDetectionError.isInstance(err)) console.warn(err.keys);
 * }
 * ```
 */
export class UsageDetectionError extends AgentraceError {
  static override readonly errorName: string = 'UsageDetectionError';

  /** Every shape that was tried, in the order tried. */
  readonly shapesTried: readonly ResponseShape[];
  /** What the result was: `undefined`, `a string`, `an array`, `an object`, `a stream`, … */
  readonly received: string;
  /** The result's own keys (at most 20), when it was an object. */
  readonly keys: readonly string[];
  /** What probably went wrong, when agentrace can tell (a stream, usage left out, …). */
  readonly hint: string | undefined;

  constructor(init: { received: string; keys?: readonly string[]; hint?: string }) {
    const shapesTried = Object.values(ResponseShape);
    const keys = init.keys ?? [];
    const keyList = keys.length > 0 ? ` with keys ${keys.join(', ')}` : '';
    super(
      `usage: 'auto' could not read token usage from the turn's result (${init.received}${keyList}). ` +
        `Shapes tried: ${shapesTried.map((shape) => SHAPE_DESCRIPTIONS[shape]).join('; ')}.` +
        (init.hint !== undefined ? ` Hint: ${init.hint}.` : '') +
        " Return the provider response from the turn, or pass usage/estimateUsage instead of usage: 'auto'.",
    );
    this.shapesTried = shapesTried;
    this.received = init.received;
    this.keys = keys;
    this.hint = init.hint;
  }
}
