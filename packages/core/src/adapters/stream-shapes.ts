import { aiSdkUsage, providerMetadataCacheWrites } from './ai-sdk.js';
import { anthropicUsage } from './anthropic.js';
import { bedrockUsage } from './bedrock.js';
import { geminiUsage } from './gemini.js';
import { openAIChatUsage, openAIResponsesUsage } from './openai.js';
import { knownProviderFromAiSdk, ProviderName } from './provider-name.js';
import { get, isObject, text } from './read.js';
import { compact, type ResponseFacts, ResponseShape, type UsageFacts } from './response-facts.js';

// One class per stream shape the accumulator recognises; each reads its chunks as they pass and maps the
// usage with the same reader as a whole response of that provider.

/** What every stream shape keeps: the facts a span records beside the usage. */
export abstract class ShapeStream {
  responseModel: string | undefined;
  responseId: string | undefined;
  /** Finish reasons by choice/candidate index (one stream can carry several choices). */
  readonly finishReasons: (string | undefined)[] = [];
  #cached: ResponseFacts | undefined;
  #dirty = true;

  abstract readonly shape: ResponseShape;
  abstract add(chunk: object): void;
  /** The usage read from what arrived, or `undefined` when none did. */
  protected abstract usage(): UsageFacts | undefined;
  /** `gen_ai.provider.name` the shape tells, if any. */
  protected abstract provider(): string | undefined;

  /** Marks the facts stale; called when a chunk brought something new. */
  protected changed(): void {
    this.#dirty = true;
  }

  protected setReason(index: unknown, reason: unknown): void {
    if (typeof reason !== 'string' || reason.length === 0) return;
    const i =
      typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 && index < 64 ? index : 0;
    this.finishReasons[i] = reason;
    this.#dirty = true;
  }

  protected setMeta(id: unknown, model: unknown): void {
    const idText = text(id);
    const modelText = text(model);
    if (idText !== undefined && idText !== this.responseId) {
      this.responseId = idText;
      this.#dirty = true;
    }
    if (modelText !== undefined && modelText !== this.responseModel) {
      this.responseModel = modelText;
      this.#dirty = true;
    }
  }

  facts(): ResponseFacts | undefined {
    if (!this.#dirty) return this.#cached;
    const usage = this.usage();
    const reasons = this.finishReasons.filter((r): r is string => r !== undefined);
    this.#cached =
      usage === undefined
        ? undefined
        : compact({
            shape: this.shape,
            provider: this.provider(),
            ...usage,
            responseModel: this.responseModel,
            responseId: this.responseId,
            finishReasons: reasons.length > 0 ? reasons : undefined,
          });
    this.#dirty = false;
    return this.#cached;
  }
}

/**
 * OpenAI Chat Completions chunks (`chat.completion.chunk`): `id` and `model` on every chunk,
 * `choices[].finish_reason` when a choice ends, `usage` only on the final chunk and only with
 * `stream_options: { include_usage: true }` (`null` on the others).
 */
export class OpenAIChatStream extends ShapeStream {
  readonly shape = ResponseShape.OPENAI_CHAT_COMPLETION;
  #usage: object | undefined;

  add(chunk: object): void {
    if (this.responseId === undefined) this.setMeta(get(chunk, 'id'), get(chunk, 'model'));
    const choices = get(chunk, 'choices');
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        const reason = get(choice, 'finish_reason');
        if (reason != null) this.setReason(get(choice, 'index'), reason);
      }
    }
    const usage = get(chunk, 'usage');
    if (isObject(usage)) {
      this.#usage = usage;
      this.changed();
    }
  }

  protected usage(): UsageFacts | undefined {
    return this.#usage && openAIChatUsage(this.#usage);
  }

  protected provider(): string {
    return ProviderName.OPENAI;
  }
}

/**
 * OpenAI Responses stream events (`response.created`, `response.output_text.delta`, …): the lifecycle events
 * carry the whole `response`; the terminal one (`response.completed`, `response.incomplete`,
 * `response.failed`) carries its `usage`.
 */
