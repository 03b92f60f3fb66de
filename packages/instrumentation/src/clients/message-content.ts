import {
  CONTENT_CAPTURE_OFF,
  type ContentAccumulator,
  type ContentRedactor,
  type ContentShape,
  captureInput,
  captureOutput,
  createContentAccumulator,
  type ResolvedContentCapture,
  recordContent,
  resolveContentCapture,
} from '@agentrace/core';
import { diag } from '@opentelemetry/api';
import type { ModelCall } from '../frameworks/model-call.js';

// Message content on a client call's span, in the GenAI conventions' shape: the one path every model-client
// instrumentation (OpenAI, Anthropic, Google GenAI) records content through, with core's converters, redaction,
// masking and length cut. Nothing here runs unless content capture is on.

/** The content options every model-client instrumentation takes. */
export interface ClientContentOptions {
  /**
   * Record message content (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`,
   * `gen_ai.tool.definitions`). Off by default; defaults to `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`
   * (`true`, `span_only`, `span_and_event`) when not given.
   */
  captureMessageContent?: boolean;
  /**
   * Longest content attribute as JSON, in UTF-16 code units (default 16 384, at least 64); longer content is cut
   * so that the JSON stays valid (texts shortened first, then the oldest input messages left out).
   */
  maxContentLength?: number;
  /**
   * Your redaction of the content, run before secret masking and the length cut: return what may be recorded,
   * or `undefined` to record none of it. If it throws, that content is dropped (never the call).
   */
  contentRedactor?: ContentRedactor;
}

const FIELDS = {
  enabled: 'captureMessageContent',
  maxLength: 'maxContentLength',
  redact: 'contentRedactor',
} as const;

/**
 * The content options resolved and checked.
 *
 * @throws {ValidationError} an option of the wrong type or range; `field` names it.
 * @internal
 */
export function resolveClientContent(options: ClientContentOptions): ResolvedContentCapture {
  return resolveContentCapture(
    {
      enabled: options.captureMessageContent,
      maxLength: options.maxContentLength,
      redact: options.contentRedactor,
    },
    FIELDS,
  );
}

// Resolved once per configuration object (an instrumentation's config is replaced, never changed, by setConfig).
const resolved = new WeakMap<object, ResolvedContentCapture>();

/**
 * {@link resolveClientContent} for the call path: cached per configuration, and never throwing (bad options
 * were reported when the instrumentation was built; here they mean no content). @internal
 */
export function clientContentOf(options: ClientContentOptions): ResolvedContentCapture {
  let capture = resolved.get(options);
  if (capture === undefined) {
    try {
      capture = resolveClientContent(options);
    } catch (err) {
      diag.warn('agentrace: invalid content-capture options; message content is not recorded', err);
      capture = CONTENT_CAPTURE_OFF;
    }
    resolved.set(options, capture);
  }
  return capture;
}

/** What the content recorders need: the resolved capture (as in `ResolvedClientOptions.content`). */
export interface ContentRecording {
  readonly content: ResolvedContentCapture;
}

/**
 * Records a request's content on the call's span (input messages, system instructions, tool definitions),
 * when content capture is on. `shape` says which API the body is for. Never throws.
 *
 * @example
 * ```ts
 * recordRequestContent(call, body, 'openai.chat', options); // right after startModelCall
 * ```
 */
export function recordRequestContent(
  call: ModelCall,
  body: unknown,
  shape: ContentShape,
  options: ContentRecording,
): void {
  if (!options.content.enabled) return;
  try {
    recordContent(call.span, captureInput(body, shape), options.content);
  } catch (err) {
    diag.warn('agentrace: request content could not be recorded; the call is unaffected', err);
  }
}

/**
 * Records a whole response's output messages on the call's span, when content capture is on. Call it before
 * the call ends (`call.end`). Never throws.
 */
export function recordResponseContent(
  call: ModelCall,
  response: unknown,
  shape: ContentShape,
  options: ContentRecording,
): void {
  if (!options.content.enabled) return;
  try {
    recordOutputMessages(call, captureOutput(response, shape), options);
  } catch (err) {
    diag.warn('agentrace: response content could not be recorded; the call is unaffected', err);
  }
}

/**
 * An accumulator for a streamed response's output messages, or `undefined` when content capture is off (so a
 * stream costs nothing more). Feed it every chunk; {@link recordStreamContent} records what it built.
 * @internal
 */
export function streamContentAccumulator(
  shape: ContentShape | undefined,
  options: ContentRecording,
): ContentAccumulator | undefined {
  return options.content.enabled && shape !== undefined ? createContentAccumulator(shape) : undefined;
}

/** Records what a stream's accumulator built, before the call ends. Never throws. @internal */
export function recordStreamContent(
  call: ModelCall,
  accumulator: ContentAccumulator | undefined,
  options: ContentRecording,
): void {
  if (accumulator === undefined) return;
  try {
    recordOutputMessages(call, accumulator.messages(), options);
  } catch (err) {
    diag.warn('agentrace: streamed content could not be recorded; the call is unaffected', err);
  }
}

function recordOutputMessages(
  call: ModelCall,
  outputMessages: ReturnType<typeof captureOutput>,
  options: ContentRecording,
): void {
  if (outputMessages.length > 0) recordContent(call.span, { outputMessages }, options.content);
}
