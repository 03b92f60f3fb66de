import type { CapturedContent, InputMessage, OutputMessage } from '../telemetry/message-content.js';
import { AiSdkContentStream, aiSdkInput, aiSdkOutput } from './content-ai-sdk.js';
import { AnthropicContentStream, anthropicInput, anthropicOutput } from './content-anthropic.js';
import { list, str, textParts } from './content-common.js';
import { GeminiContentStream, geminiInput, geminiOutput } from './content-gemini.js';
import {
  OpenAIChatContentStream,
  OpenAIResponsesContentStream,
  openAIChatInput,
  openAIChatOutput,
  openAIResponsesInput,
  openAIResponsesOutput,
} from './content-openai.js';
import { get, isObject } from './read.js';

/**
 * The payload shapes agentrace converts to the GenAI conventions' messages: OpenAI Chat Completions, OpenAI
 * Responses, Anthropic Messages, Gemini / Vertex AI `generateContent`, and the Vercel AI SDK's language-model
 * prompt and results.
 */
export type ContentShape = 'openai.chat' | 'openai.responses' | 'anthropic' | 'gemini' | 'ai-sdk';

// Part types only one provider's messages use; a text part (`{ type: 'text', text }`) or a string content
// says nothing, and any of the converters reads it the same way. `image`, `document` and `file` are shared
// names: the part's other fields tell them apart.
const ANTHROPIC_PARTS = new Set(['tool_use', 'tool_result', 'thinking', 'redacted_thinking']);
const AI_SDK_PARTS = new Set(['tool-call', 'tool-result', 'reasoning', 'reasoning-file']);
const RESPONSES_PARTS = new Set(['input_text', 'output_text', 'input_image', 'input_file']);
const RESPONSES_ITEMS = new Set(['message', 'function_call', 'function_call_output', 'reasoning']);
const CHAT_PARTS = new Set(['image_url', 'input_audio', 'refusal']);

/** The shape one content part tells, if any. */
function partShape(part: unknown): ContentShape | undefined {
  const type = str(part, 'type');
  if (type === undefined) return undefined;
  if (ANTHROPIC_PARTS.has(type)) return 'anthropic';
  if (AI_SDK_PARTS.has(type)) return 'ai-sdk';
  if (RESPONSES_PARTS.has(type)) return 'openai.responses';
  if (CHAT_PARTS.has(type)) return 'openai.chat';
  if (type === 'image' || type === 'document')
    return get(part, 'source') !== undefined ? 'anthropic' : 'ai-sdk';
  if (type === 'file') return get(part, 'file') !== undefined ? 'openai.chat' : 'ai-sdk';
  return undefined;
}

/** The shape of a list of messages, from the first message or part that tells it. */
function messagesShape(messages: readonly unknown[]): ContentShape | undefined {
  for (const message of messages) {
    if (!isObject(message)) continue;
    const type = str(message, 'type');
    if (type !== undefined && RESPONSES_ITEMS.has(type)) return 'openai.responses';
    if (get(message, 'tool_calls') !== undefined || get(message, 'tool_call_id') !== undefined)
      return 'openai.chat';
    if (Array.isArray(get(message, 'parts'))) return 'gemini';
    for (const part of list(get(message, 'content'))) {
      const told = partShape(part);
      if (told !== undefined) return told;
    }
  }
  return undefined;
}

/** The shape of a request (a body or a list of messages), or `undefined` when nothing tells it. */
function inputShape(value: unknown): ContentShape | undefined {
  if (Array.isArray(value)) return messagesShape(value) ?? 'openai.chat';
  if (!isObject(value)) return undefined;
  if (get(value, 'contents') !== undefined) return 'gemini';
  if (get(value, 'prompt') !== undefined) return 'ai-sdk';
  const messages = get(value, 'messages');
  if (Array.isArray(messages)) {
    const told = messagesShape(messages);
    if (told !== undefined) return told;
    const anthropicTools = list(get(value, 'tools')).some((t) => get(t, 'input_schema') !== undefined);
    return get(value, 'system') !== undefined || anthropicTools ? 'anthropic' : 'openai.chat';
  }
  if (get(value, 'input') !== undefined || get(value, 'instructions') !== undefined)
    return 'openai.responses';
  if (typeof get(value, 'role') === 'string') return inputShape([value]);
  return undefined;
}

/** A value of no known shape, recorded as one text part of its JSON (masked and cut like any content). */
function asText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return '';
    }
  }
}

const INPUT: Readonly<Record<ContentShape, (value: unknown) => CapturedContent>> = {
  'openai.chat': (v) =>
    openAIChatInput(Array.isArray(v) ? { messages: v } : isMessage(v) ? { messages: [v] } : v),
  'openai.responses': (v) => openAIResponsesInput(Array.isArray(v) ? { input: v } : v),
  anthropic: (v) => anthropicInput(Array.isArray(v) ? { messages: v } : isMessage(v) ? { messages: [v] } : v),
  gemini: (v) => geminiInput(Array.isArray(v) ? { contents: v } : v),
  'ai-sdk': (v) => aiSdkInput(v),
};

function isMessage(value: unknown): boolean {
  return typeof get(value, 'role') === 'string' && get(value, 'messages') === undefined;
}