export class OpenAIResponsesStream extends ShapeStream {
  readonly shape = ResponseShape.OPENAI_RESPONSE;
  #usage: object | undefined;

  add(chunk: object): void {
    const response = get(chunk, 'response');
    if (!isObject(response)) return;
    this.setMeta(get(response, 'id'), get(response, 'model'));
    const usage = get(response, 'usage');
    if (!isObject(usage)) return;
    this.#usage = usage;
    // As for a whole response: the incomplete reason, else the terminal status (`completed`, `failed`).
    this.setReason(0, get(get(response, 'incomplete_details'), 'reason') ?? get(response, 'status'));
    this.changed();
  }

  protected usage(): UsageFacts | undefined {
    return this.#usage && openAIResponsesUsage(this.#usage);
  }

  protected provider(): string {
    return ProviderName.OPENAI;
  }
}

/**
 * Anthropic Messages stream events: `message_start` carries the message (`id`, `model`) with its input and
 * cache counts; `message_delta` carries `delta.stop_reason` and a `usage` whose counts are cumulative
 * (`output_tokens` always; input and cache counts too in newer API versions), so the latest value of each
 * count wins.
 */
export class AnthropicStream extends ShapeStream {
  readonly shape = ResponseShape.ANTHROPIC_MESSAGE;
  #usage: Record<string, unknown> | undefined;

  add(chunk: object): void {
    const type = get(chunk, 'type');
    if (type === 'message_start') {
      const message = get(chunk, 'message');
      this.setMeta(get(message, 'id'), get(message, 'model'));
      this.#merge(get(message, 'usage'));
    } else if (type === 'message_delta') {
      this.setReason(0, get(get(chunk, 'delta'), 'stop_reason'));
      this.#merge(get(chunk, 'usage'));
    }
  }

  #merge(usage: unknown): void {
    if (!isObject(usage)) return;
    const merged: Record<string, unknown> = this.#usage ?? {};
    for (const key of ANTHROPIC_USAGE_KEYS) {
      const value = get(usage, key);
      if (value !== undefined && value !== null) merged[key] = value;
    }
    this.#usage = merged;
    this.changed();
  }

  protected usage(): UsageFacts | undefined {
    return this.#usage && anthropicUsage(this.#usage);
  }

  protected provider(): string {
    return ProviderName.ANTHROPIC;
  }
}

const ANTHROPIC_USAGE_KEYS = [
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
  'cache_creation',
] as const;

/**
 * Gemini / Vertex AI `streamGenerateContent` chunks: each is a `GenerateContentResponse` whose
 * `usageMetadata` is cumulative (the last one wins); the last carries each candidate's `finishReason`.
 */
export class GeminiStream extends ShapeStream {
  readonly shape = ResponseShape.GEMINI_GENERATE_CONTENT;
  #usage: object | undefined;
  #vertex = false;

  add(chunk: object): void {
    if (this.responseId === undefined) {
      this.setMeta(get(chunk, 'responseId'), get(chunk, 'modelVersion'));
      if (text(get(chunk, 'createTime')) !== undefined) this.#vertex = true;
    }
    const usage = get(chunk, 'usageMetadata');
    if (isObject(usage)) {
      this.#usage = usage;
      this.changed();
    }
    const candidates = get(chunk, 'candidates');
    if (Array.isArray(candidates)) {
      for (let i = 0; i < candidates.length; i++) {
        const candidate: unknown = candidates[i];
        const reason = get(candidate, 'finishReason');
        if (reason !== undefined) this.setReason(get(candidate, 'index') ?? i, reason);
      }
    }
  }

  protected usage(): UsageFacts | undefined {
    return this.#usage && geminiUsage(this.#usage);
  }

  protected provider(): string {
    return this.#vertex ? ProviderName.GCP_VERTEX_AI : ProviderName.GCP_GEMINI;
  }
}

/**
 * Amazon Bedrock ConverseStream events (AWS SDK v3 union members): `messageStop.stopReason`, then a
 * `metadata` event with the `usage`. Converse names neither the model nor a response id.
 */
export class BedrockStream extends ShapeStream {
  readonly shape = ResponseShape.BEDROCK_CONVERSE;
  #usage: object | undefined;

