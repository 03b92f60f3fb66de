import { ValidationError } from '@agentrace/pricing';
import { type Attributes, diag, type Span } from '@opentelemetry/api';
import { captureContentFromEnv } from './content-capture.js';
import { fitJson, maskDeep } from './content-json.js';
import * as sc from './semconv.js';

// The GenAI conventions' message-content shapes (open-telemetry/semantic-conventions-genai,
// docs/gen-ai/gen-ai-input-messages.json, gen-ai-output-messages.json, gen-ai-system-instructions.json,
// gen-ai-tool-definitions.json): every message is a role plus typed parts. Field names are the conventions'
// (snake_case), so a value serialises to the recorded JSON as it is.

/** Text sent to or received from the model. */
export interface TextPart {
  readonly type: 'text';
  readonly content: string;
}

/** A tool call the model asked for. `arguments` is the parsed JSON when the provider sent a string. */
export interface ToolCallRequestPart {
  readonly type: 'tool_call';
  readonly id?: string;
  readonly name: string;
  readonly arguments?: unknown;
}

/** A tool call's result sent back to the model. */
export interface ToolCallResponsePart {
  readonly type: 'tool_call_response';
  readonly id?: string;
  readonly response: unknown;
}

/** Inline binary data (base64 in `content`). */
export interface BlobPart {
  readonly type: 'blob';
  /** `image`, `video`, `audio`, `document` or another string. */
  readonly modality: string;
  readonly mime_type?: string;
  readonly content: string;
}

/** A file the provider holds, referenced by id. */
export interface FilePart {
  readonly type: 'file';
  readonly modality: string;
  readonly mime_type?: string;
  readonly file_id: string;
}

/** Data referenced by URI (never a `data:` URL: that is a {@link BlobPart}). */
export interface UriPart {
  readonly type: 'uri';
  readonly modality: string;
  readonly mime_type?: string;
  readonly uri: string;
}

/** Reasoning (thinking) content the model returned. */
export interface ReasoningPart {
  readonly type: 'reasoning';
  readonly content: string;
}

