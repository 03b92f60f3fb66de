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
import { get, isObject } from './read.js';

// Gemini / Vertex AI (`@google/genai` and the REST API) payloads in the GenAI conventions' message shape.
// Gemini's `model` role is the conventions' `assistant`.

function roleOf(role: unknown): string {
  if (role === 'model') return 'assistant';
  return typeof role === 'string' && role.length > 0 ? role : 'user';
}

/** One Gemini `Part`. */
function geminiPart(part: unknown): MessagePart[] {
  if (typeof part === 'string') return textParts(part);
  if (!isObject(part)) return [];
  const text = get(part, 'text');
  if (typeof text === 'string') {
    return get(part, 'thought') === true ? [{ type: 'reasoning', content: text }] : textParts(text);
  }
  const inline = get(part, 'inlineData');
  if (isObject(inline)) return [dataPart(str(inline, 'data') ?? '', str(inline, 'mimeType'))];
  const file = get(part, 'fileData');
  if (isObject(file)) {
    const mime = str(file, 'mimeType');
    return [
      {
        type: 'uri',
        modality: modalityOf(mime),
        ...(mime !== undefined && { mime_type: mime }),
        uri: str(file, 'fileUri') ?? '',
      },
    ];
  }
  const call = get(part, 'functionCall');
  if (isObject(call)) return [toolCallPart(get(call, 'id'), get(call, 'name'), get(call, 'args'))];
  const response = get(part, 'functionResponse');
  if (isObject(response)) {
    return [toolResponsePart(get(response, 'id') ?? get(response, 'name'), get(response, 'response'))];
  }
  const code = get(part, 'executableCode');
  if (isObject(code)) {
    return [
      {
        type: 'server_tool_call',
        name: 'code_execution',
        server_tool_call: { type: 'code_execution', ...code },
      },
    ];
  }
  const result = get(part, 'codeExecutionResult');
  if (isObject(result)) {
    return [
      { type: 'server_tool_call_response', server_tool_call_response: { type: 'code_execution', ...result } },
    ];
  }
  return [];
}

function isContent(value: unknown): boolean {
  return isObject(value) && (Array.isArray(get(value, 'parts')) || typeof get(value, 'role') === 'string');
}

/** `contents` as messages: a string, one part, one `Content`, or an array of either (parts form one user turn). */
function contentsMessages(contents: unknown): InputMessage[] {
  const items = list(contents);
  if (items.length === 0) return [];
  if (!items.some(isContent)) return [{ role: 'user', parts: items.flatMap(geminiPart) }];
  const out: InputMessage[] = [];
  for (const item of items) {
    if (isContent(item)) {
      out.push({ role: roleOf(get(item, 'role')), parts: list(get(item, 'parts')).flatMap(geminiPart) });
    } else out.push({ role: 'user', parts: geminiPart(item) });
  }
  return out;
}

/** `systemInstruction` (a string, a part, parts, or a `Content`) as parts. */
function instructionParts(instruction: unknown): MessagePart[] {
  if (isContent(instruction)) return list(get(instruction, 'parts')).flatMap(geminiPart);
  return list(instruction).flatMap(geminiPart);
}

/**
 * The content of a `generateContent` request: the SDK's parameters (`contents`, `config.systemInstruction`,
 * `config.tools`) or the REST body (the same fields at the top level). @internal
 */
export function geminiInput(body: unknown): CapturedContent {
  const config = get(body, 'config');
  const system = instructionParts(get(config, 'systemInstruction') ?? get(body, 'systemInstruction'));
  const tools = list(get(config, 'tools') ?? get(body, 'tools')).flatMap((tool) => {
    const declarations = get(tool, 'functionDeclarations');
    if (Array.isArray(declarations))
      return declarations.flatMap((d) => toolDefinition('function', get(d, 'name')));
    // A built-in tool (`googleSearch`, `codeExecution`, `urlContext`, …): its one key names it.
    return isObject(tool) ? Object.keys(tool).flatMap((key) => toolDefinition(key, key)) : [];
  });
  return {
    inputMessages: contentsMessages(get(body, 'contents')),
    ...(system.length > 0 && { systemInstructions: system }),
    ...(tools.length > 0 && { toolDefinitions: tools }),
  };
}

/** The output messages of a `generateContent` response: one per candidate. @internal */
export function geminiOutput(response: unknown): OutputMessage[] {
  return list(get(response, 'candidates')).map((candidate) => {
    const content = get(candidate, 'content');
    return outputMessage(
      roleOf(get(content, 'role') ?? 'model'),
      list(get(content, 'parts')).flatMap(geminiPart),
      finishReasonOf(get(candidate, 'finishReason')),
    );
  });
}

interface CandidateDraft {
  parts: MessagePart[];
  reason?: string;
}

/** Builds the output messages of a `generateContentStream` call from its chunks (each carries new parts). @internal */
export class GeminiContentStream {
  readonly #candidates: CandidateDraft[] = [];

  add(chunk: object): void {
    const candidates = list(get(chunk, 'candidates'));
    candidates.forEach((candidate, position) => {
      const index = get(candidate, 'index');
      const i =
        typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 && index < 64
          ? index
          : position;
      this.#candidates[i] ??= { parts: [] };
      const draft = this.#candidates[i];
      for (const part of list(get(get(candidate, 'content'), 'parts')).flatMap(geminiPart)) {
        const last = draft.parts[draft.parts.length - 1];
        // Text arrives in pieces: consecutive text (or reasoning) joins the part before it.
        if (
          last !== undefined &&
          last.type === part.type &&
          (part.type === 'text' || part.type === 'reasoning')
        ) {
          draft.parts[draft.parts.length - 1] = {
            type: part.type,
            content: `${(last as { content: string }).content}${(part as { content: string }).content}`,
          };
        } else draft.parts.push(part);
      }
      const reason = str(candidate, 'finishReason');
      if (reason !== undefined) draft.reason = reason;
    });
  }

  messages(): OutputMessage[] {
    return this.#candidates
      .filter((d): d is CandidateDraft => d !== undefined)
      .map((d) => outputMessage('assistant', d.parts, finishReasonOf(d.reason, INTERRUPTED)));
  }
}