  add(chunk: object): void {
    const stop = get(chunk, 'messageStop');
    if (stop !== undefined) this.setReason(0, get(stop, 'stopReason'));
    const usage = get(get(chunk, 'metadata'), 'usage');
    if (isObject(usage)) {
      this.#usage = usage;
      this.changed();
    }
  }

  protected usage(): UsageFacts | undefined {
    return this.#usage && bedrockUsage(this.#usage);
  }

  protected provider(): string {
    return ProviderName.AWS_BEDROCK;
  }
}

/**
 * Vercel AI SDK streams, both what `streamText().fullStream` yields (`finish-step` with each step's `usage`
 * and `response`, then `finish` with `totalUsage`) and the language-model stream parts a middleware sees
 * (`response-metadata`, then `finish` with the call's `usage` and `finishReason: { unified, raw }`).
 * Until `finish` arrives, the usage is the sum of the finished steps.
 */
export class AiSdkStream extends ShapeStream {
  readonly shape = ResponseShape.AI_SDK_RESULT;
  readonly #providerHint: string | undefined;
  #provider: string | undefined;
  /** Each finished step's usage and provider metadata. */
  readonly #steps: { usage: object; metadata: unknown }[] = [];
  #final: { usage: object; metadata: unknown } | undefined;

  constructor(provider: string | undefined) {
    super();
    this.#providerHint = provider;
  }

  add(chunk: object): void {
    switch (get(chunk, 'type')) {
      case 'response-metadata':
        this.setMeta(get(chunk, 'id'), get(chunk, 'modelId'));
        return;
      case 'finish-step': {
        const response = get(chunk, 'response');
        this.setMeta(get(response, 'id'), get(response, 'modelId'));
        this.#reason(get(chunk, 'finishReason'));
        const usage = get(chunk, 'usage');
        const metadata = get(chunk, 'providerMetadata');
        this.#noteProvider(metadata);
        if (isObject(usage)) this.#steps.push({ usage, metadata });
        this.changed();
        return;
      }
      case 'finish': {
        this.#reason(get(chunk, 'finishReason'));
        const usage = get(chunk, 'totalUsage') ?? get(chunk, 'usage');
        const metadata = get(chunk, 'providerMetadata');
        this.#noteProvider(metadata);
        if (isObject(usage)) this.#final = { usage, metadata };
        this.changed();
        return;
      }
      default:
    }
  }

  #reason(reason: unknown): void {
    this.setReason(0, isObject(reason) ? get(reason, 'unified') : reason);
  }

  #noteProvider(metadata: unknown): void {
    if (this.#provider !== undefined || !isObject(metadata)) return;
    for (const key of Object.keys(metadata)) {
      const name = knownProviderFromAiSdk(key);
      if (name !== undefined) {
        this.#provider = name;
        return;
      }
    }
  }

  protected usage(): UsageFacts | undefined {
    if (this.#final !== undefined) return this.#read(this.#final, 'finish.providerMetadata');
    let sum: UsageFacts | undefined;
    for (const [i, step] of this.#steps.entries()) {
      const facts = this.#read(step, `steps[${i}].providerMetadata`);
      sum =
        sum === undefined
          ? facts
          : compact({
              usage: sum.usage.add(facts.usage),
              reasoningTokens:
                sum.reasoningTokens === undefined && facts.reasoningTokens === undefined
                  ? undefined
                  : (sum.reasoningTokens ?? 0) + (facts.reasoningTokens ?? 0),
            });
    }
    return sum;
  }

  #read(part: { usage: object; metadata: unknown }, field: string): UsageFacts {
    const provider = this.provider();
    const cacheWriteTokens = isObject(part.metadata)
      ? providerMetadataCacheWrites(part.metadata, field)
      : undefined;
    return aiSdkUsage(part.usage, {
      ...(provider !== undefined && { provider }),
      ...(cacheWriteTokens !== undefined && { cacheWriteTokens }),
    });
  }

  protected provider(): string | undefined {
    return this.#providerHint ?? this.#provider;
  }
}