/** Any other part (`server_tool_call`, a provider's own block type, …), with its own properties. */
export interface GenericPart {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** One part of a message. */
export type MessagePart =
  | TextPart
  | ToolCallRequestPart
  | ToolCallResponsePart
  | BlobPart
  | FilePart
  | UriPart
  | ReasoningPart
  | GenericPart;

/** A message sent to the model (`gen_ai.input.messages` items), in the order it was sent. */
export interface InputMessage {
  /** `system`, `user`, `assistant`, `tool`, or the provider's own role. */
  readonly role: string;
  readonly parts: readonly MessagePart[];
  /** The participant's name, when the provider has one. */
  readonly name?: string;
}

/** One choice or candidate the model returned (`gen_ai.output.messages` items). */
export interface OutputMessage extends InputMessage {
  /** `stop`, `length`, `content_filter`, `tool_call`, `error`, or the provider's own reason. */
  readonly finish_reason: string;
}

/**
 * A tool offered to the model (`gen_ai.tool.definitions` items). Only `type` and `name` are recorded: the
 * conventions advise against recording the optional (large) description and parameter schema by default.
 */
export interface ToolDefinition {
  /** `function`, or the provider's type of a built-in tool (`web_search`, …). */
  readonly type: string;
  readonly name: string;
}

/** The content of one model call, in the conventions' shape. Each field becomes one span attribute. */
export interface CapturedContent {
  /** `gen_ai.input.messages`. */
  readonly inputMessages?: readonly InputMessage[];
  /** `gen_ai.output.messages`. */
  readonly outputMessages?: readonly OutputMessage[];
  /** `gen_ai.system_instructions`: instructions given apart from the messages (Anthropic `system`, …). */
  readonly systemInstructions?: readonly MessagePart[];
  /** `gen_ai.tool.definitions`. */
  readonly toolDefinitions?: readonly ToolDefinition[];
}

/**
 * Your redaction of captured content, run before agentrace's own secret masking and length cut. It is called
 * once with a call's request content (input messages, system instructions, tool definitions) and once with its
 * response content (output messages). Return what may be recorded (a changed copy, or the same object), or
 * `undefined` to record none of it. If it throws, that content is not recorded (the call is unaffected) and
 * one warning is logged through `diag`.
 */
export type ContentRedactor = (content: CapturedContent) => CapturedContent | undefined;

/** How message content is captured. */
export interface ContentCaptureOptions {
  /** Record message content at all. Off by default (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`). */
  readonly enabled: boolean;
  /**
   * Longest JSON string recorded per attribute, in UTF-16 code units (default
   * {@link DEFAULT_MAX_CONTENT_LENGTH}). Longer content is cut so that the JSON stays valid: the longest texts
   * are shortened first (each cut marked `…`), then whole messages are left out (the oldest input messages, the
   * last output messages, tools and instruction parts from the end); `agentrace.content.truncated` names the
   * attributes that were cut.
   */
  readonly maxLength?: number;
  /** Your redaction, run first; see {@link ContentRedactor}. */
  readonly redact?: ContentRedactor;
}

/** Default {@link ContentCaptureOptions.maxLength}: 16 384 code units per attribute. */
export const DEFAULT_MAX_CONTENT_LENGTH = 16_384;

/** The shortest `maxLength` accepted: room for one message whose texts are cut to a few characters. */
export const MIN_MAX_CONTENT_LENGTH = 64;

/** {@link ContentCaptureOptions} with the defaults filled in and checked. */
export interface ResolvedContentCapture {
  readonly enabled: boolean;
  readonly maxLength: number;
  readonly redact?: ContentRedactor;
}

/** Content capture that records nothing. */
export const CONTENT_CAPTURE_OFF: ResolvedContentCapture = Object.freeze({
  enabled: false,
  maxLength: DEFAULT_MAX_CONTENT_LENGTH,
});

/** The option names a caller's errors should name (a session's and an instrumentation's differ). */
export interface ContentOptionFields {
  readonly enabled: string;
  readonly maxLength: string;
  readonly redact: string;
}

const DEFAULT_FIELDS: ContentOptionFields = { enabled: 'enabled', maxLength: 'maxLength', redact: 'redact' };

/**
 * Checks content-capture options and fills in the defaults: `enabled` from
 * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` when not given, `maxLength`
 * {@link DEFAULT_MAX_CONTENT_LENGTH}.
 *
 * @param fields the option names to report in errors (e.g. `captureContent`, `maxContentLength`,
 *   `contentRedactor` for a session).
 * @throws {ValidationError} `enabled` is not a boolean, `maxLength` is not an integer from
 *   {@link MIN_MAX_CONTENT_LENGTH} up, or `redact` is not a function; `field` names the option.
 */
export function resolveContentCapture(
  options: { readonly enabled?: unknown; readonly maxLength?: unknown; readonly redact?: unknown },
  fields: ContentOptionFields = DEFAULT_FIELDS,
): ResolvedContentCapture {
  const { enabled, maxLength, redact } = options;
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new ValidationError({ field: fields.enabled, value: enabled, expected: 'a boolean' });
  }
  if (
    maxLength !== undefined &&
    !(typeof maxLength === 'number' && Number.isSafeInteger(maxLength) && maxLength >= MIN_MAX_CONTENT_LENGTH)
  ) {
    throw new ValidationError({
      field: fields.maxLength,
      value: maxLength,
      expected: `an integer of at least ${MIN_MAX_CONTENT_LENGTH}`,
    });
  }
  if (redact !== undefined && typeof redact !== 'function') {
    throw new ValidationError({
      field: fields.redact,
      value: redact,
      expected: 'a function (content) => content | undefined',
    });
  }
  return {
    enabled: enabled === undefined ? captureContentFromEnv() : enabled,
    maxLength: (maxLength as number | undefined) ?? DEFAULT_MAX_CONTENT_LENGTH,
    ...(redact !== undefined && { redact: redact as ContentRedactor }),
  };
}

// One warning per redactor that throws, not one per call.
const warnedRedactors = new WeakSet<object>();