/**
 * A model call's request content in the GenAI conventions' shape (input messages, system instructions, tool
 * definitions), from a request body or a list of messages. With no `shape`, it is told by the payload: the
 * fields of the body (`contents`, `prompt`, `messages` with `system`, `input`/`instructions`) or the first
 * message or part type only one provider uses. A string is one user message; anything else of no known shape
 * one user message with its JSON as text. Never throws.
 *
 * @example
 * ```ts
 * captureInput({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] });
 * // { inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }],
 * //   systemInstructions: [{ type: 'text', content: 'Be brief.' }] }
 * ```
 */
export function captureInput(value: unknown, shape?: ContentShape): CapturedContent {
  try {
    if (typeof value === 'string') return { inputMessages: [{ role: 'user', parts: textParts(value) }] };
    const told = shape ?? inputShape(value);
    if (told !== undefined) return INPUT[told](value);
  } catch {
    // A hostile payload (a throwing Proxy) is recorded as what it serialises to, if anything.
  }
  if (value === undefined || value === null) return {};
  const parts = textParts(asText(value));
  if (parts.length === 0) return {};
  const fallback: InputMessage = { role: 'user', parts };
  return { inputMessages: [fallback] };
}

/** The shape of a whole response, or `undefined`. */
function outputShape(value: unknown): ContentShape | undefined {
  if (!isObject(value)) return undefined;
  if (Array.isArray(get(value, 'choices'))) return 'openai.chat';
  if (Array.isArray(get(value, 'candidates'))) return 'gemini';
  if (
    get(value, 'object') === 'response' ||
    (Array.isArray(get(value, 'output')) && get(value, 'status') !== undefined)
  )
    return 'openai.responses';
  if (get(value, 'type') === 'message' && Array.isArray(get(value, 'content'))) return 'anthropic';
  if (Array.isArray(get(value, 'content')) && get(value, 'finishReason') !== undefined) return 'ai-sdk';
  return undefined;
}

const OUTPUT: Readonly<Record<ContentShape, (value: unknown) => OutputMessage[]>> = {
  'openai.chat': openAIChatOutput,
  'openai.responses': openAIResponsesOutput,
  anthropic: anthropicOutput,
  gemini: geminiOutput,
  'ai-sdk': aiSdkOutput,
};

/**
 * A model call's output messages in the GenAI conventions' shape (one per choice or candidate), from a
 * whole response. With no `shape`, it is told by the response (`choices`, `candidates`, a Responses object,
 * an Anthropic `message`, an AI SDK result). A string is one assistant message; a value of no known shape
 * yields none. Never throws.
 */
export function captureOutput(value: unknown, shape?: ContentShape): OutputMessage[] {
  try {
    if (typeof value === 'string')
      return [{ role: 'assistant', parts: textParts(value), finish_reason: 'stop' }];
    const told = shape ?? outputShape(value);
    return told !== undefined ? OUTPUT[told](value) : [];
  } catch {
    return [];
  }
}

/** Builds a streamed call's output messages from its chunks (see {@link createContentAccumulator}). */
export interface ContentAccumulator {
  /** Takes one chunk. Never throws and never changes the chunk; chunks of no known shape are skipped. */
  add(chunk: unknown): void;
  /** The output messages of what arrived so far (texts joined, tool-call arguments parsed). Never throws. */
  messages(): OutputMessage[];
}

interface ShapeContentStream {
  add(chunk: object): void;
  messages(): OutputMessage[];
}

const STREAMS: Readonly<Record<ContentShape, () => ShapeContentStream>> = {
  'openai.chat': () => new OpenAIChatContentStream(),
  'openai.responses': () => new OpenAIResponsesContentStream(),
  anthropic: () => new AnthropicContentStream(),
  gemini: () => new GeminiContentStream(),
  'ai-sdk': () => new AiSdkContentStream(),
};

const ANTHROPIC_EVENTS = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'message_delta',
]);
const AI_SDK_STREAM_PARTS = new Set([
  'stream-start',
  'text-start',
  'text-delta',
  'reasoning-start',
  'reasoning-delta',
  'tool-input-start',
  'tool-call',
  'finish',
  'finish-step',
  'response-metadata',
]);

function chunkShape(chunk: object): ContentShape | undefined {
  const type = get(chunk, 'type');
  if (typeof type === 'string') {
    if (ANTHROPIC_EVENTS.has(type)) return 'anthropic';
    if (type.startsWith('response.')) return 'openai.responses';
    if (AI_SDK_STREAM_PARTS.has(type)) return 'ai-sdk';
    return undefined;
  }
  if (Array.isArray(get(chunk, 'choices'))) return 'openai.chat';
  if (Array.isArray(get(chunk, 'candidates'))) return 'gemini';
  return undefined;
}

/**
 * A {@link ContentAccumulator} for a streamed call: OpenAI Chat Completions chunks, Responses events,
 * Anthropic Messages events, Gemini `generateContentStream` chunks, or AI SDK stream parts. With no `shape`
 * it is told by the first chunk that tells it. A stream that ends before its finish reason (abandoned, cut
 * off) gives the messages so far with the finish reason `interrupted`.
 */
export function createContentAccumulator(shape?: ContentShape): ContentAccumulator {
  let stream: ShapeContentStream | undefined = shape !== undefined ? STREAMS[shape]() : undefined;
  return {
    add(chunk) {
      if (typeof chunk !== 'object' || chunk === null) return;
      try {
        if (stream === undefined) {
          const told = chunkShape(chunk);
          if (told === undefined) return;
          stream = STREAMS[told]();
        }
        stream.add(chunk);
      } catch {
        // A hostile chunk is skipped: building content must never break the stream.
      }
    },
    messages() {
      try {
        return stream?.messages() ?? [];
      } catch {
        return [];
      }
    },
  };
}
