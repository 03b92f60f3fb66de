import { get, isObject } from './read.js';
import type { ResponseFacts } from './response-facts.js';
import {
  AiSdkStream,
  AnthropicStream,
  BedrockStream,
  GeminiStream,
  OpenAIChatStream,
  OpenAIResponsesStream,
  type ShapeStream,
} from './stream-shapes.js';

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