function applyRedactor(content: CapturedContent, redact: ContentRedactor): CapturedContent | undefined {
  let out: unknown;
  try {
    out = redact(content);
  } catch (err) {
    if (!warnedRedactors.has(redact)) {
      warnedRedactors.add(redact);
      diag.warn(
        'agentrace: the content redactor threw; that content is not recorded (the call is unaffected)',
        err,
      );
    }
    return undefined;
  }
  if (out === undefined || out === null) return undefined;
  if (typeof out !== 'object') {
    if (!warnedRedactors.has(redact)) {
      warnedRedactors.add(redact);
      diag.warn(
        'agentrace: the content redactor returned neither content nor undefined; nothing is recorded',
      );
    }
    return undefined;
  }
  return out as CapturedContent;
}

// Which end of each list gives way first when it does not fit: the oldest input messages go (the latest are
// what the model answered), for the rest the last items.
const ATTRIBUTES = [
  ['inputMessages', sc.ATTR_GEN_AI_INPUT_MESSAGES, 'start'],
  ['systemInstructions', sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, 'end'],
  ['toolDefinitions', sc.ATTR_GEN_AI_TOOL_DEFINITIONS, 'end'],
  ['outputMessages', sc.ATTR_GEN_AI_OUTPUT_MESSAGES, 'end'],
] as const;

/**
 * The span attributes of captured content: each present field as a JSON string (`gen_ai.input.messages`,
 * `gen_ai.output.messages`, `gen_ai.system_instructions`, `gen_ai.tool.definitions`). Your redactor runs first,
 * then every string is secret-masked (the same masking as every recorded string), then each attribute is cut to
 * `maxLength` keeping its JSON valid. Empty when capture is off, when the redactor drops the content or throws.
 * Never throws.
 *
 * @example
 * ```ts
 * contentAttributes(
 *   { inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] }] },
 *   resolveContentCapture({ enabled: true }),
 * );
 * // { 'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]' }
 * ```
 */
export function contentAttributes(content: CapturedContent, capture: ResolvedContentCapture): Attributes {
  if (!capture.enabled) return {};
  const attrs: Attributes = {};
  try {
    const redacted = capture.redact ? applyRedactor(content, capture.redact) : content;
    if (redacted === undefined) return {};
    const truncated: string[] = [];
    for (const [field, name, dropFrom] of ATTRIBUTES) {
      const value = redacted[field];
      if (!Array.isArray(value) || value.length === 0) continue;
      const fitted = fitJson(maskDeep(value) as unknown[], capture.maxLength, dropFrom);
      if (fitted.truncated) truncated.push(name);
      if (fitted.json !== undefined) attrs[name] = fitted.json;
    }
    if (truncated.length > 0) attrs[sc.ATTR_AGENTRACE_CONTENT_TRUNCATED] = truncated;
  } catch (err) {
    diag.warn('agentrace: message content could not be recorded; the call is unaffected', err);
    return {};
  }
  return attrs;
}

// The attributes cut so far on each span: request and response content are recorded apart, and the second
// record must add to `agentrace.content.truncated`, not replace it.
const truncatedBySpan = new WeakMap<Span, readonly string[]>();

/**
 * Records captured content on a span ({@link contentAttributes}), keeping `agentrace.content.truncated` whole
 * across the request's and the response's records. Nothing when capture is off or the span is not recording.
 * Never throws.
 */
export function recordContent(span: Span, content: CapturedContent, capture: ResolvedContentCapture): void {
  if (!capture.enabled) return;
  try {
    if (!span.isRecording()) return;
    const attrs = contentAttributes(content, capture);
    const cut = attrs[sc.ATTR_AGENTRACE_CONTENT_TRUNCATED];
    if (Array.isArray(cut)) {
      const all = [...(truncatedBySpan.get(span) ?? []), ...(cut as string[])];
      truncatedBySpan.set(span, all);
      attrs[sc.ATTR_AGENTRACE_CONTENT_TRUNCATED] = all;
    }
    span.setAttributes(attrs);
  } catch (err) {
    diag.warn('agentrace: message content could not be recorded; the call is unaffected', err);
  }
}
