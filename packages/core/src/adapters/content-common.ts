import { base64Of } from '../telemetry/content-json.js';
import type { MessagePart, OutputMessage, ToolDefinition } from '../telemetry/message-content.js';
import { get } from './read.js';

// What every provider's content converter shares: guarded reads, the conventions' modality and finish-reason
// vocabularies, and tool arguments parsed from the JSON strings providers send.

/** `value` as an array (a single item wrapped), or empty. @internal */
export function list(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/** A string property, or `undefined`. @internal */
export function str(holder: unknown, key: string): string | undefined {
  const v = get(holder, key);
  return typeof v === 'string' ? v : undefined;
}

/** A text part, or nothing for an empty text. @internal */
export function textParts(text: unknown): MessagePart[] {
  return typeof text === 'string' && text.length > 0 ? [{ type: 'text', content: text }] : [];
}

/** The conventions' modality of a MIME type (`image/png` → `image`; PDFs and text are `document`). @internal */
export function modalityOf(mimeType: string | undefined, fallback = 'document'): string {
  if (mimeType === undefined) return fallback;
  const top = mimeType.split('/')[0]?.toLowerCase();
  if (top === 'image' || top === 'video' || top === 'audio') return top;
  return 'document';
}

/**
 * A part for inline data or a reference: `data:` URLs become blobs (their base64 payload), other URLs `uri`
 * parts, bytes blobs. @internal
 */
export function dataPart(
  data: unknown,
  mimeType: string | undefined,
  fallbackModality?: string,
): MessagePart {
  const modality = modalityOf(mimeType, fallbackModality);
  const mime = mimeType !== undefined ? { mime_type: mimeType } : {};
  if (data instanceof URL) return { type: 'uri', modality, ...mime, uri: data.href };
  if (data instanceof Uint8Array) return { type: 'blob', modality, ...mime, content: base64Of(data) };
  if (typeof data === 'string') {
    const match = /^data:([^;,]+)?(?:;[^,]*)?,(.*)$/s.exec(data);
    if (match) {
      const dataMime = mimeType ?? match[1];
      return {
        type: 'blob',
        modality: modalityOf(dataMime, fallbackModality),
        ...(dataMime !== undefined && { mime_type: dataMime }),
        content: match[2] ?? '',
      };
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(data)) return { type: 'uri', modality, ...mime, uri: data };
    return { type: 'blob', modality, ...mime, content: data };
  }
  return { type: 'blob', modality, ...mime, content: '' };
}

/** Tool arguments as the conventions want them: the parsed object when a JSON string was sent. @internal */
export function parsedArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    // A stream cut mid-arguments, or a model that sent invalid JSON: keep the text.
    return value;
  }
}

/** A `tool_call` part. @internal */
export function toolCallPart(id: unknown, name: unknown, args: unknown): MessagePart {
  const parsed = parsedArguments(args);
  return {
    type: 'tool_call',
    ...(typeof id === 'string' && { id }),
    name: typeof name === 'string' ? name : '',
    ...(parsed !== undefined && { arguments: parsed }),
  };
}

/** A `tool_call_response` part. @internal */
export function toolResponsePart(id: unknown, response: unknown): MessagePart {
  return { type: 'tool_call_response', ...(typeof id === 'string' && { id }), response: response ?? null };
}

// Providers' finish reasons mapped to the conventions' (`stop`, `length`, `content_filter`, `tool_call`,
// `error`); an unknown reason is kept as the provider sent it.
const FINISH_REASONS: Readonly<Record<string, string>> = {
  // OpenAI Chat Completions
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_call',
  function_call: 'tool_call',
  content_filter: 'content_filter',
  // Anthropic
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_call',
  refusal: 'content_filter',
  model_context_window_exceeded: 'length',
  // Gemini (upper case on the wire)
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  // OpenAI Responses incomplete reasons
  max_output_tokens: 'length',
  // AI SDK
  'content-filter': 'content_filter',
  'tool-calls': 'tool_call',
  error: 'error',
};

/**
 * The finish reason of a streamed response that ended before the provider sent one (abandoned, cancelled, cut
 * off): not a convention value, which allows custom ones; the AI SDK calls the same case `interrupted`.
 * @internal
 */
export const INTERRUPTED = 'interrupted';

/** The conventions' finish reason for a provider's. @internal */
export function finishReasonOf(reason: unknown, fallback = 'stop'): string {
  if (typeof reason !== 'string' || reason.length === 0) return fallback;
  return FINISH_REASONS[reason] ?? reason.toLowerCase();
}

/** An output message. @internal */
export function outputMessage(role: unknown, parts: MessagePart[], reason: string): OutputMessage {
  return {
    role: typeof role === 'string' && role.length > 0 ? role : 'assistant',
    parts,
    finish_reason: reason,
  };
}

/** A tool definition from a name and type, or nothing when unnamed. @internal */
export function toolDefinition(type: unknown, name: unknown): ToolDefinition[] {
  if (typeof name !== 'string' || name.length === 0) return [];
  return [{ type: typeof type === 'string' && type.length > 0 ? type : 'function', name }];
}
