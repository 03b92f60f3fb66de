import { aiSdkUsage, providerMetadataCacheWrites } from './ai-sdk.js';
import { anthropicUsage } from './anthropic.js';
import { bedrockUsage } from './bedrock.js';
import { geminiUsage } from './gemini.js';
import { openAIChatUsage, openAIResponsesUsage } from './openai.js';
import { knownProviderFromAiSdk, ProviderName } from './provider-name.js';
import { get, isObject, text } from './read.js';
import { compact, type ResponseFacts, ResponseShape, type UsageFacts } from './response-facts.js';

/**
 * Reads usage and response facts from the chunks of a streamed model call as they pass. Feed it every chunk
 * ({@link StreamAccumulator.add}); ask for {@link StreamAccumulator.facts} when the stream has ended (or was
 * abandoned: whatever usage had arrived by then is what it reports).
 */
export interface StreamAccumulator {
  /**
   * Takes one chunk. Never throws and never changes the chunk: a chunk of an unknown shape, a malformed one
   * or a throwing getter is skipped. The shape is decided on the first chunk that tells it; every later
   * chunk costs a few property reads.
   */
  add(chunk: unknown): void;
  /**
   * The usage and response facts read so far, or `undefined` when no usage has arrived (an OpenAI stream
   * without `stream_options: { include_usage: true }`, a stream abandoned before its usage chunk, or chunks
   * of no known shape).
   *
   * @throws {ValidationError} a token count in the stream is invalid (negative, fractional, cached tokens
   *   above the total they belong to, …); `field` names it, as {@link detectResponse} does.
   */
  facts(): ResponseFacts | undefined;
}

/** Options of {@link createStreamAccumulator}. */
export interface StreamAccumulatorOptions {
  /**
   * `gen_ai.provider.name` of the model behind the stream, when known. Only AI SDK streams use it: their
   * parts do not name the provider, and `ai` 5's flat usage counts cached input differently for
   * `anthropic` and `aws.bedrock`.
   */
  provider?: string;
}

/** What every stream shape keeps: the facts a span records beside the usage. */
abstract class ShapeStream {
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
class OpenAIChatStream extends ShapeStream {
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
class OpenAIResponsesStream extends ShapeStream {
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
class AnthropicStream extends ShapeStream {
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
class GeminiStream extends ShapeStream {
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
class BedrockStream extends ShapeStream {
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
class AiSdkStream extends ShapeStream {
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

const ANTHROPIC_EVENTS: ReadonlySet<string> = new Set([
  'message_start',
  'message_delta',
  'message_stop',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
]);

// Parts only the AI SDK emits. `error`, `ping` and `raw` are left out: other streams use them too.
const AI_SDK_PARTS: ReadonlySet<string> = new Set([
  'start',
  'stream-start',
  'response-metadata',
  'start-step',
  'finish-step',
  'finish',
  'abort',
  'text-start',
  'text-delta',
  'text-end',
  'reasoning-start',
  'reasoning-delta',
  'reasoning-end',
  'tool-input-start',
  'tool-input-delta',
  'tool-input-end',
  'tool-call',
  'tool-result',
  'tool-error',
  'source',
  'file',
]);

const CHAT_OBJECTS: ReadonlySet<string> = new Set([
  'chat.completion.chunk',
  'chat.completion',
  'text_completion',
]);

const BEDROCK_EVENTS = [
  'messageStart',
  'contentBlockStart',
  'contentBlockDelta',
  'contentBlockStop',
  'messageStop',
] as const;

/** The stream shape a chunk tells, or `undefined` when it tells none (a `ping`, bytes, a string, …). */
function detect(chunk: object, opts: StreamAccumulatorOptions): ShapeStream | undefined {
  if (ArrayBuffer.isView(chunk)) return undefined;
  const type = get(chunk, 'type');
  if (typeof type === 'string') {
    if (ANTHROPIC_EVENTS.has(type)) return new AnthropicStream();
    if (type.startsWith('response.')) return new OpenAIResponsesStream();
    if (AI_SDK_PARTS.has(type)) return new AiSdkStream(opts.provider);
    return undefined;
  }
  const object = get(chunk, 'object');
  if (typeof object === 'string') return CHAT_OBJECTS.has(object) ? new OpenAIChatStream() : undefined;
  if (Array.isArray(get(chunk, 'choices'))) return new OpenAIChatStream();
  if (isObject(get(chunk, 'usageMetadata')) || Array.isArray(get(chunk, 'candidates'))) {
    return new GeminiStream();
  }
  if (isObject(get(get(chunk, 'metadata'), 'usage'))) return new BedrockStream();
  for (const key of BEDROCK_EVENTS) if (get(chunk, key) !== undefined) return new BedrockStream();
  return undefined;
}

class Accumulator implements StreamAccumulator {
  readonly #opts: StreamAccumulatorOptions;
  #stream: ShapeStream | undefined;

  constructor(opts: StreamAccumulatorOptions) {
    this.#opts = opts;
  }

  add(chunk: unknown): void {
    if (typeof chunk !== 'object' || chunk === null) return;
    try {
      if (this.#stream === undefined) {
        this.#stream = detect(chunk, this.#opts);
        if (this.#stream === undefined) return;
      }
      this.#stream.add(chunk);
    } catch {
      // A hostile chunk (a throwing Proxy trap) is skipped: reading usage must never break the stream.
    }
  }

  facts(): ResponseFacts | undefined {
    return this.#stream?.facts();
  }
}

/**
 * A {@link StreamAccumulator} that recognises the stream by its chunks, without importing any client:
 *
 * - OpenAI Chat Completions chunks: usage from the final chunk (sent only with
 *   `stream_options: { include_usage: true }`), `id`/`model`, each choice's `finish_reason`.
 * - OpenAI Responses stream events: usage from `response.completed` (or `response.incomplete`/`failed`).
 * - Anthropic Messages stream events: input and cache counts from `message_start`, the cumulative
 *   `output_tokens` from `message_delta`, `delta.stop_reason`.
 * - Gemini / Vertex AI `streamGenerateContent` chunks: the last `usageMetadata` (each is cumulative).
 * - Bedrock ConverseStream events: the `metadata` event's usage, `messageStop.stopReason`.
 * - Vercel AI SDK `streamText().fullStream` parts (`finish.totalUsage`, else the sum of the `finish-step`
 *   usages so far) and the language-model stream parts a middleware sees (`finish.usage`,
 *   `response-metadata`).
 *
 * Usage is mapped by the same readers as whole responses (plain input EXCLUDES cache reads and writes). The
 * shape is decided once, on the first chunk that tells it; after that each chunk costs a few property reads,
 * and the mapping runs only when {@link StreamAccumulator.facts} is asked.
 *
 * @example
 * ```ts
 * const acc = createStreamAccumulator();
 * const stream = await openai.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
 * for await (const chunk of stream) {
 *   acc.add(chunk);
 *   process.stdout.write(chunk.choices[0]?.delta.content ?? '');
 * }
 * acc.facts()?.usage; // UsageSnapshot from the final chunk
 * ```
 */
export function createStreamAccumulator(opts: StreamAccumulatorOptions = {}): StreamAccumulator {
  return new Accumulator(opts);
}
