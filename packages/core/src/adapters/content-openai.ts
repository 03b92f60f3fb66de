import type {
  CapturedContent,
  InputMessage,
  MessagePart,
  OutputMessage,
  ToolDefinition,
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

// OpenAI's Chat Completions and Responses payloads in the GenAI conventions' message shape.

/** One Chat Completions content part (`text`, `image_url`, `input_audio`, `file`, `refusal`). */
function chatPart(part: unknown): MessagePart[] {
  if (typeof part === 'string') return textParts(part);
  const type = str(part, 'type');
  switch (type) {
    case 'text':
      return textParts(get(part, 'text'));
    case 'refusal':
      return textParts(get(part, 'refusal'));
    case 'image_url':
      return [dataPart(get(get(part, 'image_url'), 'url'), undefined, 'image')];
    case 'input_audio': {
      const audio = get(part, 'input_audio');
      const format = str(audio, 'format');
      return [dataPart(get(audio, 'data'), format ? `audio/${format}` : undefined, 'audio')];
    }
    case 'file': {
      const file = get(part, 'file');
      const id = str(file, 'file_id');
      if (id !== undefined) return [{ type: 'file', modality: 'document', file_id: id }];
      return [dataPart(get(file, 'file_data'), undefined, 'document')];
    }
    default:
      return type !== undefined ? [{ type }] : [];
  }
}

function chatContent(content: unknown): MessagePart[] {
  if (typeof content === 'string') return textParts(content);
  return list(content).flatMap(chatPart);
}

function chatToolCalls(message: unknown): MessagePart[] {
  const parts = list(get(message, 'tool_calls')).map((call) => {
    const fn = get(call, 'function') ?? get(call, 'custom');
    return toolCallPart(get(call, 'id'), get(fn, 'name'), get(fn, 'arguments') ?? get(fn, 'input'));
  });
  const legacy = get(message, 'function_call');
  if (isObject(legacy)) parts.push(toolCallPart(undefined, get(legacy, 'name'), get(legacy, 'arguments')));
  return parts;
}

/** One Chat Completions message (`system`, `developer`, `user`, `assistant`, `tool`, `function`). */
function chatMessage(message: unknown): InputMessage | undefined {
  const role = str(message, 'role');
  if (role === undefined) return undefined;
  const name = str(message, 'name');
  let parts: MessagePart[];
  if (role === 'tool' || role === 'function') {
    const content = get(message, 'content');
    const response = typeof content === 'string' ? content : chatContent(content);
    parts = [toolResponsePart(get(message, 'tool_call_id'), response)];
  } else {
    parts = [...chatContent(get(message, 'content')), ...chatToolCalls(message)];
  }
  return { role, parts, ...(name !== undefined && role !== 'function' && { name }) };
}

/** Chat Completions tools (`function` and `custom`). */
function chatTools(tools: unknown): ToolDefinition[] {
  return list(tools).flatMap((tool) => {
    const type = str(tool, 'type');
    const inner = get(tool, type ?? 'function') ?? get(tool, 'function');
    return toolDefinition(type, get(inner, 'name'));
  });
}

/** The content of a Chat Completions request body (`messages`, `tools`). @internal */
export function openAIChatInput(body: unknown): CapturedContent {
  const messages = list(get(body, 'messages'))
    .map(chatMessage)
    .filter((m): m is InputMessage => m !== undefined);
  const tools = chatTools(get(body, 'tools'));
  return { inputMessages: messages, ...(tools.length > 0 && { toolDefinitions: tools }) };
}

/** The output messages of a Chat Completions response: one per choice. @internal */
export function openAIChatOutput(completion: unknown): OutputMessage[] {
  return list(get(completion, 'choices')).map((choice) => {
    const message = get(choice, 'message');
    const parts = [...chatContent(get(message, 'content')), ...chatToolCalls(message)];
    if (parts.length === 0) parts.push(...textParts(get(message, 'refusal')));
    return outputMessage(get(message, 'role'), parts, finishReasonOf(get(choice, 'finish_reason')));
  });
}

interface ChatChoiceDraft {
  role?: string;
  text: string;
  refusal: string;
  reasoning: string;
  calls: { id?: string; name: string; args: string }[];
  reason?: string;
}

/** Builds the output messages of a streamed Chat Completions response from its chunks. @internal */
export class OpenAIChatContentStream {
  readonly #choices: ChatChoiceDraft[] = [];

  add(chunk: object): void {
    for (const choice of list(get(chunk, 'choices'))) {
      const index = get(choice, 'index');
      const i =
        typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 && index < 64 ? index : 0;
      this.#choices[i] ??= { text: '', refusal: '', reasoning: '', calls: [] };
      const draft = this.#choices[i];
      const delta = get(choice, 'delta');
      const role = str(delta, 'role');
      if (role !== undefined) draft.role = role;
      draft.text += str(delta, 'content') ?? '';
      draft.refusal += str(delta, 'refusal') ?? '';
      draft.reasoning += str(delta, 'reasoning_content') ?? str(delta, 'reasoning') ?? '';
      for (const call of list(get(delta, 'tool_calls'))) {
        const at = get(call, 'index');
        const k = typeof at === 'number' && Number.isSafeInteger(at) && at >= 0 && at < 128 ? at : 0;
        draft.calls[k] ??= { name: '', args: '' };
        const target = draft.calls[k];
        const id = str(call, 'id');
        if (id !== undefined) target.id = id;
        const fn = get(call, 'function');
        target.name += str(fn, 'name') ?? '';
        target.args += str(fn, 'arguments') ?? '';
      }
      const reason = str(choice, 'finish_reason');
      if (reason !== undefined) draft.reason = reason;
    }
  }

  messages(): OutputMessage[] {
    const out: OutputMessage[] = [];
    for (const draft of this.#choices) {
      if (draft === undefined) continue;
      const parts: MessagePart[] = [];
      if (draft.reasoning) parts.push({ type: 'reasoning', content: draft.reasoning });
      parts.push(...textParts(draft.text), ...textParts(draft.refusal));
      for (const call of draft.calls) if (call) parts.push(toolCallPart(call.id, call.name, call.args));
      out.push(outputMessage(draft.role, parts, finishReasonOf(draft.reason, INTERRUPTED)));
    }
    return out;
  }
}

/** One Responses API content part (`input_text`, `output_text`, `input_image`, `input_file`, …). */
function responsesPart(part: unknown): MessagePart[] {
  if (typeof part === 'string') return textParts(part);
  const type = str(part, 'type');
  switch (type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return textParts(get(part, 'text'));
    case 'refusal':
      return textParts(get(part, 'refusal'));
    case 'input_image': {
      const id = str(part, 'file_id');
      if (id !== undefined) return [{ type: 'file', modality: 'image', file_id: id }];
      return [dataPart(get(part, 'image_url'), undefined, 'image')];
    }
    case 'input_file': {
      const id = str(part, 'file_id');
      if (id !== undefined) return [{ type: 'file', modality: 'document', file_id: id }];
      return [dataPart(get(part, 'file_url') ?? get(part, 'file_data'), undefined, 'document')];
    }
    case 'input_audio': {
      const audio = get(part, 'input_audio');
      const format = str(audio, 'format');
      return [dataPart(get(audio, 'data'), format ? `audio/${format}` : undefined, 'audio')];
    }
    default:
      return type !== undefined ? [{ type }] : [];
  }
}

function reasoningParts(item: unknown): MessagePart[] {
  const text = list(get(item, 'summary'))
    .map((s) => str(s, 'text') ?? '')
    .filter((t) => t.length > 0)
    .join('\n');
  return text ? [{ type: 'reasoning', content: text }] : [];
}

/** The parts of one Responses input or output item (a message, a function call or its output, …). */
function responsesItemParts(item: unknown): MessagePart[] {
  const type = str(item, 'type') ?? 'message';
  switch (type) {
    case 'message': {
      const content = get(item, 'content');
      return typeof content === 'string' ? textParts(content) : list(content).flatMap(responsesPart);
    }
    case 'function_call':
    case 'custom_tool_call':
      return [
        toolCallPart(get(item, 'call_id'), get(item, 'name'), get(item, 'arguments') ?? get(item, 'input')),
      ];
    case 'function_call_output':
    case 'custom_tool_call_output':
      return [toolResponsePart(get(item, 'call_id'), get(item, 'output'))];
    case 'reasoning':
      return reasoningParts(item);
    default:
      // Built-in tools the provider runs (web search, file search, code interpreter, …).
      return [
        {
          type: 'server_tool_call',
          ...(typeof get(item, 'id') === 'string' && { id: get(item, 'id') }),
          name: type,
          server_tool_call: { type },
        },
      ];
  }
}

function responsesRole(item: unknown): string {
  const role = str(item, 'role');
  if (role !== undefined) return role;
  const type = str(item, 'type');
  return type === 'function_call_output' || type === 'custom_tool_call_output' ? 'tool' : 'assistant';
}

/** The content of a Responses API request body (`input`, `instructions`, `tools`). @internal */
export function openAIResponsesInput(body: unknown): CapturedContent {
  const input = get(body, 'input');
  const messages: InputMessage[] =
    typeof input === 'string'
      ? [{ role: 'user', parts: textParts(input) }]
      : list(input).map((item) => ({ role: responsesRole(item), parts: responsesItemParts(item) }));
  const instructions = textParts(get(body, 'instructions'));
  const tools = list(get(body, 'tools')).flatMap((tool) => {
    const type = str(tool, 'type');
    return toolDefinition(type, str(tool, 'name') ?? type);
  });
  return {
    inputMessages: messages,
    ...(instructions.length > 0 && { systemInstructions: instructions }),
    ...(tools.length > 0 && { toolDefinitions: tools }),
  };
}

function responsesReason(response: unknown, hasToolCall: boolean): string {
  const status = str(response, 'status');
  if (status === 'incomplete')
    return finishReasonOf(str(get(response, 'incomplete_details'), 'reason'), 'length');
  if (status === 'failed' || status === 'cancelled') return 'error';
  return hasToolCall ? 'tool_call' : 'stop';
}

/** The output message of a Responses API response: every output item's parts in one assistant message. @internal */
export function openAIResponsesOutput(response: unknown): OutputMessage[] {
  const parts = list(get(response, 'output')).flatMap(responsesItemParts);
  const hasToolCall = parts.some((p) => p.type === 'tool_call');
  return [outputMessage('assistant', parts, responsesReason(response, hasToolCall))];
}

/** Builds the output message of a streamed Responses API call from its events. @internal */
export class OpenAIResponsesContentStream {
  #final: unknown;
  readonly #items: unknown[] = [];
  readonly #texts: string[] = [];

  add(event: object): void {
    const type = str(event, 'type');
    if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
      this.#final = get(event, 'response');
      return;
    }
    const index = get(event, 'output_index');
    const i =
      typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 && index < 256 ? index : 0;
    if (type === 'response.output_item.done') this.#items[i] = get(event, 'item');
    else if (type === 'response.output_text.delta')
      this.#texts[i] = (this.#texts[i] ?? '') + (str(event, 'delta') ?? '');
  }

  messages(): OutputMessage[] {
    if (isObject(this.#final) && Array.isArray(get(this.#final, 'output'))) {
      return openAIResponsesOutput(this.#final);
    }
    // Abandoned or cut short: what had arrived, items finished and text still streaming.
    const parts: MessagePart[] = [];
    const n = Math.max(this.#items.length, this.#texts.length);
    for (let i = 0; i < n; i++) {
      if (this.#items[i] !== undefined) parts.push(...responsesItemParts(this.#items[i]));
      else if (this.#texts[i]) parts.push(...textParts(this.#texts[i]));
    }
    if (parts.length === 0) return [];
    return [outputMessage('assistant', parts, INTERRUPTED)];
  }
}
