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
  modalityOf,
  outputMessage,
  str,
  textParts,
  toolCallPart,
  toolDefinition,
  toolResponsePart,
} from './content-common.js';
import { get } from './read.js';

// Anthropic Messages payloads in the GenAI conventions' message shape. A `tool_result` block stays in the
// `user` message that carries it: the conventions ask to keep the role the provider's API uses.

/** An `image` or `document` block's source (`base64`, `url`, `file`, `text`). */
function sourcePart(block: unknown, fallbackModality: string): MessagePart[] {
  const source = get(block, 'source');
  const mime = str(source, 'media_type');
  switch (str(source, 'type')) {
    case 'base64':
      return [
        {
          type: 'blob',
          modality: modalityOf(mime, fallbackModality),
          ...(mime !== undefined && { mime_type: mime }),
          content: str(source, 'data') ?? '',
        },
      ];
    case 'url':
      return [dataPart(str(source, 'url') ?? '', mime, fallbackModality)];
    case 'file':
      return [{ type: 'file', modality: fallbackModality, file_id: str(source, 'file_id') ?? '' }];
    case 'text':
      return textParts(get(source, 'data'));
    case 'content':
      return list(get(source, 'content')).flatMap(blockParts);
    default:
      return [{ type: str(block, 'type') ?? 'unknown' }];
  }
}

/** One content block as message parts. */
function blockParts(block: unknown): MessagePart[] {
  if (typeof block === 'string') return textParts(block);
  const type = str(block, 'type');
  switch (type) {
    case 'text':
      return textParts(get(block, 'text'));
    case 'image':
      return sourcePart(block, 'image');
    case 'document':
      return sourcePart(block, 'document');
    case 'tool_use':
      return [toolCallPart(get(block, 'id'), get(block, 'name'), get(block, 'input'))];
    case 'tool_result': {
      const content = get(block, 'content');
      const response = typeof content === 'string' ? content : list(content).flatMap(blockParts);
      return [toolResponsePart(get(block, 'tool_use_id'), response)];
    }
    case 'thinking':
      return [{ type: 'reasoning', content: str(block, 'thinking') ?? '' }];
    case 'redacted_thinking':
      return [{ type: 'reasoning', content: '' }];
    case 'server_tool_use':
      return [
        {
          type: 'server_tool_call',
          ...(str(block, 'id') !== undefined && { id: str(block, 'id') }),
          name: str(block, 'name') ?? 'server_tool',
          server_tool_call: { type: str(block, 'name') ?? 'server_tool', input: get(block, 'input') ?? null },
        },
      ];
    default:
      if (type === undefined) return [];
      // `web_search_tool_result` and the other results of tools Anthropic runs itself.
      if (type.endsWith('_tool_result')) {
        return [
          {
            type: 'server_tool_call_response',
            ...(str(block, 'tool_use_id') !== undefined && { id: str(block, 'tool_use_id') }),
            server_tool_call_response: { type, content: get(block, 'content') ?? null },
          },
        ];
      }
      return [{ type }];
  }
}

function contentParts(content: unknown): MessagePart[] {
  return typeof content === 'string' ? textParts(content) : list(content).flatMap(blockParts);
}

/** The content of a Messages request body (`system`, `messages`, `tools`). @internal */
export function anthropicInput(body: unknown): CapturedContent {
  const messages: InputMessage[] = list(get(body, 'messages')).map((m) => ({
    role: str(m, 'role') ?? 'user',
    parts: contentParts(get(m, 'content')),
  }));
  const system = contentParts(get(body, 'system'));
  const tools = list(get(body, 'tools')).flatMap((tool) => {
    const type = str(tool, 'type');
    return toolDefinition(type === undefined || type === 'custom' ? 'function' : type, get(tool, 'name'));
  });
  return {
    inputMessages: messages,
    ...(system.length > 0 && { systemInstructions: system }),
    ...(tools.length > 0 && { toolDefinitions: tools }),
  };
}

/** The output message of a Messages response. @internal */
export function anthropicOutput(message: unknown): OutputMessage[] {
  return [
    outputMessage(
      get(message, 'role'),
      contentParts(get(message, 'content')),
      finishReasonOf(get(message, 'stop_reason')),
    ),
  ];
}

interface BlockDraft {
  block: Record<string, unknown>;
  text: string;
  json: string;
}

/** Builds the output message of a streamed Messages call from its events. @internal */
export class AnthropicContentStream {
  readonly #blocks: BlockDraft[] = [];
  #role: string | undefined;
  #reason: string | undefined;

  add(event: object): void {
    switch (str(event, 'type')) {
      case 'message_start':
        this.#role = str(get(event, 'message'), 'role');
        return;
      case 'content_block_start': {
        const block = get(event, 'content_block');
        const i = this.#index(event);
        if (i !== undefined && typeof block === 'object' && block !== null) {
          this.#blocks[i] = { block: { ...(block as Record<string, unknown>) }, text: '', json: '' };
        }
        return;
      }
      case 'content_block_delta': {
        const i = this.#index(event);
        const draft = i !== undefined ? this.#blocks[i] : undefined;
        if (!draft) return;
        const delta = get(event, 'delta');
        draft.text += str(delta, 'text') ?? str(delta, 'thinking') ?? '';
        draft.json += str(delta, 'partial_json') ?? '';
        return;
      }
      case 'message_delta': {
        const reason = str(get(event, 'delta'), 'stop_reason');
        if (reason !== undefined) this.#reason = reason;
        return;
      }
      default:
        return;
    }
  }

  #index(event: object): number | undefined {
    const i = get(event, 'index');
    return typeof i === 'number' && Number.isSafeInteger(i) && i >= 0 && i < 1024 ? i : undefined;
  }

  messages(): OutputMessage[] {
    const blocks = this.#blocks
      .filter((d): d is BlockDraft => d !== undefined)
      .map(({ block, text, json }) => {
        const type = block.type;
        if (type === 'text')
          return { ...block, text: `${typeof block.text === 'string' ? block.text : ''}${text}` };
        if (type === 'thinking') {
          return { ...block, thinking: `${typeof block.thinking === 'string' ? block.thinking : ''}${text}` };
        }
        if ((type === 'tool_use' || type === 'server_tool_use') && json !== '')
          return { ...block, input: json };
        return block;
      });
    if (blocks.length === 0 && this.#reason === undefined) return [];
    return [outputMessage(this.#role, contentParts(blocks), finishReasonOf(this.#reason, INTERRUPTED))];
  }
}
