import type {
  CapturedContent,
  InputMessage,
  MessagePart,
  OutputMessage,
} from '../telemetry/message-content.js';
import {
  dataPart,
  finishReasonOf,
  INTERRUPTED,
  list,
  outputMessage,
  str,
  textParts,
  toolCallPart,
  toolDefinition,
  toolResponsePart,
} from './content-common.js';
import { get, isObject } from './read.js';

// Vercel AI SDK payloads in the GenAI conventions' message shape: the language-model prompt a middleware sees
// (LanguageModelV2, V3 and V4: `{ role, content: parts }`, system messages as strings), the `ModelMessage`s an
// app passes to `generateText`, and the model's `doGenerate` result and `doStream` parts.

/** A file part's data across versions: bytes, base64, a URL, or V4's `{ type: 'data' | 'url' | 'text' }`. */
function fileData(part: unknown, data: unknown): MessagePart[] {
  const mime = str(part, 'mediaType') ?? str(part, 'mimeType');
  if (isObject(data) && !(data instanceof URL) && !(data instanceof Uint8Array)) {
    switch (str(data, 'type')) {
      case 'data':
        return [dataPart(get(data, 'data'), mime)];
      case 'url':
        return [dataPart(get(data, 'url'), mime)];
      case 'text':
        return textParts(get(data, 'text'));
      case 'reference':
        return [
          {
            type: 'file',
            modality: 'document',
            ...(mime !== undefined && { mime_type: mime }),
            file_id: 'reference',
          },
        ];
      default:
        return [];
    }
  }
  return [dataPart(data, mime)];
}

/** A tool result's output: V2+ `{ type, value }`, or the older bare `result`. */
function toolOutput(part: unknown): unknown {
  const output = get(part, 'output');
  if (isObject(output)) {
    const type = str(output, 'type');
    if (type === 'execution-denied') return { denied: true, reason: get(output, 'reason') ?? null };
    if (type === 'content') return list(get(output, 'value')).flatMap(promptPart);
    return get(output, 'value') ?? null;
  }
  return get(part, 'result') ?? output ?? null;
}

/** One prompt part (`text`, `file`, `image`, `reasoning`, `tool-call`, `tool-result`, …). */
function promptPart(part: unknown): MessagePart[] {
  if (typeof part === 'string') return textParts(part);
  const type = str(part, 'type');
  switch (type) {
    case 'text':
      return textParts(get(part, 'text'));
    case 'reasoning':
      return [{ type: 'reasoning', content: str(part, 'text') ?? '' }];
    case 'file':
    case 'reasoning-file':
      return fileData(part, get(part, 'data'));
    case 'image':
      return [dataPart(get(part, 'image'), str(part, 'mediaType') ?? str(part, 'mimeType'), 'image')];
    case 'tool-call':
      return [
        toolCallPart(get(part, 'toolCallId'), get(part, 'toolName'), get(part, 'input') ?? get(part, 'args')),
      ];
    case 'tool-result':
      return [toolResponsePart(get(part, 'toolCallId'), toolOutput(part))];
    default:
      return type !== undefined ? [{ type }] : [];
  }
}

function promptMessage(message: unknown): InputMessage {
  const content = get(message, 'content');
  return {
    role: str(message, 'role') ?? 'user',
    parts: typeof content === 'string' ? textParts(content) : list(content).flatMap(promptPart),
  };
}

/**
 * The content of an AI SDK call: a prompt (an array of messages) or call options with `prompt` (or
 * `messages`) and `tools`. System messages stay in the messages, where the prompt has them. @internal
 */
export function aiSdkInput(input: unknown): CapturedContent {
  const prompt = Array.isArray(input) ? input : (get(input, 'prompt') ?? get(input, 'messages'));
  const messages =
    typeof prompt === 'string'
      ? [{ role: 'user', parts: textParts(prompt) }]
      : list(prompt).map(promptMessage);
  const system = Array.isArray(input) ? [] : textParts(get(input, 'system'));
  const tools = Array.isArray(input)
    ? []
    : list(get(input, 'tools')).flatMap((tool) => {
        const type = str(tool, 'type');
        return toolDefinition(
          type === 'function' || type === undefined ? 'function' : (str(tool, 'id') ?? type),
          get(tool, 'name'),
        );
      });
  return {
    inputMessages: messages,
    ...(system.length > 0 && { systemInstructions: system }),
    ...(tools.length > 0 && { toolDefinitions: tools }),
  };
}

/** The AI SDK's finish reason: a string (V2, V3) or V4's `{ unified, raw }`. */
function aiSdkReason(reason: unknown): string | undefined {
  if (typeof reason === 'string') return reason;
  return str(reason, 'unified');
}

/** The output message of a language model's `doGenerate` result (its `content` parts). @internal */
export function aiSdkOutput(result: unknown): OutputMessage[] {
  const content = get(result, 'content');
  const parts = Array.isArray(content) ? content.flatMap(outputPart) : textParts(get(result, 'text'));
  return [outputMessage('assistant', parts, finishReasonOf(aiSdkReason(get(result, 'finishReason'))))];
}

/** One generated content part; `source` citations and tool approvals carry no content and are left out. */
function outputPart(part: unknown): MessagePart[] {
  const type = str(part, 'type');
  if (type === 'source' || type === 'tool-approval-request') return [];
  if (type === 'tool-result')
    return [toolResponsePart(get(part, 'toolCallId'), get(part, 'result') ?? toolOutput(part))];
  return promptPart(part);
}

interface PartDraft {
  type: 'text' | 'reasoning';
  content: string;
}

/** Builds the output message of a language model's `doStream` parts (or `streamText().fullStream`). @internal */
export class AiSdkContentStream {
  readonly #parts: (PartDraft | MessagePart)[] = [];
  readonly #open = new Map<string, PartDraft>();
  #reason: string | undefined;

  add(part: object): void {
    const type = str(part, 'type');
    switch (type) {
      case 'text-delta':
      case 'reasoning-delta':
      case 'reasoning': {
        const kind = type === 'text-delta' ? 'text' : 'reasoning';
        const delta = str(part, 'delta') ?? str(part, 'textDelta') ?? str(part, 'text') ?? '';
        const id = `${kind}:${str(part, 'id') ?? ''}`;
        let draft = this.#open.get(id);
        if (draft === undefined) {
          draft = { type: kind, content: '' };
          this.#open.set(id, draft);
          this.#parts.push(draft);
        }
        draft.content += delta;
        return;
      }
      case 'text-end':
      case 'reasoning-end':
        this.#open.delete(`${type === 'text-end' ? 'text' : 'reasoning'}:${str(part, 'id') ?? ''}`);
        return;
      case 'tool-call':
      case 'file':
      case 'tool-result':
        this.#parts.push(...outputPart(part));
        return;
      case 'finish':
      case 'finish-step': {
        const reason = aiSdkReason(get(part, 'finishReason'));
        if (reason !== undefined) this.#reason = reason;
        return;
      }
      default:
        return;
    }
  }

  messages(): OutputMessage[] {
    if (this.#parts.length === 0 && this.#reason === undefined) return [];
    const parts = this.#parts.map((p) => ({ ...p }) as MessagePart);
    return [outputMessage('assistant', parts, finishReasonOf(this.#reason, INTERRUPTED))];
  }
}
