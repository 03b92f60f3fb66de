import { type RunTurnOptions, semconv } from '@agentrace/core';

type Attributes = NonNullable<RunTurnOptions<unknown>['attributes']>;

/** The request parameters of a language-model call that the model-call span records. */
export interface RequestParamsLike {
  readonly maxOutputTokens?: number | undefined;
  readonly temperature?: number | undefined;
  readonly topP?: number | undefined;
}

/**
 * `gen_ai.request.*` attributes of a language-model call: `max_tokens` (`maxOutputTokens`), `temperature`,
 * `top_p`, and `stream` for a streamed call. Only parameters that were set, and only finite numbers (the
 * parameters come from the caller's code and are recorded as they are, never validated here).
 *
 * @example
 * ```ts
 * requestAttributes({ maxOutputTokens: 256, temperature: 0 }, { stream: true });
 * // { 'gen_ai.request.max_tokens': 256, 'gen_ai.request.temperature': 0, 'gen_ai.request.stream': true }
 * ```
 */
export function requestAttributes(params: RequestParamsLike, opts: { stream: boolean }): Attributes {
  const attributes: Attributes = {};
  const set = (key: string, value: unknown) => {
    if (typeof value === 'number' && Number.isFinite(value)) attributes[key] = value;
  };
  set(semconv.ATTR_GEN_AI_REQUEST_MAX_TOKENS, params.maxOutputTokens);
  set(semconv.ATTR_GEN_AI_REQUEST_TEMPERATURE, params.temperature);
  set(semconv.ATTR_GEN_AI_REQUEST_TOP_P, params.topP);
  if (opts.stream) attributes[semconv.ATTR_GEN_AI_REQUEST_STREAM] = true;
  return attributes;
}
